"""Sync in the desktop app: the sign-in dialog, the clock that syncs every few minutes and on
demand, and the status-bar button that says where sync stands.

Sync is network work that reads and marks the operation log, so it runs on the database
worker like every other command: it never races a coordinator's own changes, and a command
made while a sync runs simply waits its turn and goes with the next one. The service gives
up reaching a server after a few seconds (services.sync.status), so a laptop on a train says
"offline" quickly instead of holding the worker; offline is a state, never an error dialog.

For now sync only sends this store's commands; receiving other people's changes comes with
the next step of the sync work, and the status says "sent", never "up to date".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.clock import utcnow
from app.services.sync import client
from app.services.sync.status import (
    DONE,
    FAILED,
    OFFLINE,
    SIGN_IN,
    Outcome,
    SyncStatus,
    http_client,
    outbox_counts,
    run_sync,
    sign_out,
    sync_status,
)
from app.views.worker import DbWorker

EVERY_MS = 3 * 60 * 1000
IDLE, SYNCING = "idle", "syncing"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# --- the clock ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncState:
    """What the status bar shows: the store's sync status (None until first read), the
    phase (idle, syncing, or how the last run ended: offline, sign in, failed), the reason
    in words where the last run did not finish, and when a sync last went through."""

    status: SyncStatus | None = None
    phase: str = IDLE
    message: str | None = None
    last: datetime | None = None


class SyncClock(QObject):
    """Sync on the worker every few minutes while signed in, and whenever asked; never two
    at once (a request while one runs is dropped: the running one takes what waits)."""

    changed = Signal(object)  # SyncState
    synced = Signal(object)  # the Outcome of each run
    new_conflicts = Signal(int)  # how many commands the server refused in the last run

    def __init__(self, worker: DbWorker, user: str, *, network: DbWorker | None = None,
                 every_ms: int = EVERY_MS, now: Callable[[], datetime] = utcnow,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user, self._now = worker, user, now
        self.network = network or worker  # where sync runs: its own worker in the app
        self.state = SyncState()
        self.running = False
        self.timer = QTimer(self)
        self.timer.setInterval(every_ms)
        self.timer.timeout.connect(self.on_timer)

    def start(self) -> None:
        """At start and then every few minutes: sync where signed in."""
        self.timer.start()
        self.on_timer()

    def stop(self) -> None:
        self.timer.stop()

    def _set(self, state: SyncState) -> None:
        self.state = state
        self.changed.emit(state)

    def refresh(self) -> None:
        """Count again (after a command, a retry or a discard); keeps the phase. Only the
        first read asks the keyring about the token: a keyring may be slow, or prompt."""
        if self.state.status is None:
            self.worker.submit(sync_status, self._status_read)
            return

        def counted(counts: tuple[int, int] | None, _error: BaseException | None) -> None:
            if counts is not None and self.state.status is not None:
                status = replace(self.state.status, waiting=counts[0], conflicts=counts[1])
                self._set(replace(self.state, status=status))

        self.worker.submit(outbox_counts, counted)

    def _status_read(self, status: SyncStatus | None, _error: BaseException | None) -> None:
        if status is not None:
            self._set(replace(self.state, status=status))

    def on_timer(self) -> None:
        """Read the sign-in afresh (it may have come from `waypoint login` meanwhile, or
        gone), then sync where there is one: a store that works alone is left alone."""
        if self.running:
            return

        def read(status: SyncStatus | None, error: BaseException | None) -> None:
            self._status_read(status, error)
            if status is not None and status.signed_in:
                self.sync_now()

        self.worker.submit(sync_status, read)

    def sync_now(self) -> bool:
        """Start a sync unless one runs; False when one was already running."""
        if self.running:
            return False
        self.running = True
        self._set(replace(self.state, phase=SYNCING, message=None))
        self.network.submit(run_sync, self._done)
        return True

    def _done(self, outcome: Outcome | None, error: BaseException | None) -> None:
        self.running = False
        if outcome is None:  # a bug or the disk, not the network: say it, keep going
            self._set(replace(self.state, phase=FAILED, message=str(error)))
            return
        if outcome.state == DONE:
            self._set(SyncState(outcome.status, IDLE, None, self._now()))
        else:
            self._set(replace(self.state, status=outcome.status, phase=outcome.state,
                              message=outcome.message))
        self.synced.emit(outcome)
        if outcome.report is not None and outcome.report.refused:
            self.new_conflicts.emit(outcome.report.refused)

    def sign_out(self, done: Callable[[], None] | None = None) -> None:
        """Forget the token after any sync running (on the same serial worker)."""
        def forgotten(status: SyncStatus | None, error: BaseException | None) -> None:
            if status is not None:
                self._set(SyncState(status, IDLE, None, None))
            if done is not None:
                done()

        self.network.submit(sign_out, forgotten)


# --- the status bar ----------------------------------------------------------------------------


def describe(state: SyncState) -> tuple[str, str]:
    """(the status bar's text, its tooltip) for a state."""
    status = state.status
    if status is None:
        return "Sync: …", "Reading the sync status."
    counts = []
    if status.waiting and status.url:  # before any sign-in, nothing is "waiting" to go
        counts.append(f"{status.waiting} waiting")
    if status.conflicts:
        counts.append(f"⚠ {_plural(status.conflicts, 'conflict')}")
    where = f"{status.email} at {status.url}" if status.url else ""
    if state.phase == SYNCING:
        return "Sync: syncing…", f"Sending this store's commands to {where}."
    if not status.signed_in:
        text = ", ".join(["Sync: not signed in", *counts])
        tip = (f"Signed out of {where}. Click to sign in again; the commands made here "
               "wait until then." if status.url else
               "This store works on this computer only. Click, or File → Sign in to a "
               "server…, to sync it with your team's server.")
        return text, tip
    head = {OFFLINE: "offline", SIGN_IN: "sign in again", FAILED: "failed"}.get(state.phase)
    if head is None:
        head = "all sent" if not status.waiting else ""
    text = "Sync: " + ", ".join(part for part in [head, *counts] if part)
    lines = [f"Signed in as {where}."]
    if state.phase == SIGN_IN:
        lines.append("The server no longer accepts this store's sign-in (it lasts 12 hours).")
    elif state.message:
        lines.append(state.message)
    if state.last is not None:
        lines.append(f"Last sync: {state.last.astimezone():%H:%M}.")
    if status.conflicts:
        lines.append("Click to see the commands the server refused.")
    elif state.phase == SIGN_IN:
        lines.append("Click to sign in again.")
    else:
        lines.append("Click (or Ctrl+Shift+S) to sync now.")
    return text, "\n".join(lines)


class SyncStatusButton(QToolButton):
    """The status bar's sync state; a click does the obvious next thing: show the conflicts,
    ask for the password, or sync now."""

    conflicts_wanted = Signal()
    sign_in_wanted = Signal()

    def __init__(self, clock: SyncClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.setAutoRaise(True)
        self.setAccessibleName("Sync status")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        clock.changed.connect(self.show_state)
        self.clicked.connect(self._clicked)
        self.show_state(clock.state)

    def show_state(self, state: SyncState) -> None:
        text, tip = describe(state)
        self.setText(text)
        self.setToolTip(tip)
        self.setAccessibleDescription(f"{text}. {tip}")

    def _clicked(self) -> None:
        state = self.clock.state
        if state.status is None or state.phase == SYNCING:
            return
        if state.status.conflicts:
            self.conflicts_wanted.emit()
        elif not state.status.signed_in or state.phase == SIGN_IN:
            self.sign_in_wanted.emit()
        else:
            self.clock.sync_now()


# --- signing in --------------------------------------------------------------------------------


class SignInDialog(QDialog):
    """Server, email and password; the password goes to the server once, on the worker, and
    is kept nowhere. Where the token could not go to the keyring, the dialog stays open to
    say where it went instead, so the warning is read, not flashed."""

    signed_in = Signal(object)  # services.sync.client.Login

    def __init__(self, worker: DbWorker, user: str, *, url: str = "", email: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user = worker, user
        self.setWindowTitle("Sign in to a sync server")
        self.url = QLineEdit(url)
        self.url.setPlaceholderText("https://sync.example.edu:8765")
        self.url.setAccessibleName("Server address")
        self.email = QLineEdit(email or user)
        self.email.setAccessibleName("Email")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        form = QFormLayout()
        form.addRow("&Server:", self.url)
        form.addRow("&Email:", self.email)
        form.addRow("&Password:", self.password)
        intro = QLabel("Sign this store in to your team's sync server: the commands made here "
                       "are sent to it, every few minutes and with Tools → Sync now.")
        intro.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName("Sign-in message")
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = QPushButton("Sign &in")
        self.sign_in_button.setDefault(True)
        self.buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.sign_in_button.clicked.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        (self.password if url and (email or user) else self.url).setFocus()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        self.adjustSize()  # grow to show the whole message, never clip it

    def _busy(self, busy: bool) -> None:
        for widget in (self.url, self.email, self.password, self.sign_in_button):
            widget.setEnabled(not busy)

    def sign_in(self) -> None:
        url, email, password = self.url.text(), self.email.text(), self.password.text()
        if not url.strip() or not email.strip() or not password:
            self._say("Give the server's address, your email and your password.")
            return
        self._busy(True)
        self._say("Signing in…")
        at, by = utcnow(), self.user or None

        def job(store: Store) -> client.Login:
            return client.login(store, url, email, password, at=at, by=by,
                                http=http_client())

        self.worker.submit(job, self._done)

    def _done(self, done: client.Login | None, error: BaseException | None) -> None:
        self._busy(False)
        if done is None:
            reason = error.message if isinstance(error, client.SyncError) else str(error)
            self._say(f"Not signed in: {reason}")
            self.password.selectAll()
            self.password.setFocus()
            return
        self.password.clear()
        self.signed_in.emit(done)
        if done.saved.where != "file":
            self.accept()
            return
        self._say(f"Signed in to {done.url} as {done.email}.\n\nWarning: {done.saved.reason}, "
                  f"so the sign-in is kept in {done.saved.path}, a file only you can read. "
                  "Anyone who can sign in as you on this computer can use it until it runs "
                  "out.")
        self.sign_in_button.hide()
        for widget in (self.url, self.email, self.password):
            widget.setEnabled(False)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        close.setText("&Close")
        close.setFocus()


def sign_in_dialog(worker: DbWorker, user: str, status: SyncStatus | None,
                   parent: QWidget | None = None) -> SignInDialog:
    """The dialog filled with the server and account this store used last."""
    url = status.url if status is not None and status.url else ""
    email = status.email if status is not None and status.email else ""
    return SignInDialog(worker, user, url=url or "", email=email, parent=parent)


def outcome_message(outcome: Outcome) -> str:
    """One status-bar line after a sync: what went, what was refused, what came back."""
    report = outcome.report
    parts = []
    if report is not None and report.pushed:
        sent = f"sent {_plural(report.pushed, 'command')}"
        if report.refused:
            sent += f", {report.refused} refused (see Conflicts)"
        parts.append(sent)
    if report is not None and report.pulled:
        parts.append(f"received {_plural(report.pulled, 'change')}")
    done = "; ".join(parts)
    if outcome.state == DONE:
        return f"Sync: {done or 'up to date'}."
    if outcome.state == OFFLINE:
        return "Sync: offline; the commands made here wait for the next sync."
    if outcome.state == SIGN_IN:
        return "Sync: sign in again (File → Sign in to a server…); the commands made here wait."
    prefix = f"Sync: {done}; then " if done else "Sync: "
    return prefix + (outcome.message or "it did not finish.")
