"""The small dialogs of the approval inbox: a decision with a note, a personal reminder.

Each has one `ask` entry point that returns what the user chose, or None when they cancelled,
so the inbox reads as a sequence of questions and tests can answer them without a dialog.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

DECISION_LABELS = {"approve": "&Approve", "deny": "&Deny"}


class NoteDialog(QDialog):
    """A note, then the decision it goes with: one button per decision offered. Where the
    milestone requires a note for a decision, its button stays disabled until there is one."""

    def __init__(self, parent: QWidget | None, heading: str, decisions: list[str],
                 required: set[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Decide with a note")
        self.decision: str | None = None
        self._required = required
        label = QLabel(heading)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("Why: the participant and the next approver read this.")
        self.note.setTabChangesFocus(True)
        label.setBuddy(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._buttons: dict[str, QPushButton] = {}
        for decision in decisions:
            button = buttons.addButton(DECISION_LABELS[decision],
                                       QDialogButtonBox.ButtonRole.AcceptRole)
            button.setAccessibleName(f"{decision.capitalize()} with this note")
            button.clicked.connect(lambda _=False, d=decision: self._choose(d))
            self._buttons[decision] = button
        buttons.rejected.connect(self.reject)
        if required & set(decisions):
            hint = QLabel("A note is required to "
                          + " or ".join(sorted(required & set(decisions))) + ".")
            hint.setEnabled(False)
        else:
            hint = QLabel("")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.note)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.note.textChanged.connect(self._update)
        self._update()
        self.resize(460, 260)

    def _update(self) -> None:
        empty = not self.note.toPlainText().strip()
        for decision, button in self._buttons.items():
            button.setEnabled(not (empty and decision in self._required))

    def _choose(self, decision: str) -> None:
        self.decision = decision
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, heading: str, decisions: list[str],
            required: set[str]) -> tuple[str, str] | None:
        """(decision, note), or None when cancelled."""
        dialog = cls(parent, heading, decisions, required)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.decision is None:
            return None
        return dialog.decision, dialog.note.toPlainText().strip()


class ReminderDialog(QDialog):
    """When to be reminded, and of what: tomorrow at nine unless the user says otherwise."""

    def __init__(self, parent: QWidget | None, about: str, now: datetime) -> None:
        super().__init__(parent)
        self.setWindowTitle("Remind me")
        tomorrow = (now.astimezone() + timedelta(days=1)).replace(hour=9, minute=0, second=0,
                                                                   microsecond=0)
        self.when = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(tomorrow.timestamp())))
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setAccessibleName("Remind me at")
        self.text = QLineEdit(about)
        self.text.setAccessibleName("Reminder text")
        form = QFormLayout()
        form.addRow("&When:", self.when)
        form.addRow("&About:", self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @classmethod
    def ask(cls, parent: QWidget | None, about: str, now: datetime
            ) -> tuple[datetime, str] | None:
        """(when, text), or None when cancelled."""
        dialog = cls(parent, about, now)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        when = dialog.when.dateTime().toPython()
        return when.astimezone(), dialog.text.text().strip() or about
