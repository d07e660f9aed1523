"""Cohorts form a tree; memberships record each stint a participant spends in one."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Cohort(Base):
    __tablename__ = "cohorts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str]
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    expected_days: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)


class CohortStaff(Base):
    """Staff assigned to a cohort are the ones told about its requests."""

    __tablename__ = "cohort_staff"

    cohort_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )


class Membership(Base):
    """One stint in a cohort. Leaving closes it (history stays); rejoining opens a new one."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index(
            "uq_memberships_current",
            "person_id",
            "cohort_id",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
        Index("ix_memberships_cohort_current", "cohort_id", "left_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    cohort_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cohorts.id"))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
