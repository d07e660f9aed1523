"""A whole program, normalized: what a program file says once every default is filled in.

The parser always produces a complete spec (durations in days, defaults written out), so the
code that applies a program never needs to know the file's shorthands, and two files that mean
the same thing give equal specs. Lists, not tuples, throughout: that is what TOML reads into,
and it keeps `==` meaningful between a parsed spec and one built by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

KINDS = ("standard", "meeting", "whiteboard", "event")
DEFAULT_COMPLETE_BY = {
    "standard": "staff",
    "meeting": "attendance",
    "whiteboard": "signatures",
    "event": "registration",
}


@dataclass(frozen=True)
class ProgramInfo:
    name: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class StaffSpec:
    email: str
    name: str
    roles: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CohortSpec:
    key: str
    name: str
    parent: str | None = None
    staff: list[str] = field(default_factory=list)
    expected_days: int | None = None


@dataclass(frozen=True)
class GateSpec:
    key: str
    name: str
    reviewers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    subject: str
    body: str


@dataclass(frozen=True)
class CampaignStepSpec:
    after_days: int
    template: str


@dataclass(frozen=True)
class CampaignSpec:
    key: str
    steps: list[CampaignStepSpec] = field(default_factory=list)


@dataclass(frozen=True)
class DueSpec:
    """One of four shapes, told apart by `kind`; the fields the kind does not use stay None."""

    kind: str  # date | after_start | after_assignment | attribute
    date: date | None = None
    days: int | None = None
    attribute: str | None = None
    offset_days: int | None = None  # attribute only, where an absent offset is 0


@dataclass(frozen=True)
class StepSpec:
    title: str
    kind: str = "task"  # task | achievement
    required: bool = True


@dataclass(frozen=True)
class QuestionSpec:
    kind: str  # mcq | text | rating | overall_rating | overall_text
    text: str
    options: list[str] = field(default_factory=list)
    scale: int | None = None


@dataclass(frozen=True)
class ReminderSpec:
    kind: str  # before_due | after_start | after_assignment
    days: int
    template: str | None = None


@dataclass(frozen=True)
class LevelSpec:
    roles: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    cohort_staff: bool = False
    min_approvals: int = 1


@dataclass(frozen=True)
class TriggerSpec:
    kind: str  # person | previous_approved | status | attribute
    status: str | None = None
    attribute: str | None = None
    values: list[str] = field(default_factory=list)


def _cohort_staff_level() -> list[LevelSpec]:
    return [LevelSpec(cohort_staff=True)]


def _person_trigger() -> list[TriggerSpec]:
    return [TriggerSpec("person")]


@dataclass(frozen=True)
class ApprovalSpec:
    levels: list[LevelSpec] = field(default_factory=_cohort_staff_level)
    when_ready: str = "ready"  # ready | approved
    note_required: list[str] = field(default_factory=list)  # approve, deny
    submit_when: list[TriggerSpec] = field(default_factory=_person_trigger)
    any_time: bool = False
    ready_deadline_days: int | None = None
    approval_deadline_days: int | None = None
    notify: list[str] = field(default_factory=list)  # emails or "cohort_staff"


@dataclass(frozen=True)
class OnCompleteSpec:
    move_to: str | None = None
    remove_from_cohort: bool = False
    pipeline_status: str | None = None
    start_campaign: str | None = None
    stop_campaigns: list[str] = field(default_factory=list)
    email_template: str | None = None


@dataclass(frozen=True)
class ImpactTriggerSpec:
    key: str
    over: float
    by_location: dict[str, float] = field(default_factory=dict)
    stage: str = "actual"  # target | forecast | actual


@dataclass(frozen=True)
class OptionalSpec:
    added_by: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    impact: ImpactTriggerSpec | None = None
    match: str = "all"  # all | any


@dataclass(frozen=True)
class MeetingSpec:
    group: str
    reason: str


@dataclass(frozen=True)
class ActivitySpec:
    when: str  # pre | post
    title: str
    link: str | None = None
    file: str | None = None
    sha256: str | None = None  # the file's content in the attachment store, set on apply


@dataclass(frozen=True)
class SurveySpec:
    key: str
    title: str
    active: bool = True
    questions: list[QuestionSpec] = field(default_factory=list)


@dataclass(frozen=True)
class MilestoneSpec:
    key: str
    title: str
    description: str | None = None
    kind: str = "standard"
    cohorts: list[str] = field(default_factory=list)
    step: int = 1
    gate: str | None = None
    after: list[str] = field(default_factory=list)
    starts: str = "on_assignment"  # on_assignment | after_prerequisites | manual
    due: DueSpec | None = None
    expected_days: int | None = None
    scale_behind: float = 1.0
    scale_stuck: float = 1.5
    escalate_after_days: int | None = None
    complete_by: list[str] = field(default_factory=lambda: ["staff"])
    steps: list[StepSpec] = field(default_factory=list)
    upload: str = "off"  # off | optional | mandatory
    form: list[QuestionSpec] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    visible_to: list[str] = field(default_factory=list)
    skip_when: dict[str, list[str]] = field(default_factory=dict)
    bypass_roles: list[str] | None = None  # None: mandatory
    unset_on: list[str] = field(default_factory=list)
    blocks_statuses: list[str] = field(default_factory=list)
    retired: bool = False
    reminders: list[ReminderSpec] = field(default_factory=list)
    approval: ApprovalSpec | None = None
    on_complete: OnCompleteSpec | None = None
    optional: OptionalSpec | None = None
    meeting: MeetingSpec | None = None
    attendance_min: float | None = None
    connect: str | None = None  # mentor | coach
    post_action_required: bool = False
    activities: list[ActivitySpec] = field(default_factory=list)
    surveys: list[SurveySpec] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)  # whiteboard: roles that must sign


@dataclass(frozen=True)
class SessionSpec:
    key: str
    title: str
    milestone: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = None
    link: str | None = None
    passcode: str | None = None
    tentative: bool = False
    trainers: list[str] = field(default_factory=list)
    marking: str = "admin"  # admin | self
    group: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ProgramSpec:
    program: ProgramInfo | None = None
    staff: list[StaffSpec] = field(default_factory=list)
    cohorts: list[CohortSpec] = field(default_factory=list)
    gates: list[GateSpec] = field(default_factory=list)
    templates: list[TemplateSpec] = field(default_factory=list)
    campaigns: list[CampaignSpec] = field(default_factory=list)
    milestones: list[MilestoneSpec] = field(default_factory=list)
    sessions: list[SessionSpec] = field(default_factory=list)
    # permission → roles holding it (app/services/access.py); None: the file is silent
    permissions: dict[str, list[str]] | None = None
