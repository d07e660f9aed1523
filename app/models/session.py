"""Scheduled meetings, events and trainings that participants register for and attend."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ScheduledSession(Base):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str]
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("milestones.id"), index=True
    )
    start: Mapped[datetime]
    end: Mapped[datetime]
    location: Mapped[str | None]
    link: Mapped[str | None]
    passcode: Mapped[str | None]
    tentative: Mapped[bool] = mapped_column(default=False)
    trainers: Mapped[list[Any]] = mapped_column(default=list)
    marking: Mapped[str] = mapped_column(String(20), default="admin")
    group: Mapped[str | None]
    reason: Mapped[str | None]
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)


class Registration(Base):
    """A participant registered for a session; a no-show is kept as a status, not deleted."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="registered")  # | no_show
    walk_in: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime]
    actor: Mapped[str | None]


class Attendance(Base):
    """One day's attendance; only a recorded join time counts as having attended."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "person_id", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    day: Mapped[date]
    join_at: Mapped[datetime | None]
    leave_at: Mapped[datetime | None]
    at: Mapped[datetime]
    actor: Mapped[str | None]


class Appointment(Base):
    """A meeting outside any scheduled session (`meet`): counts for milestones of its group
    and reason."""

    __tablename__ = "appointments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    group: Mapped[str]
    reason: Mapped[str]
    join_at: Mapped[datetime | None]
    leave_at: Mapped[datetime | None]
    at: Mapped[datetime]
    actor: Mapped[str | None]


class Signature(Base):
    """A whiteboard signature: one per required role per progress."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("progress_id", "role"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    progress_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("progress.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(100))
    signer: Mapped[str]
    at: Mapped[datetime]
