"""Cycle time by milestone: how long progress stays in each state, to find bottlenecks.

A stay runs from the event that entered a state to the next event of the same progress that
left it; a stay still running is counted up to --to (or the report's time). Complete and
skipped are where progress ends, not where it waits, so they are left out. With --from/--to,
the stays that overlap the window count, cut off at --to.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal_column, not_, or_, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from app.models import DONE_STATES, STATES, Milestone, Progress, ProgressEvent
from app.services.reports.durations import days_between, instant, summarized
from app.services.reports.scope import belongs, cohort_ids
from app.services.reports.table import Options, Table, moment, table
from app.services.settings import program_zone


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    until = instant(options.until)
    entered = ProgressEvent
    later = aliased(ProgressEvent, name="later")

    def moves(event: type[ProgressEvent]) -> ColumnElement[bool]:
        """The events that change a state: a stay begins at each."""
        return and_(event.to_state.is_not(None),
                    or_(event.from_state.is_(None), event.from_state != event.to_state))

    # Two events of one command share their time; SQLite's rowid keeps them in the order
    # they were written, so the stay between them is the empty one (elsewhere the id orders
    # them, one way or the other).
    if session.get_bind().dialect.name == "sqlite":
        written, written_later = (literal_column("progress_events.rowid"),
                                  literal_column("later.rowid"))
    else:
        written, written_later = entered.id, later.id
    after = [later.progress_id == entered.progress_id, moves(later),
             or_(later.at > entered.at, and_(later.at == entered.at, written_later > written))]
    # When the next move came (cut off at `until`), looked up for each stay in the index of
    # moves: a window over the history numbered all of it and kept it aside to join.
    ended = (select(func.min(case((later.at > until, until), else_=later.at)))
             .where(*after).scalar_subquery())
    window = [entered.at < until]
    if options.start is not None:
        # Overlaps the window: nothing moved it on by --from.
        window.append(not_(select(later.id).where(*after, later.at <= instant(options.start))
                           .exists()))
    durations = (
        select(Progress.milestone_id, entered.to_state.label("state"),
               days_between(session, entered.at, func.coalesce(ended, until)).label("days"))
        .join(Progress, Progress.id == entered.progress_id)
        .where(moves(entered), entered.to_state.not_in(DONE_STATES),
               belongs(cohorts, current=False), *window)
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
