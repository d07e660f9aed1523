"""Access review: who holds which roles and what they may do with them, and when each last
acted — so that those who no longer act can be found and their rights taken back.

What they may do is worked out by the rules themselves: the permissions their roles hold
(the program file's `[permissions]`, app/services/access.py), the milestones whose approvals they
are eligible for (by role, by name, or as staff of a cohort carrying it — `Approver`) and
the gates whose reviews they may record. Last acted is the latest of their operations and of
the history events recorded under their name; `actions` counts their operations (inside
--from/--to when given). With --cohort: the staff of that cohort, of a cohort below it or
of one above it (whose staff are staff of it), and the admins.
"""

from __future__ import annotations

import uuid

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Cohort,
    CohortStaff,
    Gate,
    Milestone,
    MilestoneCohort,
    Operation,
    ProgressEvent,
    Staff,
    StaffRole,
)
from app.services.access import permissions_of, role_permissions
from app.services.reports.durations import instant
from app.services.reports.scope import cohort_ids, lineage
from app.services.reports.table import Options, Table, table
from app.services.rules.approvals import Approver, approval_spec
from app.services.settings import program_zone

COLUMNS = ["staff", "name", "roles", "permissions", "cohorts", "approves", "reviews",
           "last_acted", "actions"]


def _grouped(pairs: list[tuple[uuid.UUID, str]]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = {}
    for key, value in pairs:
        found.setdefault(key, []).append(value)
    return found


def _last_acted(session: OrmSession, options: Options) -> list[tuple]:
    """Per staff member: the latest operation or event under their name, and how many
    operations (in the window)."""
    counted = [Operation.at >= instant(options.start)] if options.start else []
    counted += [Operation.at <= instant(options.end)] if options.end else []
    operations = (select(func.lower(Operation.actor).label("actor"),
                         func.max(Operation.at).label("last"),
                         func.count(case((and_(*counted), 1)) if counted else 1
                                    ).label("n"))
                  .group_by(func.lower(Operation.actor)).subquery("operations"))
    events = (select(func.lower(ProgressEvent.actor).label("actor"),
                     func.max(ProgressEvent.at).label("last"))
              .group_by(func.lower(ProgressEvent.actor)).subquery("events"))
    return session.execute(
        select(Staff.id, Staff.email, Staff.name, operations.c.last, events.c.last,
               func.coalesce(operations.c.n, 0))
        .outerjoin(operations, operations.c.actor == func.lower(Staff.email))
        .outerjoin(events, events.c.actor == func.lower(Staff.email))
        .order_by(Staff.email)
    ).all()


class _Rights:
    """Everyone's roles, cohorts and what the rules let them approve and review, read in a
    few queries over the small tables that hold them."""

    def __init__(self, session: OrmSession) -> None:
        self.table = role_permissions(session)
        self.roles = _grouped(session.execute(
            select(StaffRole.staff_id, StaffRole.role).order_by(StaffRole.role)).all())
        self.staffed = _grouped(session.execute(
            select(CohortStaff.staff_id, Cohort.key)
            .join(Cohort, Cohort.id == CohortStaff.cohort_id).order_by(Cohort.key)).all())
        tree = lineage()
        # A program's staff are staff of its sections: every cohort at or below theirs.
        self.below = _grouped(session.execute(
            select(CohortStaff.staff_id, tree.c.cohort_id)
            .join(tree, tree.c.ancestor_id == CohortStaff.cohort_id)).all())
        self.carried = _grouped(session.execute(
            select(MilestoneCohort.milestone_id, MilestoneCohort.cohort_id)).all())
        self.requests = [m for m in session.scalars(select(Milestone).order_by(
            Milestone.step, Milestone.position, Milestone.key))
            if "request" in (m.complete_by or [])]
        self.gates = list(session.scalars(select(Gate).order_by(Gate.position, Gate.key)))

    def concerns(self, staff_id: uuid.UUID, scope: set[uuid.UUID] | None) -> bool:
        """Admins concern every cohort; others the cohorts they staff, directly or above."""
        return (scope is None or "admin" in self.roles.get(staff_id, [])
                or not scope.isdisjoint(self.below.get(staff_id, [])))

    def of(self, staff_id: uuid.UUID, email: str) -> list[str]:
        """roles, permissions, cohorts, approves, reviews: each a list in words."""
        held = frozenset(self.roles.get(staff_id, []))
        may = permissions_of(held, self.table)
        approver = Approver(email.lower(), held, frozenset(self.below.get(staff_id, [])),
                            approves="approve" in may)
        approves = [m.key for m in self.requests
                    if any(approver.eligible(level, set(self.carried.get(m.id, [])))
                           for level in approval_spec(m).levels)]
        reviews = [g.key for g in self.gates
                   if "admin" in held or held.intersection(g.reviewers or [])]
        return [", ".join(found) for found in (sorted(held), sorted(may),
                                               self.staffed.get(staff_id, []), approves, reviews)]


def run(session: OrmSession, options: Options) -> Table:
    zone = program_zone(session)
    chosen = cohort_ids(session, options)
    scope = None if chosen is None else set(chosen)
    rights = _Rights(session)
    rows = []
    for staff_id, email, name, operated, recorded, actions in _last_acted(session, options):
        if not rights.concerns(staff_id, scope):
            continue
        last = max((t for t in (operated, recorded) if t is not None), default=None)
        rows.append([email, name, *rights.of(staff_id, email),
                     last.astimezone(zone) if last else None, actions])
    return table("Access review", COLUMNS, rows)
