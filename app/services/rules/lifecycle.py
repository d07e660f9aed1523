"""The lifecycle of a progress: assignment, opening, state changes and their history.

Every state change goes through `transition`, which writes the history event, records the
change for the command's result, raises a regression alert when a complete progress goes
back, and emits `StateChanged` for the rules that follow (children opening, completion
actions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    DONE_STATES,
    Alert,
    Milestone,
    MilestoneCohort,
    Person,
    PersonAttribute,
    Prerequisite,
    Progress,
    ProgressEvent,
)
from app.services import memo
from app.services.bulk_rows import Rows, collector_paused
from app.services.registry import reacts_to
from app.services.rules.due import compute_due, due_from
from app.services.rules.events import StateChanged
from app.services.work import Work

CHUNK = 5000


def attributes_of(session: OrmSession, person_id: uuid.UUID) -> dict[str, str]:
    rows = session.execute(
        select(PersonAttribute.key, PersonAttribute.value).where(
            PersonAttribute.person_id == person_id
        )
    )
    return dict(rows.all())


def attributes_for(
    session: OrmSession, person_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, str]]:
    """Many people's attributes in a few queries, for rules applied in bulk."""
    found: dict[uuid.UUID, dict[str, str]] = {}
    for chunk in _chunks(person_ids):
        for pid, key, value in session.execute(
            select(PersonAttribute.person_id, PersonAttribute.key, PersonAttribute.value).where(
                PersonAttribute.person_id.in_(chunk)
            )
        ):
            found.setdefault(pid, {})[key] = value
    return found


def skip_reason(milestone: Milestone, attributes: dict[str, str]) -> str | None:
    """A conditional skip matches when any listed attribute holds one of its values."""
    for key, values in (milestone.skip_when or {}).items():
        if attributes.get(key) in values:
            return f"skipped by rule: {key} is {attributes[key]}"
    return None


def parents_of(session: OrmSession, milestone_id: uuid.UUID) -> list[Milestone]:
    if milestone_id not in linked(session)[0]:
        return []
    return list(
        session.scalars(
            select(Milestone)
            .join(Prerequisite, Prerequisite.parent_id == Milestone.id)
            .where(Prerequisite.milestone_id == milestone_id)
            .order_by(Milestone.step, Milestone.position)
        )
    )


def linked(session: OrmSession) -> tuple[frozenset[uuid.UUID], frozenset[uuid.UUID]]:
    """The milestones with prerequisites, and those that are one. Most milestones are
    neither: asking this (read once for a whole push on the sync server, app/services/memo.py)
    spares reading their parents or children."""
    def read() -> tuple[frozenset[uuid.UUID], frozenset[uuid.UUID]]:
        pairs = session.execute(select(Prerequisite.milestone_id, Prerequisite.parent_id)).all()
        return frozenset(child for child, _ in pairs), frozenset(parent for _, parent in pairs)

    return memo.recall(session, "prerequisites", read)


def waiting_on(
    session: OrmSession, person_id: uuid.UUID, milestone_id: uuid.UUID
) -> list[Milestone]:
    """The parents of a milestone this person has not yet completed (or had skipped).

    A retired parent the person never had is not waited for: it is no longer assigned.
    """
    parents = parents_of(session, milestone_id)
    if not parents:
        return []
    held = dict(
        session.execute(
            select(Progress.milestone_id, Progress.state).where(
                Progress.person_id == person_id,
                Progress.milestone_id.in_([p.id for p in parents]),
            )
        ).all()
    )
    return blocked_by(parents, held)


def blocked_by(parents: list[Milestone], held: dict[uuid.UUID, str]) -> list[Milestone]:
    """The parents not yet done, given the states (by milestone id) a person holds."""
    return [
        p for p in parents
        if held.get(p.id) not in DONE_STATES and (p.id in held or not p.retired)
    ]


def natural_state(
    session: OrmSession, person_id: uuid.UUID, milestone: Milestone, attributes: dict[str, str],
    waiting: list[Milestone] | None = None,
) -> tuple[str, str | None]:
    """The state a progress nobody has acted on belongs in, and why. `waiting` (the parents
    still to finish) may be given when the caller has them for many people at once."""
    reason = skip_reason(milestone, attributes)
    if reason:
        return "skipped", reason
    if waiting is None:
        waiting = waiting_on(session, person_id, milestone.id)
    if waiting or milestone.starts == "manual":
        return "locked", None
    return "open", None


def change_entry(work: Work, progress: Progress, **fields: object) -> dict[str, object]:
    person = work.session.get(Person, progress.person_id)
    milestone = work.session.get(Milestone, progress.milestone_id)
    return {
        "kind": "progress",
        "person": person.external_id if person else None,
        "milestone": milestone.key if milestone else None,
        **fields,
    }


def history(work: Work, progress: Progress, kind: str, before: str | None, after: str | None,
            note: str | None = None) -> None:
    work.session.add(
        ProgressEvent(
            id=work.new_id(),
            progress_id=progress.id,
            op_id=work.op_id,
            kind=kind,
            from_state=before,
            to_state=after,
            at=work.at,
            actor=work.actor.label,
            note=note,
        )
    )


def transition(
    work: Work,
    progress: Progress,
    after: str,
    kind: str,
    *,
    note: str | None = None,
    acted: bool = False,
) -> None:
    before = progress.state
    if before == after:
        return
    at = work.at
    progress.state = after
    progress.state_since = at
    progress.held = None  # whatever it waited on is settled by this change
    progress.version += 1
    if acted:
        progress.acted = True
    if after == "open":
        progress.opened_at = at
    elif after == "locked":
        progress.opened_at = None
    elif after == "started" and progress.started_at is None:
        progress.started_at = at
        if progress.opened_at is None:
            progress.opened_at = at
    elif after == "complete":
        progress.completed_at = at
    if before in DONE_STATES and after not in DONE_STATES:
        progress.completed_at = None
    if note is not None:
        progress.note = note
    history(work, progress, kind, before, after, note)
    work.record("progress", change_entry(work, progress, **{"from": before, "to": after}))
    if before == "complete":
        regression_alert(work, progress, after)
    refresh_due(work, progress)
    work.emit(StateChanged(progress.id, progress.person_id, progress.milestone_id, before, after))


def regression_alert(work: Work, progress: Progress, after: str) -> None:
    """Regressions (complete → not complete) alert staff at once, not at the next scan."""
    person = work.session.get(Person, progress.person_id)
    milestone = work.session.get(Milestone, progress.milestone_id)
    work.add_once(
        Alert(
            id=work.new_id(),
            kind="regression",
            person_id=progress.person_id,
            milestone_id=progress.milestone_id,
            at=work.at,
            message=f"{person.name if person else '?'}: {milestone.title if milestone else '?'} "
            f"went back from complete to {after}.",
        )
    )
    work.record("alerts")


def refresh_due(work: Work, progress: Progress, attributes: dict[str, str] | None = None) -> None:
    milestone = work.session.get(Milestone, progress.milestone_id)
    assert milestone is not None
    if milestone.due_kind == "attribute" and attributes is None:
        attributes = attributes_of(work.session, progress.person_id)
    due = compute_due(milestone, progress, attributes or {}, work.zone)
    if due != progress.due_on:
        before = progress.due_on
        progress.due_on = due
        progress.version += 1
        work.record(
            "progress",
            change_entry(
                work,
                progress,
                due_from=before.isoformat() if before else None,
                due_to=due.isoformat() if due else None,
            ),
        )


def _topological(
    milestones: list[Milestone], parents: dict[uuid.UUID, list[uuid.UUID]]
) -> list[Milestone]:
    """Parents before children, so one pass over a new batch settles who opens."""
    by_id = {m.id: m for m in milestones}
    ordered: list[Milestone] = []
    seen: set[uuid.UUID] = set()

    def visit(m: Milestone) -> None:
        if m.id in seen:
            return
        seen.add(m.id)
        for parent_id in parents.get(m.id, []):
            if parent_id in by_id:
                visit(by_id[parent_id])
        ordered.append(m)

    for m in sorted(milestones, key=lambda m: (m.step, m.position)):
        visit(m)
    return ordered


def _chunks(ids: list[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


@dataclass(frozen=True)
class _Assigned:
    """One progress a person is given: its milestone, first state, why (a skip) and due date."""

    milestone: Milestone
    state: str
    note: str | None
    due: date | None


def assign(work: Work, cohort_id: uuid.UUID, person_ids: list[uuid.UUID]) -> int:
    """Give people who joined a cohort all its milestones (a shared one once), in bulk.

    Retired and optional milestones are not assigned; progress a person already has (from a
    shared milestone or an earlier stint) is kept as it is. Returns how many were assigned.
    """
    session = work.session
    milestones = list(
        session.scalars(
            select(Milestone)
            .join(MilestoneCohort, MilestoneCohort.milestone_id == Milestone.id)
            .where(
                MilestoneCohort.cohort_id == cohort_id,
                Milestone.retired.is_(False),
                Milestone.is_optional.is_(False),
            )
        )
    )
    if not milestones or not person_ids:
        return 0
    session.flush()
    mids = [m.id for m in milestones]
    parents: dict[uuid.UUID, list[uuid.UUID]] = {}
    for child, parent in session.execute(
        select(Prerequisite.milestone_id, Prerequisite.parent_id).where(
            Prerequisite.milestone_id.in_(mids)
        )
    ):
        parents.setdefault(child, []).append(parent)
    parent_ids = {p for ps in parents.values() for p in ps}
    retired_parents = set(
        session.scalars(
            select(Milestone.id).where(Milestone.id.in_(parent_ids), Milestone.retired.is_(True))
        )
    )
    needs_attributes = any(m.skip_when or m.due_kind == "attribute" for m in milestones)
    ordered = _topological(milestones, parents)

    held: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
    for chunk in _chunks(person_ids):
        for pid, mid, state in session.execute(
            select(Progress.person_id, Progress.milestone_id, Progress.state).where(
                Progress.person_id.in_(chunk), Progress.milestone_id.in_(mids + list(parent_ids))
            )
        ):
            held.setdefault(pid, {})[mid] = state
    attributes = attributes_for(session, person_ids) if needs_attributes else {}
    read = sorted({key for m in milestones for key in m.skip_when or {}}
                  | {m.due_attribute or "" for m in milestones if m.due_kind == "attribute"})
    zone = work.zone

    def plan(attrs: dict[str, str], states: dict[uuid.UUID, str]) -> list[_Assigned]:
        """What one person gets, given their attributes and the states they hold already."""
        states = dict(states)
        made: list[_Assigned] = []
        for m in ordered:
            if m.id in states:
                continue
            note = skip_reason(m, attrs)
            if note:
                state = "skipped"
            elif m.starts == "manual" or any(
                states.get(parent) not in DONE_STATES
                and (parent in states or parent not in retired_parents)
                for parent in parents.get(m.id, [])
            ):
                state = "locked"
            else:
                state = "open"
            states[m.id] = state
            made.append(_Assigned(m, state, note, due_from(m, work.at, None, None, attrs, zone)))
        return made

    # Most people get the same plan (none of the cohort's progress yet, the same attributes
    # where the rules read them): each plan is worked out once, and the rows made from it.
    plans: dict[tuple[object, ...], list[_Assigned]] = {}
    people: list[tuple[uuid.UUID, list[_Assigned]]] = []
    seen: set[uuid.UUID] = set()
    for pid in person_ids:
        if pid in seen:  # listed twice: the first time gave them everything
            continue
        seen.add(pid)
        attrs = attributes.get(pid, {})
        states = held.get(pid, {})
        key = (*(attrs.get(name) for name in read), frozenset(states.items()))
        if key not in plans:
            plans[key] = plan(attrs, states)
        if plans[key]:
            people.append((pid, plans[key]))
    count = sum(len(made) for _, made in people)
    if not count:
        return 0
    with collector_paused():
        keys = _insert_assigned(work, people, 2 * count)
        _report_assigned(work, people)
    skips = {id(made): [i for i, a in enumerate(made) if a.state == "skipped"]
             for _, made in people}
    n = 0
    for pid, made in people:
        for i in skips[id(made)]:
            work.emit(StateChanged(uuid.UUID(hex=keys[n + 2 * i]), pid, made[i].milestone.id,
                                   None, "skipped"))
        n += 2 * len(made)
    return count


def _insert_assigned(
    work: Work, people: list[tuple[uuid.UUID, list[_Assigned]]], count: int
) -> list[str]:
    """The new progress rows and their history events, an insert each. Returns the ids made
    (`count` of them): a progress's, then its event's, and so on."""
    rows = Rows(work.session)
    progress_table, event_table = Progress.__table__, ProgressEvent.__table__
    texts = work.new_keys(count)
    keys = rows.new_keys(texts)
    at = rows.value(progress_table.c.assigned_at, work.at)
    at_event = rows.value(event_table.c.at, work.at)
    acted = rows.value(progress_table.c.acted, False)
    op, label = rows.ids([work.op_id])[0], work.actor.label
    plans = {id(made): made for _, made in people}
    mids = list({a.milestone.id for made in plans.values() for a in made})
    made_ids = dict(zip(mids, rows.ids(mids), strict=True))
    due_on = progress_table.c.due_on
    shapes = {  # each row of a plan but its ids: (the progress's, the event's)
        key: [((made_ids[a.milestone.id], a.state, at, at if a.state == "open" else None,
                at, rows.value(due_on, a.due), acted, a.note, 1, 0),
               (op, "ProgressAssigned", a.state, at_event, label, a.note)) for a in made]
        for key, made in plans.items()
    }
    progress: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    progress_ids, event_ids = iter(keys[0::2]), iter(keys[1::2])
    for (_, made), person in zip(people, rows.ids(pid for pid, _ in people), strict=True):
        for row, event in shapes[id(made)]:
            progress_id = next(progress_ids)
            progress.append((progress_id, person, *row))
            events.append((next(event_ids), progress_id, *event))
    rows.insert(progress_table, ("id", "person_id", "milestone_id", "state", "assigned_at",
                                 "opened_at", "state_since", "due_on", "acted", "note",
                                 "version", "round"), progress)
    rows.insert(event_table, ("id", "progress_id", "op_id", "kind", "to_state", "at", "actor",
                              "note"), events)
    return texts


def _report_assigned(work: Work, people: list[tuple[uuid.UUID, list[_Assigned]]]) -> None:
    """One change entry per new progress, so an enroll or an apply says who got what."""
    names: dict[uuid.UUID, str] = {}
    for chunk in _chunks([pid for pid, _ in people]):
        names.update(work.session.execute(
            select(Person.id, Person.external_id).where(Person.id.in_(chunk))).all())
    entries = {
        id(made): [{"kind": "progress", "person": None, "milestone": a.milestone.key,
                    "from": None, "to": a.state, "due_to": _iso(a.due)} for a in made]
        for made in {id(made): made for _, made in people}.values()
    }
    changes = work.changes
    for pid, made in people:
        person = names.get(pid)
        for entry in entries[id(made)]:
            changes.append({**entry, "person": person})
    work.flags.add("progress")


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


@reacts_to(StateChanged)
def open_or_relock_children(event: StateChanged, work: Work) -> None:
    """Children start silently when all parents complete; they lock again if a parent is
    reopened before anyone acted on them."""
    finished = event.after in DONE_STATES and event.before not in DONE_STATES
    undone = event.before in DONE_STATES and event.after not in DONE_STATES
    session = work.session
    if not (finished or undone) or event.milestone_id not in linked(session)[1]:
        return
    children = session.execute(
        select(Progress, Milestone)
        .join(Milestone, Milestone.id == Progress.milestone_id)
        .join(Prerequisite, Prerequisite.milestone_id == Milestone.id)
        .where(Prerequisite.parent_id == event.milestone_id, Progress.person_id == event.person_id)
    ).all()
    for progress, milestone in children:
        if finished and progress.state == "locked" and milestone.starts != "manual":
            if not waiting_on(session, event.person_id, milestone.id):
                transition(work, progress, "open", "ProgressOpened")
        elif undone and progress.state == "open" and not progress.acted:
            transition(work, progress, "locked", "ProgressRelocked")
