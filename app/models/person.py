"""Participants (who progress) and staff (who act on their progress)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Person(Base):
    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str]
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    location: Mapped[str | None]
    status: Mapped[str | None]
    created_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)


class PersonAttribute(Base):
    """Free attributes (key → value): skip rules, triggers and date-based due dates read them."""

    __tablename__ = "person_attributes"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str]


class PersonImpact(Base):
    """Numeric impacts, each kept per stage (target, forecast, actual)."""

    __tablename__ = "person_impacts"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[float]


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str]
    version: Mapped[int] = mapped_column(default=1)


class StaffRole(Base):
    """Free role names; "admin" may do anything."""

    __tablename__ = "staff_roles"

    staff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
