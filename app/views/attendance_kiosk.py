"""Self check-in: the laptop turned towards the room, for sessions marked by participants.

A participant types their id or email and presses Enter; they are checked in as themselves
(the command's actor is the participant, so the rules refuse anyone else's check-in and any
session marked by staff). The roster stays hidden: people at the door see only their own
confirmation, which clears after a few seconds for the next person.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

CLEAR_AFTER_MS = 6000
PROMPT = "Type your id or email, then press Enter."


def _scaled(widget: QWidget, factor: float, bold: bool = False) -> None:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    widget.setFont(font)


class KioskPanel(QWidget):
    sig_check_in_requested = Signal(str)
    """A participant asked to be checked in, by the id or email they typed."""
    sig_leave_requested = Signal()
    """Staff leave self check-in, back to the roster."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        _scaled(self.title, 2.2, bold=True)
        self.when = QLabel()
        self.when.setAlignment(Qt.AlignmentFlag.AlignCenter)
        _scaled(self.when, 1.3)
        self.entry = QLineEdit(placeholderText="Your id or email")
        self.entry.setAccessibleName("Your id or email")
        self.entry.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.entry.setMinimumHeight(64)
        self.entry.setMaximumWidth(560)
        _scaled(self.entry, 2.0)
        self.entry.returnPressed.connect(self.submit)
        self.button = QPushButton("Check me in")
        self.button.setAccessibleName("Check me in")
        self.button.setMinimumHeight(64)
        self.button.setMinimumWidth(240)
        _scaled(self.button, 1.6, bold=True)
        self.button.clicked.connect(self.submit)
        self.message = QLabel(PROMPT)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Check-in message")
        _scaled(self.message, 1.5)
        leave = QPushButton("Back to the roster")
        leave.setAccessibleName("Leave self check-in and go back to the roster")
        leave.setToolTip("Staff: leave self check-in (Ctrl+Shift+K)")
        leave.clicked.connect(self.sig_leave_requested)
        back = QShortcut(QKeySequence("Ctrl+Shift+K"), self)
        back.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        back.activated.connect(self.sig_leave_requested)
        self._clear = QTimer(self, singleShot=True, interval=CLEAR_AFTER_MS)
        self._clear.timeout.connect(self.reset)
        entry_row = QHBoxLayout()
        entry_row.addStretch(1)
        entry_row.addWidget(self.entry, 4)
        entry_row.addStretch(1)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.button)
        button_row.addStretch(1)
        footer = QHBoxLayout()
        footer.addStretch(1)
        footer.addWidget(leave)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addWidget(self.when)
        layout.addSpacing(32)
        layout.addLayout(entry_row)
        layout.addSpacing(12)
        layout.addLayout(button_row)
        layout.addSpacing(24)
        layout.addWidget(self.message)
        layout.addStretch(3)
        layout.addLayout(footer)

    def open_for(self, title: str, when: str) -> None:
        self.title.setText(f"Welcome to {title}")
        self.when.setText(when)
        self.reset()
        self.entry.setFocus()

    def submit(self) -> None:
        ref = self.entry.text().strip()
        if not ref:
            self.say(PROMPT)
            return
        self.entry.setEnabled(False)
        self.button.setEnabled(False)
        self.say("Checking you in…")
        self.sig_check_in_requested.emit(ref)

    def say(self, text: str, ok: bool | None = None) -> None:
        """Show the outcome; it clears by itself so the next person starts afresh."""
        colour = {True: "#2e7d32", False: "#b3261e"}.get(ok) if ok is not None else None
        self.message.setStyleSheet(f"color: {colour};" if colour else "")
        self.message.setText(text)

    def answered(self, text: str, ok: bool) -> None:
        """A check-in clears the box for the next person; a refusal keeps what was typed,
        selected, so a typo is fixed by typing again."""
        self.say(text, ok)
        self.entry.setEnabled(True)
        self.button.setEnabled(True)
        self.entry.setFocus()
        if ok:
            self.entry.clear()
        else:
            self.entry.selectAll()
        self._clear.start()

    def reset(self) -> None:
        self._clear.stop()
        self.entry.clear()
        self.entry.setEnabled(True)
        self.button.setEnabled(True)
        self.say(PROMPT)
