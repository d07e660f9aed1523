"""The audit trail as a dock: every command this store ran or refused, newest first, filtered
by who, what, refusals and dates; and a check of the whole chain, which names the first entry
altered or removed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services import audit
from app.services.settings import program_zone
from app.views.models.rows import RowsModel
from app.views.tables import read_only_table
from app.views.worker import DbWorker

SHOWN = 500  # entries listed at once; the filters narrow the rest


class AuditPanel(QWidget):
    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user = worker, user
        self.model = RowsModel([
            ("#", lambda e: e.seq),
            ("When", lambda e: e.at.astimezone().strftime("%Y-%m-%d %H:%M")),
            ("Who", lambda e: e.actor),
            ("Command", lambda e: e.command),
            ("Outcome", lambda e: e.outcome),
            ("Why refused", lambda e: e.reason or ""),
            ("Device", lambda e: e.device),
        ], self)
        self.table = read_only_table(self.model, "The audit trail", 5)
        self.actor = QLineEdit(placeholderText="Who (email or id)")
        self.command = QLineEdit(placeholderText="Command (e.g. ApproveProgress)")
        self.since = QLineEdit(placeholderText="From YYYY-MM-DD")
        self.until = QLineEdit(placeholderText="To YYYY-MM-DD")
        self.refused = QCheckBox("&Refused only")
        for edit in (self.actor, self.command, self.since, self.until):
            edit.setClearButtonEnabled(True)
            edit.returnPressed.connect(self.refresh)
        self.refused.toggled.connect(self.refresh)
        self.verify_button = QPushButton("&Verify the chain")
        self.verify_button.clicked.connect(self.verify)
        self.status = QLabel()
        self.status.setWordWrap(True)
        filters = QHBoxLayout()
        for widget in (self.actor, self.command, self.since, self.until, self.refused):
            filters.addWidget(widget)
        filters.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def _window(self) -> tuple[date | None, date | None] | str:
        """The dates typed, or what is wrong with them."""
        found: list[date | None] = []
        for edit, name in ((self.since, "From"), (self.until, "To")):
            text = edit.text().strip()
            try:
                found.append(date.fromisoformat(text) if text else None)
            except ValueError:
                return f"{name}: '{text}' is not a date (YYYY-MM-DD)."
        if found[0] and found[1] and found[0] > found[1]:
            return "From is after To."
        return found[0], found[1]

    def refresh(self) -> None:
        window = self._window()
        if isinstance(window, str):
            self.status.setText(window)
            return
        start, end = window
        actor, command = self.actor.text().strip() or None, self.command.text().strip() or None
        refused = self.refused.isChecked()

        def read(store: Store) -> list[audit.Entry]:
            with store.session() as session:
                zone = program_zone(session)
                since = datetime.combine(start, time(), zone) if start else None
                before = datetime.combine(end + timedelta(days=1), time(), zone) if end else None
                return audit.entries(session, actor=actor, command=command,
                                     refused_only=refused, since=since, before=before,
                                     limit=SHOWN)

        self.worker.submit(read, self._loaded)

    def _loaded(self, found: list[audit.Entry] | None, error: BaseException | None) -> None:
        if found is None:
            self.status.setText(f"The audit trail could not be read: {error}")
            return
        self.model.set_rows(found)
        more = " (the newest; narrow the filters for older ones)" if len(found) == SHOWN else ""
        self.status.setText(f"{len(found)} entries{more}.")

    def verify(self) -> None:
        def check(store: Store) -> audit.VerifyResult:
            with store.session() as session:
                try:
                    return audit.verify(session)
                finally:
                    session.rollback()

        self.verify_button.setEnabled(False)
        self.status.setText("Checking every entry of the chain…")
        self.worker.submit(check, self._verified)

    def _verified(self, result: Any, error: BaseException | None) -> None:
        self.verify_button.setEnabled(True)
        if result is None:
            self.status.setText(f"The chain could not be checked: {error}")
        elif result.ok:
            self.status.setText(f"The chain holds: {result.entries} entries, none altered or "
                                "removed.")
        else:
            self.status.setText(f"⚠ {result.first_bad.sentence()}")
