"""Time in milestone, by cohort and by staff member: how long completed milestones took,
from first becoming available (open) to their last completion, as median, 90th percentile
and count.

"Staff" is the participant's cohort staff — the staff assigned to the cohort (or to a cohort
above it) through which the participant holds the milestone. The products this follows
measure time-in-milestone "by department, recruiter" to find bottlenecks and measure
performance: the recruiter is whoever owns the candidate, which here is the cohort's staff,
not whoever happened to click complete (often the participant or the system). Every stint
counts; with --from/--to, the milestones completed inside the window.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Cohort,
    CohortStaff,
    Milestone,
    MilestoneCohort,
    Progress,
    ProgressEvent,
    Staff,
)
from app.services.reports.durations import days_between, instant, summarized
from app.services.reports.scope import cohort_ids, lineage, stints
from app.services.reports.table import Options, Table, table

AVAILABLE = ("open", "started", "submitted", "denied", "complete")


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    marks = (
        select(ProgressEvent.progress_id,
               func.min(case((ProgressEvent.to_state.in_(AVAILABLE), ProgressEvent.at))
                        ).label("entered"),
               func.max(case((ProgressEvent.to_state == "complete", ProgressEvent.at))
                        ).label("done"))
        .join(Progress, Progress.id == ProgressEvent.progress_id)
        .where(Progress.state == "complete")
        .group_by(ProgressEvent.progress_id)
        .subquery("marks")
    )
    window = []
    if options.start is not None:
        window.append(marks.c.done >= instant(options.start))
    if options.end is not None:
        window.append(marks.c.done <= instant(options.end))
    members = stints(cohorts)
    taken = (
        select(Progress.id, Progress.milestone_id, members.c.cohort_id,
               days_between(session, marks.c.entered, marks.c.done).label("days"))
        .join(marks, marks.c.progress_id == Progress.id)
        .join(members, members.c.person_id == Progress.person_id)
        .join(MilestoneCohort, and_(MilestoneCohort.cohort_id == members.c.cohort_id,
                                    MilestoneCohort.milestone_id == Progress.milestone_id))
        .where(*window)
        .cte("taken")
    )
    tree = lineage()
    reach = (select(tree.c.cohort_id, CohortStaff.staff_id)
             .join(CohortStaff, CohortStaff.cohort_id == tree.c.ancestor_id)
             .distinct().subquery("reach"))
    by_cohort = select(literal("cohort").label("by"), taken.c.cohort_id.label("who"),
                       taken.c.milestone_id, taken.c.days)
    # A staff member reached through two of a participant's cohorts counts them once.
    by_staff = (select(literal("staff").label("by"), reach.c.staff_id.label("who"),
                       taken.c.milestone_id, taken.c.id, taken.c.days)
                .join(reach, reach.c.cohort_id == taken.c.cohort_id).distinct().subquery())
    durations = union_all(by_cohort, select(by_staff.c.by, by_staff.c.who,
                                            by_staff.c.milestone_id, by_staff.c.days)
                          ).subquery("durations")
    summary = summarized(durations, ["by", "who", "milestone_id"]).subquery("summary")
    who = func.coalesce(Cohort.key, Staff.email)
    rows = session.execute(
        select(summary.c.by, who, Milestone.key, summary.c.n, summary.c.median, summary.c.p90)
        .join(Milestone, Milestone.id == summary.c.milestone_id)
        .outerjoin(Cohort, and_(summary.c.by == "cohort", Cohort.id == summary.c.who))
        .outerjoin(Staff, and_(summary.c.by == "staff", Staff.id == summary.c.who))
        .order_by(summary.c.by, who, Milestone.step, Milestone.position, Milestone.key)
    ).all()
    return table("Time in milestone",
                 ["by", "who", "milestone", "count", "median_days", "p90_days"], rows,
                 ["Days from a milestone's first opening to its completion, for those "
                  "complete now."])
