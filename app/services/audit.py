"""The audit trail: append an entry per command, list them, and check the chain.

`execute` appends an accepted command's entry in the command's own transaction, just before
it commits, and a refused one's in a short transaction of its own; the sync server appends
each replayed command's in the transaction that records the push. How an entry's hash is
made is in app/models/audit.py, for an auditor who would recompute it without this code.

`verify` reads the log in one snapshot, a page at a time in seq order, and names the first
entry that was altered (its hash is not that of its fields, or the next entry does not link
to it) or removed (a number missing, or the log ends before its head).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, insert, literal, or_, select, text, update
from sqlalchemy.orm import Session as OrmSession

from app.models import AuditEntry, AuditHead, Operation
from app.services.access import hidden_names
from app.services.clock import utcnow
from app.services.settings import CLIENT, get_setting

ACCEPTED, REFUSED = "accepted", "refused"
ALTERED, REMOVED = "altered", "removed"
GENESIS = "0" * 64  # the previous hash of entry 1
HEAD = 1  # the id of audit_head's one row
PAGE = 2000  # entries per page while verifying
_ENVELOPE = ("at", "by", "op_id")  # a command's fields the op log keeps beside its args
_HASHED = (AuditEntry.seq, AuditEntry.at, AuditEntry.recorded_at, AuditEntry.actor,
           AuditEntry.device, AuditEntry.command, AuditEntry.args, AuditEntry.op_id,
           AuditEntry.outcome, AuditEntry.reason, AuditEntry.prev_hash, AuditEntry.hash)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def digest(*, seq: int, at: datetime, recorded_at: datetime, actor: str, device: str,
           command: str, args: dict[str, Any], op_id: uuid.UUID | None, outcome: str,
           reason: str | None, prev_hash: str) -> str:
    """The entry's hash, over the canonical form app/models/audit.py describes."""
    canonical = json.dumps(
        {"seq": seq, "at": _time(at), "recorded_at": _time(recorded_at), "actor": actor,
         "device": device, "command": command, "args": args,
         "op_id": str(op_id) if op_id is not None else None, "outcome": outcome,
         "reason": reason, "prev_hash": prev_hash},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def device(session: OrmSession) -> str:
    """This store's client id; a store without one is the sync server's (PostgreSQL) or a
    laptop's from before client ids ("local", as its operation log says)."""
    found = get_setting(session, CLIENT)
    if found:
        return found
    return "server" if session.get_bind().dialect.name == "postgresql" else "local"


def command_args(plain_command: dict[str, Any]) -> dict[str, Any]:
    """A command's fields as JSON (write.plain) without the envelope: the op log's args."""
    return {k: v for k, v in plain_command.items() if k not in _ENVELOPE}


def _next(session: OrmSession, count: int = 1) -> tuple[int, str]:
    """Take the next `count` numbers: (the first, the previous hash). The UPDATE makes this
    transaction the log's one writer until it ends, so no other entry can chain off the same
    previous one."""
    taken = update(AuditHead).where(AuditHead.id == HEAD).values(seq=AuditHead.seq + count)
    row = session.execute(taken.returning(AuditHead.seq, AuditHead.hash)
                          .execution_options(synchronize_session=False)).first()
    if row is None:
        # The head row is gone (it is made by the migration): start it again from the log's
        # last entry, so commands still run; the log since then chains on as before.
        last = session.execute(select(AuditEntry.seq, AuditEntry.hash)
                               .order_by(AuditEntry.seq.desc()).limit(1)).first()
        session.execute(insert(AuditHead).values(id=HEAD, seq=last.seq if last else 0,
                                                 hash=last.hash if last else GENESIS))
        return _next(session, count)
    return row.seq - count + 1, row.hash


def _as_stored(session: OrmSession, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The args as the database will hand them back, which the hash is taken over: JSONB
    (PostgreSQL) rewrites numbers (1e+20 comes back as 100000000000000000000); SQLite keeps
    the JSON text as written. One round trip for all of them."""
    if session.get_bind().dialect.name != "postgresql":
        return documents
    return session.scalar(select(literal(documents, type_=AuditEntry.args.type)))


class Entries:
    """Entries added one by one and written together in the caller's transaction: the head is
    taken and moved once, the entries inserted in one statement. The sync server appends a
    whole push's entries so; `append` is the case of one."""

    def __init__(self) -> None:
        self._pending: list[dict[str, Any]] = []

    def add(self, *, at: datetime, actor: str, device: str, command: str,
            args: dict[str, Any], op_id: uuid.UUID | None, outcome: str,
            reason: str | None = None) -> None:
        self._pending.append({"at": at, "recorded_at": utcnow(), "actor": actor,
                              "device": device, "command": command[:60], "args": args,
                              "op_id": op_id, "outcome": outcome, "reason": reason})

    def write(self, session: OrmSession) -> list[int]:
        """Number, chain and insert what was added; their seqs."""
        pending, self._pending = self._pending, []
        if not pending:
            return []
        first, prev_hash = _next(session, len(pending))
        stored = _as_stored(session, [entry["args"] for entry in pending])
        rows = []
        for seq, entry, args in zip(range(first, first + len(pending)), pending, stored,
                                    strict=True):
            fields = {**entry, "seq": seq, "args": args, "prev_hash": prev_hash}
            prev_hash = digest(**fields)
            rows.append({**fields, "hash": prev_hash})
        session.execute(insert(AuditEntry), rows)
        session.execute(update(AuditHead).where(AuditHead.id == HEAD).values(hash=prev_hash)
                        .execution_options(synchronize_session=False))
        return [row["seq"] for row in rows]


def append(session: OrmSession, *, at: datetime, actor: str, device: str, command: str,
           args: dict[str, Any], op_id: uuid.UUID | None, outcome: str,
           reason: str | None = None) -> int:
    """Add one entry in the caller's transaction; its seq."""
    entry = Entries()
    entry.add(at=at, actor=actor, device=device, command=command, args=args, op_id=op_id,
              outcome=outcome, reason=reason)
    (seq,) = entry.write(session)
    return seq


def accepted(session: OrmSession, op_id: uuid.UUID, device_id: str | None = None) -> int:
    """An accepted command's entry, from the row `execute_in` just wrote to the op log."""
    op = session.execute(select(Operation.name, Operation.args, Operation.actor, Operation.at)
                         .where(Operation.id == op_id)).one()
    return append(session, at=op.at, actor=op.actor or "", device=device_id or device(session),
                  command=op.name, args=op.args, op_id=op_id, outcome=ACCEPTED)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    actor: str
    device: str
    command: str
    outcome: str
    reason: str | None
    op_id: uuid.UUID | None

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "actor": self.actor, "device": self.device,
                "command": self.command, "outcome": self.outcome, "reason": self.reason,
                "op_id": str(self.op_id) if self.op_id else None}


def entries(session: OrmSession, *, actor: str | None = None, command: str | None = None,
            refused_only: bool = False, since: datetime | None = None,
            before: datetime | None = None, limit: int | None = None) -> list[Entry]:
    """The newest entries first that match every filter given: actor and command name
    without regard to case, the command's time in [since, before). A session restricted to
    a reader (app/services/access.py) leaves out the entries about milestones hidden from
    them: named in the command, or in the reason it was refused."""
    query = select(AuditEntry.seq, AuditEntry.at, AuditEntry.actor, AuditEntry.device,
                   AuditEntry.command, AuditEntry.outcome, AuditEntry.reason, AuditEntry.op_id)
    keys, titles = hidden_names(session)
    if keys:
        named = AuditEntry.args["milestone"].as_string()
        query = query.where(or_(named.is_(None), named.not_in(keys)))
        for title in titles:
            query = query.where(or_(AuditEntry.reason.is_(None),
                                    ~AuditEntry.reason.contains(title, autoescape=True)))
    if actor:
        query = query.where(func.lower(AuditEntry.actor) == actor.strip().lower())
    if command:
        query = query.where(func.lower(AuditEntry.command) == command.strip().lower())
    if refused_only:
        query = query.where(AuditEntry.outcome == REFUSED)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if before is not None:
        query = query.where(AuditEntry.at < before)
    query = query.order_by(AuditEntry.seq.desc())
    if limit:
        query = query.limit(limit)
    return [Entry(*row) for row in session.execute(query)]


# --- checking the chain -----------------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """An entry as an auditor names it."""

    seq: int
    command: str
    actor: str
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "command": self.command, "actor": self.actor, "at": self.at}

    def words(self) -> str:
        return f"entry {self.seq} ({self.command} by {self.actor or '?'} at {_time(self.at)})"


@dataclass(frozen=True)
class BadEntry:
    """The first entry found wrong. An altered one is named by what it says now; a removed
    one is known by its number only, and by the entry before the gap (`after`), if any."""

    seq: int
    problem: str  # altered | removed
    entry: Named | None = None
    after: Named | None = None
    resumes: int | None = None  # removed from the middle: the entry the log goes on with
    written: int | None = None  # removed from the end: how many entries the head says

    def as_dict(self) -> dict[str, Any]:
        found = self.entry.as_dict() if self.entry else {"command": None, "actor": None,
                                                          "at": None}
        return {**found, "seq": self.seq, "problem": self.problem,
                "after": self.after.as_dict() if self.after else None}

    def sentence(self) -> str:
        if self.entry is not None:
            return (f"Audit {self.entry.words()} was altered: it no longer matches its hash, "
                    "or the entry after it does not link to it.")
        before = self.after.words() if self.after else "its start"
        if self.resumes is not None:
            return (f"Audit entry {self.seq} was removed: the log goes from {before} to "
                    f"entry {self.resumes}.")
        if self.written is not None:
            return (f"Audit entry {self.seq} was removed: the log ends at {before}, but "
                    f"{self.written} entries were written.")
        return (f"Audit entry {self.seq} may have been removed: the log ends at {before}, and "
                "the record of where it ended is gone.")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    last_hash: str
    first_bad: BadEntry | None = None


def _named(row: Row[Any] | None) -> Named | None:
    return Named(row.seq, row.command, row.actor, row.at) if row is not None else None


def _altered(row: Row[Any]) -> BadEntry:
    return BadEntry(seq=row.seq, problem=ALTERED, entry=_named(row))


def _removed(seq: int, before: Row[Any] | None, *, resumes: int | None = None,
             written: int | None = None) -> BadEntry:
    return BadEntry(seq=seq, problem=REMOVED, after=_named(before), resumes=resumes,
                    written=written)


def _snapshot(session: OrmSession) -> None:
    """Read the head and the whole log as of one moment, whatever is appended meanwhile (in a
    session that has read nothing yet; otherwise in the transaction it has open)."""
    fresh = not session.in_transaction()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        if not raw.in_transaction:
            raw.execute("BEGIN")  # a WAL read transaction: one snapshot until it ends
    elif connection.dialect.name == "postgresql" and fresh:
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))


def _pages(session: OrmSession, page: int) -> Iterator[Row[Any]]:
    last = 0
    while True:
        rows = session.execute(select(*_HASHED).where(AuditEntry.seq > last)
                               .order_by(AuditEntry.seq).limit(page)).all()
        yield from rows
        if len(rows) < page:
            return
        last = rows[-1].seq


def verify(session: OrmSession, page: int = PAGE) -> VerifyResult:
    """Recompute every hash and follow every link, in seq order, then check the log ends at
    its head; the first entry altered or removed, if any. Reads in one snapshot: give it a
    session of its own, and end its transaction after."""
    _snapshot(session)
    head = session.execute(select(AuditHead.seq, AuditHead.hash)
                           .where(AuditHead.id == HEAD)).first()
    count, previous = 0, None
    for row in _pages(session, page):
        expected = previous.seq + 1 if previous else 1
        bad = None
        if row.seq != expected:
            bad = _removed(expected, previous, resumes=row.seq)
        elif digest(**{k: getattr(row, k) for k in row._fields if k != "hash"}) != row.hash:
            bad = _altered(row)
        elif row.prev_hash != (previous.hash if previous else GENESIS):
            bad = _altered(previous or row)  # a hash rewritten to match its altered entry
        elif head is not None and row.seq > head.seq:
            bad = _altered(row)  # not written by Waypoint: the head never moved past it
        if bad is not None:
            return VerifyResult(ok=False, entries=count, last_hash=row.hash, first_bad=bad)
        count, previous = count + 1, row
    last_seq, last_hash = (previous.seq, previous.hash) if previous else (0, GENESIS)
    bad = None
    if head is None:
        if previous is not None:  # the record of where the log ends is gone with its end
            bad = _removed(last_seq + 1, previous)
    elif head.seq > last_seq:
        bad = _removed(last_seq + 1, previous, written=head.seq)  # cut short
    elif head.hash != last_hash and previous is not None:
        bad = _altered(previous)  # the last entry, rewritten with a hash of its own
    return VerifyResult(ok=bad is None, entries=count, last_hash=last_hash, first_bad=bad)
