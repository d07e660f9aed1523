"""A report's table as an item model: its columns change with the report, so the model takes
the whole `Table` (columns, rows) at once and shows each cell as the exports write it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.services.reports import Table
from app.services.reports.export import cell_text, numeric

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
"""What a column sorts by: numbers as numbers (blanks first), the rest as the text shown."""


def heading(column: str) -> str:
    """`median_days` → `Median days`: the table's own column names, for people."""
    return column.replace("_", " ").capitalize()


class ReportModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.table = Table("", [], [])
        self._numeric: list[bool] = []

    def set_table(self, table: Table) -> None:
        self.beginResetModel()
        self.table = table
        self._numeric = numeric(table)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self.table.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.table.rows):
            return None
        value = self.table.rows[index.row()][index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cell_text(value)
        if role == Qt.ItemDataRole.UserRole:
            return value
        if role == SORT_ROLE:
            if self._numeric[index.column()]:
                return float("-inf") if value is None else float(value)
            return cell_text(value).casefold()
        if role == Qt.ItemDataRole.TextAlignmentRole and self._numeric[index.column()]:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(
                self.table.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return heading(self.table.columns[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.table.columns[section]  # as the CSV and the command line name it
        if role == Qt.ItemDataRole.TextAlignmentRole and self._numeric[section]:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
