"""Times: parsed in the program's zone, stored in UTC, shown as local dates.

Rules never read the wall clock: the command carries its time, readers are given `at`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(text: str, zone: ZoneInfo) -> datetime:
    """ISO 8601; a time without an offset (or a bare date) is read in the program's zone."""
    try:
        value = dateparser.isoparse(text.strip())
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a date or time (expected ISO 8601, e.g. 2026-09-15 "
                         "or 2026-09-15T09:00)") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a date (expected YYYY-MM-DD)") from exc


def local_date(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def days(n: int) -> timedelta:
    return timedelta(days=n)
