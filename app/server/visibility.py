"""What one account may pull: its cohorts' participants, and no milestone restricted to roles it
lacks.

A staff member assigned to cohorts sees those cohorts and the cohorts below them (as for
approvals); an admin, or staff assigned to no cohort, sees every participant. A milestone
with `visible_to` reaches only staff holding one of those roles, those whose roles hold
`see_restricted`, and admins (app/services/access.py); nothing that
hangs off a hidden milestone (its steps, sessions, progress and their history) travels
either, nor the program's versions (whole files, naming every milestone). Definitions
(cohorts, gates, staff, templates) reach every signed-in account.

Filters are SQL, derived from each table's foreign keys, so a new table that points at a
participant, a milestone, a progress or a session is filtered without being listed here.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, Table, and_, false, or_, select, true
from sqlalchemy.orm import Session as OrmSession

from app.models import CohortStaff, Membership, Progress, ScheduledSession
from app.services import lookup
from app.services.access import hidden_milestones, permissions_of, role_permissions, staff_roles
from app.services.rules.approvals import descendants


@dataclass(frozen=True)
class Scope:
    """`cohorts` None: every participant. `hidden`: milestones this account may not see."""

    email: str
    staff_id: uuid.UUID | None
    cohorts: frozenset[uuid.UUID] | None
    hidden: frozenset[uuid.UUID]

    @property
    def sees_everyone(self) -> bool:
        return self.cohorts is None

    def token(self) -> str:
        """What the account could see, as the client keeps it between pulls: digests of the
        cohorts and of each hidden milestone (never a hidden milestone's own id)."""
        cohorts = "all" if self.cohorts is None else _digest(",".join(sorted(map(str,
                                                                               self.cohorts))))
        return f"{cohorts}:{','.join(sorted(_digest(str(m)) for m in self.hidden))}"

    def widened_or_moved(self, token: str) -> bool:
        """Whether rows this account could not see before may be visible now (cohorts
        changed, or a milestone came out of hiding): a client that had the old view starts
        over, since those rows' entries lie behind its cursor. A milestone newly hidden needs
        nothing: its rows are not sent from now on."""
        cohorts, _, hidden = token.partition(":")
        mine, _, still = self.token().partition(":")
        return cohorts != mine or bool(set(filter(None, hidden.split(",")))
                                       - set(still.split(",")))

    def people(self) -> Select[tuple[uuid.UUID]]:
        return select(Membership.person_id).where(Membership.cohort_id.in_(self.cohorts or ()))

    def progress(self) -> Select[tuple[uuid.UUID]]:
        query = select(Progress.id)
        if self.cohorts is not None:
            query = query.where(Progress.person_id.in_(self.people()))
        if self.hidden:
            query = query.where(Progress.milestone_id.not_in(self.hidden))
        return query

    def sessions(self) -> Select[tuple[uuid.UUID]]:
        return select(ScheduledSession.id).where(or_(
            ScheduledSession.milestone_id.is_(None),
            ScheduledSession.milestone_id.not_in(self.hidden)))

    def where(self, table: Table) -> ColumnElement[bool]:
        """The rows of `table` this account may see."""
        terms: list[ColumnElement[bool]] = []
        if table.name == "people" and self.cohorts is not None:
            terms.append(table.c.id.in_(self.people()))
        if table.name == "milestones" and self.hidden:
            terms.append(table.c.id.not_in(self.hidden))
        if table.name == "program_versions" and self.hidden:
            terms.append(false())  # whole program files: they name every milestone
        for fk in table.foreign_keys:
            column, target = fk.parent, fk.column.table.name
            if target == "people" and self.cohorts is not None:
                terms.append(column.in_(self.people()))
            elif target == "milestones" and self.hidden:
                terms.append(or_(column.is_(None), column.not_in(self.hidden)))
            elif target == "progress" and (self.hidden or self.cohorts is not None):
                terms.append(column.in_(self.progress()))
            elif target == "sessions" and self.hidden:
                terms.append(column.in_(self.sessions()))
        return and_(true(), *terms)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def scope_for(session: OrmSession, email: str) -> Scope:
    staff = lookup.staff_by_email(session, email)
    if staff is None:  # an account with no staff record: the definitions only
        return Scope(email, None, frozenset(), hidden_milestones(session, (), ()))
    roles = staff_roles(session, staff.id)
    admin = "admin" in roles
    hidden = hidden_milestones(session, roles, permissions_of(roles, role_permissions(session)))
    staffed = set(session.scalars(
        select(CohortStaff.cohort_id).where(CohortStaff.staff_id == staff.id)))
    cohorts = None if admin or not staffed else frozenset(descendants(session, staffed))
    return Scope(email, staff.id, cohorts, hidden)
