"""The store's definitions as a program spec: what `waypoint export` writes and what `apply`
compares a file against, so that export → apply changes nothing."""

from __future__ import annotations

import typing

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Campaign,
    Cohort,
    CohortStaff,
    Gate,
    Milestone,
    MilestoneCohort,
    Prerequisite,
    ScheduledSession,
    Staff,
    StaffRole,
    Step,
    Template,
)
from app.services.access import stored_permissions
from app.services.programs.codec import from_plain
from app.services.programs.spec import (
    CampaignSpec,
    CampaignStepSpec,
    CohortSpec,
    DueSpec,
    GateSpec,
    MilestoneSpec,
    ProgramInfo,
    ProgramSpec,
    SessionSpec,
    StaffSpec,
    StepSpec,
    TemplateSpec,
)
from app.services.settings import PROGRAM_NAME, TIMEZONE, get_setting, program_zone

# Milestone fields kept as the JSON document `Milestone.rules` rather than as columns.
RULE_FIELDS = (
    "reminders", "approval", "on_complete", "optional", "meeting", "attendance_min", "connect",
    "post_action_required", "activities", "surveys", "signatures", "form",
)
_MILESTONE_HINTS = typing.get_type_hints(MilestoneSpec)


def staff_spec(session: OrmSession, staff: Staff) -> StaffSpec:
    roles = sorted(session.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff.id)))
    return StaffSpec(email=staff.email, name=staff.name, roles=roles)


def cohort_spec(session: OrmSession, cohort: Cohort) -> CohortSpec:
    parent = session.get(Cohort, cohort.parent_id) if cohort.parent_id else None
    staff = sorted(
        session.scalars(
            select(Staff.email)
            .join(CohortStaff, CohortStaff.staff_id == Staff.id)
            .where(CohortStaff.cohort_id == cohort.id)
        )
    )
    return CohortSpec(key=cohort.key, name=cohort.name, parent=parent.key if parent else None,
                      staff=staff, expected_days=cohort.expected_days)


def due_spec(milestone: Milestone) -> DueSpec | None:
    kind = milestone.due_kind
    if kind is None:
        return None
    if kind == "date":
        return DueSpec(kind="date", date=milestone.due_date)
    if kind == "attribute":
        return DueSpec(kind="attribute", attribute=milestone.due_attribute,
                       offset_days=milestone.due_days or 0)
    return DueSpec(kind=kind, days=milestone.due_days)


def milestone_spec(session: OrmSession, milestone: Milestone) -> MilestoneSpec:
    cohorts = list(
        session.scalars(
            select(Cohort.key)
            .join(MilestoneCohort, MilestoneCohort.cohort_id == Cohort.id)
            .where(MilestoneCohort.milestone_id == milestone.id)
            .order_by(Cohort.position, Cohort.key)
        )
    )
    after = list(
        session.scalars(
            select(Milestone.key)
            .join(Prerequisite, Prerequisite.parent_id == Milestone.id)
            .where(Prerequisite.milestone_id == milestone.id)
            .order_by(Milestone.position, Milestone.key)
        )
    )
    steps = [
        StepSpec(title=s.title, kind=s.kind, required=s.required)
        for s in session.scalars(
            select(Step).where(Step.milestone_id == milestone.id).order_by(Step.position)
        )
    ]
    gate = session.get(Gate, milestone.gate_id) if milestone.gate_id else None
    rules = milestone.rules or {}
    extra = {
        name: from_plain(_MILESTONE_HINTS[name], rules[name])
        for name in RULE_FIELDS
        if name in rules
    }
    return MilestoneSpec(
        key=milestone.key, title=milestone.title, description=milestone.description,
        kind=milestone.kind, cohorts=cohorts, step=milestone.step,
        gate=gate.key if gate else None, after=after, starts=milestone.starts,
        due=due_spec(milestone), expected_days=milestone.expected_days,
        scale_behind=milestone.scale_behind, scale_stuck=milestone.scale_stuck,
        escalate_after_days=milestone.escalate_after_days,
        complete_by=list(milestone.complete_by or []), steps=steps, upload=milestone.upload,
        labels=list(milestone.labels or []), visible_to=list(milestone.visible_to or []),
        skip_when=dict(milestone.skip_when or {}),
        bypass_roles=None if milestone.bypass_roles is None else list(milestone.bypass_roles),
        unset_on=list(milestone.unset_on or []),
        blocks_statuses=list(milestone.blocks_statuses or []), retired=milestone.retired,
        **extra,
    )


def session_spec(session: OrmSession, row: ScheduledSession) -> SessionSpec:
    """Times in the program's zone, as a coordinator would write them."""
    milestone = session.get(Milestone, row.milestone_id) if row.milestone_id else None
    zone = program_zone(session)
    return SessionSpec(
        key=row.key, title=row.title, milestone=milestone.key if milestone else None,
        start=row.start.astimezone(zone), end=row.end.astimezone(zone),
        location=row.location, link=row.link,
        passcode=row.passcode, tentative=row.tentative, trainers=list(row.trainers or []),
        marking=row.marking, group=row.group, reason=row.reason,
    )


def export_spec(session: OrmSession) -> ProgramSpec:
    name = get_setting(session, PROGRAM_NAME)
    zone = get_setting(session, TIMEZONE)
    return ProgramSpec(
        program=ProgramInfo(name=name, timezone=zone or "UTC") if name or zone else None,
        permissions=stored_permissions(session),
        staff=[staff_spec(session, s)
               for s in session.scalars(select(Staff).order_by(Staff.email))],
        cohorts=[cohort_spec(session, c)
                 for c in session.scalars(select(Cohort).order_by(Cohort.position, Cohort.key))],
        gates=[GateSpec(key=g.key, name=g.name, reviewers=list(g.reviewers or []))
               for g in session.scalars(select(Gate).order_by(Gate.position, Gate.key))],
        templates=[TemplateSpec(key=t.key, subject=t.subject, body=t.body)
                   for t in session.scalars(select(Template).order_by(Template.key))],
        campaigns=[CampaignSpec(key=c.key, steps=[CampaignStepSpec(**s) for s in c.steps or []])
                   for c in session.scalars(select(Campaign).order_by(Campaign.key))],
        milestones=[milestone_spec(session, m) for m in session.scalars(
            select(Milestone).order_by(Milestone.position, Milestone.key))],
        sessions=[session_spec(session, s) for s in session.scalars(
            select(ScheduledSession).order_by(ScheduledSession.position, ScheduledSession.key))],
    )


def existing_keys(session: OrmSession) -> dict[str, set[str]]:
    """The keys the store holds, by section: a program file may refer to them."""
    columns = {"cohorts": Cohort.key, "milestones": Milestone.key, "gates": Gate.key,
               "templates": Template.key, "campaigns": Campaign.key,
               "sessions": ScheduledSession.key, "staff": Staff.email}
    return {section: set(session.scalars(select(column))) for section, column in columns.items()}
