"""The operation log: every accepted command, in order, with what it changed.

It is the local outbox of the sync protocol too. `seq` numbers every operation of this store;
`push_seq` is the per-client sequence number the server uses to drop repeats and refuse gaps,
given when the operation is first pushed (commands local to one machine get none, so the
server sees no holes), and kept, so a push whose answer was lost is resent as itself.
`sync_state` is pending, accepted, refused (with the server's `sync_reason`), discarded, or
local (never pushed).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Operation(Base):
    __tablename__ = "operations"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True)
    client_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(60))
    args: Mapped[dict[str, Any]]
    actor: Mapped[str | None]
    at: Mapped[datetime]
    base: Mapped[dict[str, Any]] = mapped_column(default=dict)
    changes: Mapped[list[Any]] = mapped_column(default=list)
    sync_state: Mapped[str] = mapped_column(String(20), default="pending")
    push_seq: Mapped[int | None] = mapped_column(index=True)
    sync_reason: Mapped[str | None] = mapped_column(Text)
