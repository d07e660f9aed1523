"""Add a walk-in: find anyone in the store by name, id or email, and check them in.

Someone who turns up without registering is registered at the door by the check-in itself
(the Attend command does it), so this dialog only has to find the person. The search runs on
the database worker, a moment after the last key press, and lists at most fifty people.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.queries.attendance import PersonHit, find_participants
from app.views.models.rows import RowsModel
from app.views.worker import DbWorker

LIMIT = 50
DEBOUNCE_MS = 200


class WalkInDialog(QDialog):
    def __init__(self, worker: DbWorker, session_title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.chosen: PersonHit | None = None
        self._asked = 0
        self.setWindowTitle("Add a walk-in")
        self.resize(560, 420)
        intro = QLabel(f"Find the participant who came to {session_title} without "
                       "registering. Checking them in registers them at the door.")
        intro.setWordWrap(True)
        self.search = QLineEdit(placeholderText="Name, id or email")
        self.search.setAccessibleName("Find a participant by name, id or email")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.model = RowsModel([("Name", lambda h: h.name), ("Id", lambda h: h.person),
                                ("Email", lambda h: h.email)], self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Participants found")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.accept())
        self.found = QLabel("Type at least two letters.")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.check_in = self.buttons.addButton("Check &in",
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.check_in.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.look_up)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.check_in.setEnabled(current.isValid()))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.table)
        layout.addWidget(self.found)
        layout.addWidget(self.buttons)
        self.search.setFocus()

    def look_up(self) -> None:
        text = self.search.text().strip()
        self._asked += 1
        asked = self._asked
        if len(text) < 2:
            self.model.set_rows([])
            self.found.setText("Type at least two letters.")
            return

        def job(store: Store) -> list[PersonHit]:
            with store.session() as session:
                return find_participants(session, text, LIMIT)

        def done(hits: list[PersonHit] | None, error: BaseException | None) -> None:
            if asked != self._asked:
                return  # a later search is on its way
            if error is not None or hits is None:
                self.found.setText(f"The search failed: {error}")
                return
            self.model.set_rows(hits)
            self.found.setText("Nobody matches." if not hits else
                               f"{len(hits)}{'+' if len(hits) == LIMIT else ''} found"
                               + (" — type more to narrow it down" if len(hits) == LIMIT
                                  else ""))
            if hits:
                self.table.selectRow(0)

        self.worker.submit(job, done)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """Down from the search box goes to the results; Enter takes the selected one."""
        if watched is self.search and isinstance(event, QKeyEvent) and (
                event.type() == QEvent.Type.KeyPress):
            if event.key() == Qt.Key.Key_Down and self.model.rowCount():
                self.table.setFocus()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.model.rowCount():
                    self.accept()
                return True
        return super().eventFilter(watched, event)

    def accept(self) -> None:
        current = self.table.currentIndex()
        if not current.isValid():
            return
        self.chosen = self.model.row(current.row())
        super().accept()
