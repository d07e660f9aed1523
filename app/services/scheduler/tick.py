"""`tick`: the scheduler run once, through the one write path.

A pure function of the store and the tick's time: date-keyed work fires at the first tick on
its day in the program's zone, and whatever a closed laptop missed is caught up once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from app.services.commands import Tick
from app.services.registry import handles
from app.services.rules.permissions import require_staff
from app.services.scheduler.scans import SCANS
from app.services.work import Work


@handles(Tick)
def tick(command: Tick, work: Work) -> None:
    require_staff(work, "run the scheduler")
    today = work.today
    for _order, _name, run in SCANS:
        run(work, today)


def summary(changes: list[dict[str, Any]]) -> str:
    """What a tick did, in words: "3 reminders, 2 past due alerts"; "" when nothing."""
    counts: Counter[str] = Counter()
    for change in changes:
        kind = change.get("kind")
        label = f"{change['alert'].replace('_', ' ')} alert" if kind == "alert" else str(kind)
        counts[label] += int(change.get("count", 1))
    return ", ".join(f"{n} {label}{'s' if n != 1 else ''}" for label, n in sorted(counts.items()))
