"""Files handed in as evidence, copied out of the attachment store to be opened or kept.

The copy runs on the DbWorker (it reads the store's attachment folder, beside the database),
so a large file never stalls the window; what went wrong is said in the inbox's message bar.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QWidget

from app.models.store import Store
from app.services.errors import Refused
from app.services.uploads import copy_out
from app.views.inbox_bars import MessageBar
from app.views.permissions import require
from app.views.worker import DbWorker


class EvidenceFiles(QObject):
    def __init__(self, host: QWidget, worker: DbWorker, message: MessageBar,
                 user: str = "") -> None:
        super().__init__(host)
        self.host, self.worker, self.message, self.user = host, worker, message, user
        self.save_refused: str | None = None  # why the user may not save a copy (None: may)
        self._opened: Path | None = None  # where opened copies go: one folder per inbox

    def open(self, file: dict[str, Any]) -> None:
        """Open a copy with the desktop's application for its type."""
        if self._opened is None:
            self._opened = Path(tempfile.mkdtemp(prefix="waypoint-evidence-"))
        self._copy_out(file, self._opened, lambda path: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(path))))

    def save(self, file: dict[str, Any]) -> None:
        """Save a copy where the user says: an export, for those whose roles allow it."""
        if self.save_refused is not None:
            self.message.say(self.save_refused, "error")
            return
        target, _ = QFileDialog.getSaveFileName(self.host, "Save a copy of the file",
                                                str(Path.home() / str(file["name"])))
        if target:
            self._copy_out(file, Path(target), lambda path: self.message.say(
                f"Saved {file['name']} to {path}.", "done"), exporting=True)

    def _copy_out(self, file: dict[str, Any], target: Path,
                  then: Callable[[Path], Any], *, exporting: bool = False) -> None:
        def job(store: Store) -> Path:
            if exporting:
                require(store, self.user, "export")
            return copy_out(store, str(file["sha256"]), str(file["name"]), target)

        def done(path: Path | None, error: BaseException | None) -> None:
            if path is None or error is not None:
                why = error.message if isinstance(error, Refused) else str(error)
                self.message.say(f"{file['name']} could not be copied out: {why}", "error")
            else:
                then(path)

        self.worker.submit(job, done)
