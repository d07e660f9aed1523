"""Changing participants: pipeline status, attributes, impacts, and bulk import."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select

from app.models import (
    DONE_STATES,
    Cohort,
    Milestone,
    Person,
    PersonAttribute,
    PersonImpact,
    Progress,
)
from app.services import lookup, memo
from app.services.bulk_rows import Rows, collector_paused
from app.services.commands import ImportPeople, PersonRow, SetPerson
from app.services.errors import Refused
from app.services.registry import handles, reacts_to
from app.services.rules.events import PersonChanged
from app.services.rules.lifecycle import (
    attributes_of,
    natural_state,
    refresh_due,
    skip_reason,
    transition,
)
from app.services.rules.membership import join
from app.services.rules.permissions import require_staff
from app.services.work import Work

IMPACT_STAGES = ("target", "forecast", "actual")


def blocking_milestone(work: Work, person: Person, status: str) -> Milestone | None:
    """Blocked statuses bind everyone, admins included, until the milestone is complete."""
    rows = work.session.execute(
        select(Milestone, Progress.state)
        .join(Progress, Progress.milestone_id == Milestone.id)
        .where(Progress.person_id == person.id)
        .order_by(Milestone.step, Milestone.position)
    ).all()
    for milestone, state in rows:
        if (status in (milestone.blocks_statuses or []) and state not in DONE_STATES
                and lookup.has_access(work.session, person, milestone)):
            return milestone
    return None


def set_status(work: Work, person: Person, status: str) -> bool:
    if person.status == status:
        return False
    blocker = blocking_milestone(work, person, status)
    if blocker is not None:
        raise Refused(
            f"{person.name} cannot be set to {status} until '{blocker.title}' is complete."
        )
    work.record("people", {"kind": "person", "person": person.external_id, "field": "status",
                           "from": person.status, "to": status})
    person.status = status
    person.version += 1
    return True


def set_attribute(work: Work, person: Person, key: str, value: str) -> bool:
    row = work.session.get(PersonAttribute, (person.id, key))
    before = row.value if row else None
    after = value if value != "" else None
    if before == after:
        return False
    if row is not None and after is None:
        work.session.delete(row)
    elif row is not None:
        row.value = value
    else:
        work.session.add(PersonAttribute(person_id=person.id, key=key, value=value))
    person.version += 1
    work.record("people", {"kind": "person", "person": person.external_id,
                           "field": f"attr.{key}", "from": before, "to": after})
    return True


def set_impact(work: Work, person: Person, key: str, stage: str, value: float) -> bool:
    row = work.session.get(PersonImpact, (person.id, key, stage))
    if row is not None and row.value == value:
        return False
    before = row.value if row else None
    if row is None:
        work.session.add(PersonImpact(person_id=person.id, key=key, stage=stage, value=value))
    else:
        row.value = value
    person.version += 1
    work.record("people", {"kind": "person", "person": person.external_id,
                           "field": f"impact.{key}.{stage}", "from": before, "to": value})
    return True


@handles(SetPerson)
def set_person(command: SetPerson, work: Work) -> None:
    require_staff(work, "change a participant")
    person = lookup.person(work.session, command.person)
    changed: list[str] = []
    if command.status is not None and set_status(work, person, command.status):
        changed.append("status")
    for key, value in command.attributes:
        if set_attribute(work, person, key, value):
            changed.append(f"attr.{key}")
    for key, stage, value in command.impacts:
        if stage not in IMPACT_STAGES:
            raise Refused(f"impact.{key}.{stage}: the stage must be one of "
                          f"{', '.join(IMPACT_STAGES)}.")
        if set_impact(work, person, key, stage, value):
            changed.append(f"impact.{key}")
    if changed:
        work.emit(PersonChanged(person.id, tuple(changed)))


def attributes_read(work: Work) -> frozenset[str]:
    """The attributes a milestone's skip rule or due date reads: a change to any other moves
    nothing. Read once for a whole push on the sync server (app/services/memo.py)."""
    def read() -> frozenset[str]:
        keys: set[str] = set()
        for due_kind, due_attribute, skip_when in work.session.execute(
                select(Milestone.due_kind, Milestone.due_attribute, Milestone.skip_when)):
            if due_kind == "attribute" and due_attribute:
                keys.add(due_attribute)
            keys.update(skip_when or {})
        return frozenset(keys)

    return memo.recall(work.session, "attributes read", read)


@reacts_to(PersonChanged)
def reapply_attribute_rules(event: PersonChanged, work: Work) -> None:
    """Conditional skips follow the attributes while nobody has acted on the progress, and
    due dates read from a date attribute move with it."""
    keys = {f.removeprefix("attr.") for f in event.fields if f.startswith("attr.")}
    if not (keys and keys & attributes_read(work)):
        return
    work.session.flush()
    attributes = attributes_of(work.session, event.person_id)
    rows = work.session.execute(
        select(Progress, Milestone)
        .join(Milestone, Milestone.id == Progress.milestone_id)
        .where(Progress.person_id == event.person_id)
        .order_by(Milestone.step, Milestone.position)
    ).all()
    for progress, milestone in rows:
        if milestone.due_kind == "attribute" and milestone.due_attribute in keys:
            refresh_due(work, progress, attributes)
        if progress.acted or not keys.intersection(milestone.skip_when or {}):
            continue
        reason = skip_reason(milestone, attributes)
        if reason and progress.state in ("locked", "open"):
            transition(work, progress, "skipped", "ProgressSkipped", note=reason)
        elif not reason and progress.state == "skipped":
            state, _ = natural_state(work.session, progress.person_id, milestone, attributes)
            transition(work, progress, state, "ProgressUnskipped",
                       note="the attributes no longer match the skip rule")


def _insert_people(work: Work, made: list[tuple[PersonRow, uuid.UUID]]) -> list[Person]:
    """New participants, their attributes and impacts: one insert per table, not an ORM
    object each (an import brings thousands). The Person objects returned stay out of the
    session: joining cohorts reads their fields."""
    rows = Rows(work.session)
    table = Person.__table__
    at = rows.value(table.c.created_at, work.at)
    ids = rows.ids(pid for _, pid in made)
    rows.insert(table, ("id", "external_id", "name", "email", "location", "status",
                        "created_at", "version"),
                [(pid, row.external_id, row.name, row.email, row.location, row.status, at, 1)
                 for pid, (row, _) in zip(ids, made, strict=True)])
    rows.insert(PersonAttribute.__table__, ("person_id", "key", "value"),
                [(pid, key, value)
                 for pid, (row, _) in zip(ids, made, strict=True)
                 for key, value in row.attributes])
    value = PersonImpact.__table__.c.value
    rows.insert(PersonImpact.__table__, ("person_id", "key", "stage", "value"),
                [(pid, key, "actual", rows.value(value, amount))
                 for pid, (row, _) in zip(ids, made, strict=True)
                 for key, amount in row.impacts])
    return [Person(id=pid, external_id=row.external_id, name=row.name, email=row.email,
                   location=row.location, status=row.status, created_at=work.at, version=1)
            for row, pid in made]


def _update_person(work: Work, row: PersonRow, existing: Person) -> None:
    changed: list[str] = []
    for field in ("name", "email", "location"):
        value = getattr(row, field)
        if value is not None and getattr(existing, field) != value:
            setattr(existing, field, value)
            changed.append(field)
    if changed:
        existing.version += 1
        work.record("people", {"kind": "person", "person": row.external_id, "updated": changed})
    fields: list[str] = ["location"] if "location" in changed else []
    if row.status is not None and set_status(work, existing, row.status):
        fields.append("status")
    for key, value in row.attributes:
        if set_attribute(work, existing, key, value):
            fields.append(f"attr.{key}")
    for key, value in row.impacts:
        if set_impact(work, existing, key, "actual", value):
            fields.append(f"impact.{key}")
    if fields:
        work.emit(PersonChanged(existing.id, tuple(fields)))


@handles(ImportPeople)
def import_people(command: ImportPeople, work: Work) -> None:
    """All rows or none: every row is checked against the store before anything is written.
    A participant already in the store is updated (a nightly re-import changes nothing)."""
    require_staff(work, "import participants")
    session = work.session
    source = command.source or "import"
    cohort_keys = {r.cohort or command.cohort for r in command.rows} - {None}
    cohorts = {
        c.key: c for c in session.scalars(select(Cohort).where(Cohort.key.in_(cohort_keys)))
    }
    errors = [
        f"{source} line {r.line}: unknown cohort '{r.cohort or command.cohort}'"
        for r in command.rows
        if (r.cohort or command.cohort) and (r.cohort or command.cohort) not in cohorts
    ]
    if errors:
        raise Refused("\n".join(errors))
    existing = {
        p.external_id: p
        for i in range(0, len(command.rows), 5000)
        for p in session.scalars(
            select(Person).where(
                Person.external_id.in_([r.external_id for r in command.rows[i : i + 5000]])
            )
        )
    }
    fresh: dict[int, uuid.UUID] = {}  # the rows of people not yet in the store: their ids
    for n, row in enumerate(command.rows):
        found = existing.get(row.external_id)
        if found is None:
            fresh[n] = work.new_id()
            work.record("people", {"kind": "person", "person": row.external_id, "created": True})
            continue
        try:
            _update_person(work, row, found)
        except Refused as refusal:  # the import is refused below; report every such row
            errors.append(f"{source} line {row.line}: {refusal.message}")
    if errors:
        raise Refused("\n".join(errors))
    session.flush()
    with collector_paused():  # thousands of new people at once: see bulk_rows
        made = dict(zip(fresh, _insert_people(
            work, [(command.rows[n], pid) for n, pid in fresh.items()]), strict=True))
    joining: dict[str, list[Person]] = defaultdict(list)
    for n, row in enumerate(command.rows):
        key = row.cohort or command.cohort
        if key:
            joining[key].append(made[n] if n in made else existing[row.external_id])
    for key, people in joining.items():
        join(work, cohorts[key], people)
