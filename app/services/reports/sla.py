"""SLA exceptions: progress that has stayed in one state longer than its milestone's
`escalate_after`, as the scheduler's escalation alerts judge it (the same states, the same
limit, the participants who still hold the milestone), longest over first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, select
from sqlalchemy.orm import Session as OrmSession

from app.models import Milestone, Person, Progress
from app.services.clock import local_date
from app.services.reports.durations import days_between, instant
from app.services.reports.scope import belongs, cohort_ids
from app.services.reports.table import Options, Table, snapshot_note, table
from app.services.scheduler.alerts import ACTIVE
from app.services.settings import program_zone


def run(session: OrmSession, options: Options) -> Table:
    cohorts = cohort_ids(session, options)
    zone = program_zone(session)
    limits = dict(session.execute(select(Milestone.id, Milestone.escalate_after_days)
                                  .where(Milestone.escalate_after_days.is_not(None))).all())
    columns = ["person", "name", "milestone", "state", "since", "days_in_state",
               "escalate_after_days", "days_over"]
    if not limits:
        return table("SLA exceptions", columns, [],
                     ["No milestone has an escalate_after.", *snapshot_note(options)])
    # Each milestone's latest acceptable entry time, picked by a CASE on its id (there are
    # tens of milestones): exact where the scheduler compares times, not day fractions.
    latest = case({mid: instant(options.at - timedelta(days=days))
                   for mid, days in limits.items()}, value=Progress.milestone_id)
    waited = days_between(session, Progress.state_since, instant(options.at))
    over = waited - Milestone.escalate_after_days
    found = session.execute(
        select(Person.external_id, Person.name, Milestone.key, Progress.state,
               Progress.state_since, waited, Milestone.escalate_after_days, over)
        .join(Person, Person.id == Progress.person_id)
        .join(Milestone, Milestone.id == Progress.milestone_id)
        .where(Progress.milestone_id.in_(list(limits)), Progress.state.in_(ACTIVE),
               Progress.state_since <= latest, belongs(cohorts, current=True))
        .order_by(over.desc(), Person.name, Milestone.step, Milestone.position)
    ).all()
    rows = [[*row[:4], local_date(row[4], zone), *row[5:]] for row in found]
    return table("SLA exceptions", columns, rows, snapshot_note(options))
