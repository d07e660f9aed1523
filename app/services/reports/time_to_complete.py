"""Time to complete the program: per cohort, how long its participants took from their first
milestone assigned to the last of its required milestones done, as median, 90th percentile
and count.

A cohort's program is the milestones linked to it; the required ones are those that are not
optional, and a skipped one counts as done. Every stint counts, so a participant moved on by
their last completion still counts in the cohort they completed. With --from/--to, the
participants who finished inside the window.
"""

from __future__ import annotations

import uuid

from sqlalchemy import CTE, and_, case, func, select
from sqlalchemy.orm import Session as OrmSession

from app.models import DONE_STATES, Cohort, Milestone, MilestoneCohort, Progress
from app.services.reports.durations import days_between, instant, summarized
from app.services.reports.scope import cohort_ids, stints
from app.services.reports.table import Options, Table, table


def _journeys(cohorts: list[uuid.UUID] | None) -> CTE:
    """(cohort_id, person_id, first, last, undone) per participant of each cohort."""
    members = stints(cohorts)
    return (
        select(members.c.cohort_id, members.c.person_id,
               func.min(Progress.assigned_at).label("first"),
               func.max(Progress.state_since).label("last"),
               func.count(case((Progress.state.not_in(DONE_STATES), 1))).label("undone"))
        .join(Progress, Progress.person_id == members.c.person_id)
        .join(MilestoneCohort, and_(MilestoneCohort.cohort_id == members.c.cohort_id,
                                    MilestoneCohort.milestone_id == Progress.milestone_id))
        .join(Milestone, and_(Milestone.id == Progress.milestone_id,
                              Milestone.is_optional.is_(False)))
        .group_by(members.c.cohort_id, members.c.person_id)
        .cte("journeys")
    )


def run(session: OrmSession, options: Options) -> Table:
    journeys = _journeys(cohort_ids(session, options))
    finished = [journeys.c.undone == 0]
    if options.start is not None:
        finished.append(journeys.c.last >= instant(options.start))
    if options.end is not None:
        finished.append(journeys.c.last <= instant(options.end))
    durations = (select(journeys.c.cohort_id,
                        days_between(session, journeys.c.first, journeys.c.last).label("days"))
                 .where(*finished))
    summary = summarized(durations, ["cohort_id"]).subquery("summary")
    participants = (select(journeys.c.cohort_id, func.count().label("n"))
                    .group_by(journeys.c.cohort_id).subquery("participants"))
    rows = session.execute(
        select(Cohort.key, participants.c.n, func.coalesce(summary.c.n, 0), summary.c.median,
               summary.c.p90)
        .join(participants, participants.c.cohort_id == Cohort.id)
        .outerjoin(summary, summary.c.cohort_id == Cohort.id)
        .order_by(Cohort.position, Cohort.key)
    ).all()
    return table("Time to complete",
                 ["cohort", "participants", "completed", "median_days", "p90_days"], rows,
                 ["Days from the first milestone assigned to the last required one done."])
