"""The stage-gate timeline: gates as spans of dates, milestones as dated marks.

For one participant: each gate they hold milestones of, with its status (the one `gates`
prints), the span from the earliest open or start to the latest due or completion of its
milestones, and its latest review; each milestone with its state, due date, completion date
and past-due flag (the one `show` prints).

For a cohort (and its sub-cohorts, as on the board): the same gates aggregated over its
current members — the span over every member, how many members are at each gate status
(`gate_board.gate_counts`), how many were last decided go / hold / recycle / stop — and per
milestone the share of holders complete and how many are past due by their due date (the
board's count). Everything is grouped in SQL: a cohort of thousands costs three queries, not
one per member.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Subquery, and_, case, func, select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    DONE_STATES,
    Cohort,
    Gate,
    GateReview,
    Membership,
    Milestone,
    MilestoneCohort,
    Progress,
)
from app.services import lookup
from app.services.clock import local_date
from app.services.queries.gate_board import gate_counts
from app.services.queries.person_view import (
    current_cohorts,
    gate_statuses,
    held,
    latest_reviews,
    past_due,
)
from app.services.settings import program_zone

Kind = Literal["person", "cohort"]


@dataclass(frozen=True)
class ReviewMark:
    """The latest gate decision for one participant, as shown on the band."""

    decision: str
    note: str | None
    actor: str
    at: datetime


@dataclass(frozen=True)
class GateSpan:
    key: str
    name: str
    reviewers: list[str]
    start: date | None  # earliest open or start (else due) of its milestones
    end: date | None  # latest due or completion (an active gate reaches today at least)
    status: str | None  # a participant's status; None for a cohort (see `counts`)
    counts: dict[str, int]  # members per status: not_started, active, complete
    review: ReviewMark | None = None  # a participant's latest review
    decisions: dict[str, int] = field(default_factory=dict)  # cohort: latest decisions


@dataclass(frozen=True)
class MilestoneMark:
    key: str
    title: str
    gate: str | None
    state: str | None  # a participant's state; None for a cohort
    opened: date | None  # earliest open among holders
    due: date | None  # a participant's due date; a cohort's earliest
    due_last: date | None  # a cohort's latest due date (a participant's own again)
    completed: date | None  # a participant's completion; a cohort's latest among those done
    past_due: bool  # past due (a cohort: anyone past due)
    holders: int  # how many hold it (1 for a participant)
    done: int  # how many are complete or skipped
    past_due_count: int

    @property
    def share_complete(self) -> float:
        return self.done / self.holders if self.holders else 0.0


@dataclass(frozen=True)
class Timeline:
    kind: Kind
    ref: str  # the participant's id or the cohort's key
    title: str  # the participant's or the cohort's name
    subtitle: str
    today: date
    members: int
    gates: list[GateSpan]
    milestones: list[MilestoneMark]  # step order; the view groups them under their gates

    def dates(self) -> list[date]:
        """Every date the timeline shows, today included: the axis must reach all of them."""
        found = [self.today]
        for gate in self.gates:
            found += [d for d in (gate.start, gate.end) if d is not None]
        for mark in self.milestones:
            found += [d for d in (mark.opened, mark.due, mark.due_last, mark.completed)
                      if d is not None]
        return found


def _day(value: datetime | None, zone: ZoneInfo) -> date | None:
    return None if value is None else local_date(value, zone)


def _span(marks: list[MilestoneMark], active: bool, today: date) -> tuple[date | None,
                                                                          date | None]:
    """From the earliest open (else due) to the latest due or completion; a gate still under
    way reaches at least today, so its band shows that it is running now."""
    opened = [m.opened for m in marks if m.opened]
    ends = [d for m in marks for d in (m.due_last, m.completed) if d]
    start = min(opened) if opened else min((m.due for m in marks if m.due), default=None)
    end = max(ends) if ends else None
    if active:
        end = max(end, today) if end else today
        start = start or end
    if start and end and end < start:
        start, end = end, start
    if start and not end:
        end = start
    return start, end


def person_timeline(session: OrmSession, ref: str, at: datetime) -> Timeline:
    """One participant's gates and milestones; past due and today as of `at`."""
    person = lookup.person(session, ref)
    zone = program_zone(session)
    today = local_date(at, zone)
    gate_keys = {g.id: g.key for g in session.scalars(select(Gate))}
    marks = []
    for p, m in held(session, person):
        late = past_due(m, p, today, zone)
        marks.append(MilestoneMark(
            key=m.key, title=m.title, gate=gate_keys.get(m.gate_id) if m.gate_id else None,
            state=p.state, opened=_day(p.opened_at or p.started_at, zone), due=p.due_on,
            due_last=p.due_on, completed=_day(p.completed_at, zone), past_due=late,
            holders=1, done=int(p.state in DONE_STATES),
            past_due_count=int(late)))
    reviews = latest_reviews(session, person)
    _, statuses = gate_statuses(session, person.external_id)
    gates = []
    for gate, status in statuses:
        mine = [m for m in marks if m.gate == gate.key]
        review = reviews.get(gate.id)
        if not mine and review is None:
            continue  # another program's gate: nothing of it concerns this participant
        start, end = _span(mine, status == "active", today)
        gates.append(GateSpan(
            key=gate.key, name=gate.name, reviewers=list(gate.reviewers or []), start=start,
            end=end, status=status, counts={status: 1},
            review=None if review is None else ReviewMark(review.decision, review.note,
                                                          review.actor, review.at)))
    cohorts = ", ".join(c.name for c in current_cohorts(session, person))
    subtitle = " · ".join(part for part in (person.external_id, person.status, cohorts) if part)
    return Timeline(kind="person", ref=person.external_id, title=person.name,
                    subtitle=subtitle, today=today, members=1, gates=gates, milestones=marks)


def _subtree(session: OrmSession, root: uuid.UUID) -> list[uuid.UUID]:
    """A cohort and every cohort below it (the cohort table is small: read it whole)."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for cohort_id, parent_id in session.execute(select(Cohort.id, Cohort.parent_id)):
        children.setdefault(parent_id, []).append(cohort_id)
    found, pending = [], [root]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def cohort_timeline(session: OrmSession, key: str, at: datetime) -> Timeline:
    """A cohort's gates and milestones aggregated over its current members (sub-cohorts
    included); past due counts as of `at`, by due date."""
    cohort = lookup.cohort(session, key)
    zone = program_zone(session)
    today = local_date(at, zone)
    cohort_ids = _subtree(session, cohort.id)
    members = (
        select(Membership.person_id)
        .where(Membership.cohort_id.in_(cohort_ids), Membership.left_at.is_(None))
        .distinct()
        .subquery("members")
    )
    linked = select(MilestoneCohort.milestone_id).where(MilestoneCohort.cohort_id.in_(cohort_ids))
    done = Progress.state.in_(DONE_STATES)
    late = and_(Progress.state.not_in(DONE_STATES), Progress.due_on < today)
    rows = session.execute(
        select(
            Milestone.key, Milestone.title, Gate.key, func.count(Progress.id),
            func.count(case((done, 1))), func.count(case((late, 1))),
            func.min(Progress.due_on), func.max(Progress.due_on),
            func.min(func.coalesce(Progress.opened_at, Progress.started_at)),
            func.max(case((done, Progress.completed_at))),
        )
        .select_from(members)
        .join(Progress, Progress.person_id == members.c.person_id)
        .join(Milestone, Milestone.id == Progress.milestone_id)
        .outerjoin(Gate, Gate.id == Milestone.gate_id)
        .where(Progress.milestone_id.in_(linked))
        .group_by(Milestone.id, Milestone.key, Milestone.title, Gate.key, Milestone.step,
                  Milestone.position)
        .order_by(Milestone.step, Milestone.position, Milestone.key)
    ).all()
    marks = [
        MilestoneMark(key=m_key, title=title, gate=g_key, state=None,
                      opened=_day(opened, zone), due=first_due, due_last=last_due,
                      completed=_day(completed, zone), past_due=bool(late_n), holders=holders,
                      done=done_n, past_due_count=late_n)
        for (m_key, title, g_key, holders, done_n, late_n, first_due, last_due, opened,
             completed) in rows
    ]
    decisions = _latest_decisions(session, members)
    definitions = {g.key: g for g in session.scalars(select(Gate))}
    gates = []
    for count in gate_counts(session, cohort_ids):
        mine = [m for m in marks if m.gate == count.key]
        start, end = _span(mine, count.active > 0, today)
        gate = definitions[count.key]
        gates.append(GateSpan(
            key=count.key, name=count.name, reviewers=list(gate.reviewers or []), start=start,
            end=end, status=None,
            counts={"not_started": count.not_started, "active": count.active,
                    "complete": count.complete},
            decisions=decisions.get(gate.id, {})))
    total = session.scalar(select(func.count()).select_from(members)) or 0
    return Timeline(kind="cohort", ref=cohort.key, title=cohort.name,
                    subtitle=f"{total} member{'s' if total != 1 else ''}", today=today,
                    members=total, gates=gates, milestones=marks)


def _latest_decisions(session: OrmSession,
                      members: Subquery) -> dict[uuid.UUID, dict[str, int]]:
    """Per gate, how many members' latest review there was each decision."""
    ranked = (
        select(GateReview.gate_id, GateReview.decision,
               func.row_number().over(partition_by=(GateReview.person_id, GateReview.gate_id),
                                      order_by=GateReview.at.desc()).label("n"))
        .join(members, members.c.person_id == GateReview.person_id)
        .subquery("ranked")
    )
    found: dict[uuid.UUID, dict[str, int]] = {}
    for gate_id, decision, n in session.execute(
        select(ranked.c.gate_id, ranked.c.decision, func.count())
        .where(ranked.c.n == 1)
        .group_by(ranked.c.gate_id, ranked.c.decision)
    ):
        found.setdefault(gate_id, {})[decision] = n
    return found
