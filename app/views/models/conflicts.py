"""The conflicts table: each command the sync server refused, in words, when the user made
it, and the server's reason (the reason can be long: it is the tooltip too)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.services.queries.conflicts_view import ConflictRow
from app.views.models.rows import Index, RowsModel


def _when(row: ConflictRow) -> str:
    return row.at.astimezone().strftime("%Y-%m-%d %H:%M")


class ConflictsModel(RowsModel):
    """What, when, why; UserRole gives the ConflictRow (its id for retry and discard)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__([
            ("What you did", lambda r: r.what),
            ("When", _when),
            ("The server's reason", lambda r: r.reason),
        ], parent)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.ToolTipRole and index.isValid()
                and 0 <= index.row() < self.rowCount()):
            row: ConflictRow = self.row(index.row())
            return f"{row.what} ({row.command}, {_when(row)})\nRefused: {row.reason}"
        return super().data(index, role)
