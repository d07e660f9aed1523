"""Reading a marked sign-in sheet (the CSV template of `signin_sheet`, or the same columns in
a spreadsheet) into the marks the MarkSheet command takes.

Everything that can be checked against the session's roster is checked here and every bad
row reported with its line, like the participant import; the command checks again against
the store (who may mark, who is registered) before writing anything.

Times are what a trainer writes on paper: `9:05`, `09:05`, `9.05`, `2:30 pm`, read on the
row's day in the program's zone; a full ISO time (`2026-09-01T09:05`) works too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

from app.services.clock import local_date, parse_date, parse_time
from app.services.commands import SheetMark
from app.services.importer import ImportInvalid
from app.services.importer import _cells as cells
from app.services.signin_sheet import ABSENT, PRESENT, TEMPLATE_COLUMNS, Roster

CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?(?::(\d{2}))?\s*([ap])?\.?\s*(?:m\.?)?$", re.I)
STATUSES = {"present": PRESENT, "absent": ABSENT, "no-show": ABSENT, "noshow": ABSENT,
            "no show": ABSENT, "": ""}


def clock_time(text: str, day: date | None, r: Roster) -> datetime:
    """A bare time on `day`, or a full ISO time, in the program's zone; aware UTC out."""
    match = CLOCK.match(text)
    if match is None or (match.group(2) is None and match.group(4) is None):
        try:
            value = parse_time(text, r.zone)
        except ValueError:
            raise ValueError(f"'{text}' is not a time (write it as 09:05, or in full as "
                             "2026-09-01T09:05)") from None
        if day is not None and local_date(value, r.zone) != day:
            raise ValueError(f"'{text}' is not on {day.isoformat()}")
        return value
    if day is None:
        raise ValueError(f"'{text}' needs a day")
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            raise ValueError(f"'{text}' is not a time of day")
        hour = hour % 12 + (12 if match[4].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"'{text}' is not a time of day")
    return parse_time(datetime.combine(day, time(hour, minute, second)).isoformat(), r.zone)


def _span(r: Roster) -> str:
    days = r.days
    runs = days[0].isoformat() + (f" to {days[-1].isoformat()}" if len(days) > 1 else "")
    return f"'{r.title}' runs {runs}"


def _day(record: dict[str, str], r: Roster) -> date:
    """The row's day: written, or the session's only day, or the date of a full join time."""
    day: date | None = None
    if record.get("day"):
        try:
            day = parse_date(record["day"])
        except ValueError as exc:
            raise ValueError(f"day: {exc}") from None
    elif len(r.days) == 1:
        day = r.days[0]
    for column in ("join", "leave"):
        if day is None and record.get(column) and not CLOCK.match(record[column]):
            try:
                day = local_date(parse_time(record[column], r.zone), r.zone)
            except ValueError:
                break
    if day is None:
        raise ValueError(f"the day is missing ({_span(r)})")
    if day not in r.days:
        raise ValueError(f"{_span(r)}; {day.isoformat()} is not one of its days")
    return day


def _mark(line: int, record: dict[str, str], r: Roster) -> SheetMark | None:
    """One row as a mark; None for a row nobody marked. ValueError lists what is wrong."""
    status = STATUSES.get(record.get("status", "").lower())
    if not any(record.get(c) for c in ("status", "join", "leave")):
        return None
    problems: list[str] = []
    if not record.get("id"):
        problems.append("the id is missing" + (f" for {record['name']}"
                                               if record.get("name") else ""))
    if status is None:
        problems.append(f"unknown status '{record['status']}' (expected present, absent or "
                        "empty)")
    day: date | None = None
    try:
        day = _day(record, r)
    except ValueError as exc:
        problems.append(str(exc))
    times: dict[str, datetime | None] = {"join": None, "leave": None}
    for column in times:
        if record.get(column):
            try:
                times[column] = clock_time(record[column], day, r)
            except ValueError as exc:
                if day is not None or "needs a day" not in str(exc):
                    problems.append(f"{column}: {exc}")
    join, leave = times["join"], times["leave"]
    if status == ABSENT and (join or leave):
        problems.append("marked absent, but a time is written")
    if join and leave and leave < join:
        problems.append(f"left at {record['leave']}, before joining at {record['join']}")
    if problems or day is None:
        raise ValueError("; ".join(problems))
    return SheetMark(line=line, person=record["id"], day=day, status=status or PRESENT,
                     join=join, leave=leave)


def read_marks(path: Path, r: Roster, known: Callable[[str], bool] | None = None
               ) -> list[SheetMark]:
    """`known`, when given, tells whether the store has a participant by an id or email, so
    that unknown people are reported with the file's other bad rows."""
    name = path.name
    if not path.exists():
        raise ImportInvalid([f"{path}: no such file"])
    if path.suffix.lower() not in (".csv", ".xlsx", ".xlsm", ".txt"):
        raise ImportInvalid([f"{name}: expected a .csv or .xlsx file"])
    rows = cells(path)
    header_line, header = next(rows, (1, []))
    columns = [h.strip().lower() for h in header]
    errors = [f"{name} line {header_line}: unknown column '{c}' (expected "
              f"{', '.join(TEMPLATE_COLUMNS)})" for c in columns if c and c not in TEMPLATE_COLUMNS]
    if "id" not in columns:
        errors.append(f"{name} line {header_line}: the column 'id' is missing")
    if errors:
        raise ImportInvalid(errors)
    marks: list[SheetMark] = []
    seen: dict[tuple[str, date], int] = {}
    for line, row in rows:
        record = {col: (row[i] if i < len(row) else "") for i, col in enumerate(columns) if col}
        try:
            mark = _mark(line, record, r)
        except ValueError as exc:
            errors.append(f"{name} line {line}: {exc}")
            continue
        if mark is None:
            continue
        problems: list[str] = []
        if known is not None and not known(mark.person):
            problems.append(f"no participant has the id or email '{mark.person}'")
        other = seen.setdefault((mark.person, mark.day), line)
        if other != line:
            problems.append(f"{mark.person} is marked twice for {mark.day.isoformat()} "
                            f"(also on line {other})")
        if problems:
            errors.append(f"{name} line {line}: {'; '.join(problems)}")
        else:
            marks.append(mark)
    if errors:
        raise ImportInvalid(errors)
    if not marks:
        raise ImportInvalid([f"{name}: nobody is marked on the sheet"])
    return marks
