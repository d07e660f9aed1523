"""Long work off the UI thread, with a progress dialog the user can see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget


class Task(QThread):
    """Runs `work` in a thread; `finished_with` carries (result, error) back to the UI."""

    finished_with = Signal(object, object)

    def __init__(self, work: Callable[[], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._work = work

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # shown to the user, never swallowed
            self.finished_with.emit(None, exc)
        else:
            self.finished_with.emit(result, None)


def run_with_progress(parent: QWidget, label: str, work: Callable[[], Any],
                      done: Callable[[Any, BaseException | None], None]) -> Task:
    """Show a busy dialog while `work` runs in a thread, then call `done` on the UI thread."""
    dialog = QProgressDialog(label, "", 0, 0, parent)
    dialog.setWindowTitle("Waypoint")
    dialog.setCancelButton(None)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    task = Task(work, parent)

    def finish(result: Any, error: BaseException | None) -> None:
        dialog.close()
        task.deleteLater()
        done(result, error)

    task.finished_with.connect(finish)
    task.start()
    return task
