"""Training content participants hand in: survey responses, linked-form answers and the
files attached as evidence.

Files live in the profile's attachment store, named by the SHA-256 of their content; a row
here says which progress (or which milestone activity) a file belongs to and under what name
the user knows it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class SurveyResponse(Base):
    """One participant's answers to a milestone's survey, or to its linked form with one
    completion request (kind "form", one per submission round)."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("progress_id", "kind", "survey_key", "round"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    progress_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("progress.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # survey | form
    survey_key: Mapped[str] = mapped_column(String(200), default="")
    round: Mapped[int] = mapped_column(default=0)
    # [{"question": text, "kind": kind, "answer": value}] in question order
    answers: Mapped[list[Any]] = mapped_column(default=list)
    at: Mapped[datetime]
    actor: Mapped[str]


class Attachment(Base):
    """A file handed in as evidence on a progress."""

    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    progress_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("progress.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str]
    size: Mapped[int]
    note: Mapped[str | None]
    at: Mapped[datetime]
    actor: Mapped[str]
