"""The sync client: sign a store in to the service; sync = push the waiting commands, then
pull what changed on the server.

Both halves are safe to repeat at any point: the operations keep their sequence numbers until
the server's answer is recorded, and the server answers a repeat with the fate it recorded
the first time; a pull resumes from the last page it kept, and lands everything in one
transaction. So a request that never arrived, an answer lost after the server committed, or
a laptop closed mid-pull is mended by running `sync` again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.models.store import Store
from app.services import secrets
from app.services.sync import capture, outbox, pull
from app.services.sync.account import (
    Connection,
    ConnectServer,
    connection,
    load_token,
    save_token,
)
from app.services.sync.protocol import PROTOCOL, PushResult
from app.services.write import execute, plain

TIMEOUT = 30.0
BATCH = 100  # commands per request
BATCH_BYTES = 4 << 20  # well under the server's limit on a request's body
# A push is answered once the server has replayed its commands, after the pushes of other
# stores ahead of it (the server keeps each to a few seconds): a busy server answers a larger
# batch later without being down. So the wait for a push's answer is TIMEOUT and this much
# per command it carries, 60 s for a full batch where the server takes some milliseconds a
# command; only past that is the server taken for unreachable.
PUSH_PACE = 0.3  # seconds


class SyncError(Exception):
    """Sync could not go on; the message says why and what to do, for a coordinator. The
    report, where there is one, says what was pushed before it stopped."""

    def __init__(self, message: str, report: SyncReport | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.report = report


class Unreachable(SyncError):
    """The server could not be reached at all (no network, the server down): the app says
    "offline" and tries again later, nothing is lost."""


class SignInNeeded(SyncError):
    """This store has no usable sign-in (never signed in, the token gone or expired): the
    app asks for the password again."""


def server_url(text: str) -> str:
    """An http(s) URL without the trailing slash: the form the store keeps."""
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SyncError(f"'{text}' is not a server address (expected https://HOST[:PORT]).")
    return url


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else json.dumps(detail or body)[:200]


def _post(http: httpx.Client, url: str, body: dict[str, Any], token: str | None = None,
          timeout: httpx.Timeout | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        return http.post(url, json=body, headers=headers, timeout=timeout or http.timeout)
    except httpx.HTTPError as exc:
        raise Unreachable(f"The server at {url.rsplit('/v1/', 1)[0]} could not be reached "
                          f"({exc.__class__.__name__}: {exc}).") from exc


# --- login ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    url: str
    email: str
    expires_at: str
    saved: secrets.Saved


def login(store: Store, url: str, email: str, password: str, *, at: datetime,
          by: str | None = None, http: httpx.Client | None = None) -> Login:
    """Exchange the password for a token; keep the token (keyring or 0600 file) and the
    server in the store. The password itself is kept nowhere."""
    url, email = server_url(url), email.strip().lower()
    with http or httpx.Client(timeout=TIMEOUT) as client:
        response = _post(client, f"{url}/v1/token", {"email": email, "password": password})
    if response.status_code == 401:
        raise SyncError(f"The server at {url} did not accept that email and password.")
    if response.status_code != 200:
        raise SyncError(f"The server at {url} refused to sign in: {response.status_code} "
                        f"{_detail(response)}")
    body = response.json()
    result = execute(store, ConnectServer(at=at, by=by, url=url, email=email))
    if not result.ok:
        raise SyncError(result.error or "This store could not be signed in.")
    saved = save_token(store, url, email, body["token"])
    with store.engine.begin() as connection:
        capture.install(connection)
    return Login(url=url, email=email, expires_at=body["expires_at"], saved=saved)


# --- sync -------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    pushed: int = 0
    accepted: int = 0
    refused: int = 0
    pulled: int = 0
    conflicts: int = 0
    waiting: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"pushed": self.pushed, "accepted": self.accepted, "refused": self.refused,
                "pulled": self.pulled, "conflicts": self.conflicts, "waiting": self.waiting}


def _connected(store: Store) -> tuple[Connection, str]:
    with store.session() as session:
        found = connection(session)
    if found is None:
        raise SignInNeeded("This store is not signed in to a sync server: run "
                           "`waypoint login URL --user EMAIL` first.")
    token = load_token(store, found.url, found.email)
    if token is None:
        raise SignInNeeded(f"No sign-in is kept for {found.email} at {found.url}: run "
                           f"`waypoint login {found.url} --user {found.email}` again.")
    return found, token


def _batches(store: Store) -> list[dict[str, Any]]:
    """The next request's commands as JSON, by count and by size."""
    commands, size = [], 0
    for command in outbox.next_batch(store, BATCH):
        item = plain(command)
        weight = len(json.dumps(item))
        if commands and size + weight > BATCH_BYTES:
            break
        commands.append(item)
        size += weight
    return commands


def _results(body: Any) -> list[PushResult]:
    items = body.get("results") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise SyncError("The server's answer could not be read; nothing was marked.")
    return [PushResult(seq=int(r["seq"]), status=str(r["status"]), fate=str(r["fate"]),
                       reason=r.get("reason"), server_seq=r.get("server_seq")) for r in items]


def sync(store: Store, *, http: httpx.Client | None = None,
         progress: Callable[[str, int], None] | None = None) -> SyncReport:
    """Push every pending command in order, batch by batch, recording each fate as it
    comes back; then pull. Stops at the first request that fails, with what was done so far
    kept (and reported on the error). `progress(stage, count)` hears how far it is."""
    conn, token = _connected(store)
    report = SyncReport()
    with store.engine.begin() as connection:
        capture.install(connection)
    outbox.number_pending(store)
    try:
        with http or httpx.Client(timeout=TIMEOUT) as client:
            while commands := _batches(store):
                _push(client, store, conn, token, commands, report)
                if progress is not None:
                    progress("pushed", report.pushed)
            _pull(client, store, conn, token, report, progress)
    except SyncError as error:
        error.report = _tally(store, report)
        raise
    return _tally(store, report)


def _pull(client: httpx.Client, store: Store, conn: Connection, token: str,
          report: SyncReport, progress: Callable[[str, int], None] | None) -> None:
    """Download the pages after this store's cursor, then land them."""
    cursor, staged, _resetting = pull.position(store)
    reset_once = False
    ask = cursor if staged is None else staged
    while True:
        request = {"protocol": PROTOCOL, "client_id": conn.client_id, "cursor": ask,
                   "fates_from": pull.first_waiting(store), "scope": pull.scope(store) or None,
                   "horizon": pull.horizon(store)}
        response = _post(client, f"{conn.url}/v1/pull", request, token)
        body = _answer(response, conn)
        if body.get("reset"):
            if reset_once or ask == 0:
                raise SyncError("The server asked this store to start over twice; try again "
                                "later.")
            reset_once, ask = True, 0
            pull.start_reset(store)
            continue
        fates = [PushResult(seq=int(f["seq"]), status=str(f["status"]), fate=str(f["status"]),
                            reason=f.get("reason")) for f in body.get("fates") or []]
        if fates:
            outbox.record(store, fates)
        pull.stage(store, list(body.get("rows") or []), int(body["cursor"]),
                   str(body.get("scope") or ""), int(body.get("horizon") or 0))
        ask = int(body["cursor"])
        if progress is not None:
            progress("downloaded", ask)
        if not body.get("more"):
            break
    report.pulled = pull.land(store, (lambda n: progress("landed", n)) if progress else None)


def _answer(response: httpx.Response, conn: Connection) -> dict[str, Any]:
    if response.status_code == 401:
        raise SignInNeeded(f"The server no longer accepts this store's sign-in (it lasts 12 "
                           f"hours): run `waypoint login {conn.url} --user {conn.email}` again.")
    if response.status_code != 200:
        raise SyncError(f"The server answered {response.status_code}: {_detail(response)}")
    body = response.json()
    if not isinstance(body, dict) or "cursor" not in body:
        raise SyncError("The server's answer could not be read; nothing was changed.")
    return body


def _push(client: httpx.Client, store: Store, conn: Connection, token: str,
          commands: list[dict[str, Any]], report: SyncReport) -> None:
    request = {"protocol": PROTOCOL, "client_id": conn.client_id, "commands": commands}
    response = _post(client, f"{conn.url}/v1/push", request, token,
                     _patience(client.timeout, len(commands)))
    if response.status_code == 401:
        _answer(response, conn)
    if response.status_code not in (200, 409):
        raise SyncError(f"The server answered {response.status_code}: {_detail(response)}")
    results = _results(response.json())
    done = outbox.record(store, results)
    report.pushed += len(results)
    report.accepted += done["accepted"]
    report.refused += done["refused"]
    if response.status_code == 409:
        raise SyncError(f"The server refused to go on: {_detail(response)}")
    if not results:
        raise SyncError("The server took none of the commands sent; stopping.")


def _patience(timeout: httpx.Timeout, commands: int) -> httpx.Timeout:
    """The client's timeouts, with the wait for a push's answer stretched to its size (never
    shortened: a caller may have chosen to wait longer, or without end)."""
    read = timeout.read
    if read is not None:
        read = max(read, TIMEOUT + PUSH_PACE * commands)
    return httpx.Timeout(connect=timeout.connect, read=read, write=timeout.write,
                         pool=timeout.pool)


def _tally(store: Store, report: SyncReport) -> SyncReport:
    states = outbox.counts(store)
    report.conflicts = states.get("refused", 0)
    report.waiting = states.get("pending", 0)
    return report
