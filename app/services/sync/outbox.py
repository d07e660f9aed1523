"""The local side of a push: which operations wait, their sequence numbers, their fates.

This is the outbox's own bookkeeping, written directly rather than as commands: recording
"pushed" as a command would add an operation to the very log being emptied. Each step
commits on its own, so a crash or a lost answer at any point leaves operations either
pending with their sequence number (resent as themselves; the server answers "duplicate"
with the first fate) or marked with their fate: never lost, never renumbered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from app.models import Operation
from app.models.store import Store
from app.services.settings import get_setting, put_setting
from app.services.sync.protocol import (
    ACCEPTED,
    DUPLICATE,
    REFUSED,
    PushedCommand,
    PushResult,
    syncable,
)

PENDING, DISCARDED, LOCAL = "pending", "discarded", "local"
LAST_SEQ = "sync.last_push_seq"


def number_pending(store: Store) -> int:
    """Set aside the operations that are never pushed, and give every other pending one its
    per-client sequence number, in the order they were made; returns how many wait."""
    with store.session() as session, session.begin():
        rows = session.execute(
            select(Operation.seq, Operation.name, Operation.push_seq)
            .where(Operation.sync_state == PENDING).order_by(Operation.seq)).all()
        local = [seq for seq, name, _ in rows if not syncable(name)]
        if local:
            session.execute(update(Operation).where(Operation.seq.in_(local))
                            .values(sync_state=LOCAL))
        # The highest number ever given, kept apart from the rows: a retried command gives
        # its number up, and a number the server has seen must never be given again.
        last = int(get_setting(session, LAST_SEQ) or 0)
        waiting = 0
        for seq, name, push_seq in rows:
            if not syncable(name):
                continue
            waiting += 1
            if push_seq is None:
                last += 1
                session.execute(update(Operation).where(Operation.seq == seq)
                                .values(push_seq=last))
        put_setting(session, LAST_SEQ, str(last))
        return waiting


def next_batch(store: Store, limit: int) -> list[PushedCommand]:
    """The first `limit` numbered operations still waiting, in sequence order."""
    with store.session() as session:
        rows = session.scalars(
            select(Operation).where(Operation.sync_state == PENDING,
                                    Operation.push_seq.is_not(None))
            .order_by(Operation.push_seq).limit(limit)).all()
        return [PushedCommand(seq=row.push_seq or 0, op_id=row.id, name=row.name,
                              args=row.args, at=row.at, base=row.base or {}) for row in rows]


def record(store: Store, results: Iterable[PushResult]) -> dict[str, int]:
    """Mark each pushed operation with its fate; returns the count of each."""
    counts = {ACCEPTED: 0, REFUSED: 0}
    with store.session() as session, session.begin():
        for result in results:
            fate = result.fate if result.status == DUPLICATE else result.status
            if fate not in counts:
                continue  # an answer this client does not understand: leave it pending
            session.execute(
                update(Operation).where(Operation.push_seq == result.seq,
                                        Operation.sync_state == PENDING)
                .values(sync_state=fate, sync_reason=result.reason if fate == REFUSED else None))
            counts[fate] += 1
    return counts


@dataclass(frozen=True)
class Conflict:
    """A command the server refused: the local operation's number, what it was, and why."""

    id: int
    command: str
    args: dict[str, Any]
    reason: str | None
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "command": self.command, "args": self.args,
                "reason": self.reason, "at": self.at.isoformat()}


def conflicts(store: Store) -> list[Conflict]:
    with store.session() as session:
        rows = session.scalars(select(Operation).where(Operation.sync_state == REFUSED)
                               .order_by(Operation.seq)).all()
        return [Conflict(id=row.seq, command=row.name, args=row.args, reason=row.sync_reason,
                         at=row.at) for row in rows]


def counts(store: Store) -> dict[str, int]:
    """Operations by sync state: what the status line and `sync` report."""
    with store.session() as session:
        rows = session.execute(select(Operation.sync_state, func.count())
                                .group_by(Operation.sync_state)).all()
    return {state: n for state, n in rows}


def _refused(session: Any, op: int) -> Operation:
    row = session.get(Operation, op)
    if row is None or row.sync_state != REFUSED:
        raise LookupError(f"There is no refused command {op}: see `waypoint conflicts`.")
    return row


def retry(store: Store, op: int) -> None:
    """Push a refused command again at the next sync, after everything pushed meanwhile: a
    new sequence number, the same op id and time (the server replays a refused op id, never
    an accepted one twice)."""
    with store.session() as session, session.begin():
        row = _refused(session, op)
        row.sync_state, row.sync_reason, row.push_seq = PENDING, None, None


def discard(store: Store, op: int) -> None:
    """Drop a refused command from the conflicts list; it is kept in the log as discarded."""
    with store.session() as session, session.begin():
        _refused(session, op).sync_state = DISCARDED
