"""The HTTP surface of the sync service: `create_app(store)`.

Endpoints are plain (sync) functions: FastAPI runs them on its thread pool, where the
database waits belong, and the service keeps no state between requests beyond the store,
so any number of instances can serve one database.

(No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations at
run time, and they name dependencies local to `create_app`.)
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.models.store import Store
from app.server import auth, feed, replay, schemas
from app.services.clock import utcnow
from app.services.sync.protocol import PROTOCOL

MAX_BODY = 32 << 20  # bytes; a client sends at most ~4 MB at a time
COMPACT_EVERY = 6 * 3600  # seconds between compactions of the change feed
log = logging.getLogger(__name__)
_MAX_TOKEN = 200


class BodyLimit:
    """Refuse a body over `limit` bytes with 413, whether it says its length up front or
    streams in chunks, before it is read into memory whole."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            response = JSONResponse({"detail": self._too_large()}, status_code=413)
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # FastAPI turns this into the answer
                    raise HTTPException(status_code=413, detail=self._too_large())
            return message

        await self.app(scope, limited, send)

    def _too_large(self) -> str:
        return f"The request is larger than the server takes ({self.limit >> 20} MB)."


def create_app(store: Store, *, clock: Callable[[], datetime] = utcnow,
               max_body: int = MAX_BODY) -> FastAPI:
    """The service over an open (migrated) store. `clock` is the server's time: when it
    received a command, and whether a token has expired."""
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """Compact the change feed at start and every few hours (any instance may: the
        compaction takes the replay lock)."""

        async def compacting() -> None:
            while True:
                try:
                    await run_in_threadpool(feed.compact, store.engine, clock())
                except (OperationalError, InterfaceError):
                    log.warning("the change feed could not be compacted; trying again later")
                await asyncio.sleep(COMPACT_EVERY)

        task = asyncio.create_task(compacting())
        try:
            yield
        finally:
            task.cancel()

    app = FastAPI(title="Waypoint sync", version=str(PROTOCOL), lifespan=lifespan,
                  responses={400: {"description": "the body is not JSON"},
                             422: {"description": "the request is malformed"}},
                  description="Push a store's commands; the server replays each through "
                              "the same rules, with its own permission checks. Pull the "
                              "rows changed since a cursor, as far as the account may see.")
    app.add_middleware(BodyLimit, limit=max_body)
    bearer = HTTPBearer(auto_error=False)
    unauthorized = HTTPException(status_code=401, detail="Sign in first: a valid token is "
                                 "needed.", headers={"WWW-Authenticate": "Bearer"})

    def signed_in(credentials: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(bearer)]) -> str:
        if credentials is None or len(credentials.credentials) > _MAX_TOKEN:
            raise unauthorized
        email = auth.account_for(store, credentials.credentials, clock())
        if email is None:
            raise unauthorized
        return email

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    def database_down(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "The server's database is not available; nothing "
                             "more was applied. Try again later."}, status_code=503)

    @app.exception_handler(RequestValidationError)
    def invalid(_request: Request, exc: RequestValidationError) -> Response:
        """422 with what is wrong and where, without echoing the input: a request may carry
        text that cannot even be written back as UTF-8 (an unpaired surrogate)."""
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()]
        return Response(json.dumps({"detail": errors}, ensure_ascii=True, default=str),
                        status_code=422, media_type="application/json")

    @app.exception_handler(replay.ForeignClient)
    def foreign(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "protocol": PROTOCOL}

    @app.post("/v1/token", responses={401: {"description": "wrong email or password"}})
    def token(body: schemas.TokenRequest) -> schemas.TokenResponse:
        issued = auth.issue_token(store, body.email, body.password, clock())
        if issued is None:
            raise HTTPException(status_code=401, detail="Wrong email or password.")
        value, expires = issued
        return schemas.TokenResponse(token=value, email=body.email.strip().lower(),
                                     expires_at=expires)

    @app.post("/v1/push", response_model=schemas.PushResponse, responses={
        401: {"description": "no valid token"},
        403: {"description": "the client belongs to another account"},
        409: {"model": schemas.PushResponse, "description": "a gap in the sequence"},
        413: {"description": "the body is too large"}})
    def push(body: schemas.PushRequest, email: Annotated[str, Depends(signed_in)]) -> Any:
        answer = replay.push(store, email, body.to_protocol(), clock())
        payload = schemas.PushResponse(
            results=[schemas.PushResult(seq=r.seq, status=r.status, fate=r.fate,
                                        reason=r.reason, server_seq=r.server_seq)
                     for r in answer.results],
            acknowledged=answer.acknowledged, expected=answer.expected, detail=answer.error)
        if answer.expected is not None:
            return JSONResponse(payload.model_dump(mode="json"), status_code=409)
        return payload

    @app.get("/v1/status", responses={401: {"description": "no valid token"},
                                       403: {"description": "the client belongs to another "
                                                            "account"}})
    def status(client_id: Annotated[str, Query(min_length=1, max_length=64,
                                               pattern=r"^[^\x00]+$")],
               email: Annotated[str, Depends(signed_in)]) -> schemas.Status:
        with store.session() as session:
            holder = replay.owner(session, client_id)
            if holder is not None and holder != email:
                raise replay.ForeignClient(f"This store's commands are synced by {holder}.")
            last = replay.acknowledged(session, client_id)
        return schemas.Status(client_id=client_id, email=email, acknowledged=last,
                              protocol=PROTOCOL)

    @app.post("/v1/pull", response_model=schemas.PullResponse, responses={
        401: {"description": "no valid token"},
        403: {"description": "the client belongs to another account"}})
    def pull(body: schemas.PullRequest, email: Annotated[str, Depends(signed_in)]) -> Any:
        with store.session() as session, session.begin():
            page = feed.pull(session, email, body.client_id, body.cursor,
                             fates_from=body.fates_from, limit=body.limit, scope=body.scope,
                             horizon=body.horizon)
        return schemas.PullResponse(
            rows=[schemas.PulledRow(table=t, key=k, row=r) for t, k, r in page.rows],
            cursor=page.cursor, more=page.more, acknowledged=page.acknowledged,
            fates=[schemas.Fate(seq=s, status=f, reason=r) for s, f, r in page.fates],
            reset=page.reset, scope=page.scope, horizon=page.horizon)

    return app
