"""Progress (one participant × one milestone) and the append-only history of each one."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

STATES = ("locked", "open", "started", "submitted", "complete", "denied", "skipped")
DONE_STATES = ("complete", "skipped")


class Progress(Base):
    __tablename__ = "progress"
    __table_args__ = (
        UniqueConstraint("person_id", "milestone_id"),
        Index("ix_progress_milestone_state", "milestone_id", "state"),
        Index("ix_progress_state_due", "state", "due_on"),
        # The pending requests with every column the inbox reads of them: it reads them from
        # this index alone, not from a row each scattered over the table.
        Index("ix_progress_pending", "state", "submitted_at", "person_id", "milestone_id", "id",
              "round", "assigned_to",
              sqlite_where=text("state = 'submitted'"),
              postgresql_where=text("state = 'submitted'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Found by participant through the unique (person_id, milestone_id) index.
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"))
    milestone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("milestones.id"))
    state: Mapped[str] = mapped_column(String(20))
    assigned_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None]
    assigned_to: Mapped[str | None]  # the one approver a pending approval was handed to
    # Which submission this is (0: never submitted); approvals count within one round.
    round: Mapped[int] = mapped_column(default=0, server_default="0")
    completed_at: Mapped[datetime | None]
    state_since: Mapped[datetime]
    due_on: Mapped[date | None]
    extended_until: Mapped[date | None]
    acted: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None]
    # A completion whose condition was met (attendance, steps, signatures, approval) but
    # which waits on evidence or a survey: {"kind": event kind, "note": why}. It completes
    # by itself once what it waits on is handed in.
    held: Mapped[dict[str, Any] | None]
    version: Mapped[int] = mapped_column(default=1)


class ProgressEvent(Base):
    """What happened to a progress: past-tense kind, states, when, who, why, which command."""

    __tablename__ = "progress_events"
    __table_args__ = (
        Index("ix_progress_events_progress_at", "progress_id", "at"),
        # The moves between states, each progress's in time order, with the states: the
        # reports read a stay's end and a milestone's first opening and last completion
        # from it alone, without reading the history's rows.
        Index("ix_progress_events_moves", "progress_id", "at", "to_state", "from_state",
              sqlite_where=text("to_state IS NOT NULL"),
              postgresql_where=text("to_state IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    progress_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("progress.id"))
    op_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    at: Mapped[datetime]
    actor: Mapped[str | None]
    note: Mapped[str | None]


class StepCheck(Base):
    """A ticked step of one progress."""

    __tablename__ = "step_checks"

    progress_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("progress.id", ondelete="CASCADE"), primary_key=True
    )
    step_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("steps.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime]
    actor: Mapped[str | None]
