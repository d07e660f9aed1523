"""The program editor's lists: cohorts, staff and milestones, one row per definition.

A RowsModel whose columns also give a sort key, so a step or a member count sorts as a
number rather than as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt

from app.services.queries.program_view import MilestoneItem
from app.views.models.rows import Index, RowsModel

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Column = tuple[str, Callable[[Any], Any]]


class DefinitionsModel(RowsModel):
    """Rows of definitions; `key_of` names the one a row shows (key, or a staff email)."""

    def __init__(self, columns: Sequence[Column], key_of: Callable[[Any], str],
                 parent: Any = None) -> None:
        super().__init__(columns, parent)
        self._getters = [getter for _, getter in columns]
        self.key_of = key_of

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == SORT_ROLE and index.isValid() and 0 <= index.row() < self.rowCount():
            value = self._getters[index.column()](self.row(index.row()))
            return value if isinstance(value, int | float) else str(value or "").lower()
        return super().data(index, role)

    def row_of(self, key: str) -> int:
        """The row showing `key`, or -1."""
        return next((n for n in range(self.rowCount()) if self.key_of(self.row(n)) == key), -1)


def _days(days: int | None) -> str:
    return f"{days}d" if days is not None else ""


def milestones_model(parent: Any = None) -> DefinitionsModel:
    def status(m: MilestoneItem) -> str:
        return "Retired" if m.retired else "Optional" if m.optional else ""

    return DefinitionsModel([
        ("Step", lambda m: m.step), ("Title", lambda m: m.title), ("Key", lambda m: m.key),
        ("Kind", lambda m: m.kind.capitalize()), ("Cohorts", lambda m: ", ".join(m.cohorts)),
        ("Gate", lambda m: m.gate), ("Due", lambda m: m.due),
        ("Completes by", lambda m: ", ".join(m.complete_by)), ("Status", status),
    ], lambda m: m.key, parent)


def cohorts_model(parent: Any = None) -> DefinitionsModel:
    return DefinitionsModel([
        ("Name", lambda c: c.name), ("Key", lambda c: c.key), ("Parent", lambda c: c.parent),
        ("Expected", lambda c: _days(c.expected_days)), ("Members", lambda c: c.members),
        ("Staff", lambda c: c.staff), ("Milestones", lambda c: c.milestones),
    ], lambda c: c.key, parent)


def staff_model(parent: Any = None) -> DefinitionsModel:
    return DefinitionsModel([
        ("Name", lambda s: s.name), ("Email", lambda s: s.email),
        ("Roles", lambda s: ", ".join(s.roles)), ("Cohorts", lambda s: s.cohorts),
    ], lambda s: s.email, parent)

