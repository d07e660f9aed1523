"""Scheduled meetings, events and trainings that participants register for and attend."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
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
