"""Reading one [[milestones]] entry: its own keys, defaults by kind, and cross-key checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from app.services.programs import rules
from app.services.programs.fields import Table, type_name
from app.services.programs.refs import Known
from app.services.programs.spec import (
    DEFAULT_COMPLETE_BY,
    KINDS,
    ActivitySpec,
    ApprovalSpec,
    DueSpec,
    MeetingSpec,
    MilestoneSpec,
    QuestionSpec,
    ReminderSpec,
    StepSpec,
    SurveySpec,
)

STARTS = ("on_assignment", "after_prerequisites", "manual")
COMPLETE_BY = ("self", "staff", "request", "steps", "attendance", "registration", "signatures")
UNSET_ON = ("impact_change", "detail_change", "reopen")
QUESTION_KINDS = ("mcq", "text", "rating", "overall_rating", "overall_text")
REMINDER_KINDS = ("before_due", "after_start", "after_assignment")
DUE_KINDS = ("date", "after_start", "after_assignment", "attribute")
DUE_HINT = (
    'expected one of { date = "YYYY-MM-DD" }, { after_start = "14d" }, '
    '{ after_assignment = "2w" } or { attribute = "start_date", offset = "-7d" }'
)


def milestone(t: Table, position: int, known: Known) -> MilestoneSpec:
    """`position` is the 1-based place in the file: the step when none is given."""
    key = t.text("key", required=True) or ""
    kind = t.choice("kind", KINDS, "standard") or "standard"
    after = t.indexed_texts("after")
    for index, prerequisite in after:
        if prerequisite == key:
            t.problem(f"after[{index}]", "a milestone cannot be its own prerequisite")
        else:
            known.check(t, f"after[{index}]", "milestones", prerequisite)
    gate = t.text("gate")
    if gate:
        known.check(t, "gate", "gates", gate)
    if t.has("complete_by"):
        complete_by = t.choice_list("complete_by", COMPLETE_BY, required=True)
    else:
        complete_by = [DEFAULT_COMPLETE_BY[kind]]
    behind, stuck = _scale(t)
    approval = rules.approval(t.table("approval"), known)
    if approval is None and "request" in complete_by:
        approval = ApprovalSpec()
    spec = MilestoneSpec(
        key=key,
        title=t.text("title", required=True) or "",
        description=t.text("description"),
        kind=kind,
        cohorts=known.check_all(t, "cohorts", "cohorts", t.indexed_texts("cohorts", required=True)),
        step=t.integer("step", minimum=1) or position,
        gate=gate,
        after=[prerequisite for _, prerequisite in after],
        starts=t.choice("starts", STARTS, None) or STARTS[1 if after else 0],
        due=_due(t),
        expected_days=t.days("expected"),
        scale_behind=behind,
        scale_stuck=stuck,
        escalate_after_days=t.days("escalate_after"),
        complete_by=complete_by,
        steps=[_step(step) for step in t.tables("steps")],
        upload=t.choice("upload", ("off", "optional", "mandatory"), "off") or "off",
        form=questions(t, "form"),
        labels=t.texts("labels"),
        visible_to=t.texts("visible_to"),
        skip_when=t.lists_by_name("skip_when"),
        bypass_roles=t.texts("bypass_roles") if t.raw("bypass_roles") is not None else None,
        unset_on=t.choice_list("unset_on", UNSET_ON),
        blocks_statuses=t.texts("blocks_statuses"),
        retired=t.flag("retired"),
        reminders=[_reminder(reminder, known) for reminder in t.tables("reminders")],
        approval=approval,
        on_complete=rules.on_complete(t.table("on_complete"), known),
        optional=rules.optional(t.table("optional")),
        meeting=_meeting(t.table("meeting")),
        attendance_min=_share(t, "attendance_min"),
        connect=t.choice("connect", ("mentor", "coach"), None),
        post_action_required=t.flag("post_action_required"),
        activities=[_activity(activity) for activity in t.tables("activities")],
        surveys=_surveys(t),
        signatures=t.texts("signatures"),
    )
    _check_completion(t, spec)
    t.finish()
    return spec


def _check_completion(t: Table, spec: MilestoneSpec) -> None:
    """Ways of completing that could never happen with what the milestone declares."""
    if "steps" in spec.complete_by and not spec.steps:
        t.problem("complete_by", 'includes "steps" but the milestone lists no steps')
    if "signatures" in spec.complete_by and not spec.signatures:
        t.problem("complete_by", 'includes "signatures" but no signatures = [roles] are listed')
    if spec.post_action_required and not any(survey.active for survey in spec.surveys):
        t.problem("post_action_required", "needs an active survey to answer")


def _due(milestone: Table) -> DueSpec | None:
    if milestone.raw("due") is None:
        return None
    if not isinstance(milestone.raw("due"), dict):
        milestone.problem("due", DUE_HINT)
        return None
    t = milestone.table("due")
    assert t is not None
    kinds = [kind for kind in DUE_KINDS if t.has(kind)]
    if len(kinds) != 1:
        t.read.add("offset")
        t.problems.append((t.path, DUE_HINT))
        t.finish()
        return None
    kind = kinds[0]
    if kind == "date":
        due = DueSpec("date", date=_date(t, "date"))
    elif kind == "attribute":
        attribute = t.text("attribute", required=True)
        due = DueSpec("attribute", attribute=attribute, offset_days=t.days("offset", signed=True))
        due = replace(due, offset_days=due.offset_days or 0)
    else:
        due = DueSpec(kind, days=t.days(kind))
    if kind != "attribute" and t.has("offset"):
        t.problem("offset", 'only goes with attribute, as in { attribute = "start_date", '
                  'offset = "-7d" }')
    t.finish()
    return due


def _date(t: Table, key: str) -> date | None:
    value = t.raw(key)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    shown = repr(value) if isinstance(value, str) else type_name(value)
    t.problem(key, f'expected a date like "2026-09-15", got {shown}')
    return None


def _scale(t: Table) -> tuple[float, float]:
    scale = t.table("scale")
    if scale is None:
        return 1.0, 1.5
    behind = _positive(scale, "behind")
    stuck = _positive(scale, "stuck")
    behind = 1.0 if behind is None else behind
    stuck = 1.5 if stuck is None else stuck
    if behind >= stuck:
        scale.problem("stuck", f"must be more than behind ({behind:g}), got {stuck:g}")
    scale.finish()
    return behind, stuck


def _positive(t: Table, key: str) -> float | None:
    value = t.number(key)
    if value is not None and value <= 0:
        t.problem(key, f"must be more than 0, got {value:g}")
    return value


def _share(t: Table, key: str) -> float | None:
    value = t.number(key)
    if value is not None and not 0 < value <= 1:
        t.problem(key, f"must be a share above 0 and at most 1 (0.8 = 80%), got {value:g}")
    return value


def _step(t: Table) -> StepSpec:
    spec = StepSpec(
        t.text("title", required=True) or "",
        t.choice("kind", ("task", "achievement"), "task") or "task",
        t.flag("required", True),
    )
    t.finish()
    return spec


def _reminder(t: Table, known: Known) -> ReminderSpec:
    kinds = [kind for kind in REMINDER_KINDS if t.has(kind)]
    template = t.text("template")
    if template:
        known.check(t, "template", "templates", template)
    if len(kinds) != 1:
        t.problems.append((t.path, 'expected one of { before_due = "3d" }, { after_start = "1w" }'
                           ' or { after_assignment = "2w" }, optionally with template = "key"'))
    days = t.days(kinds[0]) if kinds else None
    t.finish()
    return ReminderSpec(kinds[0] if kinds else "", days or 0, template)


def questions(t: Table, key: str) -> list[QuestionSpec]:
    """A survey's or a linked form's questions; options and scale only where the kind uses them."""
    result = []
    for q in t.tables(key):
        kind = q.choice("kind", QUESTION_KINDS, None)
        if kind is None and not q.has("kind"):
            q.problem("kind", f"is required: one of {', '.join(QUESTION_KINDS)}")
        options = q.texts("options", required=kind == "mcq")
        if q.has("options") and kind != "mcq":
            q.problem("options", "only a multiple-choice (mcq) question has options")
        scale = q.integer("scale", minimum=2)
        rated = kind in ("rating", "overall_rating")
        if rated and not q.has("scale"):
            q.problem("scale", "is required for a rating: the highest score, like 5")
        elif q.has("scale") and not rated:
            q.problem("scale", "only a rating question has a scale")
        result.append(QuestionSpec(kind or "", q.text("text", required=True) or "", options, scale))
        q.finish()
    return result


def _meeting(t: Table | None) -> MeetingSpec | None:
    if t is None:
        return None
    spec = MeetingSpec(t.text("group", required=True) or "", t.text("reason", required=True) or "")
    t.finish()
    return spec


def _activity(t: Table) -> ActivitySpec:
    when = t.choice("when", ("pre", "post"), None)
    if not t.has("when"):
        t.problem("when", 'is required: "pre" (before the session) or "post" (after it)')
    spec = ActivitySpec(when or "", t.text("title", required=True) or "", t.text("link"),
                        t.text("file"))
    if spec.link is None and spec.file is None:
        t.problem("link", "an activity needs a link or a file")
    t.finish()
    return spec


def _surveys(t: Table) -> list[SurveySpec]:
    surveys, active, keys = [], [], {}
    for index, s in enumerate(t.tables("surveys")):
        survey = SurveySpec(
            key=s.text("key", required=True) or "",
            title=s.text("title", required=True) or "",
            active=s.flag("active", True),
            questions=questions(s, "questions"),
        )
        if s.raw("questions") in (None, []):
            s.problem("questions", "a survey needs at least one question")
        if survey.key in keys:
            s.problem("key", f"'{survey.key}' is already the key of surveys[{keys[survey.key]}]")
        keys.setdefault(survey.key, index)
        if survey.active:
            active.append(index)
            if len(active) > 1:
                s.problem("active", f"only one survey may be active; surveys[{active[0]}] is too "
                          "(set active = false on all but one)")
        s.finish()
        surveys.append(survey)
    return surveys
