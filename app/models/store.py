"""The store: one SQLite file per profile, WAL mode, foreign keys on, Alembic-owned schema.

Opening a store brings its schema to the current revision, after copying the file aside, so
a migration that goes wrong never costs a coordinator their data.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
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


@dataclass
class Store:
    engine: Engine
    path: Path | None
    sessions: sessionmaker[OrmSession]

    def session(self) -> OrmSession:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


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
    config = _alembic_config()
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
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine, path


def open_store(target: str | Path, *, upgrade: bool = True) -> Store:
    engine, path = make_engine(target)
    if upgrade:
        migrate(engine, path)
    return Store(engine=engine, path=path, sessions=sessionmaker(engine, expire_on_commit=False))
