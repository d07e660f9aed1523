"""What a trainer's attendance screen reads: the sessions to pick from (today's first), anyone
in the store to add as a walk-in, and one participant's day at a session.

The roster itself is `signin_sheet.roster` — the same list the paper sheet prints — so the
laptop and the paper never disagree about who is expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.models import Attendance, Person, ScheduledSession
from app.services import lookup
from app.services.queries.sessions_view import SessionLine, sessions_view
from app.services.settings import program_zone
from app.services.signin_sheet import Visit

TODAY, UPCOMING, PAST = "today", "upcoming", "past"
SECTIONS = (TODAY, UPCOMING, PAST)


@dataclass(frozen=True)
class SessionPicks:
    """Every session, by section: today's (those meeting today, a several-day one included)
    in start order, then upcoming ones soonest first, then past ones latest first — the order
    a trainer looks for them in."""

    today: date
    zone: ZoneInfo
    sections: dict[str, list[SessionLine]]


@dataclass(frozen=True)
class PersonHit:
    person: str  # the participant's id
    name: str
    email: str | None


def pick_sessions(session: OrmSession, at: datetime) -> SessionPicks:
    zone = program_zone(session)
    today = at.astimezone(zone).date()
    sections: dict[str, list[SessionLine]] = {name: [] for name in SECTIONS}
    for line in sessions_view(session, at).sessions:
        if line.days[0] <= today <= line.days[-1]:
            sections[TODAY].append(line)
        elif line.days[0] > today:
            sections[UPCOMING].append(line)
        else:
            sections[PAST].append(line)
    sections[PAST].reverse()
    return SessionPicks(today=today, zone=zone, sections=sections)


def find_participants(session: OrmSession, text: str, limit: int = 50) -> list[PersonHit]:
    """Participants whose name, id or email contains `text` (any case): an exact id or email
    first, then by name. One query, bounded, so it stays quick on a large store."""
    needle = text.strip().lower()
    if not needle:
        return []
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    exact = or_(func.lower(Person.external_id) == needle, func.lower(Person.email) == needle)
    rows = session.execute(
        select(Person.external_id, Person.name, Person.email)
        .where(or_(func.lower(Person.name).like(pattern, escape="\\"),
                   func.lower(Person.external_id).like(pattern, escape="\\"),
                   func.lower(Person.email).like(pattern, escape="\\")))
        .order_by(case((exact, 0), else_=1), Person.name, Person.external_id)
        .limit(limit))
    return [PersonHit(person=p, name=n, email=e) for p, n, e in rows]


def visit_of(session: OrmSession, key: str, ref: str, day: date) -> tuple[Person, Visit | None]:
    """The participant (by id or email) and what is recorded for them that day, read just
    before a check-in so that a second tap never overwrites the first join time."""
    person = lookup.person(session, ref)
    found = session.execute(
        select(Attendance.join_at, Attendance.leave_at)
        .join(ScheduledSession, ScheduledSession.id == Attendance.session_id)
        .where(ScheduledSession.key == key, Attendance.person_id == person.id,
               Attendance.day == day)).first()
    return person, (Visit(found[0], found[1]) if found else None)
