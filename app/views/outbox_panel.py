"""The outbox: every mail Waypoint queued, waiting, sent or failed, newest first."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models import OutboxMessage
from app.models.store import Store
from app.services.queries.outbox_view import outbox
from app.views.models.rows import RowsModel
from app.views.worker import DbWorker

STATUSES = (("All mail", None), ("Waiting", "queued"), ("Sent", "sent"), ("Failed", "failed"))


class OutboxPanel(QWidget):
    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user = worker, user
        self.model = RowsModel([
            ("Status", lambda m: m.status),
            ("Kind", lambda m: m.kind),
            ("To", lambda m: m.to_email),
            ("Subject", lambda m: m.subject),
            ("Queued", lambda m: m.created_at.astimezone().strftime("%Y-%m-%d %H:%M")),
            ("Attempts", lambda m: m.attempts or ""),
            ("Last error", lambda m: m.last_error),
        ], self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Outbox")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.status = QComboBox()
        self.status.setAccessibleName("Show mail by status")
        for label, _value in STATUSES:
            self.status.addItem(label)
        self.status.currentIndexChanged.connect(lambda _i: self.refresh())
        self.summary = QLabel()
        top = QHBoxLayout()
        top.addWidget(self.status)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def refresh(self) -> None:
        wanted = STATUSES[self.status.currentIndex()][1]

        def load(store: Store) -> list[OutboxMessage]:
            with store.session() as session:
                return list(reversed(outbox(session, wanted)))

        self.worker.submit(load, self._loaded)

    def _loaded(self, rows: list[Any] | None, error: BaseException | None) -> None:
        if error is not None or rows is None:
            self.summary.setText(f"The outbox could not be read: {error}")
            return
        self.model.set_rows(rows)
        waiting = sum(1 for m in rows if m.status == "queued")
        self.summary.setText(f"{len(rows)} mail{'s' if len(rows) != 1 else ''}"
                             + (f", {waiting} waiting to be sent" if waiting else ""))
