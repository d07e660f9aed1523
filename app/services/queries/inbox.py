"""An approver's inbox: the requests this person may act on now, soonest deadline first.

One query gathers every pending request with what eligibility needs (its milestone, the
participant's cohorts carrying it, the current round's approvals); eligibility is then decided
per milestone's levels in memory, without a query per request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Approval,
    Attachment,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Progress,
    ProgressEvent,
    Step,
    StepCheck,
    SurveyResponse,
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
    # Raw keys and times, not entities or typed values: ten thousand requests must not each
    # decode a milestone or build three UUIDs; only the requests listed get typed values.
    raw = _raw
    submitted = Progress.state == "submitted"
    pending = session.execute(
        select(raw(Progress.id), raw(Progress.person_id), raw(Progress.milestone_id),
               raw(Progress.submitted_at), Progress.assigned_to, Person.external_id, Person.name)
        .join(Person, Person.id == Progress.person_id)
        .where(submitted)
    ).all()
    milestones = {m.id.hex: m for m in session.scalars(select(Milestone).where(
        Milestone.id.in_(select(Progress.milestone_id).where(submitted).distinct())))}
    approved: dict[str, dict[int, set[str]]] = {}
    for progress_id, level, actor in session.execute(
        select(raw(Approval.progress_id), Approval.level, Approval.actor)
        .join(Progress, (Progress.id == Approval.progress_id)
              & (Progress.round == Approval.round))
        .where(submitted, Approval.decision == "approved")
    ):
        approved.setdefault(_hex(progress_id), {}).setdefault(level, set()).add(actor)
    cohorts: dict[tuple[str, str], set[str]] = {}
    if _needs_cohorts(approver):
        for person_id, milestone_id, cohort_id in session.execute(
            select(raw(Progress.person_id), raw(Progress.milestone_id), raw(Membership.cohort_id))
            .join(Membership, (Membership.person_id == Progress.person_id)
                  & Membership.left_at.is_(None))
            .join(MilestoneCohort, (MilestoneCohort.cohort_id == Membership.cohort_id)
                  & (MilestoneCohort.milestone_id == Progress.milestone_id))
            .where(submitted)
        ):
            cohorts.setdefault((_hex(person_id), _hex(milestone_id)), set()).add(_hex(cohort_id))
    frozen = {key: frozenset(found) for key, found in cohorts.items()}
    nowhere: frozenset[str] = frozenset()
    may: dict[tuple[str, int, frozenset[str]], bool] = {}  # most requests look alike
    items = []
    specs: dict[str, ApprovalSpec] = {}
    for progress_id, person_id, milestone_id, when, assignee, person_key, name in pending:
        key, mid = _hex(progress_id), _hex(milestone_id)
        if mid not in specs:
            specs[mid] = approval_spec(milestones[mid])
        spec = specs[mid]
        mine = approved.get(key, {})
        level = current_level(spec, mine)
        if level is None or approver.email in mine.get(level, set()):
            continue
        if assignee and assignee != approver.email:
            continue  # handed to someone else
        held_in = frozen.get((_hex(person_id), mid), nowhere)
        decided = may.get((mid, level, held_in))
        if decided is None:
            decided = may[(mid, level, held_in)] = approver.may_act(
                spec.levels[level - 1], {uuid.UUID(hex=h) for h in held_in})
        if not decided:
            continue
        submitted_at = _time(when)
        deadline = None
        if spec.approval_deadline_days is not None and submitted_at is not None:
            deadline = (local_date(submitted_at, zone)
                        + timedelta(days=spec.approval_deadline_days))
        milestone = milestones[mid]
        items.append(InboxItem(uuid.UUID(hex=key), person_key, name, milestone.key,
                               milestone.title, level, len(spec.levels), submitted_at,
                               deadline))
    items.sort(key=lambda i: (i.deadline is None, i.deadline or date.max,
                              i.submitted_at or at, i.person))
    return items


def _raw(column: Any) -> Any:
    """A column as the database returns it, without the type's conversion."""
    return type_coerce(column, String)


def _hex(value: Any) -> str:
    """A key as 32 hex digits, whether the driver returned text (SQLite) or a UUID."""
    return value.hex if isinstance(value, uuid.UUID) else value


def _time(value: Any) -> datetime | None:
    """A stored UTC time, from text (SQLite) or a datetime, as an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Evidence:
    """What an approver looks at before deciding: the steps done, what happened so far, the
    linked form as answered with this request, and the files handed in."""

    steps: list[dict[str, object]]
    history: list[dict[str, object]]
    form: list[dict[str, object]] = field(default_factory=list)
    files: list[dict[str, object]] = field(default_factory=list)


def evidence(session: OrmSession, progress_ids: list[uuid.UUID]) -> dict[uuid.UUID, Evidence]:
    """The evidence of many requests in a few queries (steps, ticks, history, form, files),
    not one each."""
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
        for progress_id, answers in session.execute(
            select(SurveyResponse.progress_id, SurveyResponse.answers)
            .join(Progress, Progress.id == SurveyResponse.progress_id)
            .where(SurveyResponse.progress_id.in_(part), SurveyResponse.kind == "form",
                   SurveyResponse.round == Progress.round)
        ).all():
            found[progress_id].form.extend(answers)
        for attachment in session.scalars(
            select(Attachment).where(Attachment.progress_id.in_(part)).order_by(Attachment.at)
        ):
            found[attachment.progress_id].files.append({
                "name": attachment.name, "size": attachment.size, "sha256": attachment.sha256,
                "at": attachment.at, "by": attachment.actor, "note": attachment.note})
    return found
