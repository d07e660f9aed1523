"""Reports over the history and the current state, each a set-based query or a few.

Each report is a module with `run(session, options) -> Table`; `REPORTS` names them as the
command line (`waypoint report NAME`) and any view ask for them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session as OrmSession

from app.services.errors import Refused
from app.services.reports import (
    access,
    activity,
    at_risk,
    cycle_time,
    funnel,
    impact,
    sla,
    time_in_milestone,
    time_to_complete,
)
from app.services.reports.table import Options, Table, moment
from app.services.settings import program_zone

Report = Callable[[OrmSession, Options], Table]

REPORTS: dict[str, Report] = {
    "activity": activity.run,
    "cycle-time": cycle_time.run,
    "impact": impact.run,
    "time-in-milestone": time_in_milestone.run,
    "sla": sla.run,
    "funnel": funnel.run,
    "time-to-complete": time_to_complete.run,
    "at-risk": at_risk.run,
    "access": access.run,
}


def run_report(session: OrmSession, name: str, options: Options) -> Table:
    report = REPORTS.get(name)
    if report is None:
        raise Refused(f"There is no report '{name}'; the reports are: {', '.join(REPORTS)}.")
    if options.start and options.end and options.start > options.end:
        zone = program_zone(session)
        raise Refused(f"--from ({moment(options.start, zone)}) is after --to "
                      f"({moment(options.end, zone)}).")
    return report(session, options)


__all__ = ["REPORTS", "Options", "Table", "run_report"]
