"""Milestone definitions and the rules they carry.

Rules the store must scan in bulk (order, starts, due, scale, escalation, retirement) are
columns; rule families read one milestone at a time (approval, reminders, optional triggers,
completion actions, training content) are JSON documents in the program file's own shape, so
an export writes back exactly what was applied.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Gate(Base):
    """A stage gate: a named, ordered phase grouping milestones."""

    __tablename__ = "gates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str]
    position: Mapped[int] = mapped_column(default=0)
    reviewers: Mapped[list[Any]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(default=1)


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str]
    description: Mapped[str | None]
    kind: Mapped[str] = mapped_column(String(20), default="standard")
    position: Mapped[int] = mapped_column(default=0)
    step: Mapped[int] = mapped_column(default=1)
    gate_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("gates.id"), index=True)
    starts: Mapped[str] = mapped_column(String(30), default="on_assignment")
    due_kind: Mapped[str | None] = mapped_column(String(20))
    due_date: Mapped[date | None]
    due_days: Mapped[int | None]
    due_attribute: Mapped[str | None]
    expected_days: Mapped[int | None]
    scale_behind: Mapped[float] = mapped_column(default=1.0)
    scale_stuck: Mapped[float] = mapped_column(default=1.5)
    escalate_after_days: Mapped[int | None]
    complete_by: Mapped[list[Any]] = mapped_column(default=list)
    upload: Mapped[str] = mapped_column(String(20), default="off")
    labels: Mapped[list[Any]] = mapped_column(default=list)
    visible_to: Mapped[list[Any]] = mapped_column(default=list)
    skip_when: Mapped[dict[str, Any]] = mapped_column(default=dict)
    bypass_roles: Mapped[list[Any] | None]
    unset_on: Mapped[list[Any]] = mapped_column(default=list)
    blocks_statuses: Mapped[list[Any]] = mapped_column(default=list)
    retired: Mapped[bool] = mapped_column(default=False)
    is_optional: Mapped[bool] = mapped_column(default=False)
    # The rest of the program file's milestone, in its own shape (see programs.spec).
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)


class MilestoneCohort(Base):
    """A milestone linked to several cohorts is shared: one definition, one progress each."""

    __tablename__ = "milestone_cohorts"

    milestone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Prerequisite(Base):
    """Parent → child: the child opens when all of its parents are complete."""

    __tablename__ = "prerequisites"

    milestone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True
    )
    parent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Step(Base):
    """A task or achievement inside a milestone."""

    __tablename__ = "steps"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    milestone_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("milestones.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str]
    kind: Mapped[str] = mapped_column(String(20), default="task")
    required: Mapped[bool] = mapped_column(default=True)


class GateReview(Base):
    """A gate decision for one participant: go, hold, recycle or stop, with its note and the
    readiness checklist (the gate's milestones and their states) as the reviewer saw it."""

    __tablename__ = "gate_reviews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    gate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gates.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None]
    checklist: Mapped[list[Any]] = mapped_column(default=list)
    actor: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]
