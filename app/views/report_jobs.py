"""What the reports view asks of the worker, and how it reads its boxes: the From/To dates
as the command line reads --from/--to, and the file an export goes to.

Plain functions, apart from the widgets: the dates are checked on the UI thread (a bad one
is said at once and nothing runs); the zone they are read in and the report itself come
from the store, on the worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dateutil import parser as dateparser

from app.models.store import Store
from app.services.errors import Refused
from app.services.reports import Options, Table, run_report
from app.services.reports.export import FORMATS
from app.services.settings import program_zone

BARE_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")
FILTERS = "CSV (*.csv);;Excel workbook (*.xlsx);;PDF (*.pdf)"


@dataclass(frozen=True)
class Ask:
    """One run of a report as asked: the heading says what the table shows from it."""
    name: str
    cohort: str | None
    start: datetime | None
    end: datetime | None
    start_text: str = ""
    end_text: str = ""


def bound(label: str, text: str, *, end: bool) -> datetime | None:
    """A From/To box: ISO 8601, a time without an offset read in the program's zone (on the
    worker), a bare date in To counting to the end of that day; empty for any."""
    if not text.strip():
        return None
    try:
        value = dateparser.isoparse(text.strip())
    except (ValueError, OverflowError) as exc:
        raise Refused(f"{label}: '{text.strip()}' is not a date. Write it as 2026-09-15 (or "
                      "2026-09-15T09:00 for a time), or leave it empty for any.") from exc
    return value + timedelta(days=1) if end and BARE_DATE.fullmatch(text) else value


def in_words(note: str) -> str:
    """A report's note as the window says it: the command line's flags are the boxes here."""
    return note.replace("--from/--to", "From/To")


def run_asked(store: Store, ask: Ask, at: datetime) -> Table:
    with store.session() as session:
        zone = program_zone(session)
        start, end = (None if t is None else (t if t.tzinfo else t.replace(tzinfo=zone))
                      .astimezone(UTC) for t in (ask.start, ask.end))
        if start and end and start > end:
            raise Refused(f"From ({ask.start_text}) is after To ({ask.end_text}).")
        return run_report(session, ask.name,
                          Options(at=at, cohort=ask.cohort, start=start, end=end))


def export_path(chosen: str, file_filter: str) -> Path:
    """The file named in the save dialog; without a known extension, the filter's."""
    path = Path(chosen)
    if path.suffix.lower() in FORMATS:
        return path
    return path.with_name(path.name + next((f for f in FORMATS if f in file_filter), ".csv"))
