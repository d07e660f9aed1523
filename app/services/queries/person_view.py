"""What one participant has: their cohorts, their milestones in order, derived values.

Derived values (past due, the progress scale, the due label) are computed as of `at`; the
states are always the current ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    DONE_STATES,
    Approval,
    Cohort,
    Gate,
    GateReview,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Progress,
    Step,
    StepCheck,
)
from app.services import lookup
from app.services.clock import local_date
from app.services.queries.content_view import content_of
from app.services.rules.approvals import approval_spec
from app.services.rules.due import due_label
from app.services.rules.locks import locked_reason
from app.services.settings import program_zone


@dataclass(frozen=True)
class MilestoneRow:
    key: str
    title: str
    state: str
    due: date | None
    due_label: str | None
    past_due: bool
    progress: str | None
    started_at: datetime | None
    completed_at: datetime | None
    gate: str | None
    locked_reason: str | None
    steps: list[dict[str, object]]
    labels: list[str]
    approvals: list[dict[str, object]]
    # upload, files, survey, activities, connect, waits_for, held (queries.content_view)
    content: dict[str, Any]


@dataclass(frozen=True)
class PersonView:
    person: Person
    cohorts: list[Cohort]
    milestones: list[MilestoneRow]


def current_cohorts(session: OrmSession, person: Person) -> list[Cohort]:
    return list(
        session.scalars(
            select(Cohort)
            .join(Membership, Membership.cohort_id == Cohort.id)
            .where(Membership.person_id == person.id, Membership.left_at.is_(None))
            .order_by(Cohort.position, Cohort.key)
        )
    )


def scale(milestone: Milestone, progress: Progress, at: datetime) -> str | None:
    """On track / behind / stuck: time since it opened against the expected duration."""
    if (
        not milestone.expected_days
        or progress.opened_at is None
        or progress.state in DONE_STATES
        or progress.state == "locked"
    ):
        return None
    ratio = (at - progress.opened_at).total_seconds() / 86400 / milestone.expected_days
    if ratio > milestone.scale_stuck:
        return "stuck"
    if ratio > milestone.scale_behind:
        return "behind"
    return "on_track"


def deadlines(milestone: Milestone, progress: Progress, zone: ZoneInfo) -> list[date]:
    """The dates a progress must beat: its due date, and while it waits on someone its
    ready deadline (from opening) or approval deadline (from submission)."""
    found = [progress.due_on] if progress.due_on else []
    if "request" not in (milestone.complete_by or []):
        return found
    spec = approval_spec(milestone)
    if (progress.state in ("open", "started", "denied") and progress.opened_at
            and spec.ready_deadline_days is not None):
        found.append(local_date(progress.opened_at, zone)
                     + timedelta(days=spec.ready_deadline_days))
    if (progress.state == "submitted" and progress.submitted_at
            and spec.approval_deadline_days is not None):
        found.append(local_date(progress.submitted_at, zone)
                     + timedelta(days=spec.approval_deadline_days))
    return found


def past_due(milestone: Milestone, progress: Progress, today: date, zone: ZoneInfo) -> bool:
    """Past due: a due date or deadline has passed and the progress is not done."""
    if progress.state in DONE_STATES:
        return False
    return any(day < today for day in deadlines(milestone, progress, zone))


def held(session: OrmSession, person: Person) -> list[tuple[Progress, Milestone]]:
    """The progress of milestones in the person's current cohorts, in step order."""
    linked = (
        select(MilestoneCohort.milestone_id)
        .join(Membership, Membership.cohort_id == MilestoneCohort.cohort_id)
        .where(Membership.person_id == person.id, Membership.left_at.is_(None))
    )
    return [
        (p, m)
        for p, m in session.execute(
            select(Progress, Milestone)
            .join(Milestone, Milestone.id == Progress.milestone_id)
            .where(Progress.person_id == person.id, Progress.milestone_id.in_(linked))
            .order_by(Milestone.step, Milestone.position, Milestone.key)
        ).all()
    ]


def person_view(session: OrmSession, ref: str, at: datetime) -> PersonView:
    person = lookup.person(session, ref)
    zone = program_zone(session)
    today = local_date(at, zone)
    gates = {g.id: g.key for g in session.scalars(select(Gate))}
    rows = held(session, person)
    ticked = set(
        session.execute(
            select(StepCheck.progress_id, StepCheck.step_id).where(
                StepCheck.progress_id.in_([p.id for p, _ in rows])
            )
        ).all()
    )
    decisions: dict[object, list[dict[str, object]]] = {}
    for a in session.scalars(
        select(Approval).where(Approval.progress_id.in_([p.id for p, _ in rows]))
        .order_by(Approval.at, Approval.round, Approval.level)
    ):
        decisions.setdefault(a.progress_id, []).append(
            {"level": a.level, "by": a.actor, "decision": a.decision, "note": a.note,
             "at": a.at, "round": a.round})
    steps: dict[object, list[Step]] = {}
    for step in session.scalars(
        select(Step).where(Step.milestone_id.in_([m.id for _, m in rows])).order_by(Step.position)
    ):
        steps.setdefault(step.milestone_id, []).append(step)
    content = content_of(session, rows)
    milestones = [
        MilestoneRow(
            key=m.key,
            title=m.title,
            state=p.state,
            due=p.due_on,
            due_label=due_label(m, p),
            past_due=past_due(m, p, today, zone),
            progress=scale(m, p, at),
            started_at=p.started_at,
            completed_at=p.completed_at,
            gate=gates.get(m.gate_id) if m.gate_id else None,
            locked_reason=locked_reason(session, p, m),
            steps=[
                {"title": s.title, "kind": s.kind, "required": s.required,
                 "done": (p.id, s.id) in ticked}
                for s in steps.get(m.id, [])
            ],
            labels=list(m.labels or []),
            approvals=decisions.get(p.id, []),
            content=content[p.id],
        )
        for p, m in rows
    ]
    return PersonView(person=person, cohorts=current_cohorts(session, person),
                      milestones=milestones)


def gate_statuses(session: OrmSession, ref: str) -> tuple[Person, list[tuple[Gate, str]]]:
    """not_started: none of its milestones is open or further; complete: all are complete or
    skipped; active: anything between."""
    person = lookup.person(session, ref)
    by_gate: dict[object, list[str]] = {}
    for progress, milestone in held(session, person):
        if milestone.gate_id is not None:
            by_gate.setdefault(milestone.gate_id, []).append(progress.state)
    result = []
    for gate in session.scalars(select(Gate).order_by(Gate.position, Gate.key)):
        states = by_gate.get(gate.id, [])
        if states and all(s in DONE_STATES for s in states):
            status = "complete"
        elif any(s != "locked" for s in states):
            status = "active"
        else:
            status = "not_started"
        result.append((gate, status))
    return person, result


def latest_reviews(session: OrmSession, person: Person) -> dict[object, GateReview]:
    """Each gate's most recent review for this participant."""
    found: dict[object, GateReview] = {}
    for review in session.scalars(
        select(GateReview).where(GateReview.person_id == person.id).order_by(GateReview.at)
    ):
        found[review.gate_id] = review
    return found
