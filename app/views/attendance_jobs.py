"""The attendance view's work on the database worker: plain functions of the store, each
reading what it needs and running one command, returning an `Outcome` the view shows.

Every mark re-reads the participant's day just before writing, on the same serial worker, so
a double tap or a stale roster never overwrites a join time already recorded: check-in only
ever records a first arrival, check-out only a departure after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from app.models.store import Store
from app.services import lookup
from app.services.commands import Attend, Command, MarkSheet, NoShow
from app.services.importer import ImportInvalid
from app.services.queries.attendance import visit_of
from app.services.sheet_marks import read_marks
from app.services.signin_sheet import render_pdf, render_template, roster
from app.services.write import Result, execute

CHECK_IN, CHECK_OUT = "in", "out"


@dataclass(frozen=True)
class Outcome:
    """What happened, in words for the trainer (or the participant at the kiosk); `result`
    is set when a command ran, refused or not."""

    message: str
    ok: bool
    result: Result | None = None


def _clock(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M") if at else ""


def _run(store: Store, command: Command, message: str) -> Outcome:
    result = execute(store, command)
    if not result.ok:
        return Outcome(result.error or "Refused.", False, result)
    return Outcome(message, True, result)


def mark(store: Store, *, key: str, person: str, day: date, kind: str, when: datetime,
         at: datetime, by: str, zone: ZoneInfo, self_marking: bool = False) -> Outcome:
    """Check a participant in (join = `when`) or out (leave = `when`) for one day. With
    `self_marking`, the participant is the actor: the rules allow it only where the session
    is marked by participants."""
    with store.session() as session:
        found = lookup.person_by_ref(session, person)
        if found is None:
            return Outcome(f"Nobody has the id or email “{person}”. Check it, or ask the "
                           "trainer." if self_marking else
                           f"No participant has the id or email '{person}'.", False)
        who, visit = visit_of(session, key, found.external_id, day)
    name = who.name
    if kind == CHECK_IN and visit is not None and visit.join is not None:
        return Outcome(f"{name} is already checked in, since {_clock(visit.join, zone)}.",
                       self_marking)
    if kind == CHECK_OUT:
        if visit is None or visit.join is None:
            return Outcome(f"{name} is not checked in on {day.isoformat()}.", False)
        if visit.leave is not None:
            return Outcome(f"{name} left at {_clock(visit.leave, zone)}; that is recorded.",
                           False)
        if when < visit.join:
            return Outcome(f"{name} checked in at {_clock(visit.join, zone)}; they cannot "
                           f"leave at {_clock(when, zone)}, before that.", False)
    command = Attend(at=at, by=who.external_id if self_marking else by,
                     person=who.external_id, session=key, day=day,
                     join=when if kind == CHECK_IN else None,
                     leave=when if kind == CHECK_OUT else None)
    if kind == CHECK_OUT:
        return _run(store, command, f"{name} checked out at {_clock(when, zone)}.")
    welcome = (f"Welcome, {name}! You are checked in at {_clock(when, zone)}."
               if self_marking else f"{name} checked in at {_clock(when, zone)}.")
    return _run(store, command, welcome)


def no_show(store: Store, *, key: str, person: str, at: datetime, by: str) -> Outcome:
    with store.session() as session:
        name = lookup.person(session, person).name
    return _run(store, NoShow(at=at, by=by, person=person, session=key),
                f"{name} is recorded as a no-show.")


def print_sheet(store: Store, *, key: str, path: Path, days: Sequence[date] | None) -> Outcome:
    """The sign-in sheet as PDF, and beside it the CSV template its marks are typed into."""
    with store.session() as session:
        r = roster(session, key)
    path.write_bytes(render_pdf(r, list(days) if days else None))
    template = path.with_suffix(".csv")
    # with a byte-order mark: Excel then reads the names as UTF-8, not as ANSI
    template.write_bytes(render_template(r, list(days) if days else None).encode("utf-8-sig"))
    return Outcome(f"Wrote {path.name} ({len(r.lines)} registered) and the template "
                   f"{template.name} to type the marks into.", True)


def import_marks(store: Store, *, key: str, path: Path, at: datetime, by: str) -> Outcome:
    """A marked sheet, all rows or none: every bad row is listed in the message."""
    with store.session() as session:
        r = roster(session, key)
        try:
            rows = read_marks(path, r, lambda ref: lookup.person_by_ref(session, ref) is not None)
        except ImportInvalid as invalid:
            return Outcome("Nothing was imported:\n" + "\n".join(invalid.errors), False)
    present = sum(1 for m in rows if m.status == "present")
    return _run(store, MarkSheet(at=at, by=by, session=key, marks=tuple(rows),
                                 source=path.name),
                f"{path.name}: {present} marked present, {len(rows) - present} absent.")
