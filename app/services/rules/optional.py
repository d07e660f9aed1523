"""Optional milestones: not assigned on joining, added to one participant by permitted roles."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Progress
from app.services import lookup
from app.services.commands import AddOptional
from app.services.errors import Refused
from app.services.programs.codec import from_plain
from app.services.programs.spec import OptionalSpec
from app.services.registry import handles
from app.services.rules.due import due_from
from app.services.rules.events import StateChanged
from app.services.rules.lifecycle import attributes_of, change_entry, history, natural_state
from app.services.rules.permissions import require_staff
from app.services.work import Work


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
    spec = from_plain(OptionalSpec, (milestone.rules or {}).get("optional")) or OptionalSpec()
    actor = work.actor
    if not (actor.is_admin or actor.label == "system" or actor.has_any_role(spec.added_by)):
        who = ", ".join(spec.added_by) or "nobody but an admin"
        raise Refused(f"Only {who} may add '{milestone.title}'; {actor.label} may not.")
    if not lookup.has_access(session, person, milestone):
        raise Refused(f"'{milestone.title}' belongs to none of {person.name}'s cohorts.")
    if session.scalar(select(Progress.id).where(Progress.person_id == person.id,
                                                Progress.milestone_id == milestone.id)):
        raise Refused(f"{person.name} already has '{milestone.title}'.")
    attributes = attributes_of(session, person.id)
    state, reason = natural_state(session, person.id, milestone, attributes)
    progress = Progress(
        id=work.new_id(), person_id=person.id, milestone_id=milestone.id, state=state,
        assigned_at=work.at, opened_at=work.at if state == "open" else None,
        state_since=work.at, due_on=due_from(milestone, work.at, None, None, attributes,
                                             work.zone),
        note=reason or command.note, acted=True)
    session.add(progress)
    session.flush()
    history(work, progress, "ProgressAdded", None, state, command.note or reason)
    work.record("progress", change_entry(work, progress, **{"from": None, "to": state}))
    if state == "skipped":
        work.emit(StateChanged(progress.id, person.id, milestone.id, None, state))
