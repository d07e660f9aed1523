"""At-risk participants: progress past due, behind or stuck, as the board's at-risk filter
marks a card (`board_cells.Cell.at_risk`): past a due date or a ready or approval deadline,
or open longer than its expected duration allows. Computed by the board's own SQL, as of
the report's time."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from app.models import Milestone, Person, Progress
from app.services.clock import local_date
from app.services.queries.board_cells import risk_columns
from app.services.reports.scope import belongs, cohort_ids
from app.services.reports.table import Options, Table, snapshot_note, table
from app.services.settings import program_zone

COLUMNS = ["person", "name", "milestone", "state", "due", "past_due", "progress"]


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    zone = program_zone(session)
    milestones = list(session.scalars(select(Milestone)))
    past_due, scale, _ = risk_columns(milestones, options.at, local_date(options.at, zone), zone)
    rows = session.execute(
        select(Person.external_id, Person.name, Milestone.key, Progress.state,
               Progress.due_on, past_due, scale)
        .join(Person, Person.id == Progress.person_id)
        .join(Milestone, Milestone.id == Progress.milestone_id)
        .where(or_(past_due, scale.in_(("behind", "stuck"))), belongs(cohorts, current=True))
        .order_by(Person.name, Person.external_id, Milestone.step, Milestone.position,
                  Milestone.key)
    ).all()
    return table("At-risk participants", COLUMNS,
                 [[*row[:5], bool(row[5]), row[6]] for row in rows], snapshot_note(options))
