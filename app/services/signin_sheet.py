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

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Attendance, Person, Registration, ScheduledSession, Staff
from app.services.clock import local_date
from app.services.errors import Refused
from app.services.pdf_fonts import unicode_font
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


def _long(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def when_text(r: Roster) -> str:
    """The session's dates and time, in the program's zone."""
    first, last = r.days[0], r.days[-1]
    hours = f"{r.clock(r.start)}-{r.clock(r.end)} ({r.zone.key})"
    if first == last:
        return f"{_long(first)}, {hours}"
    return f"{_long(first)} to {_long(last)}, {hours} each day"


class _SheetPdf(FPDF):
    """Repeats the session's heading on every page, so a loose page still says which session
    and which day it is."""

    def __init__(self, r: Roster, paper: str) -> None:
        super().__init__(format=paper)
        self.roster = r
        self.day: date | None = None
        self.family = unicode_font(self, "sheet")
        self.set_auto_page_break(True, margin=18)
        self.set_margins(12, 12, 12)
        self.set_title(f"Sign-in sheet: {r.title}")
        self.set_creator("Waypoint")

    def text_of(self, text: str) -> str:
        if self.family != "helvetica":
            return text
        return text.encode("windows-1252", "replace").decode("windows-1252")

    def line_of(self, text: str, size: float, style: str = "", height: float = 6) -> None:
        self.set_font(self.family, style, size)
        self.cell(0, height, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def header(self) -> None:
        r = self.roster
        self.line_of(f"Sign-in sheet: {r.title}" + (" (tentative)" if r.tentative else ""),
                     15, "B", 8)
        self.line_of(when_text(r), 10)
        where = [f"Location: {r.location}"] if r.location else []
        where += [f"Trainers: {', '.join(r.trainers)}"] if r.trainers else []
        if where:
            self.line_of("    ".join(where), 10)
        if self.day is not None:
            days = r.days
            label = f"Day {days.index(self.day) + 1} of {len(days)}: " if len(days) > 1 else ""
            self.line_of(label + _long(self.day), 11, "B", 7)
        self.line_of("Sign when you arrive and write the time; write it again when you leave. "
                     "Not on the list? Use a blank line at the end.", 8, "", 5)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        r = self.roster
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.text_of(f"{r.program or 'Waypoint'} · session {r.key} · page "
                                     f"{self.page_no()} of {{nb}}"), align="C")


def render_pdf(r: Roster, days: Sequence[date] | None = None, *, walk_ins: int = 5,
               paper: str | None = None) -> bytes:
    """One sheet per day (`days`: all of the session's by default), each starting on a new
    page; the column headings repeat when a day runs over a page."""
    pdf = _SheetPdf(r, paper or default_paper(r.zone))
    for day in days or r.days:
        pdf.day = day
        pdf.add_page()
        pdf.set_font(pdf.family, "", 10)
        with pdf.table(col_widths=[w for _, w, _ in COLUMNS], min_row_height=10,
                       text_align=[a for _, _, a in COLUMNS], v_align="MIDDLE",
                       repeat_headings=1, line_height=5) as table:
            table.row([name for name, _, _ in COLUMNS])
            for line in r.lines:
                visit = line.visits.get(day) or Visit(None, None)
                name = line.name + (" (no-show)" if line.no_show and not visit.join else "")
                table.row([pdf.text_of(name), pdf.text_of(line.person), "",
                           r.clock(visit.join), r.clock(visit.leave)])
            for _ in range(walk_ins):
                table.row(["", "", "", "", ""])
        pdf.ln(6)
        pdf.line_of("Marked by (trainer): ______________________________    "
                    "Signature: ______________________", 10)
    return bytes(pdf.output())


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
