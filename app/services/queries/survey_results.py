"""A milestone's survey results for staff: each response, and a summary per question
(how many chose each option, the average of each rating, the text answers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Membership, Person, Progress, SurveyResponse
from app.services import lookup
from app.services.errors import Refused
from app.services.queries.board import cohort_tree, subtree
from app.services.rules.waiting import active_survey


@dataclass
class QuestionSummary:
    question: str
    kind: str
    answered: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # mcq: option → how many
    average: float | None = None  # ratings
    texts: list[str] = field(default_factory=list)


@dataclass
class SurveyResults:
    milestone: str
    survey: str
    title: str
    responses: list[dict[str, Any]]
    summary: list[QuestionSummary]


def survey_results(session: OrmSession, milestone_ref: str, survey_key: str | None = None,
                   cohort: str | None = None) -> SurveyResults:
    milestone = lookup.milestone(session, milestone_ref)
    surveys = (milestone.rules or {}).get("surveys") or []
    if survey_key is None:
        survey = active_survey(milestone)
        if survey is None:
            raise Refused(f"'{milestone.title}' has no active survey"
                          + ("; name one with --survey." if surveys else "."))
    else:
        survey = next((s for s in surveys if s["key"] == survey_key), None)
        if survey is None:
            raise Refused(f"'{milestone.title}' has no survey '{survey_key}'.")
    query = (select(SurveyResponse, Person)
             .join(Progress, Progress.id == SurveyResponse.progress_id)
             .join(Person, Person.id == Progress.person_id)
             .where(Progress.milestone_id == milestone.id, SurveyResponse.kind == "survey",
                    SurveyResponse.survey_key == survey["key"])
             .order_by(SurveyResponse.at, Person.external_id))
    if cohort is not None:
        within = subtree(cohort_tree(session), lookup.cohort(session, cohort).id)
        query = query.where(Person.id.in_(select(Membership.person_id).where(
            Membership.cohort_id.in_(within), Membership.left_at.is_(None))))
    rows = session.execute(query).all()
    summary = [QuestionSummary(q["text"], q["kind"],
                               counts={o: 0 for o in q.get("options") or []})
               for q in survey["questions"]]
    ratings: list[list[int]] = [[] for _ in summary]
    for response, _ in rows:
        for index, answer in enumerate(response.answers[:len(summary)]):
            value = answer.get("answer")
            if value is None:
                continue
            part = summary[index]
            part.answered += 1
            if part.kind == "mcq":
                part.counts[value] = part.counts.get(value, 0) + 1
            elif part.kind in ("rating", "overall_rating"):
                ratings[index].append(int(value))
            else:
                part.texts.append(str(value))
    for part, given in zip(summary, ratings, strict=True):
        if given:
            part.average = round(sum(given) / len(given), 2)
    return SurveyResults(
        milestone=milestone.key, survey=survey["key"], title=survey["title"],
        responses=[{"person": p.external_id, "name": p.name, "at": r.at, "by": r.actor,
                    "answers": r.answers} for r, p in rows],
        summary=summary)
