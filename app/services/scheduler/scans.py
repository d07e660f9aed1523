"""Where the scheduler's scans register, in the order a tick runs them.

Each scan is a function of the work (its session, its time) and the local day, and must be
idempotent: a second tick the same day, or one after a week closed, sends each thing once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from app.services.work import Work

Scan = Callable[[Work, date], None]
# How far back a tick catches up on day-keyed mail (digests, campaign steps): a week closed is
# caught up, a first tick on an old store does not flood anyone with stale mail.
LOOK_BACK_DAYS = 14
SCANS: list[tuple[int, str, Scan]] = []


def scan(order: int, name: str) -> Callable[[Scan], Scan]:
    def register(fn: Scan) -> Scan:
        SCANS.append((order, name, fn))
        SCANS.sort(key=lambda entry: entry[0])
        return fn

    return register
