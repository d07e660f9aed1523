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

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased

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
from app.services.reports.plans import usually
from app.services.reports.scope import cohort_ids, lineage, stints
from app.services.reports.table import Options, Table, table

AVAILABLE = ("open", "started", "submitted", "denied", "complete")


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    # Each complete progress's first opening and last completion, looked up in its own
    # history (the index on progress and time): grouping the history sorted all of it.
    event = aliased(ProgressEvent, name="event")
    entered = (select(func.min(event.at))
               .where(event.progress_id == Progress.id, event.to_state.in_(AVAILABLE))
               .scalar_subquery())
    done = (select(func.max(event.at))
            .where(event.progress_id == Progress.id, event.to_state == "complete")
            .scalar_subquery())
    window = []
    if options.start is not None:
        window.append(done >= instant(options.start))
    if options.end is not None:
        window.append(done <= instant(options.end))
    members = stints(cohorts)
    taken = (
        select(Progress.id, Progress.person_id, Progress.milestone_id, members.c.cohort_id,
               days_between(session, entered, done).label("days"))
        .join(members, members.c.person_id == Progress.person_id)
        .join(MilestoneCohort, and_(MilestoneCohort.cohort_id == members.c.cohort_id,
                                    MilestoneCohort.milestone_id == Progress.milestone_id))
        .where(usually(session, Progress.state == "complete"), *window)
        .cte("taken")
    )
    tree = lineage()
    reach = (select(tree.c.cohort_id, CohortStaff.staff_id)
             .join(CohortStaff, CohortStaff.cohort_id == tree.c.ancestor_id)
             .distinct().subquery("reach"))
    # A staff member reached through two of a participant's cohorts counts them once. Only
    # a participant of two cohorts in scope can be: the others' rows need no sifting.
    several = (select(members.c.person_id).group_by(members.c.person_id)
               .having(func.count() > 1))
    reached = (select(reach.c.staff_id.label("who"), taken.c.milestone_id, taken.c.days)
               .join(reach, reach.c.cohort_id == taken.c.cohort_id))
    sifted = (reached.add_columns(taken.c.id)
              .where(taken.c.person_id.in_(several)).distinct().subquery("sifted"))
    by_staff = union_all(reached.where(taken.c.person_id.not_in(several)),
                         select(sifted.c.who, sifted.c.milestone_id, sifted.c.days))
    by_cohort = select(taken.c.cohort_id.label("who"), taken.c.milestone_id, taken.c.days)
    # Each ranked on its own: fewer rows to a sort, and no `by` in each row's key.
    summary = union_all(*[
        select(literal(by).label("by"), *ranked.subquery().c)
        for by, ranked in (("cohort", summarized(by_cohort, ["who", "milestone_id"])),
                           ("staff", summarized(by_staff, ["who", "milestone_id"])))
    ]).subquery("summary")
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
