"""The program's history, as a tab of the program panel: every version of the definitions
with who changed them, when and how; the selected version's changes as a diff; and restoring
one, after a preview of what it would change.

A version is a whole program file, restricted milestones and all: a user who may not see
every milestone is told so in the tab instead of the list (access.require_everything).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.access import require_everything
from app.services.clock import utcnow
from app.services.commands import RestoreProgram
from app.services.errors import Refused
from app.services.programs import versions
from app.services.programs.dump import dump_program
from app.services.programs.export import export_spec
from app.services.write import Result, execute
from app.views.models.rows import RowsModel
from app.views.tables import read_only_table
from app.views.worker import DbWorker

WHAT = "Program versions"  # as the refusal names them


class DiffColours(QSyntaxHighlighter):
    """Added lines green, removed lines red, the hunk headers grey: a diff as it is read."""

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt API
        colour = ("#1a7f37" if text.startswith("+") and not text.startswith("+++")
                  else "#cf222e" if text.startswith("-") and not text.startswith("---")
                  else "#6e7781" if text.startswith(("@@", "+++", "---")) else None)
        if colour is not None:
            shape = QTextCharFormat()
            shape.setForeground(QColor(colour))
            self.setFormat(0, len(text), shape)


@dataclass(frozen=True)
class Preview:
    number: int
    diff: str
    changes: int


class HistoryView(QWidget):
    """Versions on the left, the chosen one's diff on the right, restore below."""

    changed = Signal(object)
    """A version was restored: the command's Result, for the other views to refresh."""

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user = worker, user
        self.model = RowsModel([
            ("Version", lambda v: v.number),
            ("When", lambda v: v.at.astimezone().strftime("%Y-%m-%d %H:%M")),
            ("Who", lambda v: v.actor or ""),
            ("How", lambda v: v.source),
            ("Lines", lambda v: f"+{v.added} −{v.removed}"),
        ], self)
        self.table = read_only_table(self.model, "Versions of the program", 3)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._chosen())
        self.diff = QPlainTextEdit()
        self.diff.setReadOnly(True)
        self.diff.setAccessibleName("What this version changed")
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.colours = DiffColours(self.diff.document())
        self.restore_button = QPushButton("&Restore this version…")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.preview_restore)
        self.status = QLabel()
        self.status.setWordWrap(True)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.diff)
        split.setStretchFactor(1, 1)
        split.setSizes([460, 540])  # who and how read whole beside the diff
        below = QHBoxLayout()
        below.addWidget(self.status, 1)
        below.addWidget(self.restore_button)
        self.listing = QWidget()
        listed = QVBoxLayout(self.listing)
        listed.setContentsMargins(0, 0, 0, 0)
        listed.addWidget(split, 1)
        listed.addLayout(below)
        self.refusal = QLabel()  # instead of the list, for a user who may not read it
        self.refusal.setWordWrap(True)
        self.refusal.setTextFormat(Qt.TextFormat.PlainText)
        self.refusal.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.refusal.setContentsMargins(12, 12, 12, 12)
        self.refusal.setAccessibleName("Why the history is not shown")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.listing)
        self.pages.addWidget(self.refusal)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages, 1)

    def refresh(self) -> None:
        def read(store: Store) -> list[versions.VersionLine]:
            with store.session() as session:
                require_everything(session, WHAT)
                return versions.history(session)

        self.worker.submit(read, self._loaded)

    def _loaded(self, lines: list[versions.VersionLine] | None,
                error: BaseException | None) -> None:
        if isinstance(error, Refused):
            self.refuse(error.message)
            return
        self.pages.setCurrentWidget(self.listing)
        if lines is None:
            self.status.setText(f"The history could not be read: {error}")
            return
        self.model.set_rows(list(reversed(lines)))  # the newest first
        self.restore_button.setEnabled(False)
        self.diff.setPlainText("" if lines else "No versions yet: the first change to the "
                               "definitions makes version 1.")
        if lines:
            self.table.selectRow(0)

    def refuse(self, message: str) -> None:
        """The versions are not the user's to read: say why where the list would be."""
        self.model.set_rows([])
        self.diff.clear()
        self.restore_button.setEnabled(False)
        self.refusal.setText(f"The program's history is not shown to you.\n\n{message}")
        self.pages.setCurrentWidget(self.refusal)

    def current(self) -> Any:
        index = self.table.currentIndex()
        return self.model.row(index.row()) if index.isValid() else None

    def _chosen(self) -> None:
        chosen = self.current()
        if chosen is None:
            return
        number = chosen.number
        self.restore_button.setEnabled(self.model.rowCount() > 1 and self.model.row(0) is not
                                       chosen)

        def read(store: Store) -> str:
            with store.session() as session:
                require_everything(session, WHAT)
                version = versions.find(session, number)
                assert version is not None
                return versions.diff(versions.previous_text(session, number), version.text,
                                     old=f"version {number - 1}", new=f"version {number}")

        self.worker.submit(read, lambda text, error: self.diff.setPlainText(
            text if text is not None else f"Version {number} could not be read: {error}"))

    def preview_restore(self) -> None:
        """What restoring would change, as a diff from now, before anything changes."""
        chosen = self.current()
        if chosen is None:
            return
        number = chosen.number

        def preview(store: Store) -> Preview:
            with store.session() as session:
                require_everything(session, WHAT)
                version = versions.find(session, number)
                assert version is not None
                now = dump_program(export_spec(session))
            trial = execute(store, RestoreProgram(at=utcnow(), by=self.user, number=number),
                            dry_run=True)
            if not trial.ok:
                raise ValueError(trial.error)
            return Preview(number, versions.diff(now, version.text, old="now",
                                                 new=f"version {number}"), len(trial.changes))

        self.worker.submit(preview, self._previewed)

    def _previewed(self, preview: Preview | None, error: BaseException | None) -> None:
        if preview is None:
            self.status.setText(f"Version cannot be restored: {error}")
            return
        self.diff.setPlainText(preview.diff or "The definitions already read as this version.")
        asked = QMessageBox.question(
            self, "Restore a version",
            f"Restore version {preview.number}? The diff shows what changes "
            f"({preview.changes} change(s) to definitions and progress). Milestones made "
            "since are retired, their history kept.")
        if asked != QMessageBox.StandardButton.Yes:
            self.status.setText("Nothing was restored.")
            return
        number = preview.number
        self.worker.submit(
            lambda store: execute(store, RestoreProgram(at=utcnow(), by=self.user, number=number)),
            self._restored)

    def _restored(self, result: Result | None, error: BaseException | None) -> None:
        if result is None or not result.ok:
            self.status.setText(f"Nothing was restored: {result.error if result else error}")
            return
        self.status.setText("Restored; the restore is itself a new version.")
        self.refresh()
        self.changed.emit(result)
