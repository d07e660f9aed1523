"""What a coordinator does on a demo store, timed in a process of its own.

`python -m tests.perf.probe --db STORE --at TIME` prints one JSON object: for each measure
the first (cold) time and the median of the repeats after it, in seconds, what it ran on,
and the process's peak resident memory once the store is open and read, and at the end.
The writes come last, on participants and progress no earlier measure touched.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from app.models import Membership, Milestone, MilestoneCohort, Person, Progress
from app.models.store import Store, open_store
from app.services.clock import parse_time
from app.services.commands import (
    ApproveProgress,
    Command,
    CompleteProgress,
    Enroll,
    ImportPeople,
    PersonRow,
    Tick,
)
from app.services.queries.board import CohortRow, cohort_tree, participants, subtree
from app.services.queries.inbox import inbox
from app.services.queries.person_view import person_view
from app.services.settings import USER, get_setting, program_zone
from app.services.write import execute

REPEAT = 5
BOARD_SIZE = 5_000  # the budget's cohort: "select a cohort of 5,000"
IMPORTED = 5_000  # the budget's enrolment: "enroll 5,000 participants"
PENDING = 10_000  # the budget's inbox: "open the inbox with 10,000 pending"
MILESTONES = 20  # … "into a cohort of 20 milestones"

Measure = dict[str, Any]


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes on macOS


def timed(runs: list[Callable[[], object]], what: str) -> Measure:
    """The first run cold, then the median of the others (each its own target for writes)."""
    times = []
    for run in runs:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    rest = times[1:] or times
    return {"first": times[0], "median": statistics.median(rest), "n": len(times), "what": what}


def repeat(run: Callable[[], object]) -> list[Callable[[], object]]:
    return [run] * (1 + REPEAT)


def command(store: Store, made: Command) -> Callable[[], object]:
    def run() -> None:
        result = execute(store, made)
        if not result.ok:
            raise RuntimeError(f"{type(made).__name__} refused: {result.error}")

    return run


def subtree_members(rows: list[CohortRow]) -> dict[uuid.UUID, int]:
    direct = {row.id: row.members for row in rows}
    return {row.id: sum(direct[c] for c in subtree(rows, row.id)) for row in rows}


def reads(store: Store, at: datetime, out: dict[str, Measure]) -> None:
    with store.session() as session:
        rows = cohort_tree(session)
        largest = max(rows, key=lambda row: row.members)
        sizes = subtree_members(rows)
        big = [row for row in rows if sizes[row.id] >= BOARD_SIZE]
        board_cohort = min(big, key=lambda row: sizes[row.id]) if big else largest
        board_ids = subtree(rows, board_cohort.id)
        count = session.scalar(select(func.count()).select_from(Person)) or 0
        person = session.scalar(
            select(Person.external_id).order_by(Person.external_id).offset(count // 2).limit(1))

    def tree() -> object:
        with store.session() as session:
            return cohort_tree(session)

    def board(ids: list[uuid.UUID]) -> Callable[[], object]:
        def run() -> object:
            with store.session() as session:
                cohort_tree(session)
                return participants(session, ids, at)
        return run

    def show() -> object:
        with store.session() as session:
            return person_view(session, person, at)

    out["tree"] = timed(repeat(tree), f"{len(rows)} cohorts")
    out["board_largest"] = timed(repeat(board([largest.id])),
                                 f"{largest.key}: {largest.members:,} members")
    out["board_5000"] = timed(repeat(board(board_ids)),
                              f"{board_cohort.key} and below: {sizes[board_cohort.id]:,} members")
    out["show"] = timed(repeat(show), f"participant {person}")


def target_cohort(store: Store) -> tuple[uuid.UUID, str, int]:
    """The leaf cohort whose milestone count is nearest the budget's 20."""
    with store.session() as session:
        linked = (
            select(MilestoneCohort.cohort_id, func.count().label("n"))
            .join(Milestone, Milestone.id == MilestoneCohort.milestone_id)
            .where(Milestone.retired.is_(False), Milestone.is_optional.is_(False))
            .group_by(MilestoneCohort.cohort_id)
            .subquery()
        )
        members = select(Membership.cohort_id).where(Membership.left_at.is_(None))
        rows = session.execute(
            select(linked.c.cohort_id, linked.c.n).where(linked.c.cohort_id.in_(members))
        ).all()
        cohort_id, n = min(rows, key=lambda row: (abs(row.n - MILESTONES), row.cohort_id.hex))
        key = next(r.key for r in cohort_tree(session) if r.id == cohort_id)
    return cohort_id, key, n


def writes(store: Store, at: datetime, out: dict[str, Measure]) -> None:
    cohort_id, key, milestones = target_cohort(store)
    with store.session() as session:
        outsiders = session.scalars(
            select(Person.external_id)
            .where(~Person.id.in_(select(Membership.person_id)
                                  .where(Membership.cohort_id == cohort_id)))
            .order_by(Person.external_id)
            .limit(1 + REPEAT)
        ).all()
        total = session.scalar(
            select(func.count()).select_from(Progress).where(Progress.state == "open")) or 0
        open_rows = session.execute(
            select(Person.external_id, Milestone.key)
            .join(Progress, Progress.person_id == Person.id)
            .join(Milestone, Milestone.id == Progress.milestone_id)
            .where(Progress.state == "open", Person.external_id.not_in(outsiders))
            .order_by(Progress.id)
            .offset(total // 3)
            .limit(50)
        ).all()
    seen: set[str] = set()
    targets = [r for r in open_rows if not (r[0] in seen or seen.add(r[0]))][: 1 + REPEAT]
    out["enroll"] = timed(
        [command(store, Enroll(at=at, person=p, cohort=key)) for p in outsiders],
        f"one participant into {key} ({milestones} milestones)")
    out["complete"] = timed(
        [command(store, CompleteProgress(at=at, person=p, milestone=m)) for p, m in targets],
        "one open milestone, by staff")
    rows = tuple(
        PersonRow(line=n + 2, external_id=f"PERF-{n:06d}", name=f"Perf Participant {n}",
                  email=f"perf.participant{n}@example.org")
        for n in range(IMPORTED)
    )
    out["enroll_5000"] = timed(
        [command(store, ImportPeople(at=at, rows=rows, cohort=key, source="bench"))],
        f"{IMPORTED:,} new participants into {key} ({milestones} milestones), one import")


def approvals(store: Store, at: datetime, out: dict[str, Measure]) -> None:
    """10,000 requests made pending in one statement (the set-up, not what is measured), then
    the admin's inbox opened and requests approved one after another."""
    with store.session() as session:
        session.execute(update(Progress).where(Progress.id.in_(
            select(Progress.id).where(Progress.state.in_(("open", "started")))
            .order_by(Progress.id).limit(PENDING)
        )).values(state="submitted", submitted_at=at, submitted_by="bench", round=1))
        session.commit()
        admin = get_setting(session, USER) or ""

    def open_inbox() -> list[Any]:
        with store.session() as session:
            return inbox(session, admin, at)

    out["inbox"] = timed(repeat(open_inbox), f"{PENDING:,} pending, as the admin")
    first = open_inbox()[: 1 + REPEAT]
    out["approve"] = timed(
        [command(store, ApproveProgress(at=at, person=i.person, milestone=i.milestone,
                                        note="bench")) for i in first],
        "approve one pending request")


def scheduler(store: Store, at: datetime, out: dict[str, Measure]) -> None:
    """The first tick on the demo (it catches up on everything the history left due), then
    the next day's: the nightly scan of the budget."""
    out["tick_first"] = timed([command(store, Tick(at=at))], "first tick: catches up")
    out["tick"] = timed([command(store, Tick(at=at + timedelta(days=1)))],
                        "the next day's tick: reminders, alerts, deadlines, digests, campaigns")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.probe")
    parser.add_argument("--db", required=True)
    parser.add_argument("--at", required=True, help="the time the demo was generated at")
    args = parser.parse_args(argv)
    measures: dict[str, Measure] = {}
    start = time.perf_counter()
    store = open_store(args.db)
    with store.session() as session:
        at = parse_time(args.at, program_zone(session))
    measures["open"] = {"first": time.perf_counter() - start, "median": None, "n": 1,
                        "what": "open the store (schema check included)"}
    try:
        reads(store, at, measures)
        memory_open = peak_mb()
        writes(store, at, measures)
        approvals(store, at, measures)
        scheduler(store, at, measures)
    finally:
        store.close()
    print(json.dumps({"measures": measures, "memory_open_mb": memory_open,
                      "memory_peak_mb": peak_mb()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
