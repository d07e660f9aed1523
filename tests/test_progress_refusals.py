"""What a command on one progress says when what it names is not there: the participant (by
id or email), the milestone, their progress of it, each refused in that order."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.models.store import Store, open_store
from app.services import commands as c
from app.services.programs.parse import parse_program
from app.services.write import SYSTEM, execute

AT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
PROGRAM = """
[program]
name = "Refusals"
timezone = "UTC"

[[cohorts]]
key = "fall"
name = "Fall"

[[cohorts]]
key = "spring"
name = "Spring"

[[milestones]]
key = "intro"
title = "Introduction"
cohorts = ["fall"]

[[milestones]]
key = "housing"
title = "Housing form"
cohorts = ["spring"]
"""


@pytest.fixture
def store(empty_store: Path, tmp_path: Path) -> Iterator[Store]:
    made = open_store(shutil.copy(empty_store, tmp_path / "store.sqlite3"))
    for command in (
        c.ApplyProgram(at=AT, by=SYSTEM, spec=parse_program(PROGRAM, "refusals.toml")),
        c.ImportPeople(at=AT, by=SYSTEM, rows=(
            c.PersonRow(line=2, external_id="p1", name="Pat Lee", email="Pat@Example.edu",
                        cohort="fall"),)),
    ):
        assert execute(made, command).ok
    yield made
    made.close()


def complete(store: Store, person: str, milestone: str, minutes: int = 1) -> str | None:
    return execute(store, c.CompleteProgress(at=AT + timedelta(minutes=minutes), by=SYSTEM,
                                             person=person, milestone=milestone)).error


def test_what_a_progress_command_names_is_refused_in_order(store: Store) -> None:
    assert complete(store, "p9", "nothing") == "No participant has the id or email 'p9'."
    assert complete(store, "p1", "nothing") == "There is no milestone 'nothing'."
    assert complete(store, "p1", "housing") == (
        "Pat Lee does not have the milestone 'Housing form' (it belongs to none of their "
        "cohorts).")
    assert complete(store, " pat@example.EDU ", "intro") is None  # by email, any case


def test_a_participant_who_left_the_cohort_no_longer_has_its_milestones(store: Store) -> None:
    assert execute(store, c.Unenroll(at=AT + timedelta(minutes=1), by=SYSTEM, person="p1",
                                     cohort="fall")).ok
    assert complete(store, "p1", "intro", 2) == (
        "Pat Lee no longer has 'Introduction': they left every cohort it belongs to.")
    assert complete(store, "pat@example.edu", "intro", 3) == (
        "Pat Lee no longer has 'Introduction': they left every cohort it belongs to.")
