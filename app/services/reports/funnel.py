"""The gate funnel: per stage gate, how many participants reached it, passed it, and where
they dropped off.

A participant is counted at a gate when they hold one of its milestones now. They reached it
once one of those is open or further (or someone reviewed them there), and passed it with a
`go` as their latest review there — or, never reviewed there, with all of its milestones
complete or skipped (the gate's status is complete). A latest review of hold, recycle or stop
is where they dropped off; the rest who reached the gate are still in progress.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session as OrmSession

from app.models import DONE_STATES, Gate, GateReview, Milestone, Progress
from app.services.reports.scope import belongs, cohort_ids
from app.services.reports.table import Options, Table, snapshot_note, table

DROPPED = ("hold", "recycle", "stop")


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    holding = (
        select(Progress.person_id, Milestone.gate_id,
               func.count().label("total"),
               func.count(case((Progress.state.in_(DONE_STATES), 1))).label("done"),
               func.count(case((Progress.state != "locked", 1))).label("begun"))
        .join(Milestone, Milestone.id == Progress.milestone_id)
        .where(Milestone.gate_id.is_not(None), belongs(cohorts, current=True))
        .group_by(Progress.person_id, Milestone.gate_id)
        .subquery("holding")
    )
    reviews = (
        select(GateReview.person_id, GateReview.gate_id, GateReview.decision,
               func.row_number().over(partition_by=[GateReview.person_id, GateReview.gate_id],
                                      order_by=GateReview.at.desc()).label("nth"))
        .subquery("reviews")
    )
    decision = reviews.c.decision
    undecided = decision.is_(None)
    complete = holding.c.done == holding.c.total
    reached = or_(holding.c.begun > 0, ~undecided)
    rows = session.execute(
        select(Gate.key, func.count(),
               func.count(case((reached, 1))),
               func.count(case((or_(decision == "go", and_(undecided, complete)), 1))),
               func.count(case((and_(undecided, holding.c.begun > 0, ~complete), 1))),
               *[func.count(case((decision == dropped, 1))) for dropped in DROPPED])
        .join(holding, holding.c.gate_id == Gate.id)
        .outerjoin(reviews, and_(reviews.c.person_id == holding.c.person_id,
                                 reviews.c.gate_id == holding.c.gate_id, reviews.c.nth == 1))
        .group_by(Gate.id, Gate.key, Gate.position)
        .order_by(Gate.position, Gate.key)
    ).all()
    return table("Gate funnel",
                 ["gate", "participants", "reached", "passed", "in_progress", *DROPPED],
                 rows, snapshot_note(options))
