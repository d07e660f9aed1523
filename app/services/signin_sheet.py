"""The sign-in sheet: a session's roster on paper for rooms without a laptop, and the CSV
template the marks are typed back into (`sheet_marks` reads it, the MarkSheet command applies
it).

Attendance is per day, so a several-day session prints one sheet per day. Everyone with a
registration is listed, by name; a no-show already recorded stays on the list, marked, since
people do turn up after all. A reprint shows the times already recorded, so a sheet printed
after a partial marking does not ask for them again; blank lines at the end take walk-ins.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Attendance, Person, Registration, ScheduledSession, Staff
from app.services.clock import local_date
from app.services.errors import Refused
from app.services.settings import PROGRAM_NAME, get_setting, program_zone

TEMPLATE_COLUMNS = ("id", "name", "day", "join", "leave", "status")
PRESENT, ABSENT = "present", "absent"
COLUMNS = (("Name", 58.0, "LEFT"), ("ID", 28.0, "LEFT"), ("Signature", 56.0, "LEFT"),
           ("Time in", 24.0, "CENTER"), ("Time out", 24.0, "CENTER"))


@dataclass(frozen=True)
class Visit:
    """Attendance already recorded for one day."""

    join: datetime | None
    leave: datetime | None


@dataclass(frozen=True)
class RosterLine:
    person: str  # the participant's id
    name: str
    no_show: bool
    walk_in: bool
    visits: dict[date, Visit] = field(default_factory=dict)


@dataclass(frozen=True)
class Roster:
    """A session and who is registered for it, in the program's zone."""

    key: str
    title: str
    start: datetime
    end: datetime
    zone: ZoneInfo
    location: str | None
    tentative: bool
    trainers: tuple[str, ...]
    program: str | None
    lines: tuple[RosterLine, ...]

    @property
    def days(self) -> list[date]:
        first, last = local_date(self.start, self.zone), local_date(self.end, self.zone)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def clock(self, at: datetime | None) -> str:
        return at.astimezone(self.zone).strftime("%H:%M") if at else ""


def roster(session: OrmSession, key: str) -> Roster:
    where = session.scalar(select(ScheduledSession).where(ScheduledSession.key == key))
    if where is None:
        raise Refused(f"There is no session '{key}'.")
    visits: dict[uuid.UUID, dict[date, Visit]] = {}
    for row in session.scalars(select(Attendance).where(Attendance.session_id == where.id)):
        visits.setdefault(row.person_id, {})[row.day] = Visit(row.join_at, row.leave_at)
    lines = [
        RosterLine(person=person.external_id, name=person.name,
                   no_show=registration.status == "no_show", walk_in=registration.walk_in,
                   visits=visits.get(person.id, {}))
        for registration, person in session.execute(
            select(Registration, Person).join(Person, Person.id == Registration.person_id)
            .where(Registration.session_id == where.id))
    ]
    lines.sort(key=lambda line: (line.name.casefold(), line.person))
    emails = list(where.trainers or [])
    names = {s.email.lower(): s.name for s in session.scalars(select(Staff))} if emails else {}
    return Roster(key=where.key, title=where.title, start=where.start, end=where.end,
                  zone=program_zone(session), location=where.location,
                  tentative=where.tentative,
                  trainers=tuple(names.get(e.lower(), e) for e in emails),
                  program=get_setting(session, PROGRAM_NAME), lines=tuple(lines))


def default_paper(zone: ZoneInfo) -> str:
    """A guess from the program's zone: most of North America prints on Letter."""
    return "letter" if str(zone.key).startswith(("America/", "US/", "Canada/")) else "a4"


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def when_text(r: Roster) -> str:
    """The session's dates and time, in the program's zone."""
    first, last = r.days[0], r.days[-1]
    hours = f"{r.clock(r.start)}-{r.clock(r.end)} ({r.zone.key})"
    if first == last:
        return f"{long_day(first)}, {hours}"
    return f"{long_day(first)} to {long_day(last)}, {hours} each day"


def render_pdf(r: Roster, days: Sequence[date] | None = None, *, walk_ins: int = 5,
               paper: str | None = None) -> bytes:
    """One sheet per day (`days`: all of the session's by default), each starting on a new
    page. The PDF writer (fpdf, a quarter of a second to import) loads when a sheet is
    printed, not with the attendance view at every start."""
    from app.services.signin_sheet_pdf import render

    return render(r, days, walk_ins=walk_ins, paper=paper or default_paper(r.zone))


def render_template(r: Roster, days: Sequence[date] | None = None) -> str:
    """The roster as CSV, one row per participant and day, to type the marks into: `status`
    present or absent (a no-show), times as 09:05 on the row's day. What is recorded already
    is filled in, so importing the template unchanged changes nothing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    for day in days or r.days:
        for line in r.lines:
            visit = line.visits.get(day)
            status = PRESENT if visit else (ABSENT if line.no_show and not line.visits else "")
            writer.writerow([line.person, line.name, day.isoformat(),
                             r.clock(visit.join if visit else None),
                             r.clock(visit.leave if visit else None), status])
    return out.getvalue()
