"""What a coordinator does on a demo store, timed in a process of its own.

`python -m tests.perf.probe --db STORE --at TIME` prints one JSON object: for each measure
the first (cold) time and the median of the repeats after it, in seconds, what it ran on,
and its floor: the median time of hand-written SQL doing the same work on the same store in
the same run (sqlite3, no layers: what the machine and SQLite make possible), where one can
be written. Then the process's peak resident memory once the store is open and read, and at
the end. The writes come last, on participants and progress no earlier measure touched;
each floor that writes runs in a transaction it rolls back.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from app.models import Membership, Milestone, MilestoneCohort, Person, Progress
from app.models.store import Store, connection_pragmas, open_store
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
from app.services.reports import REPORTS, Options, run_report
from app.services.settings import USER, get_setting, program_zone
from app.services.work import Work
from app.services.write import execute
from tests.perf.report_floors import FLOORS

REPEAT = 5
BOARD_SIZE = 5_000  # the budget's cohort: "select a cohort of 5,000"
IMPORTED = 5_000  # the budget's enrolment: "enroll 5,000 participants"
IMPORT_RUNS = 3
REPORT_RUNS = 2  # after the first: reports on L take seconds each
TICK_DAYS = 3
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


Script = list[tuple[str, Any]]


def floor(store: Store, measure: Measure, sql: str = "", *params: Any,
          script: Callable[[], Script] | None = None, runs: int = REPEAT) -> Measure:
    """Time hand-written SQL on the same file: `sql` with `params` read to the end, or a
    `script` of (statement, parameters: a tuple, or a list for executemany), made afresh for
    each run and committed as our commands are (the probe works on a copy)."""
    assert store.path is not None
    times = []
    with closing(sqlite3.connect(store.path, isolation_level=None)) as connection:
        connection_pragmas(connection)  # as the store's own connections: the same work
        for _ in range(1 + runs):
            statements = script() if script is not None else []
            start = time.perf_counter()
            if script is not None:
                connection.execute("BEGIN")
                for statement, values in statements:
                    if isinstance(values, list):
                        connection.executemany(statement, values)
                    else:
                        connection.execute(statement, values)
                connection.execute("COMMIT")
            else:
                connection.execute(sql, params).fetchall()
            times.append(time.perf_counter() - start)
    measure["floor"] = statistics.median(times[1:] or times)
    return measure


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

    out["tree"] = floor(store, timed(repeat(tree), f"{len(rows)} cohorts"), TREE_FLOOR)
    out["board_largest"] = floor(store, timed(
        repeat(board([largest.id])), f"{largest.key}: {largest.members:,} members"),
        board_floor(1), largest.id.hex)
    out["board_5000"] = floor(store, timed(
        repeat(board(board_ids)),
        f"{board_cohort.key} and below: {sizes[board_cohort.id]:,} members"),
        board_floor(len(board_ids)), *(i.hex for i in board_ids))
    out["show"] = floor(store, timed(repeat(show), f"participant {person}"), SHOW_FLOOR, person,
                        person)


# The cohorts with their members counted.
TREE_FLOOR = """SELECT c.id, c.key, c.name, c.parent_id, count(m.person_id) FROM cohorts c
LEFT JOIN memberships m ON m.cohort_id = c.id AND m.left_at IS NULL GROUP BY c.id"""
# A participant's milestones with their approvals.
SHOW_FLOOR = """SELECT m.key, m.title, pr.state, pr.due_on, pr.started_at, pr.completed_at,
a.level, a.actor, a.decision, a.note, a.at FROM progress pr
JOIN milestones m ON m.id = pr.milestone_id LEFT JOIN approvals a ON a.progress_id = pr.id
WHERE pr.person_id = (SELECT id FROM people WHERE external_id = ?)
UNION ALL SELECT c.key, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM memberships ms JOIN cohorts c ON c.id = ms.cohort_id
WHERE ms.person_id = (SELECT id FROM people WHERE external_id = ?) AND ms.left_at IS NULL"""


def board_floor(cohorts: int) -> str:
    """Every member of the cohorts with each of their progress rows: the board's cells."""
    marks = ", ".join("?" * cohorts)
    return f"""SELECT p.external_id, p.name, pr.milestone_id, pr.state, pr.due_on,
    pr.state_since FROM memberships ms JOIN people p ON p.id = ms.person_id
    JOIN progress pr ON pr.person_id = p.id
    WHERE ms.cohort_id IN ({marks}) AND ms.left_at IS NULL ORDER BY p.name"""


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
    with store.session() as session:
        linked = [m.hex for m in session.scalars(
            select(MilestoneCohort.milestone_id)
            .join(Milestone, Milestone.id == MilestoneCohort.milestone_id)
            .where(MilestoneCohort.cohort_id == cohort_id, Milestone.retired.is_(False),
                   Milestone.is_optional.is_(False)))]
    out["enroll"] = floor(store, timed(
        [command(store, Enroll(at=at, person=p, cohort=key)) for p in outsiders],
        f"one participant into {key} ({milestones} milestones)"),
        script=lambda: enrolment(cohort_id.hex, linked, 1, at))
    out["complete"] = floor(store, timed(
        [command(store, CompleteProgress(at=at, person=p, milestone=m)) for p, m in targets],
        "one open milestone, by staff"), script=lambda: decision(at))
    imports = [tuple(
        PersonRow(line=n + 2, external_id=f"PERF-{run}-{n:06d}", name=f"Perf Participant {n}",
                  email=f"perf.participant{run}.{n}@example.org")
        for n in range(IMPORTED)) for run in range(IMPORT_RUNS)]
    out["enroll_5000"] = floor(store, timed(
        [command(store, ImportPeople(at=at, rows=rows, cohort=key, source="bench"))
         for rows in imports],
        f"{IMPORTED:,} new participants into {key} ({milestones} milestones), one import"),
        script=lambda: enrolment(cohort_id.hex, linked, IMPORTED, at), runs=IMPORT_RUNS - 1)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def enrolment(cohort: str, milestones: list[str], people: int, at: datetime) -> Script:
    """The rows an enrolment writes, as bare executemany: the people, their memberships, a
    progress row per milestone and its history event, with ids made as a command makes them
    (a series: the same rows)."""
    when = _stamp(at)
    ids = iter(Work(session=None, op_id=uuid.uuid4(), at=at, actor=None).new_keys(  # type: ignore[arg-type]
        people * (2 + 2 * len(milestones))))
    made = [(next(ids), f"FLOOR-{uuid.uuid4().hex[:12]}") for _ in range(people)]
    progress = [(next(ids), person, milestone) for person, _ in made for milestone in milestones]
    return [
        ("INSERT INTO people (id, external_id, name, email, created_at, version) "
         "VALUES (?, ?, ?, ?, ?, 1)", [(i, x, f"Floor {x}", f"{x}@example.org", when)
                                       for i, x in made]),
        ("INSERT INTO memberships (id, person_id, cohort_id, joined_at) VALUES (?, ?, ?, ?)",
         [(next(ids), i, cohort, when) for i, _ in made]),
        ("INSERT INTO progress (id, person_id, milestone_id, state, assigned_at, opened_at, "
         "state_since, acted, version, round) VALUES (?, ?, ?, 'open', ?, ?, ?, 0, 1, 0)",
         [(i, person, milestone, when, when, when) for i, person, milestone in progress]),
        ("INSERT INTO progress_events (id, progress_id, kind, to_state, at) "
         "VALUES (?, ?, 'ProgressAssigned', 'open', ?)",
         [(next(ids), i, when) for i, _, _ in progress]),
    ]


def decision(at: datetime) -> Script:
    """One staff decision on one progress: its row, its history event, the next one opened."""
    when = _stamp(at)
    return [
        ("UPDATE progress SET state = 'complete', completed_at = ?, state_since = ?, "
         "version = version + 1 WHERE id = (SELECT id FROM progress WHERE state = 'open' "
         "LIMIT 1)", (when, when)),
        ("INSERT INTO progress_events (id, progress_id, kind, from_state, to_state, at) "
         "VALUES (?, (SELECT id FROM progress LIMIT 1), 'ProgressCompleted', 'open', "
         "'complete', ?)", (uuid.uuid4().hex, when)),
        ("UPDATE progress SET state = 'open', opened_at = ?, state_since = ? "
         "WHERE id = (SELECT id FROM progress WHERE state = 'locked' LIMIT 1)", (when, when)),
    ]


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

    out["inbox"] = floor(store, timed(repeat(open_inbox), f"{PENDING:,} pending, as the admin"),
                         INBOX_FLOOR)
    first = open_inbox()[: 1 + REPEAT]
    out["approve"] = floor(store, timed(
        [command(store, ApproveProgress(at=at, person=i.person, milestone=i.milestone,
                                        note="bench")) for i in first],
        "approve one pending request"), script=lambda: [
            ("INSERT INTO approvals (id, progress_id, round, level, actor, decision, at) "
             "VALUES (?, (SELECT id FROM progress WHERE state = 'submitted' LIMIT 1), 1, 1, "
             "'bench', 'approve', ?)", (uuid.uuid4().hex, _stamp(at))), *decision(at)])


# Every pending request with its participant and milestone, the soonest first.
INBOX_FLOOR = """SELECT p.external_id, p.name, m.key, m.title, pr.submitted_at, pr.round
FROM progress pr JOIN people p ON p.id = pr.person_id JOIN milestones m ON m.id = pr.milestone_id
WHERE pr.state = 'submitted' ORDER BY pr.submitted_at, p.external_id"""
# What a day's tick looks for, in one query: reminders due today (before the due date, after
# the start or assignment), due tomorrow, past due, and stays past escalate_after.
TICK_FLOOR = """SELECT pr.id, m.id FROM progress pr JOIN milestones m ON m.id = pr.milestone_id
WHERE pr.state IN ('open', 'started', 'submitted') AND (
  pr.due_on IN (date(:today, '+1 day'), date(:today, '+3 days'), date(:today, '+7 days'))
  OR pr.due_on < :today
  OR (m.escalate_after_days IS NOT NULL
      AND pr.state_since < datetime(:today, '-' || m.escalate_after_days || ' days'))
  OR date(pr.started_at) IN (date(:today, '-7 days'), date(:today, '-14 days'))
  OR date(pr.assigned_at) IN (date(:today, '-7 days'), date(:today, '-14 days')))"""


def scheduler(store: Store, at: datetime, out: dict[str, Measure]) -> None:
    """The first tick on the demo (it catches up on everything the history left due), then
    the next days' ticks: the nightly scan of the budget."""
    out["tick_first"] = timed([command(store, Tick(at=at))], "first tick: catches up")
    days = [at + timedelta(days=n) for n in range(1, 2 + TICK_DAYS)]
    measure = timed([command(store, Tick(at=day)) for day in days],
                    "a day's tick: reminders, alerts, deadlines, digests, campaigns "
                    f"(median of {TICK_DAYS} days after the first)")
    with store.session() as session:
        zone = program_zone(session)
    out["tick"] = floor(store, measure, TICK_FLOOR, at.astimezone(zone).date().isoformat())


def reports(store: Store, at: datetime, out: dict[str, Measure]) -> None:
    """Each report on the whole store, as `waypoint report NAME` computes it."""
    for name in REPORTS:
        def run(name: str = name) -> object:
            with store.session() as session:
                return run_report(session, name, Options(at=at))

        measure = timed([run] * (1 + REPORT_RUNS), f"report {name}, whole store")
        sql = FLOORS.get(name)
        out[f"report_{name}"] = floor(store, measure, sql, runs=1) if sql else measure


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
        reports(store, at, measures)
        approvals(store, at, measures)
        scheduler(store, at, measures)
    finally:
        store.close()
    print(json.dumps({"measures": measures, "memory_open_mb": memory_open,
                      "memory_peak_mb": peak_mb()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
