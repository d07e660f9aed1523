"""Approval decisions on completion requests, one row per approver per level per round.

A round is one submission: resubmitting after a denial starts a new round, so the decisions of
an earlier round stay in the history but no longer count.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Approval(Base):
    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_progress_round", "progress_id", "round"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    progress_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("progress.id", ondelete="CASCADE"))
    round: Mapped[int]
    level: Mapped[int]  # 1-based, as the program file's levels are read
    actor: Mapped[str] = mapped_column(String(320))
    decision: Mapped[str] = mapped_column(String(20))  # approved | denied
    on_behalf_of: Mapped[str | None] = mapped_column(String(320))  # a delegator's email
    note: Mapped[str | None]
    at: Mapped[datetime]
    op_id: Mapped[uuid.UUID | None]


class Delegation(Base):
    """An approver's colleague acting for them over a date range, both days included."""

    __tablename__ = "delegations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    from_staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    to_staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    start: Mapped[date]
    end: Mapped[date]
    created_at: Mapped[datetime]
