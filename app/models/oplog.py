"""The operation log: every accepted command, in order, with what it changed.

It is the local outbox of the sync protocol too: `seq` is the per-client sequence number the
server uses to drop repeats and refuse gaps.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import String
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
