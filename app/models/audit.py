"""The audit trail: every command this store ran or refused, in a hash chain.

Each entry carries the hash of the one before it, so an entry altered or removed in the
middle breaks the chain at that point. A chain alone cannot show that its newest entries
were cut off, so the store also keeps the chain's head (the last seq and hash) in a one-row
table of its own, `audit_head`, written in the same transaction as each entry: a log that
ends before its head was truncated. (Not the `settings` table: on the sync server every
settings write enters the change feed, one more row per command for nothing; nor the
operation log, which has no row for a refused command.)

How `hash` is made (app/services/audit.py computes it; an auditor can recompute it): the
SHA-256, as 64 lowercase hex digits, of the UTF-8 bytes of

    json.dumps({"seq": …, "at": …, "recorded_at": …, "actor": …, "device": …,
                "command": …, "args": …, "op_id": …, "outcome": …, "reason": …,
                "prev_hash": …}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

where `at` and `recorded_at` are UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six digits of
microseconds), `op_id` is the UUID in its hyphenated lowercase form (or null), `args` the JSON
object as the database hands it back (its keys sorted too, at every depth; PostgreSQL's JSONB
writes some numbers its own way, and the hash is over its form), `reason` null for an
accepted command, and `prev_hash` the previous entry's hash, or 64 zeros for entry 1.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

SEQ = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    """One command, accepted or refused: who (`actor`, as given where it names nobody known),
    when they acted (`at`, the command's time) and when it was written (`recorded_at`, the
    wall clock), on which machine (`device`: the store's client id; on the sync server the
    pushing client's), what (`command`, `args` as the operation log keeps them) and what came
    of it (`outcome`, with the refusal's `reason`).

    `seq` counts from 1 with no holes: it is given from `audit_head` rather than by the
    database, whose sequences skip the numbers of rolled-back inserts (PostgreSQL)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(SEQ, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(254))
    device: Mapped[str] = mapped_column(String(64))
    command: Mapped[str] = mapped_column(String(60))
    args: Mapped[dict[str, Any]]
    op_id: Mapped[uuid.UUID | None]
    outcome: Mapped[str] = mapped_column(String(10))  # accepted | refused
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's newest entry (seq 0 and 64 zeros before the first): one row, id 1. Taking
    the next number is an UPDATE of this row, which also makes writers of the log take turns
    (SQLite's write lock, PostgreSQL's row lock) so no two entries chain off the same one."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(SEQ)
    hash: Mapped[str] = mapped_column(String(64))
