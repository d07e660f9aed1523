"""Training content participants hand in: survey answers, the linked form, files.

Answers are checked against their questions (an option of a multiple choice, a rating within
its scale) and every problem is named at once. Handing in the last thing a held completion
waits on completes it (see rules.waiting).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import Attachment, Milestone, Progress, SurveyResponse
from app.services.attachments import limit_bytes, too_large
from app.services.commands import AnswerSurvey, AttachFile
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.lifecycle import history, transition
from app.services.rules.permissions import require_self_or_staff
from app.services.rules.progress_verbs import refuse_if_locked, target
from app.services.rules.waiting import active_survey, release
from app.services.work import Work

CHOICE_KINDS = ("mcq", "rating", "overall_rating")


# -- answers ------------------------------------------------------------------------------


def read_answers(questions: list[dict[str, Any]], given: tuple[tuple[str, str], ...],
                 where: str, *, every_question: bool) -> list[dict[str, Any]]:
    """Match (question number or text, answer) pairs to the questions and check each answer
    against its kind; every problem named at once. Choices and ratings are always required,
    text answers only where `every_question` (a linked form)."""
    problems: list[str] = []
    chosen: dict[int, Any] = {}
    wrong: set[int] = set()
    for ref, raw in given:
        index = _question_index(questions, ref)
        if index is None:
            listing = "; ".join(f"{i}. {q['text']}" for i, q in enumerate(questions, 1))
            problems.append(f"{where} has no question '{ref}' (its questions: {listing})")
            continue
        if index in chosen:
            problems.append(f"question {index + 1} of {where} is answered twice")
            continue
        value, problem = _check(questions[index], raw.strip())
        if problem:
            wrong.add(index)
            problems.append(f"question {index + 1} ('{questions[index]['text']}'): {problem}")
        else:
            chosen[index] = value
    for index, question in enumerate(questions):
        needed = every_question or question["kind"] in CHOICE_KINDS
        if index not in chosen and index not in wrong and needed:
            problems.append(f"question {index + 1} ('{question['text']}') needs an answer")
    if problems:
        raise Refused(f"{where}: " + "; ".join(problems) + ".")
    return [{"question": q["text"], "kind": q["kind"], "answer": chosen.get(i)}
            for i, q in enumerate(questions)]


def _question_index(questions: list[dict[str, Any]], ref: str) -> int | None:
    wanted = ref.strip()
    if wanted.isdigit() and 1 <= int(wanted) <= len(questions):
        return int(wanted) - 1
    return next((i for i, q in enumerate(questions)
                 if q["text"].casefold() == wanted.casefold()), None)


def _check(question: dict[str, Any], raw: str) -> tuple[Any, str | None]:
    kind = question["kind"]
    if kind == "mcq":
        options = list(question.get("options") or [])
        if raw.isdigit() and 1 <= int(raw) <= len(options):
            return options[int(raw) - 1], None
        match = next((o for o in options if o.casefold() == raw.casefold()), None)
        if match is None:
            return None, f"'{raw}' is not one of its options ({', '.join(options)})"
        return match, None
    if kind in ("rating", "overall_rating"):
        scale = int(question.get("scale") or 5)
        if not raw.isdigit() or not 1 <= int(raw) <= scale:
            return None, f"'{raw}' is not a rating from 1 to {scale}"
        return int(raw), None
    if not raw:
        return None, "the answer is empty"
    return raw, None


def form_answers(work: Work, progress: Progress, milestone: Milestone,
                 given: tuple[tuple[str, str], ...]) -> None:
    """The linked form, answered with a completion request, kept with its round."""
    form = (milestone.rules or {}).get("form") or []
    if not form:
        if given:
            raise Refused(f"'{milestone.title}' has no form to answer.")
        return
    answers = read_answers(form, given, f"The form of '{milestone.title}'",
                           every_question=True)
    work.session.add(SurveyResponse(
        id=work.new_id(), progress_id=progress.id, kind="form", survey_key="",
        round=progress.round, answers=answers, at=work.at, actor=work.actor.label))


@handles(AnswerSurvey)
def answer_survey(command: AnswerSurvey, work: Work) -> None:
    person, milestone, progress = target(command, work)
    require_self_or_staff(work, person, "answer the surveys of")
    surveys = (milestone.rules or {}).get("surveys") or []
    if not surveys:
        raise Refused(f"'{milestone.title}' has no survey.")
    active = active_survey(milestone)
    if command.survey is None:
        survey = active
        if survey is None:
            raise Refused(f"'{milestone.title}' has no active survey.")
    else:
        survey = next((s for s in surveys if s["key"] == command.survey), None)
        if survey is None:
            keys = ", ".join(s["key"] for s in surveys)
            raise Refused(f"'{milestone.title}' has no survey '{command.survey}' "
                          f"(its surveys: {keys}).")
        if survey is not active:
            raise Refused(f"The survey '{survey['title']}' of '{milestone.title}' is not "
                          "active" + (f"; the active one is '{active['key']}'." if active
                                      else "."))
    refuse_if_locked(work, progress, milestone)
    earlier = work.session.scalar(select(SurveyResponse).where(
        SurveyResponse.progress_id == progress.id, SurveyResponse.kind == "survey",
        SurveyResponse.survey_key == survey["key"]))
    if earlier is not None:
        raise Refused(f"{person.name} already answered '{survey['title']}' "
                      f"({earlier.at.date().isoformat()}).")
    answers = read_answers(survey["questions"], command.answers,
                           f"The survey '{survey['title']}'", every_question=False)
    work.session.add(SurveyResponse(
        id=work.new_id(), progress_id=progress.id, kind="survey", survey_key=survey["key"],
        round=0, answers=answers, at=work.at, actor=work.actor.label))
    history(work, progress, "SurveyAnswered", progress.state, progress.state, survey["title"])
    work.record("content", {"kind": "survey_response", "person": person.external_id,
                            "milestone": milestone.key, "survey": survey["key"]})
    release(work, progress, milestone)


@handles(AttachFile)
def attach(command: AttachFile, work: Work) -> None:
    person, milestone, progress = target(command, work)
    require_self_or_staff(work, person, "attach files to")
    if milestone.upload == "off":
        raise Refused(f"'{milestone.title}' takes no uploads (its upload setting is off).")
    refuse_if_locked(work, progress, milestone)
    limit = limit_bytes(work.session)
    if command.size > limit:
        raise Refused(too_large(command.name, command.size, limit))
    work.session.add(Attachment(
        id=work.new_id(), progress_id=progress.id, sha256=command.sha256, name=command.name,
        size=command.size, note=command.note, at=work.at, actor=work.actor.label))
    if progress.state == "open":
        transition(work, progress, "started", "ProgressStarted", acted=True)
    history(work, progress, "FileAttached", progress.state, progress.state, command.name)
    work.record("content", {"kind": "attachment", "person": person.external_id,
                            "milestone": milestone.key, "file": command.name,
                            "sha256": command.sha256, "size": command.size})
    release(work, progress, milestone)
