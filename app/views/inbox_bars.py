"""Two slim bars above the inbox: one says what just happened (or why it did not), one offers
a follow-up after a decision. Neither is modal: the approver keeps working with J/K and the
decision keys while a bar shows, and a newer message simply replaces an older one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

# Tints readable on both the light and the dark theme: a translucent fill, a firmer border.
_TINTS = {"error": "198, 40, 40", "info": "25, 118, 210", "done": "46, 125, 50"}


def _tinted(frame: QFrame, tint: str) -> None:
    rgb = _TINTS[tint]
    frame.setStyleSheet(
        f"#{frame.objectName()} {{ background: rgba({rgb}, 0.12); "
        f"border: 1px solid rgba({rgb}, 0.55); border-radius: 4px; }}")


def _close_button(name: str) -> QToolButton:
    button = QToolButton()
    button.setText("✕")
    button.setAutoRaise(True)
    button.setAccessibleName(name)
    button.setToolTip(name)
    return button


def in_plain_words(error: str | None) -> str:
    """A refusal as the window says it: the command line's `--note` means the note dialog."""
    text = error or "Refused."
    return (text.replace(": give it with --note.", ": press N to decide with a note.")
            .replace(" (--note)", ""))


class MessageBar(QFrame):
    """One message: an error (a refusal, in the command's own words), an info or a done
    notice, with at most one action that helps (such as adding the missing note)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inboxMessage")
        self.kind = "info"
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAccessibleName("Message")
        self.action = QPushButton()
        self.action.setVisible(False)
        self._action: Callable[[], None] | None = None
        self.action.clicked.connect(self._act)
        close = _close_button("Dismiss the message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def say(self, text: str, kind: str = "info",
            action: tuple[str, Callable[[], None]] | None = None) -> None:
        self.kind = kind
        _tinted(self, kind)
        self.label.setText(text)
        self.setAccessibleDescription(text)
        self._action = action[1] if action else None
        self.action.setText(action[0] if action else "")
        self.action.setAccessibleName(action[0].replace("&", "") if action else "")
        self.action.setVisible(action is not None)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""

    def _act(self) -> None:
        chosen, self._action = self._action, None
        self.hide()
        if chosen is not None:
            chosen()


@dataclass(frozen=True)
class FollowUp:
    """A decided request whose milestone leaves what comes next to the approver."""

    person: str
    name: str
    milestone: str
    title: str
    decision: str  # approved | denied


class FollowUpBar(QFrame):
    sig_set_status = Signal(object)
    """Set the participant's pipeline status (a FollowUp)."""
    sig_remind = Signal(object)
    """Set a personal reminder about it (a FollowUp)."""
    sig_defer = Signal(object)
    """Put the follow-up aside, to take up again from the inbox (a FollowUp)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inboxFollowUp")
        _tinted(self, "info")
        self.follow_up: FollowUp | None = None
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setAccessibleName("Follow-up")
        self.status_button = QPushButton("Set pipeline &status…")
        self.remind_button = QPushButton("&Remind me…")
        self.defer_button = QPushButton("De&fer")
        for button, name, signal in (
            (self.status_button, "Set the participant's pipeline status", self.sig_set_status),
            (self.remind_button, "Set a personal reminder about this request", self.sig_remind),
            (self.defer_button, "Put this follow-up aside for later", self.sig_defer),
        ):
            button.setAccessibleName(name)
            button.setToolTip(name)
            button.clicked.connect(lambda _=False, s=signal: self._chosen(s))
        close = _close_button("No follow-up needed")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.status_button)
        layout.addWidget(self.remind_button)
        layout.addWidget(self.defer_button)
        layout.addWidget(close)
        self.hide()

    def offer(self, follow_up: FollowUp) -> None:
        self.follow_up = follow_up
        self.label.setText(f"{follow_up.decision.capitalize()} '{follow_up.title}' for "
                           f"{follow_up.name}. Anything to follow up?")
        self.show()

    def dismiss(self) -> None:
        self.follow_up = None
        self.hide()

    def _chosen(self, signal: Signal) -> None:
        follow_up = self.follow_up
        self.dismiss()
        if follow_up is not None:
            signal.emit(follow_up)  # type: ignore[attr-defined]
