"""`waypoint demo`: an empty store filled with a realistic data set that obeys the rules.

The small set is generated once per module; the checks read it the way a coordinator (the
`show` verb) and an auditor (plain SQL over the store) would.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.cli import main
from app.models import Milestone, PersonAttribute, Progress
from app.models.store import open_store
from app.services.rules.due import compute_due
from app.services.settings import program_zone


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def demo(db: Path, *extra: str) -> dict:
    code, out, err = run("--db", str(db), "--json", "demo", "--size", "S", *extra)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    db = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    return db, demo(db)


@pytest.fixture(scope="module")
def sql(store: tuple[Path, dict]) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(store[0])
    yield connection
    connection.close()


def count(sql: sqlite3.Connection, query: str) -> int:
    return sql.execute(query).fetchone()[0]


def test_the_small_demo_reports_what_it_made(store: tuple[Path, dict]) -> None:
    payload = store[1]
    summary = next(ch for ch in payload["changes"] if ch["kind"] == "demo")
    assert payload["ok"] is True
    assert summary["size"] == "S" and summary["participants"] == 60
    assert 10 <= summary["cohorts"] <= 20 and summary["milestones"] >= 50
    assert summary["progress"] > 60 * 15


def test_every_participant_has_milestones_and_some_are_done_some_locked(sql) -> None:
    assert count(sql, "SELECT count(*) FROM people") == 60
    assert count(sql, "SELECT count(*) FROM people p WHERE NOT EXISTS "
                      "(SELECT 1 FROM progress g WHERE g.person_id = p.id)") == 0
    states = dict(sql.execute("SELECT state, count(*) FROM progress GROUP BY state").fetchall())
    assert states["complete"] > 0 and states["locked"] > 0 and states["open"] > 0
    assert states.get("skipped", 0) > 0  # internal transfers, online students, commuters


def test_every_row_refers_to_rows_that_exist(sql) -> None:
    # The demo loads with foreign keys off (it vouches for its keys): check them all here.
    assert sql.execute("PRAGMA foreign_key_check").fetchall() == []


def test_the_store_is_back_in_wal_mode_after_the_demo(sql) -> None:
    assert sql.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_no_one_has_a_milestone_outside_their_cohorts(sql) -> None:
    assert count(sql, """
        SELECT count(*) FROM progress g WHERE NOT EXISTS (
            SELECT 1 FROM memberships m
            JOIN milestone_cohorts mc ON mc.cohort_id = m.cohort_id
            WHERE m.person_id = g.person_id AND m.left_at IS NULL
              AND mc.milestone_id = g.milestone_id)""") == 0
    assert count(sql, "SELECT count(*) FROM memberships WHERE joined_at >= "
                      "(SELECT min(at) FROM operations)") == 0  # everyone joined in the past


def test_no_milestone_moved_before_all_its_prerequisites_were_done(sql) -> None:
    assert count(sql, """
        SELECT count(*) FROM progress child
        JOIN prerequisites pr ON pr.milestone_id = child.milestone_id
        LEFT JOIN progress parent
          ON parent.person_id = child.person_id AND parent.milestone_id = pr.parent_id
        WHERE child.state NOT IN ('locked', 'skipped')
          AND (parent.state IS NULL OR parent.state NOT IN ('complete', 'skipped'))""") == 0
    assert count(sql, """
        SELECT count(*) FROM progress child
        JOIN prerequisites pr ON pr.milestone_id = child.milestone_id
        JOIN progress parent
          ON parent.person_id = child.person_id AND parent.milestone_id = pr.parent_id
        WHERE parent.state = 'complete' AND child.opened_at < parent.completed_at""") == 0


def test_every_progress_has_a_history_that_ends_in_its_state(sql) -> None:
    history: dict[str, list[tuple[str, str | None, str]]] = {}
    for progress_id, kind, before, after in sql.execute(
        "SELECT progress_id, kind, from_state, to_state FROM progress_events "
        "ORDER BY progress_id, at, rowid"
    ):
        history.setdefault(progress_id, []).append((kind, before, after))
    for progress_id, state in sql.execute("SELECT id, state FROM progress"):
        events = history[progress_id]
        assert events[0][:2] == ("ProgressAssigned", None)
        current = events[0][2]
        for kind, before, after in events[1:]:
            assert before == current, (kind, events)
            current = after
        assert current == state
    assert count(sql, "SELECT count(*) FROM progress_events WHERE kind = 'ProgressReopened'") \
        == count(sql, "SELECT count(*) FROM alerts WHERE kind = 'regression'")


def test_due_dates_follow_each_milestones_rule(store: tuple[Path, dict]) -> None:
    db = open_store(store[0])
    try:
        with db.session() as session:
            zone = program_zone(session)
            milestones = {m.id: m for m in session.scalars(select(Milestone))}
            attributes: dict[object, dict[str, str]] = {}
            for row in session.scalars(select(PersonAttribute)):
                attributes.setdefault(row.person_id, {})[row.key] = row.value
            wrong = [
                (milestones[p.milestone_id].key, p.due_on)
                for p in session.scalars(select(Progress))
                if p.due_on != compute_due(milestones[p.milestone_id], p,
                                           attributes.get(p.person_id, {}), zone)
            ]
    finally:
        db.close()
    assert wrong == []


def test_show_explains_a_demo_participants_locked_milestones(store, sql) -> None:
    person = sql.execute(
        "SELECT external_id FROM people p WHERE EXISTS (SELECT 1 FROM progress g "
        "JOIN prerequisites pr ON pr.milestone_id = g.milestone_id "
        "WHERE g.person_id = p.id AND g.state = 'locked') ORDER BY external_id"
    ).fetchone()[0]
    code, out, _ = run("--db", str(store[0]), "--json", "show", person)
    assert code == 0
    view = json.loads(out)
    assert view["person"]["id"] == person and len(view["person"]["cohorts"]) == 1
    locked = [m for m in view["milestones"] if m["state"] == "locked"]
    assert locked and all(m["locked_reason"] for m in locked)
    assert any(m["locked_reason"].startswith("Waiting for '") for m in locked)
    assert any(m["state"] == "complete" and m["completed_at"] for m in view["milestones"])
    code, text, _ = run("--db", str(store[0]), "show", person)
    assert code == 0 and "↳ Waiting for" in text


def test_a_second_demo_into_a_store_with_participants_is_refused(store) -> None:
    code, out, err = run("--db", str(store[0]), "--json", "demo", "--size", "S")
    assert code == 1
    assert json.loads(out)["ok"] is False
    assert "already has 60 participants" in err


def test_the_same_seed_gives_the_same_participants(store, sql, tmp_path: Path) -> None:
    def people(db: Path) -> list[tuple[str, str]]:
        with contextlib.closing(sqlite3.connect(db)) as connection:
            return connection.execute(
                "SELECT id, external_id FROM people ORDER BY id").fetchall()

    demo(tmp_path / "again.sqlite3")
    demo(tmp_path / "other.sqlite3", "--seed", "8")
    assert people(tmp_path / "again.sqlite3") == people(store[0])
    assert people(tmp_path / "other.sqlite3") != people(store[0])


def test_the_demo_sessions_have_rosters_and_who_completed_a_past_one_attended_it(
        store, sql) -> None:
    db, _ = store
    code, out, _ = run("--db", str(db), "--json", "sessions")
    assert code == 0
    listed = json.loads(out)["sessions"]
    assert sum(s["counts"]["registered"] for s in listed) > 0
    # attended a session that is over ⇔ its milestone is complete; the rest are no-shows
    wrong = count(sql, """
        SELECT count(*) FROM registrations AS r
        JOIN sessions AS s ON s.id = r.session_id
        JOIN progress AS p ON p.person_id = r.person_id AND p.milestone_id = s.milestone_id
        LEFT JOIN attendance AS a ON a.session_id = r.session_id AND a.person_id = r.person_id
        WHERE r.status = 'registered' AND s."end" < (SELECT max(at) FROM operations)
          AND (a.id IS NULL) = (p.state = 'complete')""")
    assert wrong == 0
