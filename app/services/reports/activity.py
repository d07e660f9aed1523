"""Activity by milestone: per cohort and milestone, how many participants are in each state.

Every milestone linked to a cohort in scope is listed, with zeros where nobody holds it: an
unused milestone is worth seeing too. Counts are of current members, as the board shows them.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session as OrmSession

from app.models import STATES, Cohort, Membership, Milestone, MilestoneCohort, Progress
from app.services.reports.scope import cohort_ids, in_cohorts
from app.services.reports.table import Options, Table, snapshot_note, table


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    # Counted from the members, each one's progress together (it lies together on disk),
    # then laid over the cohorts' milestones so that the unused ones show as zeros.
    counted = (
        select(Membership.cohort_id, Progress.milestone_id,
               *[func.count(case((Progress.state == state, 1))).label(state)
                 for state in STATES],
               func.count().label("total"))
        .join(Progress, Progress.person_id == Membership.person_id)
        .join(MilestoneCohort, and_(MilestoneCohort.cohort_id == Membership.cohort_id,
                                    MilestoneCohort.milestone_id == Progress.milestone_id))
        .where(Membership.left_at.is_(None), in_cohorts(Membership.cohort_id, cohorts))
        .group_by(Membership.cohort_id, Progress.milestone_id)
        .subquery("counted")
    )
    rows = session.execute(
        select(Cohort.key, Milestone.key,
               *[func.coalesce(counted.c[column], 0) for column in (*STATES, "total")])
        .select_from(MilestoneCohort)
        .join(Cohort, Cohort.id == MilestoneCohort.cohort_id)
        .join(Milestone, Milestone.id == MilestoneCohort.milestone_id)
        .outerjoin(counted, and_(counted.c.cohort_id == MilestoneCohort.cohort_id,
                                 counted.c.milestone_id == MilestoneCohort.milestone_id))
        .where(in_cohorts(MilestoneCohort.cohort_id, cohorts))
        .order_by(Cohort.position, Cohort.key, Milestone.step, Milestone.position,
                  Milestone.key)
    ).all()
    return table("Activity by milestone", ["cohort", "milestone", *STATES, "total"], rows,
                 snapshot_note(options))
