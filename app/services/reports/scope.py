"""Which progress a report looks at: the cohorts in scope and the participants' stints in them.

A progress belongs to a cohort through its participant's membership of a cohort that carries
its milestone (a shared milestone belongs to each of its cohorts). Reports of how things
stand count current members only, as the board does; reports over the history count every
stint, so that a participant moved on by a completion (a full transfer) still counts where
the time was spent.
"""

from __future__ import annotations

import uuid

from sqlalchemy import CTE, Subquery, exists, select, true
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql import ColumnElement

from app.models import Cohort, Membership, MilestoneCohort, Progress
from app.services import lookup
from app.services.reports.table import Options
from app.services.rules.approvals import descendants


def cohort_ids(session: OrmSession, options: Options) -> list[uuid.UUID] | None:
    """The cohort named by --cohort and every cohort below it; None for the whole store."""
    if options.cohort is None:
        return None
    return sorted(descendants(session, {lookup.cohort(session, options.cohort).id}))


def belongs(cohorts: list[uuid.UUID] | None, *, current: bool) -> ColumnElement[bool]:
    """The progress's participant is (`current`), or has been, a member of a cohort in scope
    that carries the progress's milestone."""
    if cohorts is None and not current:
        return true()
    conditions = [Membership.person_id == Progress.person_id,
                  MilestoneCohort.cohort_id == Membership.cohort_id,
                  MilestoneCohort.milestone_id == Progress.milestone_id]
    if current:
        conditions.append(Membership.left_at.is_(None))
    if cohorts is not None:
        conditions.append(Membership.cohort_id.in_(cohorts))
    return exists().where(*conditions)


def in_cohorts(column: ColumnElement[uuid.UUID], cohorts: list[uuid.UUID] | None
               ) -> ColumnElement[bool]:
    return true() if cohorts is None else column.in_(cohorts)


def stints(cohorts: list[uuid.UUID] | None) -> Subquery:
    """(person_id, cohort_id) for everyone who is or was a member of a cohort in scope, each
    pair once however many times they joined: a progress then counts once per cohort."""
    return (select(Membership.person_id, Membership.cohort_id)
            .where(in_cohorts(Membership.cohort_id, cohorts)).distinct().subquery("stints"))


def lineage() -> CTE:
    """(cohort_id, ancestor_id) for every cohort and each cohort above it, itself included:
    staff of a program are staff of its sections, as approvals have it."""
    tree = select(Cohort.id.label("cohort_id"), Cohort.id.label("ancestor_id")).cte(
        "lineage", recursive=True)
    return tree.union_all(
        select(tree.c.cohort_id, Cohort.parent_id)
        .join(Cohort, Cohort.id == tree.c.ancestor_id)
        .where(Cohort.parent_id.is_not(None)))
