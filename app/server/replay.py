"""Push: replay a client's batch of commands, in order, in one transaction.

For each command: a (client, seq) already recorded is a duplicate and gets the fate recorded
the first time; a seq past the next expected one is a gap and stops the batch; otherwise the
command is rebuilt with the signed-in account as its actor (whatever the client claims),
run through the same `execute_in` as on a laptop, with the server's own permission checks,
inside a SAVEPOINT of its own, so a refusal undoes that command's effects and nothing else.
Its fate is recorded in `pushes`, and its entry appended to the server's audit trail, in the
push's transaction. A refused command is recorded too, and advances the client's
acknowledged sequence like an accepted one.

Every instance of the service is correct over one database with no state of its own: the
push's transaction first takes one PostgreSQL advisory lock and holds it until it commits, so
the server's order is one line (the domain's rules read before they write, and two
approvals of one level must not both count), and the primary key of `pushes` backs that up,
so the same (client, seq) can never be applied twice however many requests carry it at once.
Within an instance the pushes also queue for their turn before they take a connection.

Holding the line for a batch rather than a command is what makes a push fast: one commit
(one wait for the disk) per request, and what the batch needs about its client (who owns it,
how far it is acknowledged, which of its numbers and operations are recorded) read once,
then kept in memory as the batch goes, since no one else can write it meanwhile; the audit
entries are chained in memory and written together. What every command reads alike (the
account's staff row, roles and permissions, the program's settings and restricted milestones)
is read once and kept until a command writes it (app/services/memo.py), and each command's
operation is logged as the client's and accepted as it is written, its number coming back
with it. (Taken per command, the lock would also interleave the requests in flight, each
finishing only when all of them do.) A request holds the line for BUDGET seconds at most:
past it the server answers with the commands done so far and the client sends the rest in
its next request, so a store pushing heavy commands keeps the others waiting one budget, not
the length of its batch.

Database trouble (a lost connection) rolls the whole request back and is raised for a 503;
the client sends the same commands again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session as OrmSession

from app.models import Push
from app.models.store import Store, savepoint
from app.services import audit, memo
from app.services.errors import Refused
from app.services.sync.protocol import (
    ACCEPTED,
    DUPLICATE,
    REFUSED,
    Malformed,
    PushedCommand,
    PushRequest,
    PushResponse,
    PushResult,
    decode_base,
    decode_command,
)
from app.services.write import execute_in

log = logging.getLogger(__name__)
REPLAY_LOCK = 0x5741_5950  # "WAYP": the one advisory lock every replay takes
BUDGET = 5.0  # seconds a push request holds the line before it answers with what it did


class ForeignClient(Exception):
    """The client id is already another account's: a store syncs as one user."""


@dataclass(frozen=True)
class _Gap:
    expected: int


@dataclass(frozen=True)
class _Recorded:
    """The fate recorded under a (client, seq)."""

    op_id: uuid.UUID
    status: str
    reason: str | None
    server_seq: int | None


def _serialize(session: OrmSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REPLAY_LOCK})


def acknowledged(session: OrmSession, client_id: str) -> int:
    """The client's last acknowledged seq (0 before its first push)."""
    return session.scalar(select(func.max(Push.seq)).where(Push.client_id == client_id)) or 0


def owner(session: OrmSession, client_id: str) -> str | None:
    return session.scalar(select(Push.email).where(Push.client_id == client_id).limit(1))


class _Line:
    """This instance's pushes, one at a time in the order they came: the ones waiting their
    turn wait here, holding no database connection, so the pool stays free for pulls and
    sign-ins however many stores push at once (in the database they would each hold one)."""

    def __init__(self) -> None:
        self._turns = threading.Condition()
        self._taken = self._served = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._turns:
            ticket, self._taken = self._taken, self._taken + 1
            self._turns.wait_for(lambda: self._served == ticket)
        try:
            yield
        finally:
            with self._turns:
                self._served += 1
                self._turns.notify_all()


_LINE = _Line()


def push(store: Store, email: str, request: PushRequest, now: datetime) -> PushResponse:
    """Replay a batch in order; stop at a gap, or when the budget is spent."""
    with _LINE.turn():
        try:
            return _push(store, email, request, now)
        except IntegrityError:
            # Another writer recorded one of these numbers first (the lock keeps every
            # instance of the service from it): the whole request rolled back; replayed
            # again, those are duplicates.
            return _push(store, email, request, now)


def _push(store: Store, email: str, request: PushRequest, now: datetime) -> PushResponse:
    results: list[PushResult] = []
    gap: tuple[PushedCommand, _Gap] | None = None
    with store.session() as session, session.begin(), memo.remembering(session):
        _serialize(session)
        held = time.monotonic()
        holder = owner(session, request.client_id)
        if holder is not None and holder != email:
            raise ForeignClient(f"This store's commands are synced by {holder}; sign in as "
                                f"{holder}, or use a store of your own.")
        batch = _Batch(session, email, request, now)
        for command in request.commands:
            outcome = batch.replay(command)
            if isinstance(outcome, _Gap):
                gap = command, outcome
                break
            results.append(outcome)
            if time.monotonic() - held > BUDGET:
                break
        batch.write()
    if gap is not None:
        command, missing = gap
        return PushResponse(
            results=tuple(results), acknowledged=batch.last, expected=missing.expected,
            error=f"Commands must arrive in order: expected number {missing.expected}, "
                  f"got {command.seq}.")
    return PushResponse(results=tuple(results), acknowledged=batch.last)


class _Batch:
    """One request's commands replayed in its transaction, with what they need about the
    client read once and kept current: its last acknowledged seq, the fates recorded under
    the numbers it sends, and the server seq of each of its operations already accepted."""

    def __init__(self, session: OrmSession, email: str, request: PushRequest,
                 now: datetime) -> None:
        self.session, self.email, self.client_id, self.now = (
            session, email, request.client_id, now)
        self.last = acknowledged(session, self.client_id)
        seqs = [command.seq for command in request.commands]
        self.recorded: dict[int, _Recorded] = {
            row.seq: _Recorded(row.op_id, row.status, row.reason, row.server_seq)
            for row in session.execute(
                select(Push.seq, Push.op_id, Push.status, Push.reason, Push.server_seq)
                .where(Push.client_id == self.client_id, Push.seq.in_(seqs)))}
        op_ids = list({command.op_id for command in request.commands})
        self.accepted: dict[uuid.UUID, int | None] = {
            row.op_id: row.server_seq for row in session.execute(
                select(Push.op_id, Push.server_seq)
                .where(Push.op_id.in_(op_ids), Push.status == ACCEPTED))}
        self.pushes: list[dict[str, Any]] = []
        self.trail = audit.Entries()

    def replay(self, command: PushedCommand) -> PushResult | _Gap:
        seen = self.recorded.get(command.seq)
        if seen is not None:
            return _duplicate(seen, command)
        if command.seq != self.last + 1:
            return _Gap(self.last + 1)
        if command.op_id in self.accepted:  # the same operation pushed again under a new number
            earlier = self.accepted[command.op_id]
            self._record(command, ACCEPTED, None, earlier)
            return PushResult(seq=command.seq, status=DUPLICATE, fate=ACCEPTED,
                              server_seq=earlier)
        status, reason, server_seq = _apply(self.session, self.email, self.client_id, command)
        # The next command starts from the database, as in a session of its own: nothing
        # this one loaded (or a refusal rolled back) is carried over but what the memo keeps,
        # which a write to it, or a refusal, makes it read again.
        self.session.expunge_all()
        if status == ACCEPTED:
            self.accepted[command.op_id] = server_seq
        self.trail.add(at=command.at, actor=self.email, device=self.client_id,
                       command=command.name, args=command.args, op_id=command.op_id,
                       outcome=status, reason=reason)
        self._record(command, status, reason, server_seq)
        return PushResult(seq=command.seq, status=status, fate=status, reason=reason,
                          server_seq=server_seq)

    def _record(self, command: PushedCommand, status: str, reason: str | None,
                server_seq: int | None) -> None:
        self.recorded[command.seq] = _Recorded(command.op_id, status, reason, server_seq)
        self.last = command.seq
        self.pushes.append({
            "client_id": self.client_id, "seq": command.seq, "op_id": command.op_id,
            "email": self.email, "name": command.name[:60], "acted_at": command.at,
            "received_at": self.now, "status": status, "reason": reason,
            "server_seq": server_seq})

    def write(self) -> None:
        """The fates and the audit entries, each in one statement, before the commit."""
        if self.pushes:
            self.session.execute(insert(Push), self.pushes)
        self.trail.write(self.session)


def _apply(session: OrmSession, email: str, client_id: str, command: PushedCommand
           ) -> tuple[str, str | None, int | None]:
    """Run the command inside a savepoint: (status, reason, server_seq)."""
    try:
        decoded = decode_command(command.name, command.args, at=command.at,
                                 op_id=command.op_id, by=email)
        expected = decode_base(command.base)
    except Malformed as malformed:
        return REFUSED, str(malformed), None
    try:
        with savepoint(session):
            result = execute_in(session, decoded, expected=expected, client_id=client_id,
                                sync_state=ACCEPTED)
            return ACCEPTED, None, result.seq
    except Refused as refusal:
        return REFUSED, refusal.message, None
    except (OperationalError, InterfaceError):
        raise  # the database, not the command: nothing is recorded, the client retries
    except Exception as exc:
        # A command the rules could not carry out without failing (a value too long for a
        # column, a case a rule does not foresee): refused, so it reaches its author and the
        # client's queue moves on; the trace stays in the server's log.
        log.exception("replaying %s (%s) failed", command.name, command.op_id)
        return REFUSED, (f"The server could not apply this command ({exc.__class__.__name__}); "
                         "its administrators can find the details in the server's log."), None


def _duplicate(row: _Recorded, command: PushedCommand) -> PushResult:
    if row.op_id != command.op_id:
        return PushResult(seq=command.seq, status=REFUSED, fate=REFUSED,
                          reason=f"Number {command.seq} was already used by another command "
                                 "of this store; retry it to send it under a new number.")
    return PushResult(seq=command.seq, status=DUPLICATE, fate=row.status, reason=row.reason,
                      server_seq=row.server_seq)
