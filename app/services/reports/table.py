"""What every report hands back: a titled table of plain values, and the options it ran with.

One shape for all reports, so that the command line prints, exports and serialises each the
same way, and a view can show any of them in one table widget.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Options:
    """`at`: the instant the report is computed as of (time-derived values, stays still
    running). `start`/`end` (--from/--to) narrow reports about time; `cohort` narrows to a
    cohort and the cohorts below it."""

    at: datetime
    cohort: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    @property
    def until(self) -> datetime:
        """Where a stay still running is measured to."""
        return self.end or self.at

    @property
    def windowed(self) -> bool:
        return self.start is not None or self.end is not None


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
          notes: Iterable[str] = ()) -> Table:
    """A table with its durations rounded to hundredths of a day: SQL arithmetic on times
    leaves 2.9999999 where the history says three days."""
    return Table(title, list(columns),
                 [[round(v, 2) if isinstance(v, float) else v for v in row] for row in rows],
                 list(notes))


def snapshot_note(options: Options) -> list[str]:
    """Reports of how things stand now say so when given a time window they cannot use."""
    if options.windowed:
        return ["--from/--to do not apply to this report: it shows how things stand now."]
    return []


def moment(value: datetime, zone: ZoneInfo) -> str:
    """A time as a note shows it: to the minute, in the program's zone."""
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
