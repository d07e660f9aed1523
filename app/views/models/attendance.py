"""Item models of the attendance view: the session picker and one day's roster.

Both are thin adapters over what the services read (`pick_sessions`, `signin_sheet.roster`);
they hold plain rows and never touch the store. The roster's check-in column is painted by
`CheckInDelegate` (one delegate for every row, not a button per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from app.services.queries.attendance import PAST, TODAY, UPCOMING, SessionPicks
from app.services.queries.sessions_view import SessionLine
from app.services.signin_sheet import Roster, Visit

Index = QModelIndex | QPersistentModelIndex
SESSION_ROLE = Qt.ItemDataRole.UserRole
ROW_ROLE = Qt.ItemDataRole.UserRole
STATE_ROLE = Qt.ItemDataRole.UserRole + 1
PENDING_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3
SORT_ROLE = Qt.ItemDataRole.UserRole + 4
DETAILS_ROLE = Qt.ItemDataRole.UserRole + 5

SECTION_TITLES = {TODAY: "Today", UPCOMING: "Upcoming", PAST: "Past"}
EMPTY_TEXT = {TODAY: "No sessions today.", UPCOMING: "Nothing scheduled.", PAST: "None yet."}

# Where a participant stands on the chosen day, in the order the toggle moves through.
OUT, IN, LEFT = "out", "in", "left"


def day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def span_text(line: SessionLine, today: date | None = None) -> str:
    """When a session meets, short: the hours alone for today's, the dates for the others."""
    hours = f"{line.start:%H:%M}–{line.end:%H:%M}"
    first, last = line.days[0], line.days[-1]
    if first != last:
        return f"{day_label(first)} – {day_label(last)}, {hours}"
    return hours if first == today else f"{day_label(first)}, {hours}"


@dataclass(frozen=True)
class _Heading:
    section: str
    count: int


@dataclass(frozen=True)
class _Empty:
    section: str


class SessionsModel(QAbstractListModel):
    """Sessions under three headings (today, upcoming, past). Headings and the "nothing
    today" line are not selectable, so the keyboard moves from session to session."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._today: date | None = None

    def set_picks(self, picks: SessionPicks) -> None:
        rows: list[Any] = []
        for section in (TODAY, UPCOMING, PAST):
            lines = picks.sections.get(section, [])
            if not lines and section == PAST:
                continue
            rows.append(_Heading(section, len(lines)))
            rows.extend(lines or [_Empty(section)])
        self._today = picks.today
        if self._shape(rows) == self._shape(self._rows):
            self._rows = rows  # the same sessions in the same places: counts changed only
            if rows:
                self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    @staticmethod
    def _shape(rows: Sequence[Any]) -> list[Any]:
        return [row.key if isinstance(row, SessionLine) else row for row in rows]

    def session_at(self, row: int) -> SessionLine | None:
        found = self._rows[row] if 0 <= row < len(self._rows) else None
        return found if isinstance(found, SessionLine) else None

    def row_of(self, key: str) -> int:
        for number, row in enumerate(self._rows):
            if isinstance(row, SessionLine) and row.key == key:
                return number
        return -1

    def first_session_row(self) -> int:
        return next((n for n, row in enumerate(self._rows) if isinstance(row, SessionLine)), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid() or not isinstance(self._rows[index.row()], SessionLine):
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if isinstance(row, _Heading):
            return self._heading(row, role)
        if isinstance(row, _Empty):
            return EMPTY_TEXT[row.section] if role == Qt.ItemDataRole.DisplayRole else None
        line: SessionLine = row
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{line.title}\n{self._details(line)}"
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{line.title}, {self._details(line)}"
        if role == SESSION_ROLE:
            return line
        if role == DETAILS_ROLE:
            return self._details(line)
        return None

    def _heading(self, row: _Heading, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return SECTION_TITLES[row.section]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{SECTION_TITLES[row.section]}: {row.count} sessions"
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            font.setCapitalization(QFont.Capitalization.AllUppercase)
            font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
            return font
        if role == Qt.ItemDataRole.ForegroundRole:
            # headings cannot be selected, yet must not look disabled
            return QGuiApplication.palette().color(QPalette.ColorRole.Link)
        return None

    def _details(self, line: SessionLine) -> str:
        parts = [span_text(line, self._today)]
        if line.when == "under_way":
            parts.append("under way")
        if line.location:
            parts.append(line.location)
        parts.append(f"{line.registered} registered, {line.attended} attended")
        if line.marking == "self":
            parts.append("self check-in")
        if line.tentative:
            parts.append("tentative")
        return " · ".join(parts)


@dataclass(frozen=True)
class RosterRow:
    """One registered participant on the chosen day."""

    person: str
    name: str
    no_show: bool
    walk_in: bool
    join: datetime | None
    leave: datetime | None

    @property
    def state(self) -> str:
        if self.join is None:
            return OUT
        return IN if self.leave is None else LEFT


COLUMNS = ("Check-in", "Name", "Id", "Registration", "In", "Out")
CHECK, NAME, ID, REGISTRATION, JOINED, LEFT_AT = range(len(COLUMNS))


class RosterModel(QAbstractTableModel):
    """The roster of one session on one day. Rows being saved are marked pending, so the
    toggle shows the tap was taken before the worker has answered."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.roster: Roster | None = None
        self.day: date | None = None
        self._rows: list[RosterRow] = []
        self._pending: set[str] = set()

    def set_roster(self, roster: Roster | None, day: date | None) -> None:
        self.beginResetModel()
        self.roster, self.day = roster, day
        self._pending.clear()
        self._rows = self._build()
        self.endResetModel()

    def set_day(self, day: date) -> None:
        self.set_roster(self.roster, day)

    def _build(self) -> list[RosterRow]:
        if self.roster is None or self.day is None:
            return []
        rows = []
        for line in self.roster.lines:
            visit = line.visits.get(self.day) or Visit(None, None)
            rows.append(RosterRow(person=line.person, name=line.name, no_show=line.no_show,
                                  walk_in=line.walk_in, join=visit.join, leave=visit.leave))
        return rows

    def row(self, number: int) -> RosterRow:
        return self._rows[number]

    def rows(self) -> list[RosterRow]:
        return list(self._rows)

    def row_of(self, person: str) -> int:
        return next((n for n, r in enumerate(self._rows) if r.person == person), -1)

    def set_pending(self, person: str, pending: bool) -> None:
        (self._pending.add if pending else self._pending.discard)(person)
        number = self.row_of(person)
        if number >= 0:
            self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))

    def is_pending(self, person: str) -> bool:
        return person in self._pending

    def clock(self, at: datetime | None) -> str:
        return self.roster.clock(at) if self.roster is not None else ""

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.spoken(row) if column == CHECK else self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == CHECK:
            return self.spoken(row) + " — Space or Enter to " + (
                "check in" if row.state == OUT else "check out" if row.state == IN else "")
        if role == ROW_ROLE:
            return row
        if role == STATE_ROLE:
            return row.state
        if role == PENDING_ROLE:
            return row.person in self._pending
        if role == SEARCH_ROLE:
            return f"{row.name} {row.person}".casefold()
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        return None

    def _display(self, row: RosterRow, column: int) -> str:
        if column == CHECK:
            if row.person in self._pending:
                return "Saving…"
            return {OUT: "Check in", IN: f"In {self.clock(row.join)}",
                    LEFT: f"Left {self.clock(row.leave)}"}[row.state]
        if column == NAME:
            return row.name
        if column == ID:
            return row.person
        if column == REGISTRATION:
            return "No-show" if row.no_show else "Walk-in" if row.walk_in else "Registered"
        if column == JOINED:
            return self.clock(row.join)
        return self.clock(row.leave)

    def spoken(self, row: RosterRow) -> str:
        if row.state == OUT:
            return f"{row.name}: not checked in"
        if row.state == IN:
            return f"{row.name}: checked in at {self.clock(row.join)}"
        return f"{row.name}: left at {self.clock(row.leave)}"

    def _sort_key(self, row: RosterRow, column: int) -> str:
        if column == CHECK:
            order = {OUT: "0", IN: "1", LEFT: "2"}[row.state]
            return f"{order} {self.clock(row.join)} {row.name.casefold()}"
        if column in (NAME, REGISTRATION):
            return f"{self._display(row, column).casefold()} {row.name.casefold()}"
        return self._display(row, column)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None
