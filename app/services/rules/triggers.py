"""Submit triggers: a request milestone submitted by the system when something happens.

`[milestones.approval] submit_when` may name, besides "person" (the `submit` verb):

- `{ status = "Active" }`: the participant's pipeline status becomes that value;
- `{ attribute = "priority", values = ["High"] }`: the attribute becomes one of the values;
- `"previous_approved"`: every previous milestone is complete (complete counts as approved;
  skipped ones are out of the way, as for prerequisites). Previous: the milestone's `after`
  list, else the participant's milestones of the step before its own.

A trigger fires on the change that makes it hold. The progress takes it where `submit`
would take a person's submission (open, started or denied; locked only where `any_time`
lets a milestone waiting for its prerequisites be submitted, never a manual start): it is
submitted by "system" in a new round, or goes straight to `complete` where `when_ready =
"approved"`. A trigger that holds while the progress cannot take it yet is taken up when
the progress becomes available (its prerequisites met, its manual start given, or given to
someone joining a cohort): so a milestone with `when_ready = "approved"` approves by itself
when its prerequisites are met and a trigger holds (with `previous_approved` and an `after`
list, the prerequisites are the trigger). A denied request is not resubmitted because a
trigger still holds, only when one fires again.

A trigger undone (the status or attribute changed away, a previous milestone reopened)
while no other trigger of the milestone holds, and before any approver acted in the round
(an approval row), puts the submitted progress back where it was before: started if it was
started, else open, or locked while it waits for its prerequisites. After an approver acted
it stays; a milestone the system already approved stays complete (take it back with
`unapprove`).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Text, cast, or_, select

from app.models import (
    DONE_STATES,
    Approval,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Progress,
    ProgressEvent,
)
from app.services import memo
from app.services.programs.spec import ApprovalSpec, TriggerSpec
from app.services.registry import reacts_to
from app.services.rules.approvals import approval_spec
from app.services.rules.events import PersonChanged, StateChanged
from app.services.rules.lifecycle import attributes_of, blocked_by, parents_of, transition
from app.services.rules.locks import titles
from app.services.rules.waiting import complete_unless_waiting
from app.services.work import Actor, Work

SYSTEM = "system"
SUBMITTED = "ProgressSubmittedByTrigger"
AUTO_APPROVED = "ProgressAutoApproved"
UNDONE = "ProgressTriggerUndone"
TAKES_SUBMISSION = ("open", "started", "denied")
BECOMES_AVAILABLE = (None, "locked", "skipped")  # → open or started: the progress opened
_CACHE = "submit-triggers"
# How a trigger other than "person" reads in a stored approval document: a cheap first sift,
# so that commands in programs without triggers do not parse every milestone's rules.
_STORED_TRIGGERS = ("previous_approved", '"kind": "status"', '"kind":"status"',
                    '"kind": "attribute"', '"kind":"attribute"')


@dataclass(frozen=True)
class Triggered:
    """A request milestone with triggers other than a person's `submit`."""

    milestone: Milestone
    spec: ApprovalSpec
    triggers: tuple[TriggerSpec, ...]

    def of_kind(self, *kinds: str) -> list[TriggerSpec]:
        return [t for t in self.triggers if t.kind in kinds]


def triggered_milestones(work: Work) -> dict[uuid.UUID, Triggered]:
    """The milestones with submit triggers, read once per command (definitions only change
    in a command's handler, before any rule runs), and once for a whole push on the sync
    server (app/services/memo.py) while no command changes a milestone."""
    cached = work.session.info.get(_CACHE)
    if cached is not None and cached[0] == work.op_id:
        return cached[1]
    session = work.session
    found = {milestone_id: dataclasses.replace(known,
                                               milestone=memo.attach(session, known.milestone))
             for milestone_id, known in memo.recall(session, _CACHE, lambda: _read(work)).items()}
    session.info[_CACHE] = (work.op_id, found)
    return found


def _read(work: Work) -> dict[uuid.UUID, Triggered]:
    found: dict[uuid.UUID, Triggered] = {}
    stored = cast(Milestone.rules, Text)
    for milestone in work.session.scalars(select(Milestone).where(or_(*(
            stored.like(f"%{pattern}%") for pattern in _STORED_TRIGGERS)))):
        if "request" not in (milestone.complete_by or []):
            continue
        spec = approval_spec(milestone)
        triggers = tuple(t for t in spec.submit_when if t.kind != "person")
        if triggers:
            found[milestone.id] = Triggered(milestone, spec, triggers)
    return found


class Participant:
    """One participant's status, attributes and milestones, read as the rules need them."""

    def __init__(self, work: Work, person_id: uuid.UUID) -> None:
        self.session = work.session
        self.id = person_id
        self.session.flush()

    @cached_property
    def person(self) -> Person:
        person = self.session.get(Person, self.id)
        assert person is not None
        return person

    @cached_property
    def attributes(self) -> dict[str, str]:
        return attributes_of(self.session, self.id)

    @cached_property
    def held(self) -> list[tuple[Progress, Milestone]]:
        """Every progress the participant holds, current cohorts or not, in order."""
        return [(progress, milestone) for progress, milestone in self.session.execute(
            select(Progress, Milestone).join(Milestone, Milestone.id == Progress.milestone_id)
            .where(Progress.person_id == self.id)
            .order_by(Milestone.step, Milestone.position))]

    @cached_property
    def current(self) -> list[tuple[Progress, Milestone]]:
        """The milestones of the cohorts the participant is in now (what `show` lists)."""
        linked = set(self.session.scalars(
            select(MilestoneCohort.milestone_id)
            .join(Membership, Membership.cohort_id == MilestoneCohort.cohort_id)
            .where(Membership.person_id == self.id, Membership.left_at.is_(None))))
        return [(p, m) for p, m in self.held if m.id in linked]

    def previous(self, milestone: Milestone) -> tuple[list[Milestone], list[Milestone]]:
        """The milestones before this one, and those of them not yet complete or skipped:
        its `after` list, else the participant's milestones of the step before its own."""
        parents = parents_of(self.session, milestone.id)
        states = {m.id: p.state for p, m in self.held}
        if parents:
            counted = [p for p in parents if p.id in states or not p.retired]
            return counted, blocked_by(parents, states)
        steps = [m.step for _, m in self.current if m.step < milestone.step]
        if not steps:
            return [], []
        before = [m for _, m in self.current if m.step == max(steps)]
        return before, [m for m in before if states[m.id] not in DONE_STATES]

    def holds(self, trigger: TriggerSpec, milestone: Milestone) -> str | None:
        """Why the trigger holds now, in words; None when it does not."""
        if trigger.kind == "status":
            status = self.person.status
            return f"the pipeline status is {status}" if status == trigger.status else None
        if trigger.kind == "attribute":
            value = self.attributes.get(trigger.attribute or "")
            return f"{trigger.attribute} is {value}" if value in trigger.values else None
        if trigger.kind == "previous_approved":
            before, open_ = self.previous(milestone)
            if not before or open_:
                return None
            return f"{titles(before)} {'is' if len(before) == 1 else 'are'} complete"
        return None

    def waiting(self, milestone: Milestone) -> bool:
        """Still waiting for prerequisites (a parent not complete or skipped)."""
        parents = parents_of(self.session, milestone.id)
        return bool(parents) and bool(blocked_by(parents, {m.id: p.state for p, m in self.held}))


def needs(trigger: TriggerSpec) -> str:
    if trigger.kind == "status":
        return f"the pipeline status {trigger.status}"
    if trigger.kind == "attribute":
        return f"{trigger.attribute} {' or '.join(trigger.values)}"
    return "every previous milestone complete"


@contextmanager
def as_system(work: Work) -> Iterator[None]:
    """The system acts (history, submitter), whoever made the change that set it off."""
    actor = work.actor
    work.actor = Actor(label=SYSTEM, roles=frozenset({SYSTEM}))
    try:
        yield
    finally:
        work.actor = actor


def takes_submission(who: Participant, progress: Progress, found: Triggered) -> bool:
    """Where a person's `submit` would be accepted (approvals.submit's rule)."""
    if progress.state in TAKES_SUBMISSION:
        return True
    return (progress.state == "locked" and found.spec.any_time
            and found.milestone.starts != "manual" and who.waiting(found.milestone))


def fire(work: Work, progress: Progress, found: Triggered, why: str) -> None:
    with as_system(work):
        progress.round += 1
        progress.submitted_at = work.at
        progress.submitted_by = SYSTEM
        if found.spec.when_ready == "approved":
            complete_unless_waiting(work, progress, found.milestone, AUTO_APPROVED,
                                    f"approved: {why}")
        else:
            transition(work, progress, "submitted", SUBMITTED, note=f"submitted: {why}")


def submitted_by_trigger(work: Work, progress: Progress) -> bool:
    """Submitted in this round by a trigger (not by a person, nor sent back by an unset)."""
    if progress.state != "submitted" or progress.submitted_by != SYSTEM:
        return False
    kinds = set(work.session.scalars(select(ProgressEvent.kind).where(
        ProgressEvent.progress_id == progress.id, ProgressEvent.to_state == "submitted",
        ProgressEvent.at == progress.submitted_at)))
    return kinds == {SUBMITTED}


def anyone_acted(work: Work, progress: Progress) -> bool:
    return work.session.scalar(select(Approval.id).where(
        Approval.progress_id == progress.id, Approval.round == progress.round).limit(1)
    ) is not None


def undo(work: Work, who: Participant, progress: Progress, found: Triggered) -> None:
    if progress.started_at is not None:
        after = "started"
    else:
        after = "locked" if who.waiting(found.milestone) else "open"
    wanted = " or ".join(needs(t) for t in found.triggers)
    with as_system(work):
        progress.submitted_at = None
        progress.assigned_to = None  # no longer pending: nobody holds it any more
        transition(work, progress, after, UNDONE,
                   note=f"its submit trigger was undone before anyone acted: it needs {wanted}")


def settle(work: Work, who: Participant, progress: Progress, found: Triggered,
           fired: list[TriggerSpec]) -> None:
    """Submit when one of the triggers that just fired holds; put a trigger's submission
    back when none of the milestone's triggers holds any more and no approver acted."""
    if takes_submission(who, progress, found):
        for trigger in fired:
            why = who.holds(trigger, found.milestone)
            if why:
                fire(work, progress, found, why)
                return
    elif (submitted_by_trigger(work, progress)
          and not any(who.holds(t, found.milestone) for t in found.triggers)
          and not anyone_acted(work, progress)):
        undo(work, who, progress, found)


def submit_on_joining(work: Work, cohort_id: uuid.UUID, people: list[Person]) -> None:
    """People who just joined a cohort have its triggered milestones submitted where a
    trigger already holds: a milestone given to them is available from then on, as one
    whose prerequisites are met is (their status or attribute was set before they joined,
    or a shared previous milestone is complete already)."""
    table = triggered_milestones(work) if people else {}
    if not table:
        return
    linked = set(work.session.scalars(select(MilestoneCohort.milestone_id).where(
        MilestoneCohort.cohort_id == cohort_id, MilestoneCohort.milestone_id.in_(list(table)))))
    if not linked:
        return
    for person in people:
        who = Participant(work, person.id)
        for progress, milestone in who.current:
            if milestone.id in linked:
                found = table[milestone.id]
                settle(work, who, progress, found, list(found.triggers))


@reacts_to(PersonChanged)
def status_or_attribute_changed(event: PersonChanged, work: Work) -> None:
    status = "status" in event.fields
    keys = {f.removeprefix("attr.") for f in event.fields if f.startswith("attr.")}
    if not (status or keys):
        return
    table = triggered_milestones(work)
    concerned = {
        milestone_id: fired for milestone_id, found in table.items()
        if (fired := [t for t in found.triggers
                      if (t.kind == "status" and status)
                      or (t.kind == "attribute" and t.attribute in keys)])
    }
    if not concerned:
        return
    who = Participant(work, event.person_id)
    for progress, milestone in who.current:
        if milestone.id in concerned:
            settle(work, who, progress, table[milestone.id], concerned[milestone.id])


@reacts_to(StateChanged)
def progress_changed(event: StateChanged, work: Work) -> None:
    """A milestone completed or reopened fires or undoes `previous_approved` of the ones
    after it; a triggered milestone that becomes available takes up triggers that hold."""
    finished = event.after in DONE_STATES and event.before not in DONE_STATES
    undone = event.before in DONE_STATES and event.after not in DONE_STATES
    opened = event.before in BECOMES_AVAILABLE and event.after in ("open", "started")
    if not (finished or undone or opened):
        return
    table = triggered_milestones(work)
    opened = opened and event.milestone_id in table
    previous = (finished or undone) and any(
        found.of_kind("previous_approved") for found in table.values())
    if not (opened or previous):
        return
    who = Participant(work, event.person_id)
    for progress, milestone in who.current:
        found = table.get(milestone.id)
        if found is None:
            continue
        if progress.id == event.progress_id:
            if opened:
                settle(work, who, progress, found, list(found.triggers))
        elif previous and (fired := found.of_kind("previous_approved")) and any(
                m.id == event.milestone_id for m in who.previous(milestone)[0]):
            settle(work, who, progress, found, fired)
