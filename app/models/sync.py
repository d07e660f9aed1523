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

from sqlalchemy import ForeignKey, Index, String, Text
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
