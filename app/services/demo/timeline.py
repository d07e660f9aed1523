"""Simulated time: whole seconds since the epoch (UTC) for instants, day numbers for dates.

Integers keep the simulation cheap and are what the bulk writer binds (SQLite writes the
stamps). Due dates are days in the program's zone, so a local day needs the zone's offset,
cached per quarter hour: no zone changes its offset at a finer step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86_400
HOUR = 3_600
_EPOCH = date(1970, 1, 1)
_QUARTER = 900


def seconds(at: datetime) -> int:
    return int(at.timestamp())


def day_number(value: date) -> int:
    return (value - _EPOCH).days


def iso_date(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).isoformat()


class Calendar:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._days: dict[int, str] = {}
        self._offsets: dict[int, int] = {}

    def iso_day(self, day: int) -> str:
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = iso_date(day)
        return text

    def local_day(self, at: int) -> int:
        quarter = at // _QUARTER
        offset = self._offsets.get(quarter)
        if offset is None:
            instant = datetime.fromtimestamp(quarter * _QUARTER, UTC).astimezone(self.zone)
            delta = instant.utcoffset()
            offset = self._offsets[quarter] = int(delta.total_seconds()) if delta else 0
        return (at + offset) // DAY
