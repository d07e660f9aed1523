"""Shared fixtures: a real SQLite store on disk per test, driven the way users drive it.

Migrating a new store takes a moment, so one migrated, empty store is made per session and
copied for each test; every test still gets its own file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Window layouts and the theme choice (QSettings) go to a folder of the test run's own.
os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="waypoint-config-"))

from sync_fixtures import memory_keyring, postgres, service  # noqa: E402,F401 - sync tests

from app.cli import main  # noqa: E402
from app.models.store import open_store  # noqa: E402

ADMIN = "coord@example.edu"


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "empty.sqlite3"
    open_store(path).close()
    return path


class Waypoint:
    """The command line of CONTRACT.md against one store, as a script would run it."""

    def __init__(self, db: Path, workdir: Path) -> None:
        self.db = db
        self.workdir = workdir
        self._files = 0

    def run(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["--db", str(self.db), *argv])
            except SystemExit as exit_:  # argparse: wrong usage
                code = int(exit_.code or 0)
        return code, out.getvalue(), err.getvalue()

    def json(self, *argv: str) -> Any:
        """Run a verb that must succeed; its JSON output."""
        code, out, err = self.run("--json", *argv)
        assert code == 0, f"waypoint {' '.join(argv)} exited {code}: {err or out}"
        return json.loads(out)

    def refused(self, *argv: str) -> str:
        """Run a verb that must be refused (exit 1); the reason it gives on stderr."""
        code, out, err = self.run("--json", *argv)
        assert code == 1, f"waypoint {' '.join(argv)} exited {code}, expected a refusal: {out}"
        assert json.loads(out)["ok"] is False
        return err

    def file(self, text: str, suffix: str = ".toml") -> Path:
        self._files += 1
        path = self.workdir / f"file{self._files}{suffix}"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def apply(self, program: str, *extra: str) -> Any:
        return self.json("apply", str(self.file(program)), *extra)

    def people(self, csv: str, *extra: str) -> Any:
        return self.json("import", str(self.file(csv, ".csv")), *extra)

    def show(self, person: str, *extra: str) -> dict[str, Any]:
        """`show PERSON` as {milestone key: milestone}."""
        payload = self.json("show", person, *extra)
        return {m["key"]: m for m in payload["milestones"]}

    def state(self, person: str, milestone: str) -> str | None:
        found = self.show(person).get(milestone)
        return found["state"] if found else None


@pytest.fixture
def wp(empty_store: Path, tmp_path: Path) -> Iterator[Waypoint]:
    db = tmp_path / "store.sqlite3"
    shutil.copy(empty_store, db)
    tool = Waypoint(db, tmp_path)
    tool.json("init", "--user", ADMIN, "--name", "Casey Coordinator")
    yield tool
