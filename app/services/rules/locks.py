"""Why is this locked? Every locked progress explains itself in words."""

from __future__ import annotations

from sqlalchemy.orm import Session as OrmSession

from app.models import Milestone, Progress
from app.services.rules.lifecycle import waiting_on


def titles(milestones: list[Milestone]) -> str:
    names = [f"'{m.title}'" for m in milestones]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def locked_reason(session: OrmSession, progress: Progress, milestone: Milestone) -> str | None:
    if progress.state != "locked":
        return None
    waiting = waiting_on(session, progress.person_id, milestone.id)
    if waiting:
        verb = "is" if len(waiting) == 1 else "are"
        reason = f"Waiting for {titles(waiting)}, which {verb} not complete yet"
        if milestone.starts == "manual":
            reason += "; then staff start it by hand"
        return reason + "."
    if milestone.starts == "manual":
        return "Waiting for staff to start it (this milestone starts by hand)."
    return "Not ready yet."
