"""Due dates: fixed, after start, after assignment, or from a date attribute; extensions win.

The due date is stored on each progress so that nightly scans and boards read it in SQL; it
is recomputed whenever one of its inputs changes (start, attribute, extension, definition).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.models import Milestone, Progress
from app.services.clock import local_date


def attribute_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def compute_due(
    milestone: Milestone, progress: Progress, attributes: dict[str, str], zone: ZoneInfo
) -> date | None:
    return due_from(
        milestone, progress.assigned_at, progress.started_at, progress.extended_until,
        attributes, zone,
    )


def due_from(
    milestone: Milestone,
    assigned_at: datetime,
    started_at: datetime | None,
    extended_until: date | None,
    attributes: dict[str, str],
    zone: ZoneInfo,
) -> date | None:
    if extended_until is not None:
        return extended_until
    kind = milestone.due_kind
    offset = timedelta(days=milestone.due_days or 0)
    if kind == "date":
        return milestone.due_date
    if kind == "after_start":
        if started_at is None:
            return None
        return local_date(started_at, zone) + offset
    if kind == "after_assignment":
        return local_date(assigned_at, zone) + offset
    if kind == "attribute":
        base = attribute_date(attributes.get(milestone.due_attribute or ""))
        return None if base is None else base + offset
    return None


def due_label(milestone: Milestone, progress: Progress) -> str | None:
    """Duration due dates show "Not Yet Started" until the participant starts: expected."""
    if (
        milestone.due_kind == "after_start"
        and progress.started_at is None
        and progress.extended_until is None
    ):
        return "Not Yet Started"
    return None
