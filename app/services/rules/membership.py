"""Joining and leaving cohorts. Joining assigns the cohort's milestones; leaving removes
access but keeps every progress and its history, which come back on rejoining."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.models import Cohort, Membership, Person
from app.services import lookup
from app.services.bulk_rows import Rows
from app.services.commands import Enroll, Unenroll
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.lifecycle import assign
from app.services.rules.optional import add_on_joining
from app.services.rules.permissions import require_staff
from app.services.rules.triggers import submit_on_joining
from app.services.work import Work


def current_members(
    work: Work, cohort_id: uuid.UUID, person_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for i in range(0, len(person_ids), 5000):
        found.update(
            work.session.scalars(
                select(Membership.person_id).where(
                    Membership.cohort_id == cohort_id,
                    Membership.left_at.is_(None),
                    Membership.person_id.in_(person_ids[i : i + 5000]),
                )
            )
        )
    return found


def join(work: Work, cohort: Cohort, people: list[Person]) -> list[Person]:
    """Returns who actually joined (people already in the cohort are left as they are)."""
    present = current_members(work, cohort.id, [p.id for p in people])
    joining = [p for p in people if p.id not in present]
    work.session.flush()  # the people joining are in the store before their memberships
    rows = Rows(work.session)
    table = Membership.__table__
    at = rows.value(table.c.joined_at, work.at)
    (cohort_id,) = rows.ids([cohort.id])
    rows.insert(table, ("id", "person_id", "cohort_id", "joined_at"),
                [(key, pid, cohort_id, at) for key, pid in zip(
                    rows.new_keys(work.new_keys(len(joining))), rows.ids(p.id for p in joining),
                    strict=True)])
    assign(work, cohort.id, [p.id for p in joining])
    add_on_joining(work, cohort.id, joining)  # triggered optional milestones they match
    submit_on_joining(work, cohort.id, joining)  # submit triggers that already hold
    for person in joining:
        work.record("cohorts", {"kind": "membership", "person": person.external_id,
                                "cohort": cohort.key, "joined": True})
    return joining


def leave(work: Work, cohort: Cohort, person: Person) -> bool:
    stint = work.session.scalar(
        select(Membership).where(
            Membership.cohort_id == cohort.id,
            Membership.person_id == person.id,
            Membership.left_at.is_(None),
        )
    )
    if stint is None:
        return False
    stint.left_at = work.at
    work.record("cohorts", {"kind": "membership", "person": person.external_id,
                            "cohort": cohort.key, "joined": False})
    return True


@handles(Enroll)
def enroll(command: Enroll, work: Work) -> None:
    require_staff(work, "enroll participants")
    person = lookup.person(work.session, command.person)
    cohort = lookup.cohort(work.session, command.cohort)
    if not join(work, cohort, [person]):
        raise Refused(f"{person.name} is already in {cohort.name}.")


@handles(Unenroll)
def unenroll(command: Unenroll, work: Work) -> None:
    require_staff(work, "remove participants from cohorts")
    person = lookup.person(work.session, command.person)
    cohort = lookup.cohort(work.session, command.cohort)
    if not leave(work, cohort, person):
        raise Refused(f"{person.name} is not in {cohort.name}.")
