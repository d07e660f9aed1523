"""One participant's progress on one milestone, as the board's participant panel shows it:
its history (every event, oldest first), the files handed in on it, and its survey with the
answers given. Three small queries on one progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Attachment, ProgressEvent, SurveyResponse
from app.services import lookup
from app.services.rules.waiting import active_survey

EVENT_WORDS = {
    "ProgressAssigned": "Assigned", "ProgressOpened": "Opened", "ProgressRelocked": "Locked again",
    "ProgressStarted": "Started", "ProgressCompleted": "Completed", "ProgressSkipped": "Skipped",
    "ProgressBypassed": "Skipped with a reason", "ProgressReopened": "Reopened",
    "ProgressSubmitted": "Submitted for approval", "ProgressApproved": "Approved",
    "ProgressDenied": "Denied", "ProgressWithdrawn": "Withdrawn", "DueExtended": "Due extended",
    "StepTicked": "Step done", "CompletionHeld": "Waiting for evidence",
    "FileAttached": "File handed in", "SurveyAnswered": "Survey answered",
    "ApprovalGiven": "Approval given", "ApprovalAssigned": "Approval handed to",
}


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    kind: str
    what: str  # the kind in words
    from_state: str | None
    to_state: str | None
    actor: str | None
    note: str | None


@dataclass(frozen=True)
class ProgressDetail:
    person: str
    milestone: str
    title: str
    state: str
    history: list[HistoryRow]
    files: list[dict[str, Any]]  # name, size, sha256, at, by, note
    survey: dict[str, Any] | None  # key, title, questions, answers ([] when not answered), at


def words(kind: str) -> str:
    """An event kind in words: a known one by name, else its CamelCase split (without the
    "Progress" every progress event starts with)."""
    if kind in EVENT_WORDS:
        return EVENT_WORDS[kind]
    bare = kind.removeprefix("Progress") or kind
    spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in bare).strip()
    return spaced[:1].upper() + spaced[1:]


def progress_detail(session: OrmSession, person_ref: str, milestone_ref: str) -> ProgressDetail:
    person = lookup.person(session, person_ref)
    milestone = lookup.milestone(session, milestone_ref)
    progress = lookup.progress(session, person, milestone)
    history = [
        HistoryRow(e.at, e.kind, words(e.kind), e.from_state, e.to_state, e.actor, e.note)
        for e in session.scalars(
            select(ProgressEvent).where(ProgressEvent.progress_id == progress.id)
            .order_by(ProgressEvent.at, ProgressEvent.id))
    ]
    files = [
        {"name": a.name, "size": a.size, "sha256": a.sha256, "at": a.at, "by": a.actor,
         "note": a.note}
        for a in session.scalars(select(Attachment).where(Attachment.progress_id == progress.id)
                                 .order_by(Attachment.at))
    ]
    survey = None
    chosen = active_survey(milestone)
    if chosen is not None:
        response = session.scalar(
            select(SurveyResponse).where(SurveyResponse.progress_id == progress.id,
                                         SurveyResponse.kind == "survey",
                                         SurveyResponse.survey_key == chosen["key"])
            .order_by(SurveyResponse.at.desc()).limit(1))
        survey = {"key": chosen["key"], "title": chosen.get("title") or chosen["key"],
                  "questions": [q.get("text", "") for q in chosen.get("questions") or []],
                  "answers": list(response.answers) if response else [],
                  "at": response.at if response else None}
    return ProgressDetail(person=person.external_id, milestone=milestone.key,
                          title=milestone.title, state=progress.state, history=history,
                          files=files, survey=survey)
