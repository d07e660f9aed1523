"""Session rosters for the demo: who registered for each session, and who came.

The simulation moves people through milestones but not through sessions, so without this the
trainer's attendance view would show empty rosters. Everyone who holds a session's milestone
(not skipped) is registered; at a session already over, those whose milestone is complete
attended, with a join time a few minutes after the start, and the rest are no-shows. Written
in one statement per table on the loader's own connection, with ids from the seed.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.services.demo.ids import Ids

STAMP = "%Y-%m-%d %H:%M:%S.000000"  # the naive UTC text UTCDateTime writes on SQLite
LATE = timedelta(minutes=4)  # when the demo's attendees join, after the start


def add_rosters(connection: sqlite3.Connection, seed: int, now: datetime,
                zone: ZoneInfo) -> dict[str, int]:
    """Registrations and attendance for every session linked to a milestone; `now` decides
    which sessions are over, `zone` which day one began on."""
    rows = connection.execute(
        """
        SELECT s.id, p.person_id, p.state, s.start, s."end"
        FROM sessions AS s
        JOIN progress AS p ON p.milestone_id = s.milestone_id
        WHERE p.state NOT IN ('skipped', 'locked')
        ORDER BY s.start, s.id, p.person_id
        """).fetchall()
    registrations, attendance = Ids(seed, "registrations"), Ids(seed, "attendance")
    stamp = now.astimezone(UTC).strftime(STAMP)
    registered, came = [], []
    for session_id, person_id, state, start, end in rows:
        over = end < stamp
        status = "no_show" if over and state != "complete" else "registered"
        registered.append((registrations.text(registrations.next()), session_id, person_id,
                           status, start))
        if over and state == "complete":
            began = datetime.strptime(start[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            day = began.astimezone(zone).date().isoformat()
            join = (began + LATE).strftime(STAMP)
            came.append((attendance.text(attendance.next()), session_id, person_id, day, join,
                         stamp))
    connection.executemany(
        "INSERT INTO registrations (id, session_id, person_id, status, walk_in, at, actor) "
        "VALUES (?, ?, ?, ?, 0, ?, 'demo')", registered)
    connection.executemany(
        "INSERT INTO attendance (id, session_id, person_id, day, join_at, leave_at, at, actor) "
        "VALUES (?, ?, ?, ?, ?, NULL, ?, 'demo')", came)
    return {"registrations": len(registered), "attendance": len(came)}
