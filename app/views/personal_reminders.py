"""Personal reminders an approver sets after a decision ("remind me to check on this").

They belong to the person at this computer, not to the program: nobody else needs them and
no rule acts on them, so they live in the user's settings (QSettings) rather than in the
store, and they do not travel with a sync.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from PySide6.QtCore import QSettings


@dataclass(frozen=True)
class Reminder:
    at: datetime  # aware
    text: str
    person: str
    milestone: str

    def plain(self) -> dict[str, str]:
        return {**asdict(self), "at": self.at.isoformat()}


class ReminderBook:
    """One user's reminders, kept under their email in the settings given (the application's
    own by default)."""

    def __init__(self, user: str, settings: QSettings | None = None) -> None:
        self.settings = settings or QSettings()
        self.key = f"inbox/reminders/{user.lower()}"

    def all(self) -> list[Reminder]:
        try:
            stored = json.loads(str(self.settings.value(self.key, "[]")))
            return sorted((Reminder(datetime.fromisoformat(r["at"]), r["text"], r["person"],
                                    r["milestone"]) for r in stored), key=lambda r: r.at)
        except (ValueError, KeyError, TypeError):  # a hand-edited settings file
            return []

    def add(self, reminder: Reminder) -> None:
        self._save([*self.all(), reminder])

    def take_due(self, now: datetime) -> list[Reminder]:
        """The reminders whose time has come; they are removed, so each shows once."""
        kept, due = [], []
        for reminder in self.all():
            (due if reminder.at <= now else kept).append(reminder)
        if due:
            self._save(kept)
        return due

    def _save(self, reminders: list[Reminder]) -> None:
        self.settings.setValue(self.key, json.dumps([r.plain() for r in reminders]))
        self.settings.sync()
