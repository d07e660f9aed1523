"""The training content around a participant's milestones: what to read before and after,
the survey and whether it is answered, the files handed in, and what completion waits on."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import DONE_STATES, Attachment, Milestone, Progress, SurveyResponse
from app.services import lookup
from app.services.errors import Refused
from app.services.rules.waiting import active_survey


def content_of(session: OrmSession, rows: list[tuple[Progress, Milestone]]
               ) -> dict[uuid.UUID, dict[str, Any]]:
    """One entry per progress, in two queries whatever the number of milestones."""
    ids = [p.id for p, _ in rows]
    files: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for a in session.scalars(select(Attachment).where(Attachment.progress_id.in_(ids))
                             .order_by(Attachment.at)):
        files.setdefault(a.progress_id, []).append(
            {"name": a.name, "size": a.size, "sha256": a.sha256, "at": a.at, "by": a.actor,
             "note": a.note})
    answered: dict[uuid.UUID, dict[str, Any]] = {}
    for r in session.scalars(select(SurveyResponse).where(
            SurveyResponse.progress_id.in_(ids), SurveyResponse.kind == "survey")):
        answered[(r.progress_id, r.survey_key)] = {"at": r.at, "answers": r.answers}
    found = {}
    for progress, milestone in rows:
        rules = milestone.rules or {}
        survey = active_survey(milestone)
        response = answered.get((progress.id, survey["key"])) if survey else None
        waits = []
        if progress.state not in DONE_STATES:
            if milestone.upload == "mandatory" and not files.get(progress.id):
                waits.append("an uploaded file")
            if rules.get("post_action_required") and survey and response is None:
                waits.append(f"the survey '{survey['title']}' answered")
        found[progress.id] = {
            "upload": milestone.upload,
            "files": files.get(progress.id, []),
            "survey": ({"key": survey["key"], "title": survey["title"],
                        "answered": response is not None,
                        "answered_at": response["at"] if response else None}
                       if survey else None),
            "activities": rules.get("activities") or [],
            "connect": rules.get("connect"),
            "waits_for": waits,
            "held": (progress.held or {}).get("note") if progress.held else None,
        }
    return found


def attachment_named(session: OrmSession, person_ref: str, milestone_ref: str,
                     name: str) -> Attachment:
    """The latest file of that name handed in on a participant's milestone."""
    person = lookup.person(session, person_ref)
    milestone = lookup.milestone(session, milestone_ref)
    progress = lookup.progress(session, person, milestone)
    files = list(session.scalars(select(Attachment).where(
        Attachment.progress_id == progress.id).order_by(Attachment.at.desc())))
    found = next((f for f in files if f.name == name), None)
    if found is None:
        listing = ", ".join(sorted({f.name for f in files})) or "none"
        raise Refused(f"{person.name} handed in no file '{name}' on '{milestone.title}' "
                      f"(files: {listing}).")
    return found
