"""What a push reads once for all its commands (the account, its roles and permissions, the
program's settings and restricted milestones: app/services/memo.py) is read again as soon as
one of its commands changes it, and a refused command's changes are not remembered.

The memo's own rules on a laptop's store (SQLite: the same SQLAlchemy events), the push
end to end on the service's PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text, update
from sync_fixtures import Service

from app.models import Milestone, Operation, Person, Progress, Setting
from app.models.store import Store, open_store, savepoint
from app.server import replay
from app.services import commands as c
from app.services import memo
from app.services.programs.parse import parse_program
from app.services.settings import get_setting, put_setting
from app.services.sync.protocol import ACCEPTED, REFUSED, PushedCommand, PushRequest
from app.services.write import SYSTEM, execute, plain

AT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
ED = "ed@example.edu"
PROGRAM = """
[program]
name = "Memo"
timezone = "UTC"

[[staff]]
email = "ed@example.edu"
name = "Ed Editor"
roles = {ed_roles}

[[cohorts]]
key = "fall"
name = "Fall"

[[milestones]]
key = "intro"
title = "Introduction"
cohorts = ["fall"]
visible_to = ["finance"]

[[milestones]]
key = "extra"
title = "Extra credit"
cohorts = ["fall"]
{extra_visible_to}
"""


def program(ed_roles: str = '["editor", "finance"]', extra_visible_to: str = "") -> Any:
    return parse_program(PROGRAM.format(ed_roles=ed_roles, extra_visible_to=extra_visible_to),
                         "memo.toml")


# --- the memo on its own -------------------------------------------------------------------------


@pytest.fixture
def store(empty_store: Path, tmp_path: Path) -> Iterator[Store]:
    made = open_store(shutil.copy(empty_store, tmp_path / "store.sqlite3"))
    with made.session() as session, session.begin():
        put_setting(session, "program.timezone", "UTC")
    yield made
    made.close()


@pytest.fixture
def reads(store: Store) -> Iterator[list[str]]:
    """The settings reads the store's connection makes."""
    seen: list[str] = []

    def heard(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM settings" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", heard)
    yield seen
    event.remove(Engine, "before_cursor_execute", heard)


def test_a_setting_is_read_once_while_remembering_and_every_time_otherwise(
        store: Store, reads: list[str]) -> None:
    with store.session() as session, session.begin():
        assert [get_setting(session, "program.timezone") for _ in range(3)] == ["UTC"] * 3
        assert len(reads) == 3
        with memo.remembering(session):
            assert [get_setting(session, "program.timezone") for _ in range(3)] == ["UTC"] * 3
        assert len(reads) == 4


@pytest.mark.parametrize("how", ["unit of work", "set-based statement"])
def test_a_write_to_what_was_read_makes_it_read_again(store: Store, how: str) -> None:
    with store.session() as session, session.begin(), memo.remembering(session):
        assert get_setting(session, "program.timezone") == "UTC"
        if how == "unit of work":  # pending, not yet flushed: the memo flushes it first
            put_setting(session, "program.timezone", "Europe/Paris")
        else:
            session.execute(update(Setting).where(Setting.key == "program.timezone")
                            .values(value="Europe/Paris"))
        assert get_setting(session, "program.timezone") == "Europe/Paris"


@pytest.mark.parametrize("table", ["settings", "staff", "staff_roles", "milestones", "steps",
                                   "prerequisites"])
def test_a_write_to_any_table_remembered_answers_are_read_from_forgets_them(
        store: Store, table: str) -> None:
    """The milestones a command names, their steps and prerequisites are remembered too."""
    read: list[int] = []
    with store.session() as session, session.begin(), memo.remembering(session):
        for _ in range(2):
            memo.recall(session, "answer", lambda: read.append(1))
        session.execute(text(f"DELETE FROM {table} WHERE 1 = 0"))
        memo.recall(session, "answer", lambda: read.append(1))
    assert len(read) == 2


def test_what_was_read_after_a_write_a_savepoint_undid_is_read_again(store: Store) -> None:
    with store.session() as session, session.begin(), memo.remembering(session):
        nested = savepoint(session)
        put_setting(session, "program.timezone", "Europe/Paris")
        assert get_setting(session, "program.timezone") == "Europe/Paris"
        nested.rollback()
        assert get_setting(session, "program.timezone") == "UTC"


def test_other_writes_keep_what_was_read(store: Store, reads: list[str]) -> None:
    with store.session() as session, session.begin(), memo.remembering(session):
        get_setting(session, "program.timezone")
        session.execute(update(Operation).where(Operation.seq == 0).values(name="x"))
        get_setting(session, "program.timezone")
        assert len(reads) == 1


# --- a push --------------------------------------------------------------------------------------


def on_server(service: Service, command: c.Command) -> None:
    result = execute(service.store, command)
    assert result.ok, result.error


def pushed(seq: int, command: c.Command) -> PushedCommand:
    args = plain(command)
    for key in ("at", "by", "op_id"):
        args.pop(key)
    return PushedCommand(seq=seq, op_id=command.op_id, name=type(command).__name__, args=args,
                         at=command.at)


def test_a_push_sees_what_its_earlier_commands_changed(service: Service) -> None:
    """Ed, an editor in finance, sees the introduction (restricted to finance) until the
    program file he pushes takes finance from him and restricts the extra credit to advisors:
    the commands after it in the same push see both. Each accepted command is logged as his
    laptop's, accepted, under the number the push answers with."""
    on_server(service, c.ApplyProgram(at=AT, by=SYSTEM, spec=program()))
    on_server(service, c.ImportPeople(at=AT, by=SYSTEM, rows=(
        c.PersonRow(line=2, external_id="p1", name="Pat Lee", cohort="fall"),)))
    later = [AT + timedelta(minutes=k) for k in range(1, 5)]
    commands = [
        c.StartProgress(at=later[0], person="p1", milestone="intro"),
        c.ApplyProgram(at=later[1], spec=program('["editor"]', 'visible_to = ["advisor"]')),
        c.CompleteProgress(at=later[2], person="p1", milestone="intro"),  # his roles changed
        c.StartProgress(at=later[3], person="p1", milestone="extra"),  # restricted now
    ]
    request = PushRequest(client_id="ed-laptop", commands=tuple(
        pushed(seq, command) for seq, command in enumerate(commands, start=1)))
    answer = replay.push(service.store, ED, request, datetime.now(UTC))

    fates = [(r.status, r.reason) for r in answer.results]
    assert fates == [(ACCEPTED, None), (ACCEPTED, None),
                     (REFUSED, "There is no milestone 'intro'."),
                     (REFUSED, "There is no milestone 'extra'.")]
    assert service.state("p1", "intro") == "started"
    with service.store.session() as session:
        logged = session.execute(select(Operation.id, Operation.seq, Operation.client_id,
                                        Operation.sync_state)
                                 .where(Operation.client_id == "ed-laptop")).all()
    assert {(op_id, seq) for op_id, seq, _, _ in logged} == {
        (command.op_id, result.server_seq) for command, result in zip(
            commands, answer.results, strict=True) if result.status == ACCEPTED}
    assert {state for *_, state in logged} == {ACCEPTED}


DEFINITIONS = """
[program]
name = "Memo"
timezone = "UTC"

[[staff]]
email = "ed@example.edu"
name = "Ed Editor"
roles = ["admin"]

[[cohorts]]
key = "fall"
name = "Fall"

[[milestones]]
key = "intro"
title = "{intro}"
cohorts = ["fall"]

[[milestones]]
key = "forms"
title = "Forms"
cohorts = ["fall"]
complete_by = ["steps"]
steps = [{steps}]

[[milestones]]
key = "review"
title = "Review"
cohorts = ["fall"]
{review}
"""


def definitions(intro: str, steps: str, review: str = "") -> Any:
    return parse_program(DEFINITIONS.format(intro=intro, steps=steps, review=review),
                         "memo.toml")


def test_a_push_follows_the_milestones_its_earlier_commands_redefined(
        service: Service, empty_store: Path, tmp_path: Path) -> None:
    """The first commands of the push read the milestones, their steps, their prerequisites
    and the attributes their rules read; then a program file renames one, adds a step to
    another, and makes the third wait for the first and skip for historians. The commands
    after it see all of that, and the push ends where the same commands, one by one on a
    laptop (which remembers nothing between them), end."""
    first = definitions("Introduction", '{ title = "Sign" }')
    then = definitions("Welcome", '{ title = "Sign" }, { title = "Upload" }',
                       'after = ["intro"]\nskip_when = { major = ["History"] }')
    later = iter(AT + timedelta(minutes=k) for k in range(1, 100))
    commands = [
        c.StartProgress(at=next(later), person="p1", milestone="intro"),
        c.TickStep(at=next(later), person="p2", milestone="forms", step="Sign"),
        c.CompleteProgress(at=next(later), person="p2", milestone="intro"),
        c.SetPerson(at=next(later), person="p2", attributes=(("major", "Math"),)),
        c.ApplyProgram(at=next(later), spec=then),
        c.StartProgress(at=next(later), person="p1", milestone="intro"),  # renamed
        c.TickStep(at=next(later), person="p1", milestone="forms", step="Upload"),  # new step
        c.TickStep(at=next(later), person="p1", milestone="forms", step="Sign"),
        c.CompleteProgress(at=next(later), person="p1", milestone="intro"),  # opens review
        c.StartProgress(at=next(later), person="p3", milestone="review"),  # waits for intro
        c.SetPerson(at=next(later), person="p3", attributes=(("major", "History"),)),
    ]
    people = c.ImportPeople(at=AT, by=SYSTEM, rows=tuple(
        c.PersonRow(line=n + 1, external_id=f"p{n}", name=f"Pat {n}", cohort="fall")
        for n in (1, 2, 3)))
    laptop = open_store(shutil.copy(empty_store, tmp_path / "laptop.sqlite3"))
    fates = {}
    for where, run in (("laptop", lambda command: execute(laptop, command)),
                       ("server", lambda command: execute(service.store, command))):
        assert run(c.ApplyProgram(at=AT, by=SYSTEM, spec=first)).ok
        assert run(people).ok
        if where == "laptop":
            fates[where] = [(r.ok, r.error) for r in (
                execute(laptop, dataclasses.replace(command, by=ED)) for command in commands)]
    request = PushRequest(client_id="ed-laptop", commands=tuple(
        pushed(seq, command) for seq, command in enumerate(commands, start=1)))
    answer = replay.push(service.store, ED, request, datetime.now(UTC))
    fates["server"] = [(r.status == ACCEPTED, r.reason) for r in answer.results]

    assert fates["server"] == fates["laptop"]
    assert fates["server"][5] == (False, "'Welcome' is already started for Pat 1.")
    assert fates["server"][6:8] == [(True, None), (True, None)]
    assert fates["server"][9][0] is False and "locked" in (fates["server"][9][1] or "")

    def states(store: Store) -> set[tuple[str, str, str]]:
        with store.session() as session:
            return set(session.execute(
                select(Person.external_id, Milestone.key, Progress.state)
                .join(Progress, Progress.person_id == Person.id)
                .join(Milestone, Milestone.id == Progress.milestone_id)).all())

    assert states(service.store) == states(laptop)
    assert {("p1", "forms", "complete"), ("p1", "review", "open"),
            ("p3", "review", "skipped")} <= states(laptop)
    laptop.close()
