"""Optional milestones: not assigned on joining; added to one participant by permitted roles,
or by their trigger — attribute values (combinations), an impact over a threshold — and
removed again when the trigger is undone before anyone acted on them.

A trigger is a list of conditions: one per attribute of `attributes` (the participant's
value is one of those listed) and, with `impact`, the impact's value at its stage (target,
forecast or actual; default actual) over the threshold — the one `by_location` gives for
the participant's location, else `over`. `match = "all"` needs every condition, `"any"` one.

When it is evaluated: after `set` and import change an attribute, an impact or the location
(`PersonChanged`), and when someone joins a cohort (`add_on_joining`, called by
membership.join), so a participant who joins already matching gets it. Applying a program
that adds or changes a trigger does not re-evaluate anyone: the new trigger holds from the
next change of each participant's details or cohorts (a program file is not a data change,
and an apply preview should not silently hand out milestones).

Removal, and why the progress row is deleted rather than hidden: a triggered progress nobody
acted on is removed only while it is still where the rules put it (locked, open or skipped by
rule, `acted` false), so no one's work, dates, approvals or ticks are lost. Its row and its
own history events go, because a hidden row would be read by every query (show, gates,
inbox, alerts, reminders) and each would have to learn to skip it; what happened stays on
record in the operation log, which keeps the command, who, when and the change entries of
both the addition (`from: null → state`) and the removal (`from: state → to: null`,
`removed: true`, with why). If the trigger holds again later, it is added afresh. Progress
added by hand (`add`) counts as acted on and is never removed; after anyone acts on a
triggered one, it stays whatever the trigger does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select

from app.models import (
    DONE_STATES,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    PersonImpact,
    Prerequisite,
    Progress,
    ProgressEvent,
)
from app.services import lookup, memo
from app.services.commands import AddOptional
from app.services.errors import Refused
from app.services.programs.codec import from_plain
from app.services.programs.spec import ImpactTriggerSpec, OptionalSpec
from app.services.registry import handles, reacts_to
from app.services.rules.due import due_from
from app.services.rules.events import PersonChanged, StateChanged
from app.services.rules.lifecycle import (
    attributes_for,
    attributes_of,
    change_entry,
    history,
    natural_state,
    transition,
    waiting_on,
)
from app.services.rules.permissions import require_staff
from app.services.work import Work

CHUNK = 5000
# The fields of a PersonChanged that can move a trigger.
_TRIGGER_FIELDS = ("attr.", "impact.", "location")
# Where a progress nobody acted on may be removed from: the states its rules alone give it.
_REMOVABLE = ("locked", "open", "skipped")

Impacts = dict[tuple[str, str], float]  # (key, stage) → value


def spec_of(milestone: Milestone) -> OptionalSpec:
    return from_plain(OptionalSpec, (milestone.rules or {}).get("optional")) or OptionalSpec()


@handles(AddOptional)
def add_optional(command: AddOptional, work: Work) -> None:
    require_staff(work, "add an optional milestone")
    session = work.session
    person = lookup.person(session, command.person)
    milestone = lookup.milestone(session, command.milestone)
    if not milestone.is_optional:
        raise Refused(f"'{milestone.title}' is not optional: everyone in its cohorts has it.")
    if milestone.retired:
        raise Refused(f"'{milestone.title}' is retired: it is no longer given to anyone.")
    spec = spec_of(milestone)
    actor = work.actor
    if not (actor.is_admin or actor.label == "system" or actor.has_any_role(spec.added_by)):
        who = ", ".join(spec.added_by) or "nobody but an admin"
        raise Refused(f"Only {who} may add '{milestone.title}'; {actor.label} may not.")
    if not lookup.has_access(session, person, milestone):
        raise Refused(f"'{milestone.title}' belongs to none of {person.name}'s cohorts.")
    if session.scalar(select(Progress.id).where(Progress.person_id == person.id,
                                                Progress.milestone_id == milestone.id)):
        raise Refused(f"{person.name} already has '{milestone.title}'.")
    _add(work, person.id, milestone, attributes_of(session, person.id), "ProgressAdded",
         command.note, acted=True)


def _add(work: Work, person_id: uuid.UUID, milestone: Milestone, attributes: dict[str, str],
         kind: str, note: str | None, *, acted: bool) -> None:
    state, reason = natural_state(work.session, person_id, milestone, attributes)
    progress = Progress(
        id=work.new_id(), person_id=person_id, milestone_id=milestone.id, state=state,
        assigned_at=work.at, opened_at=work.at if state == "open" else None,
        state_since=work.at, due_on=due_from(milestone, work.at, None, None, attributes,
                                             work.zone),
        note=reason or note, acted=acted)
    work.session.add(progress)
    work.session.flush()
    history(work, progress, kind, None, state, note or reason)
    work.record("progress", change_entry(work, progress, **{"from": None, "to": state}))
    if state == "skipped":
        work.emit(StateChanged(progress.id, person_id, milestone.id, None, state))


# -- triggers ---------------------------------------------------------------------------------


def has_trigger(spec: OptionalSpec) -> bool:
    return bool(spec.attributes) or spec.impact is not None


def threshold(impact: ImpactTriggerSpec, location: str | None) -> float:
    """The participant's location's own threshold where `by_location` names it (letter case
    and surrounding spaces aside), else `over`."""
    if location:
        wanted = location.strip().casefold()
        for place, over in impact.by_location.items():
            if place.strip().casefold() == wanted:
                return over
    return impact.over


def conditions(spec: OptionalSpec, attributes: dict[str, str], location: str | None,
               impacts: Impacts) -> list[tuple[bool, str]]:
    """Each condition of the trigger: whether it holds, and in words."""
    found = []
    for key, values in spec.attributes.items():
        value = attributes.get(key)
        found.append((value is not None and value in [str(v) for v in values],
                      f"{key} is {value if value is not None else 'not set'}"))
    if spec.impact is not None:
        impact = spec.impact
        over = threshold(impact, location)
        value = impacts.get((impact.key, impact.stage))
        shown = f"{value:g}" if value is not None else "not set"
        found.append((value is not None and value > over,
                      f"{impact.key} ({impact.stage}) is {shown}, threshold {over:g}"))
    return found


def matches(spec: OptionalSpec, attributes: dict[str, str], location: str | None,
            impacts: Impacts) -> tuple[bool, str]:
    """Whether the trigger holds for a participant, and why (the conditions that decided)."""
    found = conditions(spec, attributes, location, impacts)
    if not found:
        return False, "no trigger"
    held = [words for ok, words in found if ok]
    if spec.match == "any":
        return bool(held), " or ".join(held) or "; ".join(w for _, w in found)
    missed = [words for ok, words in found if not ok]
    return not missed, "; ".join(missed) or " and ".join(held)


def triggered_milestones(work: Work, cohort_ids: Iterable[uuid.UUID] | None = None
                         ) -> list[tuple[Milestone, OptionalSpec]]:
    """Optional milestones with a trigger (of the given cohorts, if any are given). All of
    them are read once for a whole push on the sync server (app/services/memo.py)."""
    if cohort_ids is None:
        session = work.session
        return [(memo.attach(session, milestone), spec) for milestone, spec in memo.recall(
            session, "optional triggers", lambda: _triggered(work, None))]
    return _triggered(work, cohort_ids)


def _triggered(work: Work, cohort_ids: Iterable[uuid.UUID] | None
               ) -> list[tuple[Milestone, OptionalSpec]]:
    query = select(Milestone).where(Milestone.is_optional.is_(True))
    if cohort_ids is not None:
        query = query.join(MilestoneCohort, MilestoneCohort.milestone_id == Milestone.id).where(
            MilestoneCohort.cohort_id.in_(list(cohort_ids))).distinct()
    found = []
    for milestone in work.session.scalars(query.order_by(Milestone.step, Milestone.position)):
        spec = spec_of(milestone)
        if has_trigger(spec):
            found.append((milestone, spec))
    return found


def impacts_for(work: Work, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, Impacts]:
    found: dict[uuid.UUID, Impacts] = {}
    for i in range(0, len(person_ids), CHUNK):
        for pid, key, stage, value in work.session.execute(
            select(PersonImpact.person_id, PersonImpact.key, PersonImpact.stage,
                   PersonImpact.value).where(PersonImpact.person_id.in_(person_ids[i:i + CHUNK]))
        ):
            found.setdefault(pid, {})[(key, stage)] = value
    return found


def _held(work: Work, person_ids: list[uuid.UUID], milestone_ids: list[uuid.UUID]
          ) -> dict[tuple[uuid.UUID, uuid.UUID], Progress]:
    found: dict[tuple[uuid.UUID, uuid.UUID], Progress] = {}
    for i in range(0, len(person_ids), CHUNK):
        for progress in work.session.scalars(select(Progress).where(
                Progress.person_id.in_(person_ids[i:i + CHUNK]),
                Progress.milestone_id.in_(milestone_ids))):
            found[(progress.person_id, progress.milestone_id)] = progress
    return found


def add_on_joining(work: Work, cohort_id: uuid.UUID, people: list[Person]) -> None:
    """People who just joined a cohort get its triggered optional milestones they match."""
    if not people:
        return
    triggered = [(m, s) for m, s in triggered_milestones(work, [cohort_id]) if not m.retired]
    if not triggered:
        return
    work.session.flush()
    ids = [p.id for p in people]
    attributes = attributes_for(work.session, ids)
    impacts = impacts_for(work, ids) if any(s.impact for _, s in triggered) else {}
    held = _held(work, ids, [m.id for m, _ in triggered])
    for person in people:
        for milestone, spec in triggered:
            if (person.id, milestone.id) in held:
                continue
            attrs = attributes.get(person.id, {})
            ok, why = matches(spec, attrs, person.location, impacts.get(person.id, {}))
            if ok:
                _add(work, person.id, milestone, attrs, "ProgressAssigned",
                     f"added by its trigger: {why}", acted=False)


@reacts_to(PersonChanged)
def follow_triggers(event: PersonChanged, work: Work) -> None:
    """A change to a participant's attributes, impacts or location adds the triggered
    optional milestones of their current cohorts that now match, and removes those that no
    longer match where nobody has acted on them."""
    if not any(f.startswith(_TRIGGER_FIELDS) for f in event.fields):
        return
    session = work.session
    triggered = triggered_milestones(work)
    if not triggered:
        return
    session.flush()
    person = session.get(Person, event.person_id)
    if person is None:
        return
    cohorts = set(session.scalars(select(Membership.cohort_id).where(
        Membership.person_id == person.id, Membership.left_at.is_(None))))
    linked = set(session.scalars(select(MilestoneCohort.milestone_id).where(
        MilestoneCohort.cohort_id.in_(cohorts)))) if cohorts else set()
    attributes = attributes_of(session, person.id)
    impacts = impacts_for(work, [person.id]).get(person.id, {})
    held = _held(work, [person.id], [m.id for m, _ in triggered])
    for milestone, spec in triggered:
        ok, why = matches(spec, attributes, person.location, impacts)
        progress = held.get((person.id, milestone.id))
        if ok and progress is None and milestone.id in linked and not milestone.retired:
            _add(work, person.id, milestone, attributes, "ProgressAssigned",
                 f"added by its trigger: {why}", acted=False)
        elif not ok and progress is not None and removable(progress):
            remove(work, progress, milestone, f"its trigger no longer holds: {why}")


def removable(progress: Progress) -> bool:
    return not progress.acted and progress.state in _REMOVABLE


def remove(work: Work, progress: Progress, milestone: Milestone, why: str) -> None:
    """Take back a triggered progress nobody acted on (see the module's docstring)."""
    session = work.session
    before = progress.state
    work.record("progress", change_entry(work, progress, **{"from": before, "to": None,
                                                             "removed": True, "note": why}))
    session.execute(delete(ProgressEvent).where(ProgressEvent.progress_id == progress.id))
    session.delete(progress)
    session.flush()
    if before in DONE_STATES:  # skipped by rule: its children wait for it again
        _relock_children(work, progress.person_id, milestone.id)


def _relock_children(work: Work, person_id: uuid.UUID, milestone_id: uuid.UUID) -> None:
    children = work.session.scalars(
        select(Progress)
        .join(Prerequisite, Prerequisite.milestone_id == Progress.milestone_id)
        .where(Prerequisite.parent_id == milestone_id, Progress.person_id == person_id)
    ).all()
    for child in children:
        if (child.state == "open" and not child.acted
                and waiting_on(work.session, person_id, child.milestone_id)):
            transition(work, child, "locked", "ProgressRelocked",
                       note="an optional milestone before it was removed")
