"""Daily digests of completion requests: one mail per staff member per day, at the first tick
of the next day (or later, caught up), listing every request of that day they should hear of.

Who hears of a request:

- a new request (submitted on the day): the people the milestone's `notify` names (emails,
  or "cohort_staff": the staff of the participant's cohorts carrying it and of the cohorts
  above them); without `notify`, the approvers of its first level;
- a level that became its turn on the day (the levels before it got their approvals): the
  approvers of that level, whatever `notify` says.

Approvers of a level are those the level names (its roles, users, cohort staff), and the
colleagues standing in for them today (delegations); only the one it was handed to when the
request is assigned; admins only when the level names nobody, so a request is never heard of
by no one. Someone who already approved the level is not told again.

The digest lists what is still waiting when it goes: a request withdrawn, decided, or whose
level has moved on since is left out, as the inbox would leave it out — a digest is a call to
act, and an item nobody can act on would send people to an inbox that does not show it.

A day counts as digested once any digest for it exists (dedupe keys `digest:<day>:<email>`,
which sort by day): a second tick sends nothing more, a tick after a week closed sends each
day's digests once, and the look-back is bounded so that a first tick on an old store does not
flood anyone. Everything is read in a few set-based queries over the days concerned.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import aliased

from app.models import (
    Approval,
    Cohort,
    CohortStaff,
    Delegation,
    Membership,
    Milestone,
    MilestoneCohort,
    OutboxMessage,
    Person,
    Progress,
    Staff,
    StaffRole,
)
from app.services.clock import local_date
from app.services.programs.spec import ApprovalSpec, LevelSpec
from app.services.rules.approvals import approval_spec, current_level
from app.services.scheduler.alerts import local_midnight
from app.services.scheduler.scans import LOOK_BACK_DAYS, scan
from app.services.work import Work

CHUNK = 5000  # keys per IN list


@dataclass(frozen=True)
class Request:
    """A completion request still waiting, as a digest lists it."""

    progress_id: uuid.UUID
    person: str  # the participant's id
    name: str
    title: str
    submitted_at: datetime
    level: int  # the level whose turn it is now
    levels: int


@dataclass(frozen=True)
class Entry:
    request: Request
    turn: bool  # True: its level became the recipient's turn; False: a new request


@dataclass
class _Pending:
    """One candidate request with what deciding its recipients needs."""

    progress_id: uuid.UUID
    milestone_id: uuid.UUID
    submitted_at: datetime
    assigned_to: str | None
    person: str
    name: str
    approved: dict[int, set[str]]
    approved_at: dict[int, datetime]  # the latest approval of each level


@scan(30, "digests")
def digests(work: Work, today: date) -> None:
    days = _undigested_days(work, today)
    if not days:
        return
    start, end = local_midnight(days[0], work), local_midnight(today, work)
    pending = _pending(work, start, end)
    if not pending:
        return
    people = _People(work, today, pending)
    specs: dict[uuid.UUID, ApprovalSpec] = {}
    titles: dict[uuid.UUID, str] = {}
    for milestone in work.session.scalars(select(Milestone).where(
            Milestone.id.in_({p.milestone_id for p in pending.values()}))):
        specs[milestone.id], titles[milestone.id] = approval_spec(milestone), milestone.title
    wanted = set(days)
    boxes: dict[tuple[date, str], dict[uuid.UUID, Entry]] = {}
    for item in pending.values():
        spec = specs[item.milestone_id]
        level = current_level(spec, item.approved)
        if level is None:  # every level has approved: it waits on nobody's decision
            continue
        request = Request(item.progress_id, item.person, item.name, titles[item.milestone_id],
                          item.submitted_at, level, len(spec.levels))
        approvers = people.approvers(item, spec.levels[level - 1], level)
        submitted_on = local_date(item.submitted_at, work.zone)
        if submitted_on in wanted:
            told = people.notified(item, spec.notify) if spec.notify else set()
            if not told and level == 1:
                told = approvers
            for email in told:
                boxes.setdefault((submitted_on, email), {})[item.progress_id] = Entry(
                    request, turn=False)
        if level > 1:
            turned = max((item.approved_at[n] for n in range(1, level) if n in item.approved_at),
                         default=item.submitted_at)
            turned_on = local_date(turned, work.zone)
            if turned_on in wanted:
                for email in approvers:
                    boxes.setdefault((turned_on, email), {})[item.progress_id] = Entry(
                        request, turn=True)
    _send(work, people, boxes)


def _undigested_days(work: Work, today: date) -> list[date]:
    """The days of the look-back, before today, that no digest has gone for yet."""
    first = today - timedelta(days=LOOK_BACK_DAYS)
    done = {key[len("digest:"):len("digest:") + 10] for key in work.session.scalars(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key >= _key(first, ""),
            OutboxMessage.dedupe_key < _key(today, "")))}
    days = (first + timedelta(days=n) for n in range(LOOK_BACK_DAYS))
    return [day for day in days if day.isoformat() not in done]


def _key(day: date, email: str) -> str:
    return f"digest:{day.isoformat()}:{email}"


def _pending(work: Work, start: datetime, end: datetime) -> dict[uuid.UUID, _Pending]:
    """Requests still waiting that were submitted, or approved at some level, in the window,
    with the approvals of their current round."""
    session = work.session
    columns = (Progress.id, Progress.milestone_id, Progress.submitted_at, Progress.assigned_to,
               Person.external_id, Person.name)
    waiting = Progress.state == "submitted"
    submitted = select(*columns).join(Person, Person.id == Progress.person_id).where(
        waiting, Progress.submitted_at >= start, Progress.submitted_at < end)
    # from the (few) waiting requests to their approvals, by the approvals' index
    approved = select(*columns).join(Person, Person.id == Progress.person_id).where(
        waiting, exists().where(
            Approval.progress_id == Progress.id, Approval.round == Progress.round,
            Approval.decision == "approved", Approval.at >= start, Approval.at < end))
    found: dict[uuid.UUID, _Pending] = {}
    for query in (submitted, approved):
        for pid, milestone_id, when, assignee, person, name in session.execute(query):
            if when is not None:
                found[pid] = _Pending(pid, milestone_id, when, assignee, person, name, {}, {})
    for chunk in _chunks(list(found)):
        for pid, level, actor, at in session.execute(
            select(Approval.progress_id, Approval.level, Approval.actor, Approval.at)
            .join(Progress, (Progress.id == Approval.progress_id)
                  & (Progress.round == Approval.round))
            .where(Progress.id.in_(chunk), Approval.decision == "approved")
        ):
            item = found[pid]
            item.approved.setdefault(level, set()).add(actor.lower())
            item.approved_at[level] = max(at, item.approved_at.get(level, at))
    return found


class _People:
    """Staff, their roles, cohorts and stand-ins, read once for every request of the tick."""

    def __init__(self, work: Work, today: date, pending: dict[uuid.UUID, _Pending]) -> None:
        session = work.session
        self.staff = {email.lower(): (email, name) for email, name in session.execute(
            select(Staff.email, Staff.name))}
        self.by_role: dict[str, set[str]] = {}
        for role, email in session.execute(
                select(StaffRole.role, Staff.email).join(Staff, Staff.id == StaffRole.staff_id)):
            self.by_role.setdefault(role, set()).add(email.lower())
        self.admins = frozenset(self.by_role.get("admin", set()))
        self.parents = dict(session.execute(select(Cohort.id, Cohort.parent_id)).all())
        self.cohort_staff: dict[uuid.UUID, set[str]] = {}
        for cohort_id, email in session.execute(
                select(CohortStaff.cohort_id, Staff.email)
                .join(Staff, Staff.id == CohortStaff.staff_id)):
            self.cohort_staff.setdefault(cohort_id, set()).add(email.lower())
        self.stand_ins: dict[str, set[str]] = {}
        giver, taker = aliased(Staff), aliased(Staff)
        for source, target in session.execute(
            select(giver.email, taker.email)
            .join(Delegation, Delegation.from_staff_id == giver.id)
            .join(taker, taker.id == Delegation.to_staff_id)
            .where(Delegation.start <= today, Delegation.end >= today)
        ):
            self.stand_ins.setdefault(source.lower(), set()).add(target.lower())
        held: dict[uuid.UUID, set[uuid.UUID]] = {}
        for chunk in _chunks(list(pending)):
            for pid, cohort_id in session.execute(
                select(Progress.id, Membership.cohort_id)
                .join(Membership, (Membership.person_id == Progress.person_id)
                      & Membership.left_at.is_(None))
                .join(MilestoneCohort, (MilestoneCohort.cohort_id == Membership.cohort_id)
                      & (MilestoneCohort.milestone_id == Progress.milestone_id))
                .where(Progress.id.in_(chunk))
            ):
                held.setdefault(pid, set()).add(cohort_id)
        self.cohorts: dict[uuid.UUID, frozenset[uuid.UUID]] = {
            pid: frozenset(ids) for pid, ids in held.items()}
        self._staff_of: dict[frozenset[uuid.UUID], frozenset[str]] = {}

    def staff_of(self, item: _Pending) -> frozenset[str]:
        """Staff of the participant's cohorts carrying the milestone, and of those above."""
        cohorts = self.cohorts.get(item.progress_id, frozenset())
        if cohorts not in self._staff_of:
            found: set[str] = set()
            for cohort_id in _with_ancestors(cohorts, self.parents):
                found |= self.cohort_staff.get(cohort_id, set())
            self._staff_of[cohorts] = frozenset(found)
        return self._staff_of[cohorts]

    def notified(self, item: _Pending, notify: list[str]) -> set[str]:
        found: set[str] = set()
        for name in notify:
            found |= set(self.staff_of(item)) if name == "cohort_staff" else {name.lower()}
        return found & self.staff.keys()

    def approvers(self, item: _Pending, level: LevelSpec, number: int) -> set[str]:
        """Who may act on this level now and has not yet: see the module's docstring."""
        if item.assigned_to:
            named = {item.assigned_to.lower()}
        else:
            named = {user.lower() for user in level.users}
            for role in level.roles:
                named |= self.by_role.get(role, set())
            if level.cohort_staff:
                named |= self.staff_of(item)
            named = (named & self.staff.keys()) or set(self.admins)
            for email in list(named):
                named |= self.stand_ins.get(email, set())
        return named - item.approved.get(number, set())


def _with_ancestors(cohorts: Iterable[uuid.UUID],
                    parents: dict[uuid.UUID, uuid.UUID | None]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for cohort_id in cohorts:
        node: uuid.UUID | None = cohort_id
        while node is not None and node not in found:
            found.add(node)
            node = parents.get(node)
    return found


def _send(work: Work, people: _People,
          boxes: dict[tuple[date, str], dict[uuid.UUID, Entry]]) -> None:
    """One mail per (day, person), in a stable order so a replay makes the same rows."""
    rows: list[dict[str, Any]] = []
    for day, email in sorted(boxes):
        address, name = people.staff[email]
        subject, body = compose(name, day, list(boxes[(day, email)].values()), work)
        rows.append({"id": work.new_id(), "to_email": address, "kind": "digest",
                     "subject": subject, "body": body, "person_id": None,
                     "milestone_id": None, "created_at": work.at, "status": "queued",
                     "attempts": 0, "dedupe_key": _key(day, email)})
    if rows:
        work.session.execute(insert(OutboxMessage), rows)
        work.record("outbox", {"kind": "digest", "count": len(rows)})


def compose(name: str, day: date, entries: list[Entry], work: Work) -> tuple[str, str]:
    """The digest's subject and body: new requests first, then those now at their level."""
    count = len(entries)
    subject = (f"Waypoint digest for {day.isoformat()}: {count} request"
               f"{'s' if count != 1 else ''} waiting")
    entries.sort(key=lambda e: (e.request.submitted_at, e.request.name, e.request.title))
    parts = [f"Hello {name},", ""]
    for turn, heading in ((False, f"Completion requests submitted on {day.isoformat()}:"),
                          (True, f"Requests whose approval level became yours on "
                                 f"{day.isoformat()}:")):
        lines = list(_lines((e.request for e in entries if e.turn is turn), work))
        if lines:
            parts += [heading, *lines, ""]
    parts.append("Waypoint's approval inbox lists the requests you may act on now.")
    return subject, "\n".join(parts) + "\n"


def _lines(requests: Iterable[Request], work: Work) -> Iterator[str]:
    for r in requests:
        when = r.submitted_at.astimezone(work.zone).strftime("%Y-%m-%d %H:%M")
        yield (f"- {r.name} ({r.person}): {r.title} - submitted {when}, "
               f"level {r.level} of {r.levels}")


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]
