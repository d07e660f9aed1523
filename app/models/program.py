"""Program-wide definitions that are not milestones: settings, mail templates, campaigns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Setting(Base):
    """Store-wide settings: the program's name and zone, the profile's user, the client id."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str]


class Template(Base):
    """A Jinja2 mail template; it sees person, milestone, cohort and due."""

    __tablename__ = "templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str]
    body: Mapped[str]
    version: Mapped[int] = mapped_column(default=1)


class Campaign(Base):
    """A drip campaign: mails sent at offsets from when it started for a participant."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    steps: Mapped[list[Any]] = mapped_column(default=list)
    version: Mapped[int] = mapped_column(default=1)


class CampaignRun(Base):
    """A campaign running for one participant, from a completion action until stopped."""

    __tablename__ = "campaign_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    started_by_milestone_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("milestones.id")
    )


class ProgramVersion(Base):
    """The whole program file as it stood after a change to the definitions: numbered, with
    who changed it, when, how (a file applied, the editor, a session scheduled, a restore) and
    the operation that did. Versions are what `versions` browses and diffs, and what a restore
    goes back to; a change that leaves the file as it was makes none."""

    __tablename__ = "program_versions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime]
    actor: Mapped[str | None]
    source: Mapped[str] = mapped_column(String(200))
    op_id: Mapped[uuid.UUID | None]
    text: Mapped[str]
