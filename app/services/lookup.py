"""Find what a command names, or refuse in words a coordinator understands.

A milestone named by its key is read once for a whole push on the sync server
(app/services/memo.py): a push's commands name the same few over and over.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.models import Cohort, Membership, Milestone, MilestoneCohort, Person, Progress, Staff
from app.services import memo
from app.services.errors import Refused


def person(session: OrmSession, ref: str) -> Person:
    found = session.scalar(select(Person).where(Person.external_id == ref))
    if found is None:
        found = session.scalars(
            select(Person).where(func.lower(Person.email) == ref.strip().lower())
        ).first()
    if found is None:
        raise Refused(f"No participant has the id or email '{ref}'.")
    return found


def cohort(session: OrmSession, key: str) -> Cohort:
    found = session.scalar(select(Cohort).where(Cohort.key == key))
    if found is None:
        raise Refused(f"There is no cohort '{key}'.")
    return found


def milestone(session: OrmSession, key: str) -> Milestone:
    found = _milestone(session, key)
    if found is None:
        raise Refused(f"There is no milestone '{key}'.")
    return found


def _milestone(session: OrmSession, key: str) -> Milestone | None:
    found = memo.recall(session, ("milestone", key), lambda: session.scalar(
        select(Milestone).where(Milestone.key == key)))
    return None if found is None else memo.attach(session, found)


def staff_by_email(session: OrmSession, email: str) -> Staff | None:
    return session.scalar(select(Staff).where(func.lower(Staff.email) == email.strip().lower()))


def person_by_ref(session: OrmSession, ref: str) -> Person | None:
    return session.scalars(
        select(Person).where(
            or_(Person.external_id == ref, func.lower(Person.email) == ref.strip().lower())
        )
    ).first()


def progress(session: OrmSession, who: Person, what: Milestone) -> Progress:
    found = session.scalar(
        select(Progress).where(Progress.person_id == who.id, Progress.milestone_id == what.id)
    )
    return _held(who, what, found, lambda: has_access(session, who, what))


def person_progress(session: OrmSession, ref: str, key: str) -> tuple[Person, Milestone, Progress]:
    """What a command on one progress names: the participant (by id or email), the milestone,
    their progress of it, refused as `person`, `milestone` and `progress` would, in that order.
    Named by id (as commands mostly are), the participant, their progress and whether they
    may still have it come in one statement."""
    what = _milestone(session, key)
    if what is not None:
        row = session.execute(
            select(Person, Progress, _access(Person.id, what).exists())
            .outerjoin(Progress, and_(Progress.person_id == Person.id,
                                      Progress.milestone_id == what.id))
            .where(Person.external_id == ref)
        ).first()
        if row is not None:
            who, found, allowed = row
            return who, what, _held(who, what, found, lambda: bool(allowed))
    who = person(session, ref)
    if what is None:
        raise Refused(f"There is no milestone '{key}'.")
    return who, what, progress(session, who, what)


def _held(who: Person, what: Milestone, found: Progress | None,
          allowed: Callable[[], bool]) -> Progress:
    if found is None:
        raise Refused(
            f"{who.name} does not have the milestone '{what.title}' "
            "(it belongs to none of their cohorts)."
        )
    if not allowed():
        raise Refused(
            f"{who.name} no longer has '{what.title}': they left every cohort it belongs to."
        )
    return found


def has_access(session: OrmSession, who: Person, what: Milestone) -> bool:
    """Cohort membership controls access: only milestones of cohorts the person is in now."""
    return session.scalar(_access(who.id, what).limit(1)) is not None


def _access(person_id: Any, what: Milestone) -> Select[tuple[uuid.UUID]]:
    """A current membership of a cohort the milestone belongs to."""
    return (
        select(Membership.id)
        .join(MilestoneCohort, MilestoneCohort.cohort_id == Membership.cohort_id)
        .where(
            Membership.person_id == person_id,
            Membership.left_at.is_(None),
            MilestoneCohort.milestone_id == what.id,
        )
    )
