"""Set-based writes on the unit of work's own SQLite connection, so that the rows commit or
roll back with the command that made them.

Rows carry ids as counters and times as whole seconds; SQLite turns them into the store's
text forms (see ids.py; times as the naive UTC stamps UTCDateTime writes), which costs far
less in its C than in Python. Dates arrive as ISO text. Rows never hold None: sqlite3 binds
it through its slow adaptation path, so an absent time is 0 and absent text is "", and the
statements turn those into NULL.

Each round is written in two halves (Loader): this thread binds the rows, as they are, into
temporary tables without indexes, several rows a statement, which is all the Python a row
costs; a helper thread then moves them into the store with one INSERT … SELECT per table,
making the ids and stamps, checking keys and filling indexes inside SQLite, which runs it
without holding the GIL. So the store fills on one core while the next round is simulated
on the other.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

from app.services.demo.ids import Ids

Rows = list[Any]
AT = "datetime(?, 'unixepoch') || '.000000'"
AT_OR_NULL = "datetime(NULLIF(?, 0), 'unixepoch') || '.000000'"
TEXT_OR_NULL = "NULLIF(?, '')"
GROUP = 16  # rows bound per staging statement: one step of SQLite per 16 rows, not per row
STAGE = "demo_stage_"


def statements(ids: dict[str, Ids], op_id: str) -> dict[str, str]:
    person, progress = ids["people"].sql(), ids["progress"].sql()
    return {
        "people": "INSERT INTO people (id, external_id, name, email, location, status, "
                  f"created_at, version) VALUES ({person}, ?, ?, ?, ?, ?, {AT}, 1)",
        "attributes": f"INSERT INTO person_attributes (person_id, key, value) "
                      f"VALUES ({person}, ?, ?)",
        "impacts": "INSERT INTO person_impacts (person_id, key, stage, value) "
                   f"VALUES ({person}, ?, ?, ?)",
        "memberships": "INSERT INTO memberships (id, person_id, cohort_id, joined_at, left_at) "
                       f"VALUES ({ids['memberships'].sql()}, {person}, ?, {AT}, NULL)",
        "progress": "INSERT INTO progress (id, person_id, milestone_id, state, assigned_at, "
                    "opened_at, started_at, submitted_at, completed_at, state_since, due_on, "
                    f"extended_until, acted, note, version) VALUES ({progress}, {person}, ?, ?, "
                    f"{AT}, {AT_OR_NULL}, {AT_OR_NULL}, {AT_OR_NULL}, {AT_OR_NULL}, {AT}, "
                    f"{TEXT_OR_NULL}, {TEXT_OR_NULL}, ?, {TEXT_OR_NULL}, ?)",
        "events": "INSERT INTO progress_events (id, progress_id, op_id, kind, from_state, "
                  f"to_state, at, actor, note) VALUES ({ids['events'].sql()}, {progress}, "
                  f"'{op_id}', ?, {TEXT_OR_NULL}, ?, {AT}, ?, {TEXT_OR_NULL})",
        "checks": "INSERT INTO step_checks (progress_id, step_id, at, actor) "
                  f"VALUES ({progress}, ?, {AT}, ?)",
        "runs": "INSERT INTO campaign_runs (id, campaign_id, person_id, started_at, stopped_at, "
                f"started_by_milestone_id) VALUES ({ids['campaign_runs'].sql()}, ?, {person}, "
                f"{AT}, {AT_OR_NULL}, ?)",
        "mails": "INSERT INTO outbox (id, to_email, kind, subject, body, person_id, milestone_id, "
                 "created_at, status, attempts, last_error, sent_at, dedupe_key) "
                 f"VALUES ({ids['outbox'].sql()}, ?, 'completion', ?, ?, {person}, ?, {AT}, "
                 f"'sent', 1, NULL, {AT}, ?)",
        "alerts": "INSERT INTO alerts (id, kind, person_id, milestone_id, at, message, "
                  "acknowledged_at, acknowledged_by, dedupe_key) "
                  f"VALUES ({ids['alerts'].sql()}, ?, {person}, ?, {AT}, ?, "
                  f"{AT_OR_NULL}, {TEXT_OR_NULL}, NULL)",
    }


@contextmanager
def indexes_deferred(connection: sqlite3.Connection, names: tuple[str, ...]) -> Iterator[None]:
    """Drop these indexes of empty tables while they fill, and build them again after: one
    sort beats keeping millions of scattered entries in order row by row. It all happens in
    the command's transaction; should the load fail, its rollback restores them. An index the
    schema no longer has is skipped."""
    marks = ", ".join("?" for _ in names)
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND name IN ({marks})", names,
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    yield
    (threads,) = connection.execute("PRAGMA threads").fetchone()
    connection.execute("PRAGMA threads = 2")  # sorting is what building costs; use both cores
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute(f"PRAGMA threads = {int(threads)}")


@dataclass
class Batch:
    """One round of rows, in the order foreign keys need them written."""

    people: Rows = field(default_factory=list)
    attributes: Rows = field(default_factory=list)
    impacts: Rows = field(default_factory=list)
    memberships: Rows = field(default_factory=list)
    progress: Rows = field(default_factory=list)
    events: Rows = field(default_factory=list)
    checks: Rows = field(default_factory=list)
    runs: Rows = field(default_factory=list)
    mails: Rows = field(default_factory=list)
    alerts: Rows = field(default_factory=list)


def _values(sql: str) -> tuple[str, str]:
    """An `INSERT INTO t (…) VALUES (…)` statement as its head and its value expressions."""
    head, _, values = sql.partition(" VALUES (")
    return head, values.removesuffix(")")


def _columns(values: str) -> tuple[int, str]:
    """The parameters of value expressions as columns c0, c1, … of a staging table."""
    names = itertools.count()
    columns = re.sub(r"\?", lambda _: f"c{next(names)}", values)
    return next(names), columns


class Loader:
    """Writes Batches in rounds: stage (this thread), then move (the helper thread). The next
    round waits for the previous move, so at most one round is staged at a time; close()
    waits for the last and drops the staging tables. Errors in a move surface at the next
    write or at close. While a move runs the connection is the helper's: between writes the
    caller must not use the store (the simulation reads only what it loaded before)."""

    def __init__(self, connection: sqlite3.Connection, sql: dict[str, str]) -> None:
        self.connection = connection
        self.totals: dict[str, int] = {}
        self._stage: dict[str, tuple[int, str, str, str]] = {}
        for table in (f.name for f in fields(Batch)):
            head, values = _values(sql[table])
            width, columns = _columns(values)
            stage = f"temp.{STAGE}{table}"
            connection.execute(f"DROP TABLE IF EXISTS {stage}")
            connection.execute(
                f"CREATE TABLE {stage} ({', '.join(f'c{i}' for i in range(width))})")
            one = f"({', '.join('?' * width)})"
            self._stage[table] = (
                width,
                f"INSERT INTO {stage} VALUES {', '.join([one] * GROUP)}",
                f"INSERT INTO {stage} VALUES {one}",
                f"{head} SELECT {columns} FROM {stage} ORDER BY rowid",
            )
        self._helper = ThreadPoolExecutor(1, thread_name_prefix="demo-loader")
        self._moving: Future[None] | None = None

    def write(self, batch: Batch) -> None:
        self._wait()
        staged = []
        for table in fields(batch):
            rows = getattr(batch, table.name)
            if not rows:
                continue
            width, many, one, _ = self._stage[table.name]
            full = len(rows) // GROUP * GROUP
            flat = itertools.chain.from_iterable(itertools.islice(rows, full))
            self.connection.executemany(many, zip(*[flat] * (width * GROUP), strict=False))
            self.connection.executemany(one, rows[full:])
            self.totals[table.name] = self.totals.get(table.name, 0) + len(rows)
            staged.append(table.name)
            rows.clear()
        self._moving = self._helper.submit(self._move, staged)

    def _move(self, tables: list[str]) -> None:
        for table in tables:
            self.connection.execute(self._stage[table][3])
            self.connection.execute(f"DELETE FROM temp.{STAGE}{table}")

    def _wait(self) -> None:
        moving, self._moving = self._moving, None
        if moving is not None:
            moving.result()

    def close(self) -> None:
        try:
            self._wait()
        finally:
            self._helper.shutdown(wait=True)
        for table in self._stage:
            self.connection.execute(f"DROP TABLE temp.{STAGE}{table}")


@contextmanager
def loading(connection: sqlite3.Connection, sql: dict[str, str]) -> Iterator[Loader]:
    """A Loader whose helper thread is done, whatever happens, when the block ends."""
    loader = Loader(connection, sql)
    try:
        yield loader
    except BaseException:
        connection.interrupt()  # a move under way stops at once; the transaction rolls back
        loader._helper.shutdown(wait=True)
        raise
    loader.close()

