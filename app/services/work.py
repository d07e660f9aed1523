"""The unit of work a command runs in: its session, actor, time, ids and what it changed.

Ids of rows a command creates derive from the command's op id and a counter, so the sync
server replaying the same command against the same state creates the same rows. The counter is
added to the ids' first digits: one command's ids sort together, in the order it made its rows,
so SQLite's key indexes take an import's hundred thousand rows in one place, page after page,
instead of at random places (which cost twice the time on a large store); and ids shown by
their first characters (an alert's, to acknowledge it) still tell a command's rows apart.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session as OrmSession

from app.models import Person, Staff
from app.services.clock import local_date
from app.services.errors import Refused
from app.services.settings import program_zone

_HEAD = 32  # an id's first 32 bits: where its command's ids start, plus its counter
_TAIL = 128 - _HEAD


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user with roles, a participant acting on their own progress, or the
    system (rules and the scheduler)."""

    label: str
    staff: Staff | None = None
    person: Person | None = None
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()  # app/services/access.py: what the roles allow

    @property
    def is_staff(self) -> bool:
        return self.staff is not None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def may(self, permission: str) -> bool:
        return self.label == "system" or permission in self.permissions

    def has_any_role(self, roles: list[str] | tuple[str, ...] | set[str]) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass
class Work:
    session: OrmSession
    op_id: uuid.UUID
    at: datetime
    actor: Actor
    changes: list[dict[str, Any]] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    pending: deque[Any] = field(default_factory=deque)
    base: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    replaying: bool = False  # a command already run here, run again on top of a pull
    # The rows the handler looked up, held for the whole command: the session holds its rows
    # weakly, and the rules that follow (a completion's actions) find them by id without a
    # query while something holds them.
    kept: list[Any] = field(default_factory=list)
    _counter: int = 0

    def new_id(self) -> uuid.UUID:
        start, tail = self._series
        (counter,) = self._take(1)
        return uuid.UUID(int=((start + counter) % (1 << _HEAD)) << _TAIL | tail)

    def new_keys(self, n: int) -> list[str]:
        """The next n ids as 32 hex digits, as SQLite keeps them: what n calls of new_id give,
        for rows inserted by the thousand (app/services/bulk_rows.py) without a UUID each."""
        start, tail = self._series
        rest = f"{tail:024x}"
        return [f"{(start + counter) % (1 << _HEAD):08x}{rest}" for counter in self._take(n)]

    @cached_property
    def _series(self) -> tuple[int, int]:
        """Where this command's ids start (their first 32 bits before the counter is added)
        and the 96 bits every one of them ends with: a UUID derived from the op id, marked
        version 8 (custom)."""
        derived = uuid.uuid5(self.op_id, "ids").int & ~(0xF << 76) | 0x8 << 76
        return derived >> _TAIL, derived & ((1 << _TAIL) - 1)

    def _take(self, n: int) -> range:
        start = self._counter + 1
        self._counter += n
        if self._counter >> _HEAD:
            raise OverflowError("a command makes at most 2**32 - 1 rows")
        return range(start, start + n)

    def saw(self, kind: str, row_id: uuid.UUID, version: int, what: str) -> None:
        """The user decided on this row as it was at `version` (the command's base). Replayed
        where the row has moved on since (another laptop's change reached the server first),
        the command is refused: a decision on something other than what the user saw is not
        silently applied."""
        key = f"{kind}:{row_id}"
        self.base.setdefault(key, version)
        seen = self.expected.get(key)
        if seen is not None and seen != version:
            raise Refused(f"{what} changed since {self.actor.label} saw it (someone else "
                          "acted on it first); nothing was done. Look at it again as it is "
                          "now.")

    def add_once(self, row: Any) -> Any:
        """Add a row of this machine's own tables (mail, alerts) unless it is there already.
        Such rows are not put back by a pull, and a command replayed on top of one makes the
        same ids again: its mail was queued, its alert raised, the first time. Only then can
        the row exist: a command's first run makes ids no row has."""
        existing = self.session.get(type(row), row.id) if self.replaying else None
        if existing is not None:
            return existing
        self.session.add(row)
        return row

    def emit(self, event: Any) -> None:
        """Queue a domain event; execute() runs the rules it sets off after the handler."""
        self.pending.append(event)

    def record(self, flag: str, entry: dict[str, Any] | None = None) -> None:
        self.flags.add(flag)
        if entry is not None:
            self.changes.append(entry)

    @cached_property
    def zone(self) -> ZoneInfo:
        return program_zone(self.session)

    @property
    def today(self):  # noqa: ANN201 - a date
        return local_date(self.at, self.zone)
