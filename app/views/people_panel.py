"""A cohort's participants with how far along they are, and one participant's milestones with
why a milestone waits. Both tables are models over queries read on the worker.

A large cohort (a whole program: 50,000 people) is listed a slice at a time, as the board
fills its cards: the first screenful in one job, shown at once, then CHUNK_ROWS at a time,
each its own job on the serial worker, appended to the table. A newer load (another cohort,
a change) drops what is left of the older one. The list is kept in the query's order (by
name) until a header is clicked, and then sorted here, in Python: a QSortFilterProxyModel
sorting 50,000 rows calls back into Python for each comparison (7 s a click, and 3 s more
to merge the slices in). The proxy only filters.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.clock import utcnow
from app.services.queries.board import (
    ParticipantRow,
    is_member,
    members_after,
    participants_of,
    participants_page,
)
from app.services.queries.person_view import PersonView, person_view
from app.views.models.board import SCALE_LABELS, STATE_LABELS
from app.views.models.rows import Index, RowsModel
from app.views.tables import read_only_table, why_it_waits
from app.views.worker import DbWorker

FIRST_ROWS = 200  # participants in the first job: a screenful and more, shown at once
CHUNK_ROWS = 2500  # participants per later job

# Each column: its heading, its text, and what a click on its header sorts by (numbers as
# numbers: 10 of 18 after 9 of 18).
PEOPLE_COLUMNS: tuple[tuple[str, Callable[[ParticipantRow], Any],
                            Callable[[ParticipantRow], Any]], ...] = (
    ("Participant", lambda r: r.name, lambda r: r.name),
    ("Id", lambda r: r.person, lambda r: r.person),
    ("Status", lambda r: r.status, lambda r: r.status or ""),
    ("Done", lambda r: f"{r.complete} of {r.total}", lambda r: (r.complete, r.total)),
    ("Open", lambda r: r.open, lambda r: r.open),
    ("Past due", lambda r: r.past_due or "", lambda r: r.past_due),
)
BY_NAME = (0, Qt.SortOrder.AscendingOrder)  # the query's own order


class PeopleModel(RowsModel):
    """The participants in the order shown: the query's until `sort` is asked for another."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__([(heading, text) for heading, text, _ in PEOPLE_COLUMNS], parent)
        self.order: tuple[int, Qt.SortOrder] = BY_NAME
        self._texts: dict[int, str] = {}  # id(row) → what the filter matches, once asked

    def set_rows(self, rows: Sequence[Any]) -> None:
        self._texts = {}
        super().set_rows(self._sorted(rows))

    def add(self, rows: Sequence[ParticipantRow]) -> None:
        """A later slice: it follows the others in the query's order, so only another order
        sorts again (the list and the slice, each in order already, merge in one pass)."""
        self.append_rows(rows)
        if self.order != BY_NAME:
            self.sort(*self.order)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.order = (column, order)
        self.layoutAboutToBeChanged.emit()
        kept = self.persistentIndexList()  # the selection and the current row
        rows = [self._rows[index.row()] for index in kept]
        self._rows = self._sorted(self._rows)
        where = {id(row): number for number, row in enumerate(self._rows)} if kept else {}
        self.changePersistentIndexList(kept, [
            self.index(where[id(row)], index.column())
            for row, index in zip(rows, kept, strict=True)])
        self.layoutChanged.emit()

    def row_of(self, person: str) -> int | None:
        return next((n for n, row in enumerate(self._rows) if row.person == person), None)

    def text_of(self, number: int) -> str:
        """The row's text in every column, as the filter matches it."""
        row = self._rows[number]
        text = self._texts.get(id(row))
        if text is None:
            text = self._texts[id(row)] = "\t".join(
                "" if value is None else str(value)
                for value in (shown(row) for _, shown, _ in PEOPLE_COLUMNS)).casefold()
        return text

    def _sorted(self, rows: Sequence[ParticipantRow]) -> list[ParticipantRow]:
        column, order = self.order
        by = PEOPLE_COLUMNS[column][2]
        return sorted(rows, key=lambda r: (by(r), r.name, r.person),  # ties by name
                      reverse=order == Qt.SortOrder.DescendingOrder)


class PeopleFilter(QSortFilterProxyModel):
    """The participants whose text in some column holds what is typed, case aside; one call
    a row (the built-in filter asks each column's text: 1.5 s a keystroke on 50,000)."""

    def __init__(self, model: PeopleModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.people = model
        self._text = ""
        self.setSourceModel(model)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        return not self._text or self._text in self.people.text_of(source_row)


class PeoplePanel(QWidget):
    person_chosen = Signal(str)  # the participant's id, when the user picks one

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._cohorts: list[uuid.UUID] = []
        self._picking = False  # the panel itself selects a row after loading
        self._load_id = 0
        self.loading = False
        # The participant to select once listed (the one chosen before a reload, perhaps in
        # a later slice); None: the first. `_pending`: nothing selected since the reload.
        self._wanted: str | None = None
        self._pending = False
        self.people_model = PeopleModel(self)
        self.proxy = PeopleFilter(self.people_model, self)
        self.filter = QLineEdit(placeholderText="Filter participants by name, id or status")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter participants")
        self.filter.textChanged.connect(self.proxy.set_text)
        self.people = read_only_table(self.proxy, "Participants", 0)
        header = self.people.horizontalHeader()
        # Columns fit the rows in view: fitting the default 1,000 rows asks 5,000 cells
        # their size on every reset and sort (0.1 s for the first screen, 0.4 s a sort).
        header.setResizeContentsPrecision(0)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(*BY_NAME)
        header.sortIndicatorChanged.connect(self.people_model.sort)
        self.people.selectionModel().currentRowChanged.connect(self._chosen)
        self.progress = QProgressBar()  # while the rest of a large cohort is read
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.heading = QLabel("Choose a participant to see their milestones.")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.milestone_model = RowsModel([
            ("Milestone", lambda m: m.title),
            ("State", lambda m: STATE_LABELS.get(m.state, m.state)),
            ("Due", lambda m: m.due_label or (m.due.isoformat() if m.due else None)),
            ("Progress", lambda m: SCALE_LABELS.get(m.progress or "")),
            ("Why it waits", why_it_waits),
        ], self)
        self.milestones = read_only_table(self.milestone_model, "Milestones of the participant", 4)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.filter)
        column.addWidget(self.people)
        column.addWidget(self.progress)
        right = QWidget()
        detail = QVBoxLayout(right)
        detail.setContentsMargins(0, 0, 0, 0)
        detail.addWidget(self.heading)
        detail.addWidget(self.milestones)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([480, 560])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def show_cohorts(self, cohort_ids: list[uuid.UUID]) -> None:
        self._cohorts = cohort_ids
        self.refresh()

    def refresh(self) -> None:
        self._load_id += 1
        load_id, cohorts, at = self._load_id, list(self._cohorts), utcnow()
        wanted = self.current_person() or (self._wanted if self._pending else None)
        self.loading = True

        def first(store: Store) -> tuple[list[ParticipantRow], bool]:
            with store.session() as session:
                rows = participants_page(session, cohorts, at, FIRST_ROWS)
                listed = wanted is not None and (
                    any(row.person == wanted for row in rows)
                    or len(rows) == FIRST_ROWS and is_member(session, cohorts, wanted))
            return rows, listed

        def done(got: Any, _error: BaseException | None) -> None:
            if load_id != self._load_id:
                return
            if got is None:
                self.loading = False
                self.progress.hide()
                return
            rows, listed = got
            now = self.current_person()
            if now is not None and now != wanted:  # picked since: look for them instead
                self._wanted, self._pending = now, True
            else:  # one who is not listed will not come with a later slice: the first, then
                self._wanted, self._pending = (wanted if listed else None), True
            self.people_model.set_rows(rows)
            if len(rows) < FIRST_ROWS:
                self._finished()
            else:
                self.progress.setRange(0, 0)  # how many are left is read next
                self.progress.show()
                self._pick()
                self._next_chunk(load_id, cohorts, at, (rows[-1].name, rows[-1].person), [])

        self.worker.submit(first, done)

    def _next_chunk(self, load_id: int, cohorts: list[uuid.UUID], at: datetime,
                    after: tuple[str, str] | None, rest: list[uuid.UUID]) -> None:
        """The next CHUNK_ROWS participants; the first of these jobs reads who is left."""
        def job(store: Store) -> tuple[list[uuid.UUID], list[ParticipantRow]]:
            with store.session() as session:
                left = members_after(session, cohorts, after) if after is not None else rest
                return left[CHUNK_ROWS:], participants_of(session, cohorts, left[:CHUNK_ROWS], at)

        def done(got: Any, error: BaseException | None) -> None:
            if load_id != self._load_id:
                return
            if got is None:  # what is listed stays, saying it is not everyone
                self.loading = False
                listed = self.people_model.rowCount()
                self.progress.setRange(0, max(self.progress.maximum(), listed))
                self.progress.setValue(listed)
                self.progress.setFormat(f"Listed {listed:,}; the rest could not be read: "
                                        f"{error}")
                return
            left, rows = got
            self.people_model.add(rows)
            listed = self.people_model.rowCount()
            self.progress.setRange(0, listed + len(left))
            self.progress.setValue(listed)
            self.progress.setFormat(f"Listing {listed:,} of {listed + len(left):,} participants")
            if left:
                self._pick()
                self._next_chunk(load_id, cohorts, at, None, left)
            else:
                self._finished()

        self.worker.submit(job, done)

    def _finished(self) -> None:
        self.loading = False
        self.progress.hide()
        self._pick(last=True)

    def _pick(self, *, last: bool = False) -> None:
        """Select the participant chosen before the reload once listed (the first shown if
        they are not, or nobody was), unless the user has picked one since."""
        if not self._pending:
            return
        source = self.people_model.row_of(self._wanted) if self._wanted else None
        if source is None and self._wanted and not last:
            return  # perhaps in a slice still to come
        shown = (self.proxy.mapFromSource(self.people_model.index(source, 0))
                 if source is not None else QModelIndex())
        if not shown.isValid() and not self.proxy.rowCount():
            if last:
                self._pending = False
                self._show_person(None, None)
            return  # the filter hides every row so far
        self._pending = False
        self._picking = True
        self.people.selectRow(shown.row() if shown.isValid() else 0)
        self._picking = False

    def current_person(self) -> str | None:
        index = self.people.currentIndex()
        return index.siblingAtColumn(1).data() if index.isValid() else None

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        person = current.siblingAtColumn(1).data() if current.isValid() else None
        if not person:
            self._show_person(None, None)
            return
        if not self._picking:
            self._pending = False  # the user's choice stands over the one before a reload
            self.person_chosen.emit(person)

        def load(store: Store) -> PersonView:
            with store.session() as session:
                return person_view(session, person, utcnow())

        self.worker.submit(load, self._show_person)

    def _show_person(self, view: PersonView | None, error: BaseException | None) -> None:
        if view is None:
            self.heading.setText(str(error) if error else
                                 "Choose a participant to see their milestones.")
            self.milestone_model.set_rows([])
            return
        cohorts = ", ".join(c.name for c in view.cohorts)
        self.heading.setText(f"{view.person.name} · {view.person.status or 'no status'} · "
                             f"{cohorts}")
        self.milestone_model.set_rows(view.milestones)
