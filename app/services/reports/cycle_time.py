"""Cycle time by milestone: how long progress stays in each state, to find bottlenecks.

A stay runs from the event that entered a state to the next event of the same progress that
left it; a stay still running is counted up to --to (or the report's time). Complete and
skipped are where progress ends, not where it waits, so they are left out. With --from/--to,
the stays that overlap the window count, cut off at --to.
"""

from __future__ import annotations

from sqlalchemy import case, func, literal_column, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.models import DONE_STATES, STATES, Milestone, Progress, ProgressEvent
from app.services.reports.durations import days_between, instant, summarized
from app.services.reports.scope import belongs, cohort_ids
from app.services.reports.table import Options, Table, moment, table
from app.services.settings import program_zone


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    until = instant(options.until)
    # Two events of one command share their time; SQLite's rowid keeps them in the order
    # they were written, so the stay between them is the empty one.
    order = [ProgressEvent.at]
    if session.get_bind().dialect.name == "sqlite":
        order.append(literal_column("progress_events.rowid"))
    stays = (
        select(ProgressEvent.progress_id, ProgressEvent.to_state.label("state"),
               ProgressEvent.at.label("began"),
               func.lead(ProgressEvent.at).over(partition_by=ProgressEvent.progress_id,
                                                order_by=order).label("ended"))
        .where(ProgressEvent.to_state.is_not(None),
               or_(ProgressEvent.from_state.is_(None),
                   ProgressEvent.from_state != ProgressEvent.to_state))
        .subquery("stays")
    )
    ended = case((or_(stays.c.ended.is_(None), stays.c.ended > until), until),
                 else_=stays.c.ended)
    window = [stays.c.began < until]
    if options.start is not None:
        window.append(or_(stays.c.ended.is_(None), stays.c.ended > instant(options.start)))
    durations = (
        select(Progress.milestone_id, stays.c.state,
               days_between(session, stays.c.began, ended).label("days"))
        .join(Progress, Progress.id == stays.c.progress_id)
        .where(stays.c.state.not_in(DONE_STATES), belongs(cohorts, current=False), *window)
        .subquery("durations")
    )
    summary = summarized(durations, ["milestone_id", "state"]).subquery("summary")
    state_order = case({state: number for number, state in enumerate(STATES)},
                       value=summary.c.state)
    rows = session.execute(
        select(Milestone.key, summary.c.state, summary.c.n, summary.c.median, summary.c.p90)
        .join(summary, summary.c.milestone_id == Milestone.id)
        .order_by(Milestone.step, Milestone.position, Milestone.key, state_order)
    ).all()
    notes = [f"Days in each state; stays still running are counted up to "
             f"{moment(options.until, program_zone(session))}."]
    return table("Cycle time by milestone",
                 ["milestone", "state", "count", "median_days", "p90_days"], rows, notes)
