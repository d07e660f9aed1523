"""The conflicts panel: the commands the sync server refused, with its reason, each waiting
for the user to retry it (pushed again at the next sync, after what was made meanwhile) or
discard it (kept in the log, marked so). Nothing the user entered disappears unseen.

Retrying and discarding are the outbox's own bookkeeping (services.sync.outbox), not domain
commands: they change what is sent, not what the store says, so they announce
`outbox_changed` rather than `changed`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.queries.conflicts_view import ConflictRow, conflicts_view
from app.services.sync import outbox
from app.views.models.conflicts import ConflictsModel
from app.views.worker import DbWorker

RETRY, DISCARD = "retry", "discard"


class ConflictsPanel(QWidget):
    outbox_changed = Signal(str)  # "retry" or "discard", after it is done
    counted = Signal(int)  # how many conflicts the panel shows, after each read

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user = worker, user
        self.model = ConflictsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Commands the sync server refused")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 340)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.retry_button = QPushButton("&Retry")
        self.retry_button.setAccessibleName("Retry the selected commands at the next sync")
        self.retry_button.setToolTip("Send the selected commands again (after fixing what the "
                                     "server objected to, such as a missing role).")
        self.retry_button.clicked.connect(self.retry_selected)
        self.discard_button = QPushButton("&Discard…")
        self.discard_button.setAccessibleName("Discard the selected commands")
        self.discard_button.setToolTip("Stop sending the selected commands; they stay in this "
                                       "store's log, marked discarded.")
        self.discard_button.clicked.connect(lambda: self.discard_selected())
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.retry_button)
        top.addWidget(self.discard_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self._enable()

    def _enable(self) -> None:
        chosen = bool(self.table.selectionModel().selectedRows())
        self.retry_button.setEnabled(chosen)
        self.discard_button.setEnabled(chosen)

    def refresh(self) -> None:
        self.worker.submit(conflicts_view, self._loaded)

    def _loaded(self, rows: list[ConflictRow] | None, error: BaseException | None) -> None:
        if rows is None:
            self.summary.setText(f"The conflicts could not be read: {error}")
            return
        self.model.set_rows(rows)
        self._enable()
        self.summary.setText(
            f"The server refused {len(rows)} command{'s' if len(rows) != 1 else ''} made "
            "here. Retry one once what it objected to is fixed, or discard it."
            if rows else "No conflicts: the server took every command sent.")
        self.counted.emit(len(rows))

    def selected(self) -> list[ConflictRow]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.row(r) for r in rows]

    def retry_selected(self) -> None:
        self._act(RETRY, self.selected())

    def discard_selected(self, *, confirm: bool = True) -> None:
        chosen = self.selected()
        if not chosen:
            return
        if confirm:
            what = chosen[0].what if len(chosen) == 1 else f"these {len(chosen)} commands"
            answer = QMessageBox.question(
                self, "Discard refused commands?",
                f"Discard {what}? It will not be sent to the server again. It stays in this "
                "store's log, marked discarded, and what it changed here stays changed.")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._act(DISCARD, chosen)

    def _act(self, action: str, chosen: list[ConflictRow]) -> None:
        if not chosen:
            return
        ids = [row.id for row in chosen]
        step = outbox.retry if action == RETRY else outbox.discard

        def job(store: Store) -> None:
            for op in ids:
                step(store, op)

        def done(_result: None, error: BaseException | None) -> None:
            if error is not None:  # one already retried or discarded elsewhere (the CLI)
                self.summary.setText(str(error.args[0] if error.args else error))
            self.refresh()
            self.outbox_changed.emit(action)

        self.worker.submit(job, done)
