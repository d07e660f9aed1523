"""The main window's sync actions: sign in and out, Sync now, what a sync did, the conflicts
dock. A mixin of MainWindow (as board_acting is of the board), kept apart so the window's
module holds its layout and wiring."""

from __future__ import annotations

from typing import Any

from app.services.write import Result
from app.views.conflicts_panel import RETRY
from app.views.sync_panel import outcome_message, sign_in_dialog


class SyncActions:
    """Needs the window's worker, user, sync_clock, conflicts, docks, statusBar and
    on_changed."""

    worker: Any
    user: str
    sync_clock: Any
    conflicts: Any
    docks: dict[str, Any]

    def sign_in(self) -> None:
        dialog = sign_in_dialog(self.worker, self.user, self.sync_clock.state.status, self)
        dialog.signed_in.connect(lambda _login: self.sync_clock.sync_now())
        dialog.finished.connect(dialog.deleteLater)
        self.sign_in_window: Any = dialog  # while it is open (tests reach it here)
        dialog.open()

    def sign_out(self) -> None:
        status = self.sync_clock.state.status
        if status is None or not status.signed_in:
            self.statusBar().showMessage("Sync: this store is not signed in.", 5000)
            return
        self.sync_clock.sign_out(lambda: self.statusBar().showMessage(
            f"Signed out of {status.url}; the commands made here wait for the next sign-in.",
            8000))

    def sync_now(self) -> None:
        status = self.sync_clock.state.status
        if status is not None and not status.signed_in:
            self.sign_in()
        elif self.sync_clock.sync_now():
            self._sync_asked = True
        else:
            self.statusBar().showMessage("Sync: already syncing.", 3000)

    def _synced(self, outcome: Any) -> None:
        """Say what a sync did when asked, or when it moved something (and show what it
        brought); the clock's quiet runs (nothing new, still offline) only update the status
        button."""
        report = outcome.report
        moved = report is not None and bool(report.pushed or report.pulled)
        if moved or self._sync_asked:
            self.statusBar().showMessage(outcome_message(outcome), 8000)
        self._sync_asked = False
        if moved:  # other people's changes, or this laptop's put back as the server has them
            self.on_changed(Result(ok=True))
            self.conflicts.refresh()

    def _new_conflicts(self, _count: int) -> None:
        """A refusal is shown, not only counted: the conflicts come to the front."""
        self.show_conflicts(focus=False)

    def show_conflicts(self, focus: bool = True) -> None:
        dock = self.docks["conflicts"]
        dock.show()
        dock.raise_()
        if focus:
            self.conflicts.table.setFocus()

    def _outbox_changed(self, action: str) -> None:
        self.sync_clock.refresh()
        if action == RETRY:
            self.sync_clock.sync_now()
