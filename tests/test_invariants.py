"""What must hold whatever coordinators do, in whatever order: random commands through the
one write path (`execute`) against one small program, the store checked with plain SQL after
every step, the way an auditor would read it.

- no one sees (`show`) a milestone of a cohort they are not in, and everyone in a cohort has
  every milestone it assigns;
- a progress leaves `locked` only when all its prerequisites are complete or skipped, and a
  progress nobody has acted on is in the state its rules give it;
- every state change has its history event: each history runs unbroken from its assignment
  to the progress's current state;
- a refused command changes nothing at all (but for its entry in the audit trail);
- the same command (op id, time) against the same state creates the same rows.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select, text

from app.models import Milestone, Person
from app.models.store import Store, open_store
from app.services import commands as c
from app.services.programs import parse_program
from app.services.queries.person_view import person_view
from app.services.rules.lifecycle import attributes_of, natural_state
from app.services.write import SYSTEM, execute

PROGRAM = """\
[program]
name = "Invariants"
timezone = "UTC"

[[staff]]
email = "sol@example.edu"
name = "Sol Staff"
roles = ["advisor"]

[[cohorts]]
key = "a"
name = "Cohort A"
[[cohorts]]
key = "b"
name = "Cohort B"

[[milestones]]
key = "shared"
title = "Shared first step"
cohorts = ["a", "b"]
complete_by = ["self", "staff"]
bypass_roles = ["admin"]

[[milestones]]
key = "second"
title = "Second step"
cohorts = ["a"]
after = ["shared"]
skip_when = { source = ["transfer"] }
bypass_roles = ["admin"]
due = { after_start = "7d" }

[[milestones]]
key = "third"
title = "Third step"
cohorts = ["a"]
after = ["second"]
complete_by = ["self", "staff"]
[milestones.on_complete]
move_to = "b"

[[milestones]]
key = "manual"
title = "Started by hand"
cohorts = ["b"]
starts = "manual"
bypass_roles = ["admin"]

[[milestones]]
key = "closing"
title = "Closing interview"
cohorts = ["b"]
after = ["manual", "shared"]
bypass_roles = ["admin"]
"""

PEOPLE = ("p1", "p2", "p3")
COHORTS = ("a", "b")
MILESTONES = ("shared", "second", "third", "manual", "closing")
ACTORS = (ADMIN, "sol@example.edu", "self", "other")  # self/other: participants
START = datetime(2026, 9, 1, 12, tzinfo=UTC)
DONE = ("complete", "skipped")


def prepare(path: Path) -> None:
    """A store with the program applied and three people (p1 and p3 in a, p2 in b)."""
    store = open_store(path)
    try:
        steps: list[c.Command] = [
            c.SetupProfile(at=START, by=SYSTEM, email=ADMIN, name="Casey Coordinator"),
            c.ApplyProgram(at=START, spec=parse_program(PROGRAM, "invariants.toml")),
            c.ImportPeople(at=START, rows=(
                c.PersonRow(line=2, external_id="p1", name="Pat One", cohort="a"),
                c.PersonRow(line=3, external_id="p2", name="Pia Two", cohort="b",
                            attributes=(("source", "transfer"),)),
                c.PersonRow(line=4, external_id="p3", name="Pol Three", cohort="a"),
            )),
        ]
        for command in steps:
            result = execute(store, command)
            assert result.ok, result.error
    finally:
        store.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, empty_store: Path) -> Path:
    path = tmp_path_factory.mktemp("invariants") / "template.sqlite3"
    shutil.copy(empty_store, path)
    prepare(path)
    return path


def copy_of(template: Path, target: Path) -> Store:
    shutil.copy(template, target)
    return open_store(target)


def tables(store: Store) -> list[str]:
    """Every table but the audit trail's, where a refused command is recorded (test_audit)."""
    with store.engine.connect() as sql:
        return list(sql.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT IN ('audit_log', 'audit_head') ORDER BY name")))


def snapshot(store: Store, names: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as sql:
        return {name: sorted(map(tuple, sql.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in names}


def rows(store: Store, query: str, **params: Any) -> list[tuple[Any, ...]]:
    with store.engine.connect() as sql:
        return [tuple(r) for r in sql.execute(text(query), params)]


# -- the invariants, as plain functions of the store ------------------------------------------


def shown_outside_cohorts(store: Store, at: datetime) -> list[tuple[str, str]]:
    """(person, milestone) pairs `show` lists that none of the person's cohorts has, and
    pairs it leaves out that a current cohort assigns."""
    linked = {(p, m) for p, m in rows(store, """
        SELECT pe.external_id, mi.key FROM memberships ms
        JOIN people pe ON pe.id = ms.person_id
        JOIN milestone_cohorts mc ON mc.cohort_id = ms.cohort_id
        JOIN milestones mi ON mi.id = mc.milestone_id
        WHERE ms.left_at IS NULL AND mi.retired = 0 AND mi.is_optional = 0""")}
    shown = set()
    with store.session() as session:
        for ref in PEOPLE:
            shown.update((ref, m.key) for m in person_view(session, ref, at).milestones)
    return sorted(shown ^ linked)


def left_locked_too_early(store: Store) -> list[tuple[Any, ...]]:
    """History events that made a progress available (assigned it unlocked, or took it out
    of locked, skipped or complete into open or further) while a prerequisite of it was not
    complete or skipped, reading each parent's state at that moment from its own history
    (events are appended in order: rowid). Progress someone acted on may stay where it is
    when a parent is reopened later; that is not a move and not counted."""
    return rows(store, """
        SELECT child_ev.kind, child.milestone_id, pr.parent_id, child_ev.to_state
        FROM progress_events child_ev
        JOIN progress child ON child.id = child_ev.progress_id
        JOIN prerequisites pr ON pr.milestone_id = child.milestone_id
        WHERE (child_ev.from_state IS NULL
               OR child_ev.from_state IN ('locked', 'skipped', 'complete'))
          AND child_ev.to_state IN ('open', 'started', 'submitted', 'complete', 'denied')
          AND COALESCE((
              SELECT parent_ev.to_state FROM progress_events parent_ev
              JOIN progress parent ON parent.id = parent_ev.progress_id
              WHERE parent.person_id = child.person_id AND parent.milestone_id = pr.parent_id
                AND parent_ev.rowid < child_ev.rowid
              ORDER BY parent_ev.rowid DESC LIMIT 1), 'none') NOT IN ('complete', 'skipped')
    """)


def unacted_out_of_place(store: Store) -> list[tuple[str, str, str, str]]:
    """A progress nobody acted on is where its rules put it (prerequisites, manual start,
    skip rule); `acted` progress may legitimately stay where a person put it."""
    wrong = []
    with store.session() as session:
        milestones = {m.id: m for m in session.scalars(select(Milestone))}
        for person in session.scalars(select(Person)):
            attributes = attributes_of(session, person.id)
            for milestone_id, state in session.execute(text(
                    "SELECT milestone_id, state FROM progress "
                    "WHERE person_id = :p AND acted = 0"), {"p": person.id.hex}):
                milestone = milestones[uuid.UUID(str(milestone_id))]
                expected, _ = natural_state(session, person.id, milestone, attributes)
                if state != expected:
                    wrong.append((person.external_id, milestone.key, state, expected))
    return wrong


def broken_histories(store: Store) -> list[tuple[Any, ...]]:
    """Every progress's history starts with its assignment, each event starts where the one
    before ended, and the last ends in the progress's current state."""
    events: dict[Any, list[tuple[str, str | None, str | None]]] = {}
    for progress_id, kind, before, after in rows(
            store, "SELECT progress_id, kind, from_state, to_state FROM progress_events "
                   "ORDER BY rowid"):
        events.setdefault(progress_id, []).append((kind, before, after))
    broken = []
    for progress_id, state in rows(store, "SELECT id, state FROM progress"):
        history = events.get(progress_id, [])
        if not history or history[0][:2] != ("ProgressAssigned", None):
            broken.append((progress_id, "no assignment", history))
            continue
        current = history[0][2]
        for kind, before, after in history[1:]:
            if before != current:
                broken.append((progress_id, kind, history))
            current = after
        if current != state:
            broken.append((progress_id, state, history))
    return broken


# -- the state machine ------------------------------------------------------------------------


people = st.sampled_from(PEOPLE)
cohorts = st.sampled_from(COHORTS)
milestones = st.sampled_from(MILESTONES)
actors = st.sampled_from((ADMIN,) * 5 + ACTORS)  # mostly the admin: more commands go through


class Coordinators(RuleBasedStateMachine):
    template: Path
    workdir: Path
    runs = 0

    def __init__(self) -> None:
        super().__init__()
        type(self).runs += 1
        self.store = copy_of(self.template, self.workdir / f"run{self.runs}.sqlite3")
        self.tables = tables(self.store)
        self.at = START
        self.changed = True  # whether the last command changed the store (checks rerun)

    def teardown(self) -> None:
        self.store.close()

    def by(self, actor: str, person: str) -> str:
        if actor == "self":
            return person
        if actor == "other":
            return next(p for p in PEOPLE if p != person)
        return actor

    def run(self, command: c.Command) -> None:
        before = snapshot(self.store, self.tables)
        result = execute(self.store, command)
        self.changed = result.ok
        if result.ok:
            assert rows(self.store, "SELECT count(*) FROM operations WHERE id = :id",
                        id=command.op_id.hex) == [(1,)]
        else:
            assert result.error, command
            assert snapshot(self.store, self.tables) == before, (command, result.error)

    def next_time(self) -> datetime:
        self.at += timedelta(hours=7)
        return self.at

    @rule(person=people, cohort=cohorts, actor=actors)
    def enroll(self, person: str, cohort: str, actor: str) -> None:
        self.run(c.Enroll(at=self.next_time(), by=self.by(actor, person), person=person,
                          cohort=cohort))

    @rule(person=people, cohort=cohorts, actor=actors)
    def unenroll(self, person: str, cohort: str, actor: str) -> None:
        self.run(c.Unenroll(at=self.next_time(), by=self.by(actor, person), person=person,
                            cohort=cohort))

    @rule(person=people, milestone=milestones, actor=actors,
          verb=st.sampled_from([c.StartProgress, c.CompleteProgress, c.SkipProgress,
                                c.ReopenProgress]))
    def act(self, person: str, milestone: str, actor: str, verb: type[c.ProgressCommand]
            ) -> None:
        self.run(verb(at=self.next_time(), by=self.by(actor, person), person=person,
                      milestone=milestone))

    @rule(person=people, actor=actors, data=st.data())
    def move_along(self, person: str, actor: str, data: st.DataObject) -> None:
        """Act on one of the person's unlocked milestones in a way that suits its state, so
        that runs get past the first steps (the rule above is mostly refused)."""
        held = rows(self.store, """
            SELECT m.key, g.state FROM progress g JOIN milestones m ON m.id = g.milestone_id
            JOIN people p ON p.id = g.person_id
            WHERE p.external_id = :person AND g.state != 'locked' ORDER BY m.key""",
                    person=person)
        if not held:
            return
        milestone, state = data.draw(st.sampled_from(held))
        suits = {"open": [c.StartProgress, c.CompleteProgress, c.SkipProgress],
                 "started": [c.CompleteProgress, c.SkipProgress]}.get(state, [c.ReopenProgress])
        verb = data.draw(st.sampled_from(suits))
        self.run(verb(at=self.next_time(), by=self.by(actor, person), person=person,
                      milestone=milestone))

    @rule(person=people, source=st.sampled_from(["transfer", "internal", ""]), actor=actors)
    def set_source(self, person: str, source: str, actor: str) -> None:
        self.run(c.SetPerson(at=self.next_time(), by=self.by(actor, person), person=person,
                             attributes=(("source", source),)))

    @invariant()
    def show_lists_exactly_the_milestones_of_current_cohorts(self) -> None:
        if not self.changed:  # a refusal was just shown to change nothing
            return
        assert shown_outside_cohorts(self.store, self.at) == []

    @invariant()
    def nothing_leaves_locked_before_its_prerequisites_are_done(self) -> None:
        if not self.changed:  # a refusal was just shown to change nothing
            return
        assert left_locked_too_early(self.store) == []

    @invariant()
    def progress_nobody_acted_on_is_where_its_rules_put_it(self) -> None:
        if not self.changed:  # a refusal was just shown to change nothing
            return
        assert unacted_out_of_place(self.store) == []

    @invariant()
    def every_state_change_has_its_history_event(self) -> None:
        if not self.changed:  # a refusal was just shown to change nothing
            return
        assert broken_histories(self.store) == []


def test_random_commands_keep_every_invariant(template: Path, tmp_path: Path) -> None:
    Coordinators.template, Coordinators.workdir = template, tmp_path
    run_state_machine_as_test(Coordinators, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


# -- the invariant checks themselves catch what they are meant to -----------------------------


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    store = copy_of(template, tmp_path / "store.sqlite3")
    yield store
    store.close()


def test_the_checks_pass_on_a_fresh_store_and_fail_on_a_tampered_one(store: Store) -> None:
    at = START + timedelta(hours=1)
    assert shown_outside_cohorts(store, at) == []
    assert left_locked_too_early(store) == [] and unacted_out_of_place(store) == []
    assert broken_histories(store) == []
    with store.engine.begin() as sql:  # open p1's second step behind the rules' back
        sql.execute(text(
            "UPDATE progress SET state = 'open' WHERE person_id = "
            "(SELECT id FROM people WHERE external_id = 'p1') AND milestone_id = "
            "(SELECT id FROM milestones WHERE key = 'second')"))
        lost = "(SELECT g.id FROM progress g JOIN people p ON p.id = g.person_id " \
               "JOIN milestones m ON m.id = g.milestone_id " \
               "WHERE p.external_id = 'p2' AND m.key = 'closing')"
        sql.execute(text(f"DELETE FROM progress_events WHERE progress_id = {lost}"))
        sql.execute(text(f"DELETE FROM progress WHERE id = {lost}"))
    assert unacted_out_of_place(store) == [("p1", "second", "open", "locked")]
    assert broken_histories(store) != []
    assert shown_outside_cohorts(store, at) == [("p2", "closing")]


def test_a_refused_command_changes_nothing(store: Store) -> None:
    names = tables(store)
    before = snapshot(store, names)
    refused = [
        c.CompleteProgress(at=START, person="p1", milestone="second"),  # locked
        c.SkipProgress(at=START, by="sol@example.edu", person="p1", milestone="shared"),
        c.StartProgress(at=START, by="p2", person="p1", milestone="shared"),  # not theirs
        c.Enroll(at=START, person="p1", cohort="a"),  # already in it
        c.Unenroll(at=START, person="p3", cohort="b"),
        c.CompleteProgress(at=START, person="p2", milestone="third"),  # not in its cohort
        c.SetPerson(at=START, by="p1", person="p1", attributes=(("source", "transfer"),)),
    ]
    for command in refused:
        result = execute(store, command)
        assert not result.ok and result.error, command
    assert snapshot(store, names) == before


# -- determinism ------------------------------------------------------------------------------


IDS = {"progress": "id", "progress_events": "id", "memberships": "id", "operations": "id",
       "alerts": "id", "people": "id"}


def ids(store: Store) -> dict[str, set[Any]]:
    return {t: {r[0] for r in rows(store, f"SELECT {col} FROM {t}")} for t, col in IDS.items()}


@pytest.mark.parametrize("commands", [
    [c.Enroll(at=START, person="p3", cohort="b")],
    [c.CompleteProgress(at=START, person="p1", milestone="shared"),
     c.SkipProgress(at=START, person="p1", milestone="second"),
     c.CompleteProgress(at=START, person="p1", milestone="third")],  # moves p1 to b
    [c.ImportPeople(at=START, cohort="b", rows=(
        c.PersonRow(line=2, external_id="p4", name="Pam Four"),
        c.PersonRow(line=3, external_id="p1", name="Pat One", attributes=(("x", "1"),))))],
], ids=["enroll", "complete-and-move", "import"])
def test_the_same_commands_against_the_same_state_create_the_same_rows(
        template: Path, tmp_path: Path, commands: list[c.Command]) -> None:
    here, there = (copy_of(template, tmp_path / f"{n}.sqlite3") for n in ("here", "there"))
    try:
        start = ids(here)
        for command in commands:
            assert execute(here, command).ok and execute(there, command).ok
        made = ids(here)
        assert made == ids(there)
        assert made["progress_events"] - start["progress_events"]  # rows were made
        elsewhere = copy_of(template, tmp_path / "elsewhere.sqlite3")
        try:  # another op id makes other rows
            for command in commands:
                assert execute(elsewhere, _with_new_op_id(command)).ok
            assert ids(elsewhere)["progress_events"] != made["progress_events"]
        finally:
            elsewhere.close()
    finally:
        here.close()
        there.close()


def _with_new_op_id(command: c.Command) -> c.Command:
    return replace(command, op_id=uuid.uuid4())
