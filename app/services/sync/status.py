"""Sync as the desktop app sees it: whether this store is signed in, how many commands wait
and how many the server refused; one sync run that ends in a plain outcome (done, offline,
sign in again, failed) instead of an exception; signing out.

The app runs these on its database worker, so they must never hang it for long: a server
that cannot be reached gives up after a few seconds and is reported as "offline", which is
an ordinary state for a laptop, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from app.models import Operation
from app.models.store import Store
from app.services.sync import client
from app.services.sync.account import connection, forget_token, token_location
from app.services.sync.outbox import PENDING
from app.services.sync.protocol import REFUSED, syncable

CONNECT_TIMEOUT = 5.0  # seconds to reach the server before the app says "offline"

DONE, OFFLINE, SIGN_IN, FAILED = "done", "offline", "sign in", "failed"


@dataclass(frozen=True)
class SyncStatus:
    """The server and account this store syncs with (None before the first sign-in), where
    the token is kept (None once signed out or never signed in), and the outbox's counts."""

    url: str | None
    email: str | None
    token: str | None
    waiting: int
    conflicts: int

    @property
    def signed_in(self) -> bool:
        return bool(self.url and self.email and self.token)


def outbox_counts(store: Store) -> tuple[int, int]:
    """(commands waiting to be sent, commands the server refused): one grouped query, for
    the status bar after every command made here."""
    with store.session() as session:
        rows = session.execute(
            select(Operation.sync_state, Operation.name, func.count())
            .where(Operation.sync_state.in_((PENDING, REFUSED)))
            .group_by(Operation.sync_state, Operation.name)).all()
    # commands local to this machine (the scheduler's tick, mail) are never pushed
    waiting = sum(n for state, name, n in rows if state == PENDING and syncable(name))
    refused = sum(n for state, _name, n in rows if state == REFUSED)
    return waiting, refused


def sync_status(store: Store) -> SyncStatus:
    """Read the sign-in (asking the keyring whether it still holds the token) and count the
    outbox."""
    with store.session() as session:
        found = connection(session)
    token = token_location(store, found.url, found.email) if found else None
    waiting, refused = outbox_counts(store)
    return SyncStatus(url=found.url if found else None, email=found.email if found else None,
                      token=token, waiting=waiting, conflicts=refused)


@dataclass(frozen=True)
class Outcome:
    """How a sync run ended (`state`: done, offline, sign in, failed), what it pushed (the
    report, also after a failure part-way), the reason in words where it did not finish,
    and the status afterwards."""

    state: str
    status: SyncStatus
    report: client.SyncReport | None = None
    message: str | None = None


def http_client() -> httpx.Client:
    """A client that gives up reaching a server after a few seconds."""
    return httpx.Client(timeout=httpx.Timeout(client.TIMEOUT, connect=CONNECT_TIMEOUT))


def run_sync(store: Store, *, http: httpx.Client | None = None) -> Outcome:
    """Push what waits. Never raises a SyncError: the outcome says what happened."""
    try:
        report = client.sync(store, http=http or http_client())
    except client.Unreachable as error:
        return Outcome(OFFLINE, sync_status(store), error.report, error.message)
    except client.SignInNeeded as error:
        return Outcome(SIGN_IN, sync_status(store), error.report, error.message)
    except client.SyncError as error:
        return Outcome(FAILED, sync_status(store), error.report, error.message)
    return Outcome(DONE, sync_status(store), report)


def sign_out(store: Store) -> SyncStatus:
    """Forget this store's token. What waits keeps waiting for the next sign-in."""
    with store.session() as session:
        found = connection(session)
    if found is not None:
        forget_token(store, found.url, found.email)
    return sync_status(store)
