"""Domain events raised inside a command; rules react to them until nothing more changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class StateChanged:
    progress_id: uuid.UUID
    person_id: uuid.UUID
    milestone_id: uuid.UUID
    before: str | None
    after: str


@dataclass(frozen=True)
class PersonChanged:
    """Fields are "status", "location", "attr.NAME" or "impact.NAME"."""

    person_id: uuid.UUID
    fields: tuple[str, ...]
