"""Unset actions and unapprove: an approved milestone goes back to ready for approval.

What set it off — an impact change, a detail (attribute) change, a reopen of an earlier
milestone (each as the milestone's `unset_on` says), or a permitted `unapprove` — returns the
approved milestone to `submitted` in a new round (earlier approvals no longer count), and
every later approved milestone of the participant with it. Each step back is a regression:
it is in the history and raises the regression alert at once.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.models import DONE_STATES, Milestone, Prerequisite, Progress
from app.services import memo
from app.services.commands import UnapproveProgress
from app.services.errors import Refused
from app.services.registry import handles, reacts_to
from app.services.rules.approvals import (
    approval_spec,
    approver_for,
    request_cohorts,
    who_may_act,
)
from app.services.rules.events import PersonChanged, StateChanged
from app.services.rules.lifecycle import transition
from app.services.rules.progress_verbs import target
from app.services.work import Work

_TRIGGERS = {"impact.": "impact_change", "attr.": "detail_change"}


def approved(milestone: Milestone, progress: Progress) -> bool:
    return progress.state == "complete" and "request" in (milestone.complete_by or [])


def later(
    work: Work, person_id: uuid.UUID, milestone: Milestone
) -> list[tuple[Progress, Milestone]]:
    """The participant's milestones after this one: those that wait on it (at any depth), and
    those of later steps."""
    session = work.session
    rows = session.execute(
        select(Progress, Milestone).join(Milestone, Milestone.id == Progress.milestone_id)
        .where(Progress.person_id == person_id)
        .order_by(Milestone.step, Milestone.position)
    ).all()
    children: dict[uuid.UUID, list[uuid.UUID]] = {}
    for child, parent in session.execute(select(Prerequisite.milestone_id,
                                                Prerequisite.parent_id)):
        children.setdefault(parent, []).append(child)
    below, pending = set(), list(children.get(milestone.id, []))
    while pending:
        current = pending.pop()
        if current not in below:
            below.add(current)
            pending.extend(children.get(current, []))
    return [(p, m) for p, m in rows
            if m.id != milestone.id and (m.id in below or m.step > milestone.step)]


def unset(work: Work, progress: Progress, milestone: Milestone, why: str) -> None:
    """Back to ready for approval, with every later approved milestone (the cascade)."""
    for item, its_milestone in [(progress, milestone),
                                *later(work, progress.person_id, milestone)]:
        if not approved(its_milestone, item):
            continue
        item.round += 1
        item.submitted_at = work.at
        item.submitted_by = "system"
        transition(work, item, "submitted", "ProgressUnset", note=why)


@handles(UnapproveProgress)
def unapprove(command: UnapproveProgress, work: Work) -> None:
    person, milestone, progress = target(command, work)
    if not approved(milestone, progress):
        raise Refused(f"'{milestone.title}' is not approved for {person.name}: there is "
                      "nothing to unapprove.")
    spec = approval_spec(milestone)
    cohorts = request_cohorts(work.session, person.id, milestone.id)
    last = spec.levels[-1]
    staff = work.actor.staff
    if staff is None or not approver_for(work.session, staff, work.today).may_act(last, cohorts):
        raise Refused(f"Only those who give the last approval of '{milestone.title}' may "
                      f"unapprove it: {who_may_act(work.session, last, cohorts)}.")
    unset(work, progress, milestone, command.note or f"unapproved by {work.actor.label}")


def unset_kinds(work: Work) -> frozenset[str]:
    """What unsets some request milestone (its `unset_on`): a change of another kind unsets
    nothing. Read once for a whole push on the sync server (app/services/memo.py)."""
    def read() -> frozenset[str]:
        return frozenset(kind for complete_by, unset_on in work.session.execute(
            select(Milestone.complete_by, Milestone.unset_on))
            if "request" in (complete_by or []) for kind in unset_on or [])

    return memo.recall(work.session, "unset kinds", read)


@reacts_to(PersonChanged)
def unset_on_change(event: PersonChanged, work: Work) -> None:
    """An impact or detail change unsets the approved milestones that ask for it."""
    kinds = {kind for prefix, kind in _TRIGGERS.items()
             if any(f.startswith(prefix) for f in event.fields)}
    if kinds and kinds & unset_kinds(work):
        _unset_where(work, event.person_id, kinds, None, "the participant's details changed")


@reacts_to(StateChanged)
def unset_on_reopen(event: StateChanged, work: Work) -> None:
    """A reopened milestone unsets the later approved ones that ask for it."""
    if event.before not in DONE_STATES or event.after in DONE_STATES:
        return
    reopened = work.session.get(Milestone, event.milestone_id)
    if reopened is not None:
        _unset_where(work, event.person_id, {"reopen"}, reopened,
                     f"'{reopened.title}' was reopened")


def _unset_where(work: Work, person_id: uuid.UUID, kinds: set[str],
                 after: Milestone | None, why: str) -> None:
    rows = (later(work, person_id, after) if after is not None else work.session.execute(
        select(Progress, Milestone).join(Milestone, Milestone.id == Progress.milestone_id)
        .where(Progress.person_id == person_id).order_by(Milestone.step, Milestone.position)
    ).all())
    for progress, milestone in rows:
        if approved(milestone, progress) and kinds & set(milestone.unset_on or []):
            unset(work, progress, milestone, why)
