"""The lifecycle of a progress: assignment, opening, state changes and their history.

Every state change goes through `transition`, which writes the history event, records the
change for the command's result, raises a regression alert when a complete progress goes
back, and emits `StateChanged` for the rules that follow (children opening, completion
actions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import insert, select
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
    return list(
        session.scalars(
            select(Milestone)
            .join(Prerequisite, Prerequisite.parent_id == Milestone.id)
            .where(Prerequisite.milestone_id == milestone_id)
            .order_by(Milestone.step, Milestone.position)
        )
    )


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

    states: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
    for chunk in _chunks(person_ids):
        for pid, mid, state in session.execute(
            select(Progress.person_id, Progress.milestone_id, Progress.state).where(
                Progress.person_id.in_(chunk), Progress.milestone_id.in_(mids + list(parent_ids))
            )
        ):
            states[(pid, mid)] = state
    attributes = attributes_for(session, person_ids) if needs_attributes else {}

    rows: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    skipped: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []
    at, zone, label = work.at, work.zone, work.actor.label
    for pid in person_ids:
        attrs = attributes.get(pid, {})
        for m in ordered:
            if (pid, m.id) in states:
                continue
            note = skip_reason(m, attrs)
            if note:
                state = "skipped"
            elif m.starts == "manual" or any(
                states.get((pid, parent)) not in DONE_STATES
                and ((pid, parent) in states or parent not in retired_parents)
                for parent in parents.get(m.id, [])
            ):
                state = "locked"
            else:
                state = "open"
            states[(pid, m.id)] = state
            progress_id = work.new_id()
            rows.append({
                "id": progress_id, "person_id": pid, "milestone_id": m.id, "state": state,
                "assigned_at": at, "opened_at": at if state == "open" else None,
                "started_at": None, "submitted_at": None, "completed_at": None,
                "state_since": at, "due_on": due_from(m, at, None, None, attrs, zone),
                "extended_until": None, "acted": False, "note": note, "version": 1,
            })
            events.append({
                "id": work.new_id(), "progress_id": progress_id, "op_id": work.op_id,
                "kind": "ProgressAssigned", "from_state": None, "to_state": state, "at": at,
                "actor": label, "note": note,
            })
            if state == "skipped":
                skipped.append((progress_id, pid, m.id))
    if rows:
        # Core executemany: the ORM's bulk insert splits rows into small batches by which
        # columns are null, which costs ten times as much here.
        connection = session.connection()
        connection.execute(insert(Progress.__table__), rows)
        connection.execute(insert(ProgressEvent.__table__), events)
        _report_assigned(work, rows, {m.id: m.key for m in milestones})
    for progress_id, pid, mid in skipped:
        work.emit(StateChanged(progress_id, pid, mid, None, "skipped"))
    return len(rows)


def _report_assigned(work: Work, rows: list[dict[str, object]], keys: dict[uuid.UUID, str]) -> None:
    """One change entry per new progress, so an enroll or an apply says who got what."""
    people: dict[uuid.UUID, str] = {}
    person_ids = list({row["person_id"] for row in rows})  # type: ignore[misc]
    for chunk in _chunks(person_ids):
        people.update(work.session.execute(
            select(Person.id, Person.external_id).where(Person.id.in_(chunk))).all())
    for row in rows:
        work.record("progress", {
            "kind": "progress", "person": people.get(row["person_id"]),  # type: ignore[arg-type]
            "milestone": keys[row["milestone_id"]],  # type: ignore[index]
            "from": None, "to": row["state"], "due_to": _iso(row["due_on"]),
        })


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


@reacts_to(StateChanged)
def open_or_relock_children(event: StateChanged, work: Work) -> None:
    """Children start silently when all parents complete; they lock again if a parent is
    reopened before anyone acted on them."""
    finished = event.after in DONE_STATES and event.before not in DONE_STATES
    undone = event.before in DONE_STATES and event.after not in DONE_STATES
    if not (finished or undone):
        return
    session = work.session
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
