"""The milestone board's item models: one table (participants × milestones) over the cards
the board query gives, and the filters that show part of it without asking the database
again.

`BoardModel` is the single source: the grid shows it through `GridFilter` (a row per
participant, a column per milestone), and the board mode through one `ColumnFilter` per
milestone (the cards of that column). Cards arrive in pieces — the first screen, then the
rest — and are placed without a reset, so the views keep their scroll and selection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from app.services.queries.board_cells import (
    BoardFrame,
    BoardMilestone,
    BoardPerson,
    Cell,
)

Index = QModelIndex | QPersistentModelIndex
Placed = tuple[int, int, Cell]

CELL_ROLE = Qt.ItemDataRole.UserRole + 1  # the Cell, or None where the member lacks it
PERSON_ROLE = Qt.ItemDataRole.UserRole + 2  # BoardPerson of the row
MILESTONE_ROLE = Qt.ItemDataRole.UserRole + 3  # BoardMilestone of the column
REASON_ROLE = Qt.ItemDataRole.UserRole + 4  # why a locked card is locked, once asked
MATCH_ROLE = Qt.ItemDataRole.UserRole + 5  # does the card pass the card filters (grid)
POSITION_ROLE = Qt.ItemDataRole.UserRole + 6  # (row, column) in the source model
CARDS_MIME = "application/x-waypoint-board-cards"

STATE_LABELS = {"locked": "Locked", "open": "Open", "started": "Started",
                "submitted": "Submitted", "complete": "Complete", "denied": "Denied",
                "skipped": "Skipped"}
SCALE_LABELS = {"on_track": "On track", "behind": "Behind", "stuck": "Stuck"}


def card_summary(person: BoardPerson, milestone: BoardMilestone, cell: Cell | None,
                 reason: str | None = None) -> str:
    """A card in words: its tooltip and what a screen reader says."""
    if cell is None:
        return f"{person.name} does not have '{milestone.title}'."
    parts = [f"{person.name} — {milestone.title}: {STATE_LABELS.get(cell.state, cell.state)}"]
    if cell.due_label:
        parts.append(cell.due_label.lower())
    elif cell.due:
        parts.append(f"due {cell.due.isoformat()}")
    if cell.past_due:
        parts.append("past due")
    if cell.scale:
        parts.append(SCALE_LABELS[cell.scale].lower())
    text = ", ".join(parts) + "."
    if cell.state == "locked":
        text += f"\n{reason}" if reason else "\nLocked: ask “Why is this locked?” (F1)."
    return text


class BoardModel(QAbstractTableModel):
    """Rows are the cohort's members by name, columns its milestones in step order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.people: list[BoardPerson] = []
        self.milestones: list[BoardMilestone] = []
        self.cells: list[list[Cell | None]] = []
        self.loaded: list[bool] = []
        self._reasons: dict[tuple[int, int], str] = {}
        self._row_of: dict[str, int] = {}

    # -- contents -----------------------------------------------------------------------

    def set_frame(self, frame: BoardFrame, placed: Iterable[Placed] = (),
                  loaded: Iterable[int] = ()) -> None:
        self.beginResetModel()
        self.people = list(frame.people)
        self.milestones = list(frame.milestones)
        self.cells = [[None] * len(self.milestones) for _ in self.people]
        self.loaded = [False] * len(self.people)
        self._reasons = {}
        self._row_of = {p.external_id: r for r, p in enumerate(self.people)}
        for row, column, cell in placed:
            self.cells[row][column] = cell
        for row in loaded:
            self.loaded[row] = True
        self.endResetModel()

    def place(self, rows: Sequence[int], placed: Iterable[Placed]) -> None:
        """The cards of these rows, fresh from the database: what was there is replaced."""
        if not rows or not self.milestones:
            return
        for row in rows:
            self.cells[row] = [None] * len(self.milestones)
            self.loaded[row] = True
            for column in range(len(self.milestones)):
                self._reasons.pop((row, column), None)
        for row, column, cell in placed:
            self.cells[row][column] = cell
        last = len(self.milestones) - 1
        for start, stop in _runs(sorted(rows)):
            self.dataChanged.emit(self.index(start, 0), self.index(stop, last))

    def set_reason(self, row: int, column: int, reason: str) -> None:
        self._reasons[(row, column)] = reason
        index = self.index(row, column)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.ToolTipRole, REASON_ROLE])

    def row_of(self, person: str) -> int | None:
        return self._row_of.get(person)

    def cell(self, row: int, column: int) -> Cell | None:
        return self.cells[row][column]

    def fully_loaded(self) -> bool:
        return all(self.loaded)

    # -- Qt ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self.people)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self.milestones)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid):
            return None
        row, column = index.row(), index.column()
        cell = self.cells[row][column]
        if role == CELL_ROLE:
            return cell
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if cell is None else STATE_LABELS.get(cell.state, cell.state)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return card_summary(self.people[row], self.milestones[column], cell,
                                self._reasons.get((row, column)))
        if role == PERSON_ROLE:
            return self.people[row]
        if role == MILESTONE_ROLE:
            return self.milestones[column]
        if role == REASON_ROLE:
            return self._reasons.get((row, column))
        if role == POSITION_ROLE:
            return (row, column)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.milestones):
            milestone = self.milestones[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return milestone.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return milestone_caption(milestone)
            if role == MILESTONE_ROLE:
                return milestone
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self.people):
            person = self.people[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return person.name
            if role == Qt.ItemDataRole.ToolTipRole:
                return " · ".join(x for x in (person.external_id, person.email, person.status)
                                  if x)
            if role == PERSON_ROLE:
                return person
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        found = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.cells[index.row()][index.column()] is not None:
            found |= Qt.ItemFlag.ItemIsDragEnabled
        return found

    # -- dragging cards ------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt API
        return [CARDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802 - Qt API
        cards = sorted({(i.row(), i.column()) for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(CARDS_MIME, QByteArray(json.dumps(cards).encode()))
        return data

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802 - Qt API
        return Qt.DropAction.CopyAction  # acting on a card never takes it off the board


def cards_from_mime(data: QMimeData) -> list[tuple[int, int]]:
    """The (row, column) pairs of dragged cards, in the source model."""
    if not data.hasFormat(CARDS_MIME):
        return []
    return [tuple(pair) for pair in json.loads(bytes(data.data(CARDS_MIME).data()))]


def milestone_caption(milestone: BoardMilestone) -> str:
    parts = [f"Step {milestone.step}"]
    if milestone.gate_name:
        parts.append(f"gate {milestone.gate_name}")
    if milestone.labels:
        parts.append("labels: " + ", ".join(milestone.labels))
    if not milestone.bypassable:
        parts.append("mandatory")
    if milestone.retired:
        parts.append("retired")
    return f"{milestone.title}\n" + " · ".join(parts)


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive rows as (first, last) pairs, to announce changes in few signals."""
    found: list[tuple[int, int]] = []
    for row in rows:
        if found and row == found[-1][1] + 1:
            found[-1] = (found[-1][0], row)
        else:
            found.append((row, row))
    return found


# -- filters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What the user narrowed the board to. Gate and label pick milestones (columns), state
    and at-risk pick cards, the search text picks participants."""

    state: str | None = None
    gate: str | None = None
    label: str | None = None
    at_risk: bool = False
    search: str = ""

    @property
    def picks_cards(self) -> bool:
        return self.state is not None or self.at_risk

    def column_ok(self, milestone: BoardMilestone) -> bool:
        return ((self.gate is None or milestone.gate_key == self.gate)
                and (self.label is None or self.label in milestone.labels))

    def card_ok(self, cell: Cell | None) -> bool:
        if cell is None:
            return False
        if self.state is not None and cell.state != self.state:
            return False
        return not self.at_risk or cell.at_risk

    def person_ok(self, person: BoardPerson) -> bool:
        needle = self.search.strip().casefold()
        if not needle:
            return True
        return any(needle in (value or "").casefold() for value in
                   (person.name, person.external_id, person.email, person.status))


class Filters(QObject):
    """The criteria every view of the board shares; `changed` tells the proxies."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.criteria = Criteria()

    def set(self, criteria: Criteria) -> None:
        if criteria != self.criteria:
            self.criteria = criteria
            self.changed.emit()


class GridFilter(QSortFilterProxyModel):
    """Participants × milestones, narrowed: a participant stays when they match the search
    and (if cards are filtered) hold a matching card in a shown column; a milestone stays
    when it matches the gate and label. Cards that do not match are marked (MATCH_ROLE),
    so the grid can fade them."""

    def __init__(self, board: BoardModel, filters: Filters,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board, self.filters = board, filters
        self.setSourceModel(board)
        filters.changed.connect(self._refilter)

    def _refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange()

    def filterAcceptsColumn(self, column: int, parent: Index) -> bool:  # noqa: N802 - Qt API
        return self.filters.criteria.column_ok(self.board.milestones[column])

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802 - Qt API
        criteria = self.filters.criteria
        if not criteria.person_ok(self.board.people[row]):
            return False
        if not criteria.picks_cards:
            return True
        cells = self.board.cells[row]
        return any(criteria.card_ok(cells[c]) for c, m in enumerate(self.board.milestones)
                   if criteria.column_ok(m))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == MATCH_ROLE and index.isValid():
            criteria = self.filters.criteria
            cell = super().data(index, CELL_ROLE)
            return cell is not None and (not criteria.picks_cards or criteria.card_ok(cell))
        return super().data(index, role)


class ColumnFilter(QSortFilterProxyModel):
    """One milestone's cards for the board mode: the participants holding it whose card
    and name pass the filters, as a one-column list."""

    def __init__(self, board: BoardModel, filters: Filters, column: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.board, self.filters, self.column = board, filters, column
        self.setSourceModel(board)
        filters.changed.connect(self._refilter)

    def _refilter(self) -> None:
        self.beginFilterChange()
        self.endFilterChange()

    def filterAcceptsColumn(self, column: int, parent: Index) -> bool:  # noqa: N802 - Qt API
        return column == self.column

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:  # noqa: N802 - Qt API
        if self.column >= len(self.board.milestones):
            return False  # a board of another cohort, before this column's view goes
        cell = self.board.cells[row][self.column]
        if cell is None:
            return False
        criteria = self.filters.criteria
        if criteria.picks_cards and not criteria.card_ok(cell):
            return False
        return criteria.person_ok(self.board.people[row])
