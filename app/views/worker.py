"""One serial worker for database work, off the UI thread.

Every view hands its reads and commands to the same worker, so they run one at a time in the
order asked (a read asked after a command sees what the command did) and the window never
waits on SQLite. Results come back on the UI thread through a queued signal. Sync runs on a
second one of its own (the network's waits must not hold up the views): its writes are short
transactions of their own, and a command made here while it runs is replayed on top of what
it pulls.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.models.store import Store

Job = Callable[[Store], Any]
Done = Callable[[Any, BaseException | None], None]


class _Runner(QThread):
    finished_job = Signal(int, object, object)

    def __init__(self, store: Store, jobs: queue.Queue[tuple[int, Job] | None],
                 name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self._store = store
        self._jobs = jobs

    def run(self) -> None:
        while (entry := self._jobs.get()) is not None:
            number, job = entry
            try:
                result = job(self._store)
            except Exception as problem:  # handed to the view that asked, never swallowed
                self.finished_job.emit(number, None, problem)
            else:
                self.finished_job.emit(number, result, None)


class DbWorker(QObject):
    """`submit(job, done)`: run `job(store)` on the worker thread, then `done(result,
    error)` on the UI thread. `busy` tells the status bar whether work is waiting."""

    busy_changed = Signal(bool)

    def __init__(self, store: Store, parent: QObject | None = None, *,
                 name: str = "waypoint-db-worker") -> None:
        super().__init__(parent)
        self.store = store
        self._jobs: queue.Queue[tuple[int, Job] | None] = queue.Queue()
        self._waiting: dict[int, Done] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._runner = _Runner(store, self._jobs, name)
        self._runner.finished_job.connect(self._finished)
        self._runner.start()

    def submit(self, job: Job, done: Done | None = None) -> int:
        number = next(self._numbers)
        with self._lock:
            self._waiting[number] = done or (lambda _result, _error: None)
            first = len(self._waiting) == 1
        self._jobs.put((number, job))
        if first:
            self.busy_changed.emit(True)
        return number

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._waiting)

    @Slot(int, object, object)
    def _finished(self, number: int, result: Any, error: BaseException | None) -> None:
        with self._lock:
            done = self._waiting.pop(number, None)
            idle = not self._waiting
        if done is not None:
            done(result, error)
        if idle:
            self.busy_changed.emit(False)

    def stop(self) -> None:
        """Let the queued work finish, then end the thread (on closing the window)."""
        self._jobs.put(None)
        self._runner.wait()
