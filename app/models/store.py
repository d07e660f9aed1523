"""The store: one SQLite file per profile, WAL mode, foreign keys on, Alembic-owned schema.

Opening a store brings its schema to the current revision, after copying the file aside, so
a migration that goes wrong never costs a coordinator their data.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
READER = "waypoint_reader"  # Session.info: whose view the session reads


@dataclass
class Store:
    engine: Engine
    path: Path | None
    sessions: sessionmaker[OrmSession]

    def session(self) -> OrmSession:
        return self.sessions()

    def as_reader(self, who: str) -> Store:
        """The same store, its sessions reading as `who`: app/services/access.py leaves out
        what they may not see. Commands run through it still see everything (the write path
        checks what its actor may name)."""
        return replace(self, sessions=sessionmaker(self.engine, expire_on_commit=False,
                                                   info={READER: who}))

    def close(self) -> None:
        self.engine.dispose()

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds into the database file and sync it, without
        stopping readers or a writer (PASSIVE). The store's connections leave this out of
        their commits (see `connection_pragmas`): the desktop runs it on a thread of its own
        after each change; a process's last connection does it as it closes."""
        if self.path is None:
            return
        with closing(sqlite3.connect(self.path, timeout=5)) as connection:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")


def connection_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    # While a bulk load holds the file in rollback-journal mode, switching to WAL would wait
    # for it and fail: the loader puts WAL back when it ends, so this connection goes on.
    with suppress(sqlite3.OperationalError):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # No checkpoint inside a commit: past 1,000 pages of log SQLite would copy them into the
    # file and sync it before the command returns, which on the large store is most of
    # enrolling 5,000 (1.5 s of 3.4 s). Store.checkpoint does it off the command's path.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


# Filling a new store in one long transaction (`waypoint demo`): a rollback journal instead
# of WAL (the journal keeps only the pages the file had before, next to nothing, where WAL
# would write every new page twice: to the log, then at the checkpoint), no waiting for the
# disk inside the transaction, a 64 MB cache (more bought no time on the large demo, only
# memory), temporary tables in memory, and no foreign key lookups: the loader makes parents
# before children and vouches for its keys, and checks the rest itself
# (foreign_key_violations). page_size applies only to a file still small enough to rebuild.
BULK_PRAGMAS = (("journal_mode", "DELETE"), ("synchronous", "OFF"), ("foreign_keys", "OFF"),
                ("cache_size", "-65536"), ("temp_store", "MEMORY"))
BULK_PAGE_SIZE = 16_384
_REBUILD_BELOW = 4 << 20  # bytes: the schema and a few definitions
_BULK = "waypoint_bulk_load"


def bulk_load(connection: Any) -> bool:
    """Switch a pooled SQLite connection to BULK_PRAGMAS before its transaction begins; the
    store's usual settings come back when the connection returns to the pool (see
    _end_bulk_load), after the commit or rollback. False, changing nothing, when a transaction
    is already open or another connection holds the file (the load then runs as usual)."""
    raw = connection.driver_connection
    if not isinstance(raw, sqlite3.Connection) or raw.in_transaction or _BULK in connection.info:
        return False
    saved = [(name, raw.execute(f"PRAGMA {name}").fetchone()[0]) for name, _ in BULK_PRAGMAS]
    (timeout,) = raw.execute("PRAGMA busy_timeout").fetchone()
    raw.execute("PRAGMA busy_timeout = 0")  # another connection is open: do not wait for it
    try:
        mode = raw.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = None
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    if mode != "delete":
        return False
    connection.info[_BULK] = saved
    (pages,) = raw.execute("PRAGMA page_count").fetchone()
    (size,) = raw.execute("PRAGMA page_size").fetchone()
    if size < BULK_PAGE_SIZE and pages * size < _REBUILD_BELOW:
        raw.execute(f"PRAGMA page_size = {BULK_PAGE_SIZE}")
        with suppress(sqlite3.OperationalError):  # a statement still open: keep the size
            raw.execute("VACUUM")
    for name, value in BULK_PRAGMAS[1:]:
        raw.execute(f"PRAGMA {name} = {value}")
    return True


def savepoint(session: OrmSession) -> Any:
    """A SAVEPOINT inside the command's transaction. pysqlite begins its transaction lazily,
    at the first write: a SAVEPOINT issued before any write would itself become the
    transaction, and releasing it would commit, so a later refusal could not undo it. The
    transaction is begun first."""
    raw = session.connection().connection.driver_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN")
    return session.begin_nested()


def foreign_key_violations(connection: Any) -> list[tuple[Any, ...]]:
    """Rows whose parent is missing (table, rowid, parent table, key number): what SQLite
    would have refused with foreign keys on."""
    return connection.driver_connection.execute("PRAGMA foreign_key_check").fetchall()


def _end_bulk_load(dbapi_connection: Any, record: Any) -> None:
    saved = record.info.pop(_BULK, None) if record is not None else None
    if saved and dbapi_connection is not None:
        # Should WAL not come back here (another connection opened meanwhile), the next
        # connection the store opens sets it again.
        with suppress(sqlite3.OperationalError):
            for name, value in saved:
                dbapi_connection.execute(f"PRAGMA {name} = {value}")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def backup(path: Path, label: str) -> Path:
    """Copy a live SQLite file consistently (WAL included) with SQLite's backup API."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.before-{label}.{stamp}.bak{path.suffix}")
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def migrate(engine: Engine, path: Path | None) -> Path | None:
    """Upgrade to head; returns the backup written first, if there was data to protect."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return None
    saved = None
    if path is not None and current is not None and path.exists():
        saved = backup(path, head or "head")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return saved


def make_engine(target: str | Path) -> tuple[Engine, Path | None]:
    """A path (or sqlite URL) gets the SQLite pragmas; any other URL is used as given."""
    text = str(target)
    if "://" in text and not text.startswith("sqlite"):
        return create_engine(text, pool_pre_ping=True), None
    path = Path(text.removeprefix("sqlite:///")).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", connection_pragmas)
    event.listen(engine, "checkin", _end_bulk_load)
    return engine, path


def open_store(target: str | Path, *, upgrade: bool = True) -> Store:
    engine, path = make_engine(target)
    if upgrade:
        migrate(engine, path)
    return Store(engine=engine, path=path, sessions=sessionmaker(engine, expire_on_commit=False))
