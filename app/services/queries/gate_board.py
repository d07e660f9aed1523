"""Stage gates across a cohort: how many members are at each gate status, and who.

A member's status at a gate is the one `person_view.gate_statuses` gives them: over the
progress they hold (milestones of the cohorts they are in now, whichever cohort is on the
board) in that gate's milestones, not_started when none is open or further, complete when
all are complete or skipped, active otherwise. A member holding none of a gate's milestones
is not_started there.

Everything is set-based: one grouped query aggregates the states per member × gate and a
CASE turns each group into its status, so a cohort of thousands costs no Python loop.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Subquery, and_, case, func, literal, null, select, true
from sqlalchemy.orm import Session as OrmSession

from app.models import DONE_STATES, Gate, Membership, Milestone, MilestoneCohort, Person, Progress
from app.services.errors import Refused

STATUSES = ("not_started", "active", "complete")


@dataclass(frozen=True)
class GateCount:
    key: str
    name: str
    not_started: int
    active: int
    complete: int


def _members(cohort_ids: list[uuid.UUID]) -> Subquery:
    """The current members of these cohorts, each once."""
    return (
        select(Membership.person_id)
        .where(Membership.cohort_id.in_(cohort_ids), Membership.left_at.is_(None))
        .distinct()
        .subquery("members")
    )


def _statuses(members: Subquery, gate_id: uuid.UUID | None = None) -> Subquery:
    """(person_id, gate_id, status) for every member × gate they hold a milestone of; with
    `gate_id`, (person_id, status) for that gate alone, status NULL where they hold none.

    What a member holds is reached through their current memberships (any cohort, as in
    `held`): membership → the cohort's milestones in a gate → their progress there. A
    milestone shared by two of their cohorts comes twice, which changes no status: every
    count below is multiplied alike. One gate is picked inside the counts rather than in
    WHERE, so that the planner still walks from the members (an index on the gate would have
    it walk every membership of the gate's cohorts, the whole store for a program-wide gate).
    """
    current = Membership.__table__.alias("current")
    counted = true() if gate_id is None else Milestone.gate_id == gate_id
    total = func.count(case((counted, 1)))
    done = func.count(case((and_(counted, Progress.state.in_(DONE_STATES)), 1)))
    begun = func.count(case((and_(counted, Progress.state != "locked"), 1)))
    status = case((total == 0, null()),
                  (done == total, literal("complete")),
                  (begun > 0, literal("active")),
                  else_=literal("not_started"))
    keys = [current.c.person_id] if gate_id is not None else [current.c.person_id,
                                                              Milestone.gate_id]
    return (
        select(*[key.label(key.name) for key in keys], status.label("status"))
        .select_from(members)
        .join(current, and_(current.c.person_id == members.c.person_id,
                            current.c.left_at.is_(None)))
        .join(MilestoneCohort, MilestoneCohort.cohort_id == current.c.cohort_id)
        .join(Milestone, Milestone.id == MilestoneCohort.milestone_id)
        .join(Progress, and_(Progress.person_id == current.c.person_id,
                             Progress.milestone_id == MilestoneCohort.milestone_id))
        .where(Milestone.gate_id.is_not(None))
        .group_by(*keys)
        .subquery("statuses")
    )


def member_count(session: OrmSession, cohort_ids: list[uuid.UUID]) -> int:
    """How many people are current members of these cohorts (each counted once)."""
    return session.scalar(select(func.count()).select_from(_members(cohort_ids))) or 0


def gate_counts(session: OrmSession, cohort_ids: list[uuid.UUID]) -> list[GateCount]:
    """Per gate, in gate order: how many current members are not started, active, complete."""
    members = _members(cohort_ids)
    statuses = _statuses(members)
    everyone = select(func.count()).select_from(members).scalar_subquery()
    active = func.count(case((statuses.c.status == "active", 1)))
    complete = func.count(case((statuses.c.status == "complete", 1)))
    # The gates this cohort's milestones belong to, and any its members are in elsewhere: a
    # store holding several programs would otherwise list every program's gates.
    relevant = (
        select(Milestone.gate_id)
        .join(MilestoneCohort, MilestoneCohort.milestone_id == Milestone.id)
        .where(MilestoneCohort.cohort_id.in_(cohort_ids), Milestone.gate_id.is_not(None))
    )
    mine = set(session.scalars(relevant))
    rows = session.execute(
        select(Gate.id, Gate.key, Gate.name, everyone - active - complete, active, complete)
        .outerjoin(statuses, statuses.c.gate_id == Gate.id)
        .group_by(Gate.id, Gate.key, Gate.name, Gate.position)
        .order_by(Gate.position, Gate.key)
    ).all()
    return [GateCount(*row[1:]) for row in rows if row[0] in mine or row[4] or row[5]]


def participants_at_gate(
    session: OrmSession, cohort_ids: list[uuid.UUID], gate_key: str, status: str
) -> list[str]:
    """The ids of the current members whose status at this gate is `status`, by name."""
    if status not in STATUSES:
        raise Refused(f"A gate status is one of {', '.join(STATUSES)}, not '{status}'.")
    gate = session.scalar(select(Gate).where(Gate.key == gate_key))
    if gate is None:
        raise Refused(f"There is no stage gate '{gate_key}'.")
    members = _members(cohort_ids)
    statuses = _statuses(members, gate.id)
    found = func.coalesce(statuses.c.status, "not_started")
    return list(
        session.scalars(
            select(Person.external_id)
            .join(members, members.c.person_id == Person.id)
            .outerjoin(statuses, statuses.c.person_id == Person.id)
            .where(found == status)
            .order_by(Person.name, Person.external_id)
        )
    )
