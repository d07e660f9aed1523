"""A marked sign-in sheet, applied in one command: every mark or none.

Each mark goes through the same attendance and no-show rules as `attend` and `noshow`, so a
paper sheet completes and reopens milestones exactly as a laptop would, walk-ins included.
Attendance is per day, a no-show is per session: someone marked absent is recorded as a
no-show only when they came on none of the session's days (neither on this sheet nor before);
absent from one day of several, they simply have no attendance that day.

A mark that changes nothing (the template imported back as exported) is passed over, so
importing the same sheet twice does not record it twice.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from app.models import Attendance, Person, Registration, ScheduledSession
from app.services import lookup
from app.services.clock import local_date
from app.services.commands import MarkSheet, SheetMark
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.sessions import record_attendance, record_no_show, scheduled
from app.services.work import Work

Problems = list[tuple[int, str]]


def _check(work: Work, where: ScheduledSession, marks: tuple[SheetMark, ...],
           problems: Problems) -> dict[int, Person]:
    """What the sheet's reader checked, checked again against the store: the command may come
    from elsewhere (the app, another laptop through sync). The participants, by line."""
    zone = work.zone
    first, last = local_date(where.start, zone), local_date(where.end, zone)
    people: dict[int, Person] = {}
    seen: dict[tuple[uuid.UUID, date], int] = {}
    for mark in marks:
        person = lookup.person_by_ref(work.session, mark.person)
        if person is None:
            problems.append((mark.line, f"no participant has the id or email '{mark.person}'"))
        if not first <= mark.day <= last:
            problems.append((mark.line, f"{mark.day.isoformat()} is not a day of "
                                        f"'{where.title}'"))
        if mark.status not in ("present", "absent"):
            problems.append((mark.line, f"unknown status '{mark.status}'"))
        elif mark.status == "absent" and (mark.join or mark.leave):
            problems.append((mark.line, "marked absent, but a time is written"))
        if mark.join and mark.leave and mark.leave < mark.join:
            problems.append((mark.line, "the leave time is before the join time"))
        if person is None:
            continue
        people[mark.line] = person
        other = seen.setdefault((person.id, mark.day), mark.line)
        if other != mark.line:
            problems.append((mark.line, f"{person.name} is marked twice for "
                                        f"{mark.day.isoformat()} (also on line {other})"))
    return people


def _absent(work: Work, where: ScheduledSession, person: Person, mark: SheetMark,
            came: set[uuid.UUID], registration: Registration | None,
            visits: dict[tuple[uuid.UUID, date], Attendance]) -> None:
    if (person.id, mark.day) in visits:
        raise Refused(f"{person.name}'s attendance on {mark.day.isoformat()} is recorded "
                      "already; the sheet marks them absent")
    if person.id in came:
        return  # absent that day only: they came on another
    if registration is None:
        raise Refused(f"{person.name} is not registered for '{where.title}'; absent marks "
                      "someone registered who did not come")
    if registration.status != "no_show":
        record_no_show(work, person, where)


def _unchanged(mark: SheetMark, registration: Registration | None,
               visit: Attendance | None) -> bool:
    return (registration is not None and registration.status == "registered"
            and visit is not None and mark.join in (None, visit.join_at)
            and mark.leave in (None, visit.leave_at))


@handles(MarkSheet)
def mark_sheet(command: MarkSheet, work: Work) -> None:
    where = scheduled(work, command.session)
    problems: Problems = []
    people = _check(work, where, command.marks, problems)
    if not problems:
        registrations = {r.person_id: r for r in work.session.scalars(
            select(Registration).where(Registration.session_id == where.id))}
        visits = {(a.person_id, a.day): a for a in work.session.scalars(
            select(Attendance).where(Attendance.session_id == where.id))}
        came = {person_id for person_id, _ in visits} | {
            people[m.line].id for m in command.marks if m.status == "present"}
        for mark in command.marks:
            person = people[mark.line]
            registration = registrations.get(person.id)
            try:
                if mark.status == "absent":
                    _absent(work, where, person, mark, came, registration, visits)
                elif not _unchanged(mark, registration, visits.get((person.id, mark.day))):
                    record_attendance(work, person, where, mark.day, mark.join, mark.leave)
            except Refused as refusal:  # every such line is reported below
                problems.append((mark.line, refusal.message))
    if problems:
        source = command.source or "sheet"
        raise Refused("\n".join(f"{source} line {line}: {message}"
                                for line, message in sorted(problems)))
