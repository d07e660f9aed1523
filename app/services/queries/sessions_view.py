"""The sessions list: which sessions concern a cohort, a participant or a milestone, in start
order, with how many registered, did not show and attended — and, for one participant, where
they stand at each.

A session concerns a milestone when it is linked to it, or when the milestone is a meeting
of the session's group and reason (attending it would complete the milestone). A cohort's
sessions are those of its milestones (sub-cohorts included) and those its current members
registered for; a participant's are those of the milestones they have and those they
registered for or attended. Counts are set-based queries, not a loop over rows.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Attendance,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Registration,
    ScheduledSession,
)
from app.services import lookup
from app.services.queries.board import cohort_tree, subtree
from app.services.queries.person_view import held
from app.services.settings import program_zone

# Where a participant stands at one session, from most to least done.
ATTENDED = "attended"  # attendance with a join time: it counts
ATTENDED_WITHOUT_JOIN = "attended_without_join_time"  # recorded, but completes nothing
NO_SHOW = "no_show"
REGISTERED = "registered"
NOT_REGISTERED = "not_registered"


@dataclass(frozen=True)
class DayAttended:
    day: date
    join: datetime | None
    leave: datetime | None


@dataclass(frozen=True)
class Standing:
    """One participant at one session."""

    status: str
    registered_at: datetime | None = None
    walk_in: bool = False
    days: list[DayAttended] = field(default_factory=list)


@dataclass(frozen=True)
class SessionLine:
    key: str
    title: str
    start: datetime  # in the program's zone
    end: datetime
    days: list[date]
    tentative: bool
    location: str | None
    link: str | None
    passcode: str | None
    trainers: list[str]
    marking: str
    milestone: str | None
    group: str | None
    reason: str | None
    when: str  # upcoming | under_way | held, as of the time asked about
    registered: int
    no_shows: int
    attended: int  # people with a recorded join time on at least one day
    standing: Standing | None = None


@dataclass(frozen=True)
class SessionsView:
    sessions: list[SessionLine]
    person: Person | None = None


def _concerning(milestones: Iterable[Milestone]) -> ColumnElement[bool]:
    """Sessions linked to these milestones, or of a meeting milestone's group and reason."""
    found = list(milestones)
    clauses: list[ColumnElement[bool]] = [
        ScheduledSession.milestone_id.in_([m.id for m in found])]
    for milestone in found:
        meeting = (milestone.rules or {}).get("meeting") or {}
        if milestone.kind == "meeting" and meeting.get("group") and meeting.get("reason"):
            clauses.append(and_(ScheduledSession.group == meeting["group"],
                                ScheduledSession.reason == meeting["reason"]))
    return or_(*clauses)


def _for_cohort(session: OrmSession, key: str) -> ColumnElement[bool]:
    cohort = lookup.cohort(session, key)
    ids = subtree(cohort_tree(session), cohort.id)
    milestones = session.scalars(select(Milestone).join(
        MilestoneCohort, MilestoneCohort.milestone_id == Milestone.id).where(
        MilestoneCohort.cohort_id.in_(ids)).distinct())
    members = select(Membership.person_id).where(Membership.cohort_id.in_(ids),
                                                 Membership.left_at.is_(None))
    registered = select(Registration.session_id).where(Registration.person_id.in_(members))
    return or_(_concerning(milestones), ScheduledSession.id.in_(registered))


def _for_person(session: OrmSession, person: Person) -> ColumnElement[bool]:
    mine = [milestone for _, milestone in held(session, person)]
    registered = select(Registration.session_id).where(Registration.person_id == person.id)
    attended = select(Attendance.session_id).where(Attendance.person_id == person.id)
    return or_(_concerning(mine), ScheduledSession.id.in_(registered),
               ScheduledSession.id.in_(attended))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _counts(session: OrmSession, ids: list[uuid.UUID]
            ) -> tuple[dict[tuple[uuid.UUID, str], int], dict[uuid.UUID, int]]:
    by_status: dict[tuple[uuid.UUID, str], int] = {}
    for session_id, status, count in session.execute(
            select(Registration.session_id, Registration.status, func.count())
            .where(Registration.session_id.in_(ids))
            .group_by(Registration.session_id, Registration.status)):
        by_status[(session_id, status)] = count
    attended = dict(session.execute(
        select(Attendance.session_id, func.count(func.distinct(Attendance.person_id)))
        .where(Attendance.session_id.in_(ids), Attendance.join_at.is_not(None))
        .group_by(Attendance.session_id)).all())
    return by_status, attended


def _standings(session: OrmSession, person: Person, ids: list[uuid.UUID]
               ) -> dict[uuid.UUID, Standing]:
    registrations = {r.session_id: r for r in session.scalars(select(Registration).where(
        Registration.person_id == person.id, Registration.session_id.in_(ids)))}
    days: dict[uuid.UUID, list[DayAttended]] = defaultdict(list)
    for row in session.scalars(select(Attendance).where(
            Attendance.person_id == person.id, Attendance.session_id.in_(ids))
            .order_by(Attendance.day)):
        days[row.session_id].append(DayAttended(row.day, row.join_at, row.leave_at))
    result = {}
    for session_id in ids:
        registration, mine = registrations.get(session_id), days.get(session_id, [])
        if any(d.join is not None for d in mine):
            status = ATTENDED
        elif mine:
            status = ATTENDED_WITHOUT_JOIN
        elif registration is not None:
            status = NO_SHOW if registration.status == "no_show" else REGISTERED
        else:
            status = NOT_REGISTERED
        result[session_id] = Standing(
            status=status, registered_at=registration.at if registration else None,
            walk_in=bool(registration and registration.walk_in), days=mine)
    return result


def _days(start: datetime, end: datetime) -> list[date]:
    first, last = start.date(), end.date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def sessions_view(session: OrmSession, at: datetime, *, cohort: str | None = None,
                  person: str | None = None, milestone: str | None = None,
                  since: date | None = None, until: date | None = None) -> SessionsView:
    """The sessions that concern one cohort, participant or milestone (or all of them),
    meeting the days from `since` to `until` (both included, in the program's zone)."""
    zone = program_zone(session)
    who = lookup.person(session, person) if person else None
    query = select(ScheduledSession, Milestone.key).outerjoin(
        Milestone, Milestone.id == ScheduledSession.milestone_id)
    if cohort:
        query = query.where(_for_cohort(session, cohort))
    if who is not None:
        query = query.where(_for_person(session, who))
    if milestone:
        query = query.where(_concerning([lookup.milestone(session, milestone)]))
    if since is not None:
        query = query.where(ScheduledSession.end >= _local_midnight(since, zone))
    if until is not None:
        query = query.where(ScheduledSession.start < _local_midnight(
            until + timedelta(days=1), zone))
    if since is not None and until is not None and until < since:
        query = query.where(false())
    rows = session.execute(query.order_by(ScheduledSession.start, ScheduledSession.key)).all()
    ids = [row.id for row, _ in rows]
    by_status, attended = _counts(session, ids)
    standings = _standings(session, who, ids) if who is not None else {}
    lines = []
    for row, milestone_key in rows:
        start, end = row.start.astimezone(zone), row.end.astimezone(zone)
        lines.append(SessionLine(
            key=row.key, title=row.title, start=start, end=end, days=_days(start, end),
            tentative=row.tentative, location=row.location, link=row.link,
            passcode=row.passcode, trainers=list(row.trainers or []), marking=row.marking,
            milestone=milestone_key, group=row.group, reason=row.reason,
            when="upcoming" if at < row.start else "held" if at >= row.end else "under_way",
            registered=by_status.get((row.id, "registered"), 0),
            no_shows=by_status.get((row.id, "no_show"), 0), attended=attended.get(row.id, 0),
            standing=standings.get(row.id)))
    return SessionsView(sessions=lines, person=who)
