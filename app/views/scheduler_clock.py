"""The scheduler while the app is open: a tick at start (catching up on what the closed
laptop missed) and then every few minutes, so date-keyed work fires through the day; after
each tick the outbox is sent where a mail server is set up.

Ticks go through the serial worker like every other command, so they never race a
coordinator's own changes; a tick that finds nothing to do changes nothing. The mail goes out
whoever the user is: it is read from the whole store (`store`), not the user's view of it,
where the worker reads as the user and would leave the mail about milestones hidden from them
waiting for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.models.store import Store
from app.services.clock import utcnow
from app.services.commands import Tick
from app.services.delivery import SendReport, send_outbox
from app.services.scheduler.tick import summary
from app.services.write import execute
from app.views.worker import DbWorker

EVERY_MS = 5 * 60 * 1000


class SchedulerClock(QObject):
    ticked = Signal(object)  # the Result of a tick that changed something
    status_changed = Signal(str)
    mail_report = Signal(object)  # services.delivery.SendReport after each send

    def __init__(self, worker: DbWorker, user: str, *, every_ms: int = EVERY_MS,
                 now: Callable[[], datetime] = utcnow, store: Store | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user, self._now = worker, user, now
        self.store = store  # the whole store, for sending (None: the worker's)
        self._running = False
        self.last: datetime | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(every_ms)
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.tick()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def tick(self) -> None:
        if self._running:
            return  # the last one is still at work: never two at once
        self._running = True
        at = self._now()
        self.status_changed.emit("Scheduler: running…")
        self.worker.submit(lambda store: execute(store, Tick(at=at, by=self.user)),
                           lambda result, error: self._done(at, result, error))

    def _done(self, at: datetime, result: Any, error: BaseException | None) -> None:
        self._running = False
        if error is not None or not result.ok:
            self.status_changed.emit(f"Scheduler: failed ({error or result.error})")
            return
        self.last = at
        did = summary(result.changes)
        self.status_changed.emit(f"Scheduler: ran {at.astimezone():%H:%M}"
                                 + (f" ({did})" if did else ""))
        if result.changes:
            self.ticked.emit(result)
        self.worker.submit(lambda store: send_outbox(self.store or store, at, by=self.user),
                           self._sent)

    def _sent(self, report: SendReport | None, error: BaseException | None) -> None:
        if report is not None:
            self.mail_report.emit(report)
