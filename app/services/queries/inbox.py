"""An approver's inbox: the requests this person may act on now, soonest deadline first.

The store picks the requests. One nobody approved this round waits on its milestone's first
level, so whether the approver may act on it is known per milestone: always, never, or as staff
of the participant's cohorts (an EXISTS per request). The few that some level approved are
placed at their level beforehand, from those approvals. Only the requests listed come back,
with only the columns shown, read from the index of pending requests.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, and_, exists, or_, select, true, type_coerce
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

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
from app.services.access import UNRESTRICTED
from app.services.clock import local_date
from app.services.errors import Refused
from app.services.programs.spec import ApprovalSpec
from app.services.rules.approvals import Approver, approval_spec, approver_for, current_level
from app.services.settings import program_zone

CHUNK = 2000  # rows read at a time: the rows already listed are let go of


@dataclass(frozen=True, slots=True)
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


class _Access(enum.Enum):
    """Whether an approver may act at one level of a milestone."""

    ALWAYS = enum.auto()
    BY_COHORT = enum.auto()  # on requests of participants in the cohorts they review
    NEVER = enum.auto()


def _access(approver: Approver, spec: ApprovalSpec, level: int | None) -> _Access:
    if level is None:  # every level has its approvals
        return _Access.NEVER
    needed = spec.levels[level - 1]
    if approver.may_act(needed, set()):
        return _Access.ALWAYS
    return _Access.BY_COHORT if needed.cohort_staff and approver.reviews else _Access.NEVER


@dataclass(frozen=True)
class _Pending:
    """A milestone with pending requests: what the inbox shows of it, and where its requests
    start."""

    id: uuid.UUID
    key: str
    title: str
    spec: ApprovalSpec
    rank: tuple[int, str]  # one participant's requests made at one moment: in program order
    first: int
    access: _Access


def inbox(session: OrmSession, email: str, at: datetime) -> list[InboxItem]:
    staff = lookup.staff_by_email(session, email)
    if staff is None:
        raise Refused(f"No staff member is known as '{email}'.")
    zone = program_zone(session)
    approver = approver_for(session, staff, local_date(at, zone))
    pending = _pending(session, approver)
    placed = _placed(session, approver, pending)
    query = _requests(session, approver, pending, placed)
    if query is None:
        return []
    # Raw keys and times, not typed values: a time and a deadline are made once for the many
    # requests submitted at one moment, the id once a request is listed.
    moments: dict[tuple[Any, str], tuple[datetime | None, date | None]] = {}
    items, keys = [], []
    for progress_id, milestone_id, when, person, name, in_cohort in session.execute(
            query.execution_options(yield_per=CHUNK)):
        mid = _hex(milestone_id)
        about = pending.get(mid)
        if about is None:  # submitted since its milestone was read (a database that does
            continue  # not keep one snapshot for the whole session)
        level = about.first
        if placed and (found := placed.get(_hex(progress_id))) is not None:
            level, may = found
            if may is _Access.NEVER or may is _Access.BY_COHORT and not in_cohort:
                continue
        moment = moments.get((when, mid))
        if moment is None:
            submitted_at, deadline, days = _time(when), None, about.spec.approval_deadline_days
            if days is not None and submitted_at is not None:
                deadline = local_date(submitted_at, zone) + timedelta(days=days)
            moment = moments[(when, mid)] = (submitted_at, deadline)
        submitted_at, deadline = moment
        items.append(InboxItem(_uuid(progress_id), person, name, about.key, about.title, level,
                               len(about.spec.levels), submitted_at, deadline))
        keys.append((deadline is None, deadline or date.max, submitted_at or at, person,
                     about.rank))
    return [items[i] for i in sorted(range(len(items)), key=keys.__getitem__)]


def _pending(session: OrmSession, approver: Approver) -> dict[str, _Pending]:
    """The milestones with pending requests (those the session may read), by key."""
    found = {}
    for milestone in session.scalars(select(Milestone).where(Milestone.id.in_(
            select(Progress.milestone_id).where(Progress.state == "submitted").distinct()))):
        spec = approval_spec(milestone)
        first = current_level(spec, {})
        found[milestone.id.hex] = _Pending(
            milestone.id, milestone.key, milestone.title, spec,
            (milestone.position, milestone.key), first or 0, _access(approver, spec, first))
    return found


def _placed(session: OrmSession, approver: Approver, pending: dict[str, _Pending]
            ) -> dict[str, tuple[int, _Access]]:
    """The requests some level approved this round (few: the others wait on their first
    level), by key: the level each waits on and whether the approver may act there (NEVER
    once they approved it themselves)."""
    approved: dict[tuple[str, str], dict[int, set[str]]] = {}
    for progress_id, milestone_id, level, actor in session.execute(
        select(_raw(Approval.progress_id), _raw(Progress.milestone_id), Approval.level,
               Approval.actor)
        .join(Progress, (Progress.id == Approval.progress_id)
              & (Progress.round == Approval.round))
        .where(Progress.state == "submitted", Approval.decision == "approved")
        # Past restrict(), whose filter of approvals is a subquery of every progress the
        # reader may see: the requests it would hide are not read by _requests either.
        .execution_options(**{UNRESTRICTED: True})
    ):
        approved.setdefault((_hex(progress_id), _hex(milestone_id)), {}).setdefault(
            level, set()).add(actor)
    placed = {}
    for (key, mid), by_level in approved.items():
        if mid not in pending:  # hidden from this reader
            continue
        spec = pending[mid].spec
        level = current_level(spec, by_level)
        mine = level is not None and approver.email in by_level.get(level, set())
        placed[key] = (level or 0, _Access.NEVER if mine else _access(approver, spec, level))
    return placed


def _requests(session: OrmSession, approver: Approver, pending: dict[str, _Pending],
              placed: dict[str, tuple[int, _Access]]) -> Select[Any] | None:
    """The pending requests the approver may act on, and those placed beyond their first
    level (the caller decides on these): id, milestone, submitted, participant, name, and
    whether a placed one is in a cohort the approver reviews. None: none can be."""
    starting = {may: [m.id for m in pending.values() if m.access is may] for may in _Access}
    beyond = [uuid.UUID(hex=key) for key, (_, may) in placed.items() if may is not _Access.NEVER]
    if not (starting[_Access.ALWAYS] or starting[_Access.BY_COHORT] or beyond):
        return None
    # One of the participant's current cohorts carries the milestone and the approver
    # reviews it: the participant's few memberships are read and each tested against the
    # reviewed cohorts, rather than each reviewed cohort looked for among them.
    in_cohort = exists().where(
        Membership.person_id == Progress.person_id, Membership.left_at.is_(None),
        _tested(session, Membership.cohort_id).in_(sorted(approver.reviews)),
        MilestoneCohort.cohort_id == Membership.cohort_id,
        MilestoneCohort.milestone_id == Progress.milestone_id)
    placed_by_cohort = any(may is _Access.BY_COHORT for _, may in placed.values())
    query = (
        select(_raw(Progress.id), _raw(Progress.milestone_id), _raw(Progress.submitted_at),
               Person.external_id, Person.name, in_cohort if placed_by_cohort else true())
        .join(Person, Person.id == Progress.person_id)
        .where(Progress.state == "submitted",
               or_(Progress.assigned_to.is_(None),  # or handed to them
                   Progress.assigned_to.in_(("", approver.email))))
    )
    if len(starting[_Access.ALWAYS]) == len(pending):
        return query
    may = []
    if starting[_Access.ALWAYS]:
        may.append(Progress.milestone_id.in_(starting[_Access.ALWAYS]))
    if starting[_Access.BY_COHORT]:
        may.append(and_(Progress.milestone_id.in_(starting[_Access.BY_COHORT]), in_cohort))
    if beyond:
        may.append(Progress.id.in_(beyond))
    return query.where(or_(*may))


def _tested(session: OrmSession, column: Any) -> Any:
    """A column SQLite tests row by row instead of looking its values up in an index (a store
    is never ANALYZEd: one lookup per value in a list looks cheaper to SQLite than it is)."""
    if session.get_bind().dialect.name != "sqlite":
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _raw(column: Any) -> Any:
    """A column as the database returns it, without the type's conversion."""
    return type_coerce(column, String)


def _hex(value: Any) -> str:
    """A key as 32 hex digits, whether the driver returned text (SQLite) or a UUID."""
    return value.hex if isinstance(value, uuid.UUID) else value


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


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
