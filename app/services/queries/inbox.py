"""An approver's inbox: the requests this person may act on now, soonest deadline first.

One query gathers every pending request with what eligibility needs (its milestone, the
participant's cohorts carrying it, the current round's approvals); eligibility is then decided
per milestone's levels in memory, without a query per request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Approval,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Progress,
    ProgressEvent,
    Step,
    StepCheck,
)
from app.services import lookup
from app.services.clock import local_date
from app.services.errors import Refused
from app.services.programs.spec import ApprovalSpec
from app.services.rules.approvals import Approver, approval_spec, approver_for, current_level
from app.services.settings import program_zone


@dataclass(frozen=True)
class InboxItem:
    progress_id: uuid.UUID
    person: str
    name: str
    milestone: str
    title: str
    level: int
    levels: int
    submitted_at: datetime | None
    deadline: date | None


def _needs_cohorts(approver: Approver) -> bool:
    """Whose cohorts requests belong to matters only to cohort staff who are not admins."""
    if "admin" in approver.roles:
        return False
    return bool(approver.staffs) or any(d.staffs for d in approver.delegators)


def inbox(session: OrmSession, email: str, at: datetime) -> list[InboxItem]:
    staff = lookup.staff_by_email(session, email)
    if staff is None:
        raise Refused(f"No staff member is known as '{email}'.")
    zone = program_zone(session)
    approver = approver_for(session, staff, local_date(at, zone))
    # Plain columns, not entities: ten thousand requests must not each decode a milestone.
    pending = session.execute(
        select(Progress.id, Progress.person_id, Progress.milestone_id, Progress.round,
               Progress.submitted_at, Progress.assigned_to, Person.external_id, Person.name)
        .join(Person, Person.id == Progress.person_id)
        .where(Progress.state == "submitted")
    ).all()
    milestones = {m.id: m for m in session.scalars(
        select(Milestone).where(Milestone.id.in_({row.milestone_id for row in pending})))}
    submitted = Progress.state == "submitted"
    approved: dict[uuid.UUID, dict[int, set[str]]] = {}
    for progress_id, level, actor in session.execute(
        select(Approval.progress_id, Approval.level, Approval.actor)
        .join(Progress, (Progress.id == Approval.progress_id)
              & (Progress.round == Approval.round))
        .where(submitted, Approval.decision == "approved")
    ):
        approved.setdefault(progress_id, {}).setdefault(level, set()).add(actor)
    cohorts: dict[tuple[uuid.UUID, uuid.UUID], set[uuid.UUID]] = {}
    if _needs_cohorts(approver):
        for person_id, milestone_id, cohort_id in session.execute(
            select(Progress.person_id, Progress.milestone_id, Membership.cohort_id)
            .join(Membership, (Membership.person_id == Progress.person_id)
                  & Membership.left_at.is_(None))
            .join(MilestoneCohort, (MilestoneCohort.cohort_id == Membership.cohort_id)
                  & (MilestoneCohort.milestone_id == Progress.milestone_id))
            .where(submitted)
        ):
            cohorts.setdefault((person_id, milestone_id), set()).add(cohort_id)
    items = []
    specs: dict[uuid.UUID, ApprovalSpec] = {}
    for progress in pending:
        milestone = milestones[progress.milestone_id]
        if milestone.id not in specs:
            specs[milestone.id] = approval_spec(milestone)
        spec = specs[milestone.id]
        mine = approved.get(progress.id, {})
        level = current_level(spec, mine)
        if level is None or approver.email in mine.get(level, set()):
            continue
        if progress.assigned_to and progress.assigned_to != approver.email:
            continue  # handed to someone else
        held_in = cohorts.get((progress.person_id, progress.milestone_id), set())
        if not approver.may_act(spec.levels[level - 1], held_in):
            continue
        deadline = None
        if spec.approval_deadline_days is not None and progress.submitted_at is not None:
            deadline = (local_date(progress.submitted_at, zone)
                        + timedelta(days=spec.approval_deadline_days))
        items.append(InboxItem(progress.id, progress.external_id, progress.name, milestone.key,
                               milestone.title, level, len(spec.levels), progress.submitted_at,
                               deadline))
    items.sort(key=lambda i: (i.deadline is None, i.deadline or date.max,
                              i.submitted_at or at, i.person))
    return items


@dataclass(frozen=True)
class Evidence:
    """What an approver looks at before deciding: the steps done, and what happened so far."""

    steps: list[dict[str, object]]
    history: list[dict[str, object]]


def evidence(session: OrmSession, progress_ids: list[uuid.UUID]) -> dict[uuid.UUID, Evidence]:
    """The evidence of many requests in a few queries (steps, ticks, history), not one each."""
    found: dict[uuid.UUID, Evidence] = {pid: Evidence([], []) for pid in progress_ids}
    for chunk in range(0, len(progress_ids), 5000):
        part = progress_ids[chunk:chunk + 5000]
        ticked = set(session.execute(
            select(StepCheck.progress_id, StepCheck.step_id)
            .where(StepCheck.progress_id.in_(part))).all())
        for progress_id, step in session.execute(
            select(Progress.id, Step).join(Step, Step.milestone_id == Progress.milestone_id)
            .where(Progress.id.in_(part)).order_by(Progress.id, Step.position)
        ).all():
            found[progress_id].steps.append({
                "title": step.title, "required": step.required,
                "done": (progress_id, step.id) in ticked})
        for event in session.scalars(
            select(ProgressEvent).where(ProgressEvent.progress_id.in_(part))
            .order_by(ProgressEvent.progress_id, ProgressEvent.at)
        ):
            found[event.progress_id].history.append({
                "kind": event.kind, "from": event.from_state, "to": event.to_state,
                "at": event.at, "by": event.actor, "note": event.note})
    return found
