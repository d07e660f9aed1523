"""Asking for a time of day: for marking a day of a session other than today, when "now" is
not the time the person came or left."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QTime
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTimeEdit, QVBoxLayout, QWidget


def ask_time(parent: QWidget, title: str, prompt: str, default: datetime) -> datetime | None:
    """The time the trainer gives on `default`'s day and in its zone, as UTC; None if they
    cancel."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    label = QLabel(prompt)
    label.setWordWrap(True)
    edit = QTimeEdit(QTime(default.hour, default.minute))
    edit.setDisplayFormat("HH:mm")
    edit.setAccessibleName("Time")
    label.setBuddy(edit)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(label)
    layout.addWidget(edit)
    layout.addWidget(buttons)
    edit.setFocus()
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    chosen = edit.time()
    return default.replace(hour=chosen.hour(), minute=chosen.minute(), second=0,
                           microsecond=0).astimezone(UTC)
