"""How big each demo data set is.

The cohort counts include the program files' own cohorts; the rest are generated as extra
sections so that boards, trees and scans meet a realistic number of groups.
"""

from __future__ import annotations

from dataclasses import dataclass

CHUNK = 5_000  # participants generated and written per round, to keep memory flat


@dataclass(frozen=True)
class Size:
    name: str
    participants: int
    cohorts: int


SIZES = {
    "S": Size("S", participants=60, cohorts=12),
    "M": Size("M", participants=5_000, cohorts=60),
    "L": Size("L", participants=100_000, cohorts=400),
}
