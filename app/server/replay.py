"""Push: replay a client's commands, in order, each in its own transaction.

For each command: a (client, seq) already recorded is a duplicate and gets the fate recorded
the first time; a seq past the next expected one is a gap and stops the batch; otherwise the
command is rebuilt with the signed-in account as its actor (whatever the client claims),
run through the same `execute_in` as on a laptop, with the server's own permission checks,
and its fate recorded in `pushes` in the same transaction as its effects. A refused command
is recorded too, and advances the client's acknowledged sequence like an accepted one. Either
way the command gets its entry in the server's audit trail, in that same transaction.

Every instance of the service is correct over one database with no state of its own: each
command's transaction first takes one PostgreSQL advisory lock, so the server's order is
one line (the domain's rules read before they write, and two approvals of one level must
not both count), and the primary key of `pushes` backs that up, so the same (client, seq)
can never be applied twice however many requests carry it at once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session as OrmSession

from app.models import Operation, Push
from app.models.store import Store, savepoint
from app.services import audit
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


class ForeignClient(Exception):
    """The client id is already another account's: a store syncs as one user."""


@dataclass(frozen=True)
class _Gap:
    expected: int


def _serialize(session: OrmSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REPLAY_LOCK})


def acknowledged(session: OrmSession, client_id: str) -> int:
    """The client's last acknowledged seq (0 before its first push)."""
    return session.scalar(select(func.max(Push.seq)).where(Push.client_id == client_id)) or 0


def owner(session: OrmSession, client_id: str) -> str | None:
    return session.scalar(select(Push.email).where(Push.client_id == client_id).limit(1))


def push(store: Store, email: str, request: PushRequest, now: datetime) -> PushResponse:
    """Replay a batch in order; stop at a gap. Database trouble (a lost connection) ends the
    request with what was done so far committed, and is raised for a 503."""
    results: list[PushResult] = []
    for command in request.commands:
        outcome = _replay_one(store, email, request.client_id, command, now)
        if isinstance(outcome, _Gap):
            return PushResponse(
                results=tuple(results), acknowledged=outcome.expected - 1,
                expected=outcome.expected,
                error=f"Commands must arrive in order: expected number {outcome.expected}, "
                      f"got {command.seq}.")
        results.append(outcome)
    with store.session() as session:
        last = acknowledged(session, request.client_id)
    return PushResponse(results=tuple(results), acknowledged=last)


def _replay_one(store: Store, email: str, client_id: str, command: PushedCommand,
                now: datetime) -> PushResult | _Gap:
    try:
        with store.session() as session, session.begin():
            return _in_transaction(session, email, client_id, command, now)
    except IntegrityError:
        # Another instance recorded this (client, seq) first: ours rolled back whole.
        with store.session() as session:
            row = session.get(Push, (client_id, command.seq))
            if row is None:
                raise
            return _duplicate(row, command)


def _in_transaction(session: OrmSession, email: str, client_id: str, command: PushedCommand,
                    now: datetime) -> PushResult | _Gap:
    _serialize(session)
    holder = owner(session, client_id)
    if holder is not None and holder != email:
        raise ForeignClient(f"This store's commands are synced by {holder}; sign in as "
                            f"{holder}, or use a store of your own.")
    seen = session.get(Push, (client_id, command.seq))
    if seen is not None:
        return _duplicate(seen, command)
    expected = acknowledged(session, client_id) + 1
    if command.seq != expected:
        return _Gap(expected)
    row = Push(client_id=client_id, seq=command.seq, op_id=command.op_id, email=email,
               name=command.name[:60], acted_at=command.at, received_at=now,
               status=REFUSED, reason=None, server_seq=None)
    earlier = _accepted_before(session, command.op_id)
    if earlier is not None:  # the same operation pushed again under a new number
        row.status, row.server_seq = ACCEPTED, earlier.server_seq
        session.add(row)
        return PushResult(seq=command.seq, status=DUPLICATE, fate=ACCEPTED,
                          server_seq=earlier.server_seq)
    row.status, row.reason, row.server_seq = _apply(session, email, client_id, command)
    audit.append(session, at=command.at, actor=email, device=client_id, command=command.name,
                 args=command.args, op_id=command.op_id, outcome=row.status, reason=row.reason)
    session.add(row)
    return PushResult(seq=command.seq, status=row.status, fate=row.status, reason=row.reason,
                      server_seq=row.server_seq)


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
            execute_in(session, decoded, expected=expected)
            op = session.scalar(select(Operation).where(Operation.id == command.op_id))
            assert op is not None
            op.client_id, op.sync_state = client_id, ACCEPTED
            session.flush()
            return ACCEPTED, None, op.seq
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


def _accepted_before(session: OrmSession, op_id: uuid.UUID) -> Push | None:
    return session.scalar(select(Push).where(Push.op_id == op_id, Push.status == ACCEPTED)
                          .limit(1))


def _duplicate(row: Push, command: PushedCommand) -> PushResult:
    if row.op_id != command.op_id:
        return PushResult(seq=command.seq, status=REFUSED, fate=REFUSED,
                          reason=f"Number {command.seq} was already used by another command "
                                 "of this store; retry it to send it under a new number.")
    return PushResult(seq=command.seq, status=DUPLICATE, fate=row.status, reason=row.reason,
                      server_seq=row.server_seq)
