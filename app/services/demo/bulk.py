"""Set-based writes: one executemany per table per round, on the unit of work's own SQLite
connection, so the rows commit or roll back with the command that made them.

Rows carry ids as counters and times as whole seconds; SQLite turns them into the store's
text forms (see ids.py; times as the naive UTC stamps UTCDateTime writes), which costs far
less in its C than in Python. Dates arrive as ISO text. Rows never hold None: sqlite3 binds
it through its slow adaptation path, so an absent time is 0 and absent text is "", and the
statements turn those into NULL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

from app.services.demo.ids import Ids

Rows = list[Any]
AT = "datetime(?, 'unixepoch') || '.000000'"
AT_OR_NULL = "datetime(NULLIF(?, 0), 'unixepoch') || '.000000'"
TEXT_OR_NULL = "NULLIF(?, '')"


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

    def write(self, connection: sqlite3.Connection, sql: dict[str, str],
              totals: dict[str, int]) -> None:
        for table in fields(self):
            rows = getattr(self, table.name)
            if rows:
                connection.executemany(sql[table.name], rows)
                totals[table.name] = totals.get(table.name, 0) + len(rows)
                rows.clear()
