"""Sessions scheduled in the app: create or edit one, create a series, cancel one.

A session made here is the same row a program file's `[[sessions]]` entry makes, and it is
checked by the same reader (`programs.sections.session`) against the store's keys: the app
cannot hold a session that `export` would write out and `apply` would then refuse. A later
`apply` leaves alone the sessions its file does not list; one it does list becomes what the
file says, since the file is the source of the sessions it names.

Editing changes only the fields given, so two coordinators changing different things do not
undo each other. A series is simply the sessions linked to one milestone (what
`attendance_min` counts over): `repeat` N makes KEY-1 … KEY-N at the same local time, which a
change of daylight-saving time does not move.

Cancelling is for a session that has not been held: once anyone attended (or was recorded
as a no-show) it is refused, since that would erase what happened. Otherwise the session
goes with its registrations; each registrant is told by mail, and an event milestone that
their registration had completed (with no other registration to stand on) opens again, as
after a no-show. Moving or re-placing a session with registrants tells them too. Completions
already earned are not re-evaluated when a session is edited.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import delete, func, select

from app.models import (
    Attendance,
    Milestone,
    Person,
    ProgressEvent,
    Registration,
    ScheduledSession,
)
from app.services import mail
from app.services.clock import local_date
from app.services.commands import CancelSession, ScheduleSession
from app.services.errors import Refused
from app.services.programs import versions
from app.services.programs.export import existing_keys, session_spec
from app.services.programs.fields import Problem, Table, nearest
from app.services.programs.refs import NOUNS, Known
from app.services.programs.sections import session as read_session
from app.services.programs.spec import SessionSpec
from app.services.registry import handles
from app.services.rules.lifecycle import transition
from app.services.rules.permissions import require_staff
from app.services.rules.sessions import held_progress, scheduled
from app.services.work import Work

FIELDS = ("title", "milestone", "start", "end", "location", "link", "passcode", "tentative",
          "trainers", "marking", "group", "reason")
_OPTIONAL_TEXT = ("milestone", "location", "link", "passcode", "group", "reason")
# What a registrant needs to know about: when and where.
_TELL_ON = ("start", "end", "location", "link", "passcode", "tentative")
MAX_REPEAT = 100


class _StoreKeys(Known):
    """The store's keys, named as a coordinator in the app sees them (no "this file")."""

    def check(self, table: Table, key: str, section: str, value: str) -> None:
        if value not in self.keys[section]:
            hint = nearest(value, self.keys[section])
            table.problem(key, f"there is no {NOUNS[section]} '{value}'{hint}")


def _entry(base: SessionSpec | None, command: ScheduleSession, key: str) -> dict[str, Any]:
    """The session as the program file would write it: the stored one with what was given
    laid over it. An empty optional text clears that field."""
    entry: dict[str, Any] = {"key": key}
    if base is not None:
        entry |= {name: getattr(base, name) for name in FIELDS}
    for name in FIELDS:
        given = getattr(command, name)
        if given is not None:
            entry[name] = list(given) if name == "trainers" else given
    for name in _OPTIONAL_TEXT:
        if isinstance(entry.get(name), str) and not entry[name].strip():
            entry[name] = None
    return {name: value for name, value in entry.items() if value is not None}


def _read(entry: dict[str, Any], known: Known, zone: tzinfo, what: str) -> SessionSpec:
    """The program file's own checks; every problem named by its field, or nothing done."""
    problems: list[Problem] = []
    spec = read_session(Table(entry, "", problems), known, zone)
    if problems:
        said = "; ".join(f"{path} {message}" if message.startswith("is ") else
                         f"{path}: {message}" for path, message in problems)
        raise Refused(f"{what}: {said}. Nothing was changed.")
    return spec


def _write(work: Work, row: ScheduledSession, spec: SessionSpec) -> None:
    milestone = (work.session.scalar(select(Milestone).where(Milestone.key == spec.milestone))
                 if spec.milestone else None)
    row.title, row.milestone_id = spec.title, milestone.id if milestone else None
    assert spec.start is not None and spec.end is not None  # the reader requires both
    row.start, row.end = spec.start, spec.end
    row.location, row.link, row.passcode = spec.location, spec.link, spec.passcode
    row.tentative, row.trainers = spec.tentative, list(spec.trainers)
    row.marking, row.group, row.reason = spec.marking, spec.group, spec.reason


def _changed(old: SessionSpec, new: SessionSpec) -> list[str]:
    def same(name: str) -> bool:
        a, b = getattr(old, name), getattr(new, name)
        return sorted(a) == sorted(b) if name == "trainers" else a == b

    return [name for name in FIELDS if not same(name)]


def _record(work: Work, key: str, action: str, **extra: Any) -> None:
    """The entry `apply` makes for a session, so both report a session change alike."""
    work.record("sessions", {"kind": "definition", "type": "session", "key": key,
                             "action": action, **extra})


def _when(row: ScheduledSession, zone: tzinfo) -> str:
    start, end = row.start.astimezone(zone), row.end.astimezone(zone)
    if start.date() == end.date():
        return f"{start:%A %Y-%m-%d, %H:%M}–{end:%H:%M}"
    return f"{start:%A %Y-%m-%d %H:%M} to {end:%A %Y-%m-%d %H:%M}"


def _where(row: ScheduledSession) -> str:
    lines = [f"Where: {row.location}"] if row.location else []
    lines += [f"Join: {row.link}"] if row.link else []
    lines += [f"Passcode: {row.passcode}"] if row.passcode else []
    return "\n".join(lines)


def _registrants(work: Work, row: ScheduledSession) -> list[tuple[Registration, Person]]:
    return [(r, p) for r, p in work.session.execute(
        select(Registration, Person).join(Person, Person.id == Registration.person_id)
        .where(Registration.session_id == row.id).order_by(Person.external_id)).all()]


def _tell(work: Work, person: Person, subject: str, body: str) -> None:
    if person.email:
        mail.queue(work, to=person.email, kind="session", person=person, milestone=None,
                   rendered=mail.Rendered(subject=subject, body=body))


# -- schedule ----------------------------------------------------------------------------


def _find(work: Work, key: str) -> ScheduledSession | None:
    return work.session.scalar(select(ScheduledSession).where(ScheduledSession.key == key))


def _next_position(work: Work) -> int:
    last = work.session.scalar(select(func.max(ScheduledSession.position)))
    return 0 if last is None else last + 1


def _shift(moment: datetime, days: int, zone: tzinfo) -> datetime:
    """The same wall time `days` later in the program's zone (through UTC, as the reader
    does, so a time inside a daylight-saving jump lands on the instant it names)."""
    local = moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _create(work: Work, spec: SessionSpec) -> None:
    row = ScheduledSession(id=work.new_id(), key=spec.key, position=_next_position(work))
    _write(work, row, spec)
    work.session.add(row)
    work.session.flush()
    _record(work, spec.key, "created")


def _days_left_out(work: Work, row: ScheduledSession, spec: SessionSpec) -> list[str]:
    """Days with attendance recorded that new times would no longer cover."""
    assert spec.start is not None and spec.end is not None
    first, last = local_date(spec.start, work.zone), local_date(spec.end, work.zone)
    days = work.session.scalars(select(Attendance.day).where(
        Attendance.session_id == row.id).distinct().order_by(Attendance.day))
    return [day.isoformat() for day in days if not first <= day <= last]


def _edit(work: Work, row: ScheduledSession, command: ScheduleSession, known: Known) -> None:
    old = session_spec(work.session, row)
    spec = _read(_entry(old, command, row.key), known, work.zone, f"Session '{row.key}'")
    fields = _changed(old, spec)
    if not fields:
        return
    if {"start", "end"} & set(fields):
        left_out = _days_left_out(work, row, spec)
        if left_out:
            raise Refused(f"Session '{row.key}': start/end: attendance is recorded for "
                          f"{', '.join(left_out)}, which the new times leave out. "
                          "Nothing was changed.")
    _write(work, row, spec)
    row.version += 1
    work.session.flush()
    _record(work, row.key, "updated", fields=fields)
    if set(fields) & set(_TELL_ON):
        status = "tentative" if row.tentative else "confirmed"
        for registration, person in _registrants(work, row):
            if registration.status == "registered":
                _tell(work, person, f"Changed: {row.title}",
                      f"'{row.title}' has changed. It is now {status}:\n"
                      f"{_when(row, work.zone)}\n{_where(row)}\n")


def _series(work: Work, command: ScheduleSession, known: Known) -> None:
    if command.repeat > MAX_REPEAT:
        raise Refused(f"repeat: at most {MAX_REPEAT} sessions in one series.")
    if not command.every_days or command.every_days < 1:
        raise Refused('every: a series needs the time between its sessions, like "1w".')
    if _find(work, command.key) is not None:
        raise Refused(f"'{command.key}' is already a session; a series makes new sessions "
                      f"{command.key}-1 … {command.key}-{command.repeat}: choose a new key.")
    first = _read(_entry(None, command, f"{command.key}-1"), known, work.zone,
                  f"The series '{command.key}'")
    assert first.start is not None and first.end is not None
    for number in range(1, command.repeat + 1):
        key = f"{command.key}-{number}"
        if _find(work, key) is not None:
            raise Refused(f"The series would make '{key}', which is already a session: edit "
                          "it on its own, or choose another key. Nothing was changed.")
        offset = (number - 1) * command.every_days
        _create(work, SessionSpec(
            key=key, title=f"{first.title} {number}", milestone=first.milestone,
            start=_shift(first.start, offset, work.zone), end=_shift(first.end, offset, work.zone),
            location=first.location, link=first.link, passcode=first.passcode,
            tentative=first.tentative, trainers=list(first.trainers), marking=first.marking,
            group=first.group, reason=first.reason))


@handles(ScheduleSession)
def schedule_session(command: ScheduleSession, work: Work) -> None:
    require_staff(work, "schedule sessions")
    _schedule(command, work)
    versions.record(work, f"schedule {command.key}")


def _schedule(command: ScheduleSession, work: Work) -> None:
    known = _StoreKeys({}, existing_keys(work.session))
    if command.repeat < 1:
        raise Refused(f"repeat: must be at least 1, got {command.repeat}.")
    if command.repeat > 1:
        _series(work, command, known)
        return
    if command.every_days is not None:
        raise Refused("every: goes with repeat (how many sessions the series has).")
    row = _find(work, command.key)
    if row is not None:
        _edit(work, row, command, known)
        return
    hint = nearest(command.key, known.keys["sessions"])
    _create(work, _read(_entry(None, command, command.key), known, work.zone,
                        f"'{command.key}' is a new session{hint}"))


# -- cancel ------------------------------------------------------------------------------


def _reopen_event(work: Work, person: Person, row: ScheduledSession) -> str:
    """Open again an event milestone this registration completed, as a no-show does; a
    registration for another of its sessions still stands. Returns a line for the mail."""
    milestone = work.session.get(Milestone, row.milestone_id) if row.milestone_id else None
    if milestone is None or "registration" not in (milestone.complete_by or []):
        return ""
    progress = held_progress(work, person, milestone)
    if progress is None or progress.state != "complete":
        return ""
    elsewhere = work.session.scalar(
        select(Registration.id).join(ScheduledSession,
                                     ScheduledSession.id == Registration.session_id)
        .where(Registration.person_id == person.id, Registration.status == "registered",
               ScheduledSession.milestone_id == milestone.id, ScheduledSession.id != row.id)
        .limit(1))
    completed_by = work.session.scalar(
        select(ProgressEvent.kind).where(ProgressEvent.progress_id == progress.id,
                                         ProgressEvent.to_state == "complete")
        .order_by(ProgressEvent.at.desc()).limit(1))
    if elsewhere is not None or completed_by != "ProgressCompletedByRegistration":
        return ""
    transition(work, progress, "open", "ProgressReopenedBySessionCancelled",
               note=f"{row.title} was cancelled", acted=True)
    return f"\n'{milestone.title}' is open again: register for another session to complete it."


@handles(CancelSession)
def cancel_session(command: CancelSession, work: Work) -> None:
    require_staff(work, "cancel sessions")
    row = scheduled(work, command.session)
    attended = work.session.scalar(select(func.count(func.distinct(Attendance.person_id)))
                                   .where(Attendance.session_id == row.id)) or 0
    no_shows = work.session.scalar(select(func.count(Registration.id)).where(
        Registration.session_id == row.id, Registration.status == "no_show")) or 0
    if attended or no_shows:
        held = ", ".join(part for part in (
            f"{attended} attended" if attended else "",
            f"{no_shows} recorded as no-shows" if no_shows else "") if part)
        raise Refused(f"'{row.title}' cannot be cancelled: it has been held ({held}), and "
                      "cancelling would erase that record.")
    when = _when(row, work.zone)
    registrants = _registrants(work, row)
    for _registration, person in registrants:
        reopened = _reopen_event(work, person, row)
        _tell(work, person, f"Cancelled: {row.title}",
              f"'{row.title}' ({when}) has been cancelled.{reopened}\n")
        work.record("sessions", {"kind": "registration_cancelled",
                                 "person": person.external_id, "session": row.key})
    work.session.execute(delete(Registration).where(Registration.session_id == row.id))
    work.session.delete(row)
    work.session.flush()
    _record(work, row.key, "cancelled", registrations=len(registrants))
    versions.record(work, f"cancel session {row.key}")
