"""Acting on one progress: start, complete, skip, bypass, reopen, extend, tick a step."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, select

from app.models import Milestone, Person, Progress, Step, StepCheck
from app.services import lookup, memo
from app.services.commands import (
    BypassProgress,
    CompleteProgress,
    ExtendDue,
    ProgressCommand,
    ReopenProgress,
    SkipProgress,
    StartProgress,
    TickStep,
)
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.lifecycle import history, refresh_due, transition, waiting_on
from app.services.rules.locks import locked_reason
from app.services.rules.permissions import is_staff_or_system, require_self_or_staff, require_staff
from app.services.rules.waiting import complete_unless_waiting, refuse_while_waiting
from app.services.work import Work

DONE_WORDS = {"complete": "already complete", "skipped": "already skipped"}


def target(command: ProgressCommand, work: Work) -> tuple[Person, Milestone, Progress]:
    found = lookup.person_progress(work.session, command.person, command.milestone)
    work.kept.extend(found)
    return found


def refuse_if_locked(work: Work, progress: Progress, milestone: Milestone) -> None:
    if progress.state == "locked":
        reason = locked_reason(work.session, progress, milestone)
        raise Refused(f"'{milestone.title}' is locked. {reason}")


def refuse_if_done(person: Person, progress: Progress, milestone: Milestone) -> None:
    if progress.state in DONE_WORDS:
        raise Refused(f"'{milestone.title}' is {DONE_WORDS[progress.state]} for {person.name}.")


@handles(StartProgress)
def start(command: StartProgress, work: Work) -> None:
    person, milestone, progress = target(command, work)
    require_self_or_staff(work, person, "start")
    refuse_if_done(person, progress, milestone)
    if progress.state == "locked":
        if waiting_on(work.session, person.id, milestone.id) or milestone.starts != "manual":
            refuse_if_locked(work, progress, milestone)
        if not is_staff_or_system(work):
            raise Refused(f"'{milestone.title}' starts when staff start it.")
    elif progress.state != "open":
        raise Refused(f"'{milestone.title}' is already started for {person.name}.")
    transition(work, progress, "started", "ProgressStarted", note=command.note, acted=True)


@handles(CompleteProgress)
def complete(command: CompleteProgress, work: Work) -> None:
    person, milestone, progress = target(command, work)
    require_self_or_staff(work, person, "complete")
    if not is_staff_or_system(work) and "self" not in milestone.complete_by:
        ways = ", ".join(milestone.complete_by) or "staff"
        raise Refused(
            f"'{milestone.title}' cannot be completed by the participant; it completes by {ways}."
        )
    refuse_if_done(person, progress, milestone)
    refuse_if_locked(work, progress, milestone)
    refuse_while_waiting(work, person, progress, milestone, "complete")
    transition(work, progress, "complete", "ProgressCompleted", note=command.note, acted=True)


def _skip(command: ProgressCommand, work: Work, kind: str, needs_reason: bool) -> None:
    require_staff(work, "skip or bypass a milestone")
    person, milestone, progress = target(command, work)
    if milestone.bypass_roles is None:
        raise Refused(f"'{milestone.title}' is mandatory: it cannot be skipped or bypassed.")
    if not (work.actor.is_admin or work.actor.has_any_role(milestone.bypass_roles)
            or work.actor.label == "system"):
        raise Refused(
            f"Only {', '.join(milestone.bypass_roles)} may bypass '{milestone.title}'; "
            f"{work.actor.label} has none of those roles."
        )
    if needs_reason and not (command.note or "").strip():
        raise Refused(f"Bypassing '{milestone.title}' needs a reason: give it with --note.")
    refuse_if_done(person, progress, milestone)
    transition(work, progress, "skipped", kind, note=command.note, acted=True)


@handles(SkipProgress)
def skip(command: SkipProgress, work: Work) -> None:
    _skip(command, work, "ProgressSkipped", needs_reason=False)


@handles(BypassProgress)
def bypass(command: BypassProgress, work: Work) -> None:
    _skip(command, work, "ProgressBypassed", needs_reason=True)


@handles(ReopenProgress)
def reopen(command: ReopenProgress, work: Work) -> None:
    require_staff(work, "reopen a milestone")
    person, milestone, progress = target(command, work)
    if progress.state not in DONE_WORDS:
        raise Refused(
            f"'{milestone.title}' is {progress.state} for {person.name}, not complete: "
            "there is nothing to reopen."
        )
    after = "locked" if waiting_on(work.session, person.id, milestone.id) else "open"
    transition(work, progress, after, "ProgressReopened", note=command.note, acted=True)


@handles(ExtendDue)
def extend(command: ExtendDue, work: Work) -> None:
    require_staff(work, "extend a due date")
    person, milestone, progress = target(command, work)
    if milestone.due_kind is None:
        raise Refused(f"'{milestone.title}' has no due date to extend.")
    progress.extended_until = command.until
    progress.version += 1
    history(work, progress, "DueExtended", progress.state, progress.state,
            command.note or f"until {command.until.isoformat()}")
    refresh_due(work, progress)


def steps_of(work: Work, milestone: Milestone) -> list[Row[tuple[uuid.UUID, str, bool]]]:
    """A milestone's steps in order (id, title, required): read once for a whole push on the
    sync server (app/services/memo.py)."""
    return memo.recall(work.session, ("steps", milestone.id), lambda: list(work.session.execute(
        select(Step.id, Step.title, Step.required).where(Step.milestone_id == milestone.id)
        .order_by(Step.position))))


def find_step(steps: list[Row[tuple[uuid.UUID, str, bool]]], milestone: Milestone, ref: str
              ) -> Row[tuple[uuid.UUID, str, bool]]:
    if not steps:
        raise Refused(f"'{milestone.title}' has no steps.")
    wanted = ref.strip()
    for index, step in enumerate(steps, start=1):
        if wanted == str(index) or step.title.casefold() == wanted.casefold():
            return step
    listing = "; ".join(f"{i}. {s.title}" for i, s in enumerate(steps, start=1))
    raise Refused(f"'{milestone.title}' has no step '{ref}'. Its steps are: {listing}.")


@handles(TickStep)
def tick_step(command: TickStep, work: Work) -> None:
    person, milestone, progress = target(command, work)
    require_self_or_staff(work, person, "tick steps of")
    refuse_if_done(person, progress, milestone)
    refuse_if_locked(work, progress, milestone)
    steps = steps_of(work, milestone)
    step = find_step(steps, milestone, command.step)
    ticked = set(work.session.scalars(
        select(StepCheck.step_id).where(StepCheck.progress_id == progress.id)))
    if step.id in ticked:
        raise Refused(f"'{step.title}' is already ticked for {person.name}.")
    work.session.add(StepCheck(progress_id=progress.id, step_id=step.id, at=work.at,
                               actor=work.actor.label))
    ticked.add(step.id)
    progress.acted = True
    progress.version += 1
    history(work, progress, "StepTicked", progress.state, progress.state, step.title)
    work.record("progress", {"kind": "step", "person": person.external_id,
                             "milestone": milestone.key, "step": step.title})
    if progress.state == "open":
        transition(work, progress, "started", "ProgressStarted", acted=True)
    if "steps" in milestone.complete_by and {s.id for s in steps if s.required} <= ticked:
        complete_unless_waiting(work, progress, milestone, "ProgressCompleted",
                                "every required step is done")
