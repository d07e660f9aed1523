"""The approval inbox in a window of its own, for approvers who keep it open beside other
work (or on a second screen) while the main window shows the board.

It shares the application's DbWorker, so its decisions queue behind (and are seen by) the
main window's work; its menu carries the inbox's own actions, so every key works from here
too, and the title counts what waits.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QWidget

from app.views.inbox_view import InboxView
from app.views.worker import DbWorker


class InboxWindow(QMainWindow):
    changed = Signal(object)
    """A command from this window went through (its Result), for the other views."""

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inboxWindow")
        self.user = user
        self.view = InboxView(worker, user, self)
        self.view.changed.connect(self.changed)
        self.view.sig_count_changed.connect(self._count_changed)
        self.setCentralWidget(self.view)
        self.resize(1200, 760)
        self._count_changed(None)
        menu = self.menuBar().addMenu("&Inbox")
        for action in (self.view.next_action, self.view.previous_action, None,
                       self.view.approve_action, self.view.deny_action, self.view.note_action,
                       self.view.bulk_action, self.view.assign_action, None,
                       self.view.follow_ups.action, self.view.find_action,
                       self.view.refresh_action, None):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        close = QAction("&Close", self)
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close.triggered.connect(self.close)
        menu.addAction(close)
        self._working = QTimer(self, singleShot=True, interval=300)  # no flicker on quick work
        self._working.timeout.connect(lambda: self.statusBar().showMessage("Working…"))
        worker.busy_changed.connect(self._busy)

    def refresh(self) -> None:
        self.view.refresh()

    def _count_changed(self, count: int | None) -> None:
        waiting = "" if count is None else f" ({count})"
        self.setWindowTitle(f"Approval inbox{waiting} — {self.user}")

    def _busy(self, busy: bool) -> None:
        if busy:
            self._working.start()
        else:
            self._working.stop()
            self.statusBar().clearMessage()
