"""Find what a command names, or refuse in words a coordinator understands."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.models import Cohort, Membership, Milestone, MilestoneCohort, Person, Progress, Staff
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
    found = session.scalar(select(Milestone).where(Milestone.key == key))
    if found is None:
        raise Refused(f"There is no milestone '{key}'.")
    return found


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
    if found is None:
        raise Refused(
            f"{who.name} does not have the milestone '{what.title}' "
            "(it belongs to none of their cohorts)."
        )
    if not has_access(session, who, what):
        raise Refused(
            f"{who.name} no longer has '{what.title}': they left every cohort it belongs to."
        )
    return found


def has_access(session: OrmSession, who: Person, what: Milestone) -> bool:
    """Cohort membership controls access: only milestones of cohorts the person is in now."""
    return (
        session.scalar(
            select(Membership.id)
            .join(MilestoneCohort, MilestoneCohort.cohort_id == Membership.cohort_id)
            .where(
                Membership.person_id == who.id,
                Membership.left_at.is_(None),
                MilestoneCohort.milestone_id == what.id,
            )
            .limit(1)
        )
        is not None
    )
