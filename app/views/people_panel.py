"""A cohort's participants with how far along they are, and one participant's milestones with
why a milestone waits. Both tables are models over one query each, read on the worker."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.clock import utcnow
from app.services.queries.board import ParticipantRow, participants
from app.services.queries.person_view import PersonView, person_view
from app.views.models.board import SCALE_LABELS, STATE_LABELS
from app.views.models.rows import RowsModel
from app.views.tables import read_only_table, why_it_waits
from app.views.worker import DbWorker


class PeoplePanel(QWidget):
    person_chosen = Signal(str)  # the participant's id, when the user picks one

    def __init__(self, worker: DbWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self._cohorts: list[uuid.UUID] = []
        self._picking = False  # the panel itself selects a row after loading
        self.people_model = RowsModel([
            ("Participant", lambda r: r.name), ("Id", lambda r: r.person),
            ("Status", lambda r: r.status), ("Done", lambda r: f"{r.complete} of {r.total}"),
            ("Open", lambda r: r.open), ("Past due", lambda r: r.past_due or ""),
        ], self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.people_model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit(placeholderText="Filter participants by name, id or status")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter participants")
        self.filter.textChanged.connect(lambda text: self.proxy.setFilterFixedString(text))
        self.people = read_only_table(self.proxy, "Participants", 0)
        self.people.setSortingEnabled(True)
        self.people.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.people.selectionModel().currentRowChanged.connect(self._chosen)
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
        chosen = self.current_person()
        cohorts = list(self._cohorts)

        def load(store: Store) -> list[ParticipantRow]:
            with store.session() as session:
                return participants(session, cohorts, utcnow())

        self.worker.submit(load, lambda rows, error: self._loaded(rows, chosen))

    def _loaded(self, rows: list[ParticipantRow] | None, chosen: str | None) -> None:
        if rows is None:
            return
        self.people_model.set_rows(rows)
        target = next((r for r in range(self.proxy.rowCount())
                       if self.proxy.index(r, 1).data() == chosen), 0)
        if self.proxy.rowCount():
            self._picking = True
            self.people.selectRow(target)
            self._picking = False
        else:
            self._show_person(None, None)

    def current_person(self) -> str | None:
        index = self.people.currentIndex()
        return index.siblingAtColumn(1).data() if index.isValid() else None

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        person = current.siblingAtColumn(1).data() if current.isValid() else None
        if not person:
            self._show_person(None, None)
            return
        if not self._picking:
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
