"""Follow-ups after a decision: set the pipeline status, a personal reminder, or defer.

The program file carries no follow-up setting of its own, so the inbox offers one where
completing the milestone leaves the participant's pipeline status to a person (its
`on_complete.pipeline_status` is absent; see queries.decisions.DecisionRules). The offer is
a bar, never a dialog in the way: the approver may ignore it and keep deciding, and an
unanswered offer is deferred, not lost, when the next one comes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QToolButton, QWidget

from app.models.store import Store
from app.services.commands import SetPerson
from app.services.queries.decisions import pipeline_statuses
from app.services.write import Result, execute
from app.views.inbox_bars import FollowUp, FollowUpBar, MessageBar, in_plain_words
from app.views.inbox_dialogs import ReminderDialog
from app.views.personal_reminders import Reminder, ReminderBook
from app.views.worker import DbWorker

REMINDER_CHECK_MS = 60_000


class FollowUps(QObject):
    sig_changed = Signal(object)
    """A pipeline status was set from a follow-up (its command Result)."""
    sig_reminder_due = Signal(str)
    """A personal reminder's time came (its text)."""

    def __init__(self, host: QWidget, worker: DbWorker, user: str,
                 now: Callable[[], datetime], message: MessageBar,
                 reminders: ReminderBook) -> None:
        super().__init__(host)
        self.host, self.worker, self.user, self.now = host, worker, user, now
        self.message, self.reminders = message, reminders
        self.deferred: list[FollowUp] = []
        self.bar = FollowUpBar()
        self.bar.sig_set_status.connect(self.set_status)
        self.bar.sig_remind.connect(self.remind)
        self.bar.sig_defer.connect(self.defer)
        self.action = QAction("Follow-ups (0)", host)
        self.action.triggered.connect(self.resume)
        self.action.setVisible(False)
        self.button = QToolButton()
        self.button.setDefaultAction(self.action)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setVisible(False)
        self._timer = QTimer(self, interval=REMINDER_CHECK_MS)
        self._timer.timeout.connect(self.check_reminders)
        self._timer.start()

    def offer(self, follow_up: FollowUp) -> None:
        waiting = self.bar.follow_up
        if waiting is not None and self.bar.isVisible():
            self._put_aside(waiting)  # a newer decision never loses an unanswered follow-up
        self.bar.offer(follow_up)

    # -- the three answers ---------------------------------------------------------------------

    def set_status(self, follow_up: FollowUp) -> None:
        def job(store: Store) -> list[str]:
            with store.session() as session:
                return pipeline_statuses(session)

        def chosen(statuses: list[str] | None, _error: BaseException | None) -> None:
            value, ok = QInputDialog.getItem(
                self.host, "Set pipeline status",
                f"Pipeline status for {follow_up.name} (pick one or type a new one):",
                statuses or [], 0, True)
            if not ok or not value.strip():
                self.bar.offer(follow_up)  # not answered yet: keep offering it
                return
            self._send_status(follow_up, value.strip())

        self.worker.submit(job, chosen)

    def _send_status(self, follow_up: FollowUp, status: str) -> None:
        command = SetPerson(at=self.now(), by=self.user, person=follow_up.person,
                            status=status)

        def done(result: Result | None, error: BaseException | None) -> None:
            if error is not None or result is None:
                self.message.say(f"The status could not be set: {error}", "error")
            elif not result.ok:
                self.message.say(f"{follow_up.name}'s status was not set: "
                                 f"{in_plain_words(result.error)}", "error")
                self.bar.offer(follow_up)
            else:
                self.message.say(f"{follow_up.name}'s pipeline status is now {status}.", "done")
                self.sig_changed.emit(result)

        self.worker.submit(lambda store: execute(store, command), done)

    def remind(self, follow_up: FollowUp) -> None:
        answer = ReminderDialog.ask(self.host, f"Follow up '{follow_up.title}' for "
                                    f"{follow_up.name}", self.now())
        if answer is None:
            self.bar.offer(follow_up)
            return
        when, text = answer
        self.reminders.add(Reminder(when, text, follow_up.person, follow_up.milestone))
        self.message.say(f"You will be reminded on {when:%Y-%m-%d at %H:%M}.", "done")

    def defer(self, follow_up: FollowUp) -> None:
        self._put_aside(follow_up)
        self.message.say(f"Deferred: take it up again from “{self.action.text()}” above.",
                         "info")

    # -- deferred and due ------------------------------------------------------------------

    def resume(self) -> None:
        """Offer the oldest deferred follow-up again."""
        if self.deferred:
            self.bar.offer(self.deferred.pop(0))
            self._update()

    def _put_aside(self, follow_up: FollowUp) -> None:
        self.deferred.append(follow_up)
        self._update()

    def _update(self) -> None:
        count = len(self.deferred)
        self.action.setText(f"Follow-ups ({count})")
        self.action.setToolTip(f"{count} deferred follow-up{'s' if count != 1 else ''}: "
                               "take up the oldest")
        self.button.setAccessibleName(self.action.toolTip())
        self.action.setVisible(bool(count))
        self.button.setVisible(bool(count))

    def check_reminders(self) -> None:
        due = self.reminders.take_due(self.now())
        if due:
            self.message.say("Reminder: " + "; ".join(r.text for r in due), "info")
            for reminder in due:
                self.sig_reminder_due.emit(reminder.text)
