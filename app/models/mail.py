"""The mail outbox and staff alerts: what the write path queues for people to read."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class OutboxMessage(Base):
    """A mail queued in the same transaction as the change that caused it."""

    __tablename__ = "outbox"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    to_email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str]
    body: Mapped[str]
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), index=True)
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("milestones.id"))
    created_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None]
    # Delivery waits until then after a failed attempt (back-off); None: at the next send.
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)


class Alert(Base):
    """A staff alert: due soon, past due, escalation, regression, or an action that failed."""

    __tablename__ = "alerts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), index=True)
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("milestones.id"))
    at: Mapped[datetime] = mapped_column(index=True)
    message: Mapped[str]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None]
    dedupe_key: Mapped[str | None] = mapped_column(String(300), unique=True)


class ReminderSent(Base):
    """A reminder rule that fired for a progress, for one date it fired on: what makes a
    tick, run twice or after a week closed, remind of each thing once."""

    __tablename__ = "reminders_sent"

    progress_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("progress.id", ondelete="CASCADE"), primary_key=True)
    rule: Mapped[int] = mapped_column(primary_key=True)  # its index in the milestone's list
    fire_on: Mapped[date] = mapped_column(primary_key=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox.id"))
    at: Mapped[datetime]
