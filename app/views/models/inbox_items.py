"""The inbox's table: one row per request the user can act on now, in the order the inbox
query gives (soonest deadline first).

Requests being decided stay listed, shown in italics, until the worker says how the decision
went: then they leave (decided) or return to normal (refused). A reload keeps that mark, so
a reload that overtakes a decision does not make the request look untouched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from app.services.queries.inbox import InboxItem

Index = QModelIndex | QPersistentModelIndex
ItemRole = Qt.ItemDataRole.UserRole
OVERDUE = QColor("#c62828")
HEADINGS = ("Deadline", "Participant", "Milestone", "Level", "Submitted")


def deadline_text(deadline: date | None, today: date) -> str:
    """A deadline with how far off it is, as an approver scans for what is urgent."""
    if deadline is None:
        return "No deadline"
    days = (deadline - today).days
    if days < 0:
        when = f"overdue {-days} day{'s' if days != -1 else ''}"
    elif days == 0:
        when = "today"
    elif days == 1:
        when = "tomorrow"
    else:
        when = f"in {days} days"
    return f"{deadline.isoformat()} · {when}"


class InboxModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[InboxItem] = []
        self._rows: dict[uuid.UUID, int] = {}
        self._pending: set[uuid.UUID] = set()
        self._today = date.today()
        self._italic = QFont()
        self._italic.setItalic(True)

    # -- contents -----------------------------------------------------------------------

    def set_items(self, items: Sequence[InboxItem], today: date) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._today = today
        self._reindex()
        self._pending &= set(self._rows)
        self.endResetModel()

    def item(self, row: int) -> InboxItem:
        return self._items[row]

    def items(self) -> list[InboxItem]:
        return list(self._items)

    def row_of(self, progress_id: uuid.UUID) -> int | None:
        return self._rows.get(progress_id)

    def remove(self, progress_ids: Iterable[uuid.UUID]) -> None:
        """Take decided requests out, one row at a time (from the bottom, so the rows still
        to go keep their numbers); a handful per decision, never a reset of thousands."""
        rows = sorted((self._rows[p] for p in set(progress_ids) if p in self._rows),
                      reverse=True)
        for row in rows:
            self.beginRemoveRows(QModelIndex(), row, row)
            gone = self._items.pop(row)
            self._pending.discard(gone.progress_id)
            self.endRemoveRows()
        if rows:
            self._reindex()

    def set_pending(self, progress_ids: Iterable[uuid.UUID], pending: bool) -> None:
        for progress_id in progress_ids:
            row = self._rows.get(progress_id)
            if row is None:
                continue
            (self._pending.add if pending else self._pending.discard)(progress_id)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADINGS) - 1))

    def is_pending(self, progress_id: uuid.UUID) -> bool:
        return progress_id in self._pending

    def overdue(self) -> int:
        return sum(1 for i in self._items if i.deadline is not None and i.deadline < self._today)

    def _reindex(self) -> None:
        self._rows = {item.progress_id: row for row, item in enumerate(self._items)}

    # -- Qt ---------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(HEADINGS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 1:
                return f"{item.name} ({item.person})"
            if column == 2:
                return f"{item.title} ({item.milestone})"
            return self._text(item, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            late = item.deadline is not None and item.deadline < self._today
            return QBrush(OVERDUE) if late else None
        if role == Qt.ItemDataRole.FontRole and item.progress_id in self._pending:
            return self._italic
        if role == ItemRole:
            return item
        return None

    def _text(self, item: InboxItem, column: int) -> str:
        if column == 0:
            return deadline_text(item.deadline, self._today)
        if column == 1:
            return item.name
        if column == 2:
            return item.title
        if column == 3:
            return f"{item.level} of {item.levels}"
        if item.submitted_at is None:
            return ""
        return item.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M")

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(HEADINGS)):
            return HEADINGS[section]
        return None


class InboxFilter(QSortFilterProxyModel):
    """Narrows the inbox to requests whose participant or milestone matches the typed words,
    reading the items' fields directly (not each cell's text), so typing stays quick over
    thousands of requests. The inbox's own order is kept: no sorting here."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._words = text.lower().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        if not self._words:
            return True
        model = self.sourceModel()
        if not isinstance(model, InboxModel) or source_row >= model.rowCount():
            return True
        item = model.item(source_row)
        text = f"{item.name} {item.person} {item.title} {item.milestone}".lower()
        return all(word in text for word in self._words)
