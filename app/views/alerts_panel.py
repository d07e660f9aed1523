"""The staff alerts panel: open alerts, newest first, acknowledged one by one or all at once.

New alerts (those the panel had not seen) are announced through `new_alerts`, which the main
window turns into a desktop notification.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.clock import utcnow
from app.services.commands import AcknowledgeAlerts
from app.services.queries.outbox_view import alerts
from app.services.write import execute
from app.views.models.rows import RowsModel
from app.views.worker import DbWorker

KIND_LABELS = {"due_soon": "Due soon", "past_due": "Past due", "escalation": "Escalation",
               "regression": "Regression", "action_failed": "Action failed",
               "no_show": "No-show"}


class AlertsPanel(QWidget):
    new_alerts = Signal(list)  # the rows not seen before, after the first load
    changed = Signal(object)

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user = worker, user
        self._seen: set[str] | None = None
        self.model = RowsModel([
            ("Kind", lambda r: KIND_LABELS.get(r["kind"], r["kind"])),
            ("Participant", lambda r: r["person"]),
            ("Milestone", lambda r: r["milestone"]),
            ("When", lambda r: r["at"].astimezone().strftime("%Y-%m-%d %H:%M")),
            ("What happened", lambda r: r["message"]),
        ], self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Staff alerts")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        acknowledge = QPushButton("&Acknowledge")
        acknowledge.setAccessibleName("Acknowledge the selected alerts")
        acknowledge.clicked.connect(self.acknowledge_selected)
        everything = QPushButton("Acknowledge a&ll")
        everything.clicked.connect(self.acknowledge_all)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(acknowledge)
        buttons.addWidget(everything)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table)

    def refresh(self) -> None:
        self.worker.submit(self._load, self._loaded)

    @staticmethod
    def _load(store: Store) -> list[dict[str, Any]]:
        with store.session() as session:
            return list(reversed(alerts(session)))

    def _loaded(self, rows: list[dict[str, Any]] | None, error: BaseException | None) -> None:
        if error is not None or rows is None:
            self.summary.setText(f"Alerts could not be read: {error}")
            return
        self.model.set_rows(rows)
        self.summary.setText(f"{len(rows)} open alert{'s' if len(rows) != 1 else ''}"
                             if rows else "No open alerts.")
        ids = {r["id"] for r in rows}
        if self._seen is not None:
            fresh = [r for r in rows if r["id"] not in self._seen]
            if fresh:
                self.new_alerts.emit(fresh)
        self._seen = (self._seen or set()) | ids

    def acknowledge_selected(self) -> None:
        chosen = sorted({self.model.row(i.row())["id"]
                         for i in self.table.selectionModel().selectedRows()})
        if chosen:
            self._acknowledge(AcknowledgeAlerts(at=utcnow(), by=self.user, ids=tuple(chosen)))

    def acknowledge_all(self) -> None:
        if self.model.rowCount():
            self._acknowledge(AcknowledgeAlerts(at=utcnow(), by=self.user, all=True))

    def _acknowledge(self, command: AcknowledgeAlerts) -> None:
        def done(result: Any, error: BaseException | None) -> None:
            if error is not None or not result.ok:
                self.summary.setText(str(error) if error else result.error)
                return
            self.changed.emit(result)
            self.refresh()

        self.worker.submit(lambda store: execute(store, command), done)
