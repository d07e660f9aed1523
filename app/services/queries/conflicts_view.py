"""The conflicts list in words: each command the sync server refused, said as the user did it
("Approve “Financial aid” for Pat Lee"), with when and the server's reason.

The log keeps a command as its name and arguments (keys such as `p1` and `aid`); a coordinator
recognises names and titles. The names are read in one query per kind of key for the whole
list, never one per row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Person
from app.models.cohort import Cohort
from app.models.milestone import Gate, Milestone
from app.models.session import ScheduledSession
from app.models.store import Store
from app.services.sync.outbox import Conflict, conflicts

# What the user did, as a verb phrase put before the thing it was done to.
VERBS = {
    "StartProgress": "Start", "CompleteProgress": "Complete", "SkipProgress": "Skip",
    "BypassProgress": "Bypass", "ReopenProgress": "Reopen",
    "ExtendDue": "Extend the due date of", "TickStep": "Tick a step of",
    "SubmitProgress": "Submit", "ApproveProgress": "Approve", "DenyProgress": "Deny",
    "WithdrawProgress": "Withdraw", "AddOptional": "Add the optional milestone",
    "UnapproveProgress": "Take back the approval of", "AssignApproval": "Hand the approval of",
    "SendReminder": "Send a reminder about", "AnswerSurvey": "Answer the survey of",
    "AttachFile": "Attach a file to", "Sign": "Sign",
    "ApproveMany": "Approve", "CompleteMany": "Complete", "BypassMany": "Bypass",
    "ReopenMany": "Reopen", "RemindMany": "Send reminders about",
    "Enroll": "Enroll", "Unenroll": "Take", "SetPerson": "Change the details of",
    "Register": "Register", "Attend": "Record the attendance of",
    "NoShow": "Mark as a no-show", "Meet": "Record a meeting with",
    "ReviewGate": "Review the gate", "Delegate": "Hand approvals",
    "ApplyProgram": "Apply the program file", "ImportPeople": "Import",
    "ScheduleSession": "Schedule the session", "CancelSession": "Cancel the session",
    "MarkSheet": "Enter the sign-in sheet of", "MoveMany": "Move",
}


@dataclass(frozen=True)
class ConflictRow:
    """One refused command: its id (for retry and discard), name, words, time and reason."""

    id: int
    command: str
    what: str
    at: datetime
    reason: str


class _Names:
    """Keys → names for everything the conflicts mention, read in one query per kind."""

    def __init__(self, session: OrmSession, items: Iterable[Conflict]) -> None:
        want: dict[str, set[str]] = {"person": set(), "milestone": set(), "session": set(),
                                     "cohort": set(), "gate": set()}
        for item in items:
            args = item.args if isinstance(item.args, dict) else {}
            for kind, keys in want.items():
                if isinstance(args.get(kind), str):
                    keys.add(args[kind])
            for pair in _pairs(args.get("items")):
                want["person"].add(pair[0])
                want["milestone"].add(pair[1])
            for move in _pairs(args.get("moves")):
                want["person"].add(move[0])
        self.person = _lookup(session, Person.external_id, Person.name, want["person"])
        self.milestone = _lookup(session, Milestone.key, Milestone.title, want["milestone"])
        self.session = _lookup(session, ScheduledSession.key, ScheduledSession.title,
                               want["session"])
        self.cohort = _lookup(session, Cohort.key, Cohort.name, want["cohort"])
        self.gate = _lookup(session, Gate.key, Gate.name, want["gate"])


def _lookup(session: OrmSession, key: Any, name: Any, keys: set[str]) -> dict[str, str]:
    if not keys:
        return {}
    return {k: n for k, n in session.execute(select(key, name).where(key.in_(keys)))}


def _pairs(value: Any) -> list[list[str]]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, list) and len(v) >= 2
            and all(isinstance(part, str) for part in v)]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _words_of(name: str) -> str:
    """`LaunchRockets` → "Launch rockets": for a command this list has no verb for."""
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name) or [name]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def in_words(item: Conflict, names: _Names) -> str:
    """What the command did, as the user would say it."""
    args: dict[str, Any] = item.args if isinstance(item.args, dict) else {}
    verb = VERBS.get(item.command)
    if verb is None:
        return _words_of(item.command)

    def text(kind: str, key: Any) -> str:
        if not isinstance(key, str):
            return "?"
        return getattr(names, kind).get(key, key)

    person = text("person", args.get("person"))
    if "milestone" in args and "person" in args:
        phrase = f"{verb} “{text('milestone', args['milestone'])}” for {person}"
        if item.command == "AssignApproval":
            phrase += f" to {args.get('to')}"
        elif item.command == "ExtendDue":
            phrase += f" to {args.get('until')}"
        return phrase
    if "items" in args:
        pairs = _pairs(args["items"])
        if len(pairs) == 1:
            person_key, milestone_key = pairs[0][:2]
            return (f"{verb} “{text('milestone', milestone_key)}” for "
                    f"{text('person', person_key)}")
        return f"{verb} {_plural(len(pairs), 'milestone')}"
    if "moves" in args:
        return f"{verb} {_plural(len(_pairs(args['moves'])), 'participant')} between cohorts"
    if item.command in ("Register", "Attend", "NoShow"):
        where = "for" if item.command == "Register" else "at"
        return f"{verb} {person} {where} “{text('session', args.get('session'))}”"
    if item.command in ("Enroll", "Unenroll"):
        where = "in" if item.command == "Enroll" else "out of"
        return f"{verb} {person} {where} {text('cohort', args.get('cohort'))}"
    if item.command == "ReviewGate":
        return (f"{verb} “{text('gate', args.get('gate'))}” for {person}: "
                f"{args.get('decision')}")
    if item.command in ("SetPerson", "Meet"):
        return f"{verb} {person}"
    if item.command == "ImportPeople":
        rows = args.get("rows")
        count = _plural(len(rows) if isinstance(rows, list) else 0, "participant")
        return f"{verb} {count}" + (f" from {args['source']}" if args.get("source") else "")
    if item.command == "ApplyProgram":
        return f"{verb} {args['source']}" if args.get("source") else "Apply a program"
    if item.command == "ScheduleSession":
        title = args.get("title") or text("session", args.get("key"))
        return f"{verb} “{title}”"
    if "session" in args:
        return f"{verb} “{text('session', args.get('session'))}”"
    if item.command == "Delegate":
        return f"{verb} to {args.get('to')} from {args.get('start')} to {args.get('end')}"
    return verb


def conflicts_view(store: Store) -> list[ConflictRow]:
    """The refused commands, oldest first, in words."""
    found = conflicts(store)
    with store.session() as session:
        names = _Names(session, found)
    return [ConflictRow(id=c.id, command=c.command, what=in_words(c, names), at=c.at,
                        reason=c.reason or "The server gave no reason.") for c in found]
