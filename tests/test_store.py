"""The store never loses a coordinator's work: WAL, foreign keys, Alembic, backups."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.models.store import backup, current_revision, head_revision, open_store

PROGRAM = """
[[cohorts]]
key = "fall"
name = "Fall 2026"

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall"]
"""


def test_a_new_store_is_sqlite_in_wal_mode_with_foreign_keys_on(tmp_path: Path) -> None:
    store = open_store(tmp_path / "nested" / "new.sqlite3")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        with pytest.raises(IntegrityError):
            connection.execute(text(
                "INSERT INTO memberships (id, person_id, cohort_id, joined_at) "
                "VALUES (x'00', x'01', x'02', '2026-01-01')"))
    store.close()
    assert (tmp_path / "nested" / "new.sqlite3").exists()


def test_alembic_owns_the_schema_from_the_first_revision(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.sqlite3")
    assert current_revision(store.engine) == head_revision() is not None
    store.close()


def test_a_store_at_the_current_revision_is_opened_without_a_backup(wp) -> None:
    open_store(wp.db).close()
    assert not list(wp.db.parent.glob("*.bak*"))


def test_the_backup_taken_before_a_migration_holds_everything_committed(wp) -> None:
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    wp.json("complete", "p1", "welcome")
    copy = backup(wp.db, "0002")
    assert copy.name.startswith("store.before-0002.") and copy.parent == wp.db.parent
    connection = sqlite3.connect(copy)
    try:
        (state,) = connection.execute("SELECT state FROM progress").fetchone()
        (people,) = connection.execute("SELECT count(*) FROM people").fetchone()
    finally:
        connection.close()
    assert (state, people) == ("complete", 1)


def test_a_command_that_fails_midway_leaves_the_last_committed_state(wp) -> None:
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    before = wp.show("p1")
    wp.refused("complete", "p1", "welcome", "--by", "p1")  # staff-only milestone
    assert wp.show("p1") == before


def test_opening_a_store_from_an_earlier_revision_backs_it_up_then_migrates(tmp_path: Path) -> None:
    from alembic import command

    from app.models.store import alembic_config, make_engine

    path = tmp_path / "old.sqlite3"
    engine, _ = make_engine(path)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(
            "INSERT INTO settings (key, value) VALUES ('program.name', 'Kept')"))
    engine.dispose()
    store = open_store(path)
    assert current_revision(store.engine) == head_revision() != "0001"
    store.close()
    (saved,) = tmp_path.glob("old.before-*.bak.sqlite3")
    connection = sqlite3.connect(saved)
    try:
        assert connection.execute("SELECT value FROM settings").fetchone() == ("Kept",)
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "0001",)
    finally:
        connection.close()


def _file_alone(path: Path, tmp_path: Path) -> sqlite3.Connection:
    """The database file without its write-ahead log, as a copy of that file alone has it."""
    copy = tmp_path / "file-alone.sqlite3"
    copy.write_bytes(path.read_bytes())
    return sqlite3.connect(copy)


def test_a_commit_leaves_its_pages_in_the_log_and_a_checkpoint_copies_them_into_the_file(
        tmp_path: Path) -> None:
    """Copying the log into the file inside a commit was most of enrolling 5,000 on a large
    store; the copy runs after the command instead (the desktop: on a thread of its own)."""
    path = tmp_path / "store.sqlite3"
    store = open_store(path)
    try:
        store.checkpoint()
        with store.engine.begin() as connection:
            connection.execute(text("INSERT INTO settings (key, value) VALUES ('note', :v)"),
                               {"v": "x" * 5_000_000})  # past SQLite's 1,000 pages of log
        with closing(_file_alone(path, tmp_path)) as alone:
            assert alone.execute("SELECT count(*) FROM settings WHERE key = 'note'"
                                 ).fetchone() == (0,)
        store.checkpoint()
        with closing(_file_alone(path, tmp_path)) as alone:
            assert alone.execute("SELECT length(value) FROM settings WHERE key = 'note'"
                                 ).fetchone() == (5_000_000,)
    finally:
        store.close()
