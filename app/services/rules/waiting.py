"""What completion waits on: a mandatory upload, and a post-action survey.

A mandatory upload blocks completion until a file is attached; `post_action_required` blocks
it until the active survey is answered. Where the milestone completes by itself (attendance,
registration, steps, signatures, an approval), the condition met is kept on the progress as
*held* and the milestone completes the moment the last missing piece is handed in, so
nobody has to attend twice or ask twice. Completing by hand is refused with what is missing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Attachment, Milestone, Person, Progress, SurveyResponse
from app.services.errors import Refused
from app.services.rules.lifecycle import change_entry, history, transition
from app.services.work import Work

HELD = "CompletionHeld"


def active_survey(milestone: Milestone) -> dict[str, Any] | None:
    return next((s for s in (milestone.rules or {}).get("surveys") or [] if s.get("active")),
                None)


def _answered(session: OrmSession, progress: Progress, survey_key: str) -> bool:
    return session.scalar(select(SurveyResponse.id).where(
        SurveyResponse.progress_id == progress.id, SurveyResponse.kind == "survey",
        SurveyResponse.survey_key == survey_key).limit(1)) is not None


def _has_file(session: OrmSession, progress: Progress) -> bool:
    return session.scalar(select(Attachment.id).where(
        Attachment.progress_id == progress.id).limit(1)) is not None


def waits_on(session: OrmSession, progress: Progress, milestone: Milestone) -> list[str]:
    """What completion still needs handed in, in words: empty when nothing."""
    missing = []
    if milestone.upload == "mandatory" and not _has_file(session, progress):
        missing.append("an uploaded file")
    if (milestone.rules or {}).get("post_action_required"):
        survey = active_survey(milestone)
        if survey is not None and not _answered(session, progress, survey["key"]):
            missing.append(f"the survey '{survey['title']}' answered")
    return missing


def refuse_while_waiting(work: Work, person: Person, progress: Progress, milestone: Milestone,
                         doing: str) -> None:
    missing = waits_on(work.session, progress, milestone)
    if missing:
        raise Refused(f"'{milestone.title}' cannot be {doing} yet for {person.name}: it waits "
                      f"for {' and '.join(missing)}.")


def complete_unless_waiting(work: Work, progress: Progress, milestone: Milestone, kind: str,
                            note: str | None) -> None:
    """Complete, or keep the met condition on the progress until what is missing comes."""
    missing = waits_on(work.session, progress, milestone)
    if not missing:
        transition(work, progress, "complete", kind, note=note, acted=True)
        return
    if progress.state != "started":
        transition(work, progress, "started", "ProgressStarted", note=note, acted=True)
    progress.held = {"kind": kind, "note": note}
    progress.version += 1
    history(work, progress, HELD, progress.state, progress.state,
            f"{note or 'done'}; completes once it has {' and '.join(missing)}")
    work.record("progress", change_entry(work, progress, waits_for=missing))


def release(work: Work, progress: Progress, milestone: Milestone) -> None:
    """The last missing piece came: complete as the held condition said."""
    work.session.flush()
    if progress.held is None or waits_on(work.session, progress, milestone):
        return
    held = progress.held
    transition(work, progress, "complete", held["kind"], note=held.get("note"), acted=True)
