"""Impact by milestone: the participants' impacts that wait on each milestone's approval.

An impact (savings, hours…) is kept per stage (target, forecast, actual); the report sums each
stage over the participants whose progress on the milestone is submitted, so a coordinator
sees which approvals hold up the most. One row per milestone and impact; participants
waiting with no impact recorded are not listed.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session as OrmSession

from app.models import Milestone, PersonImpact, Progress
from app.services.reports.scope import belongs, cohort_ids
from app.services.reports.table import Options, Table, snapshot_note, table
from app.services.rules.people import IMPACT_STAGES


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    sums = [func.coalesce(func.sum(case((PersonImpact.stage == stage, PersonImpact.value))), 0.0)
            for stage in IMPACT_STAGES]
    rows = session.execute(
        select(Milestone.key, PersonImpact.key, func.count(func.distinct(Progress.person_id)),
               *sums)
        .join(Progress, Progress.milestone_id == Milestone.id)
        .join(PersonImpact, PersonImpact.person_id == Progress.person_id)
        .where(Progress.state == "submitted", belongs(cohorts, current=True))
        .group_by(Milestone.id, Milestone.key, Milestone.step, Milestone.position,
                  PersonImpact.key)
        .order_by(Milestone.step, Milestone.position, Milestone.key, PersonImpact.key)
    ).all()
    return table("Impact by milestone",
                 ["milestone", "impact", "participants", *IMPACT_STAGES], rows,
                 snapshot_note(options))
