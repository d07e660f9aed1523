"""The server's store: PostgreSQL through the same models and migrations as a laptop."""

from __future__ import annotations

from app.models.store import Store, open_store
from app.server import feed

_DRIVER = "postgresql+psycopg://"


def database_url(text: str) -> str:
    """`postgresql://…` (or `postgres://…`, as hosting services write it) with the psycopg 3
    driver this project installs; any other URL as given."""
    url = text.strip()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return _DRIVER + url.removeprefix(prefix)
    return url


def is_postgresql(url: str) -> bool:
    return database_url(url).startswith("postgresql")


def open_server_store(url: str) -> Store:
    """Open (and migrate to the current revision) the server's database, with the change
    feed's triggers in place."""
    store = open_store(database_url(url))
    feed.install(store.engine)
    return store
