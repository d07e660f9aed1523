"""Which server a store is signed in to, and where its token is kept.

Signing in is a command (ConnectServer), local to the machine like the mail settings: the
store's operation log shows when it was connected and by whom, and it is never pushed. The
token itself never enters the store: it goes to the OS keyring, or where none works, to the
store's secrets file (services.secrets), readable by the user alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy.orm import Session as OrmSession

from app.models.store import Store
from app.services import secrets
from app.services.commands import Command
from app.services.registry import handles
from app.services.rules.permissions import require_staff
from app.services.settings import CLIENT, get_setting, put_setting
from app.services.work import Work

SERVER = "sync.server"
SYNC_USER = "sync.user"
KEYRING_SERVICE = "Waypoint sync"


@dataclass(frozen=True, kw_only=True)
class ConnectServer(Command):
    """Sign this store in to a sync server as `email` (the token is not here: see below)."""

    url: str
    email: str


@handles(ConnectServer)
def connect_server(command: ConnectServer, work: Work) -> None:
    require_staff(work, "sign this store in to a sync server")
    session = work.session
    put_setting(session, SERVER, command.url)
    put_setting(session, SYNC_USER, command.email)
    if get_setting(session, CLIENT) is None:  # a store made before client ids existed
        put_setting(session, CLIENT, str(uuid.uuid5(work.op_id, "client")))
    work.record("settings", {"kind": "sync", "server": command.url, "user": command.email})


@dataclass(frozen=True)
class Connection:
    """Where this store syncs to: the server, the account and this store's client id."""

    url: str
    email: str
    client_id: str


def connection(session: OrmSession) -> Connection | None:
    url, email = get_setting(session, SERVER), get_setting(session, SYNC_USER)
    client = get_setting(session, CLIENT)
    if not (url and email and client):
        return None
    return Connection(url=url, email=email, client_id=client)


def secrets_file(store: Store) -> Path:
    """The fallback file beside the store (the profile folder) where no keyring works."""
    if store.path is not None:
        return secrets.fallback_file(store.path)
    return Path(user_data_dir("Waypoint", appauthor=False)) / "secrets.json"


def _account(url: str, email: str) -> str:
    return f"{email} at {url}"


def save_token(store: Store, url: str, email: str, token: str) -> secrets.Saved:
    return secrets.save_secret(KEYRING_SERVICE, _account(url, email), token, secrets_file(store))


def load_token(store: Store, url: str, email: str) -> str | None:
    return secrets.load_secret(KEYRING_SERVICE, _account(url, email), secrets_file(store))


def token_location(store: Store, url: str, email: str) -> str | None:
    """"keyring", "file" or None: whether this store still has a sign-in, and where."""
    return secrets.secret_location(KEYRING_SERVICE, _account(url, email), secrets_file(store))


def forget_token(store: Store, url: str, email: str) -> None:
    """Sign out: the token goes from the keyring and the file; the server and account stay
    in the store, so signing in again only asks for the password."""
    secrets.forget_secret(KEYRING_SERVICE, _account(url, email), secrets_file(store))
