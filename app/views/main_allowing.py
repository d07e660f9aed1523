"""What the user's roles allow, read on the worker, and the export actions offered only
where they may: a mixin of MainWindow (as main_syncing is), kept apart so the window's module
holds its layout and wiring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.models.store import Store
from app.services.activity_files import write_activity_files
from app.services.programs.dump import dump_program
from app.services.programs.export import export_spec
from app.views.permissions import Allowed, allowed, require


class AllowedActions:
    """Needs the window's worker, user, statusBar, export_action, reports, board and inbox."""

    worker: Any
    user: str
    allowed: Allowed
    export_action: Any
    reports: Any
    board: Any
    inbox: Any

    def read_allowed(self) -> None:
        """What the user's roles allow, read again (at start, and when the definitions or the
        staff change), for the actions to offer only that."""
        self.worker.submit(lambda store: allowed(store, self.user), self._allowed_read)

    def _allowed_read(self, found: Allowed | None, error: BaseException | None) -> None:
        if found is None:  # nobody known by the profile's email: they may do nothing
            self.statusBar().showMessage(f"Your permissions could not be read: {error}", 8000)
            found = Allowed(permissions=frozenset())
        self.allowed = found
        self._offer_exports()

    def _offer_exports(self) -> None:
        """Every action that takes data out of the store, disabled (saying why) for a user
        whose roles do not hold `export`. Printing a sign-in sheet is not an export."""
        exporting = self.allowed.refusal("export", "Exporting")
        saving = self.allowed.refusal("export", "Saving a copy of a file")
        self.export_action.setEnabled(exporting is None)
        self.export_action.setToolTip(exporting or "Write the store's definitions as a "
                                      "program file")
        self.export_action.setStatusTip(exporting or "")
        self.reports.refuse_export(exporting)
        self.board.panel.refuse_saving(saving)
        self.inbox.refuse_saving(saving)
        window = getattr(self, "inbox_window", None)
        if window is not None:
            window.view.refuse_saving(saving)

    def export_program(self) -> None:
        refused = self.allowed.refusal("export", "Exporting")
        if refused is not None:
            QMessageBox.information(self, "Waypoint", refused)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the program", "program.toml",
                                              "Program files (*.toml)")
        if not path:
            return

        def write(store: Store) -> list[Path]:
            require(store, self.user, "export")
            with store.session() as session:  # as the user reads it: what they may see
                spec = export_spec(session)
            Path(path).write_text(dump_program(spec), encoding="utf-8")
            return write_activity_files(spec, Path(path), store)

        def written(files: list[Path] | None, error: BaseException | None) -> None:
            if error is not None:
                QMessageBox.warning(self, "The program was not exported", str(error))
                return
            beside = f" and {len(files)} activity files beside it" if files else ""
            self.statusBar().showMessage(f"Wrote {path}{beside}.", 5000)

        self.worker.submit(write, written)
