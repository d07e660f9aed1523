"""The sync service's own tables: accounts, their tokens, and the fate of every pushed command.

They live in the same schema (and the same migrations) as the domain, so a server is one
PostgreSQL database and a push's record commits in the same transaction as its effects:
a command and the note that it was applied can never part. A desktop store has the tables
too, empty, so that one migration history serves both.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Account(Base):
    """A person who may sign in to the server: a staff email with an argon2 password hash.
    `roles` are the account's (admin may manage accounts); what the person may do to the
    program is decided by the staff roles in the store, as for every command."""

    __tablename__ = "accounts"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class Token(Base):
    """A short-lived bearer token. Only its SHA-256 is kept: a copy of the database signs
    nobody in."""

    __tablename__ = "tokens"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(
        String(254), ForeignKey("accounts.email", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Push(Base):
    """One command a client pushed, by (client, sequence): what became of it and when.

    The primary key makes a repeat impossible to apply twice, whatever the number of server
    instances. `acted_at` is when the user acted (the command's own time, from the laptop's
    clock), `received_at` when the server took it, and `server_seq` its place in the
    server's order (the server operation log's seq) for an accepted command.
    """

    __tablename__ = "pushes"
    __table_args__ = (Index("ix_pushes_op_id", "op_id"),)

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    op_id: Mapped[uuid.UUID]
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))  # accepted | refused
    reason: Mapped[str | None] = mapped_column(Text)
    acted_at: Mapped[datetime]
    received_at: Mapped[datetime]
    server_seq: Mapped[int | None]


class Change(Base):
    """The server's change feed: one entry per row written by a replayed command (kept by
    PostgreSQL triggers, so set-based writes are seen as well as the ORM's), numbered in the
    server's one order. A client pulls the entries after its cursor and gets each row as it
    is now, or a tombstone where it is gone. Superseded entries are compacted away, and
    tombstones dropped after the retention period (a client behind that resets)."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_row", "tbl", "pk"),)

    server_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True)
    tbl: Mapped[str] = mapped_column(String(40))
    pk: Mapped[str] = mapped_column(Text)  # the primary key as a JSON array
    deleted: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class Touched(Base):
    """A laptop's record of the rows its own commands wrote since the last pull, with each
    row as it was before (None: the command created it). Pulling puts these rows back first,
    so the server's version lands on the state the server knows, then replays the commands
    still waiting on top: what a user did is never overwritten by an older copy of itself."""

    __tablename__ = "sync_touched"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    op: Mapped[str] = mapped_column(String(36), index=True)
    tbl: Mapped[str] = mapped_column(String(40))
    pk: Mapped[str] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)


class Capture(Base):
    """The operation a laptop's triggers attribute writes to, while a command runs (a row
    only inside the command's own transaction)."""

    __tablename__ = "sync_capture"

    op: Mapped[str] = mapped_column(String(36), primary_key=True)


class Incoming(Base):
    """Pulled rows waiting to be applied: a pull downloads page by page (each committed, so an
    interrupted pull resumes), then applies them all in one transaction."""

    __tablename__ = "sync_incoming"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    tbl: Mapped[str] = mapped_column(String(40))
    pk: Mapped[str] = mapped_column(Text)
    row: Mapped[dict[str, Any] | None]
