"""The HTTP bodies, as pydantic models: FastAPI validates every request against them (a bad
one gets 422, never reaches the replay) and publishes them in the OpenAPI document.

Limits are part of the contract: a request the server would choke on is refused at the door.
They mirror app.services.sync.protocol, which the replay works with (imported as `wire`:
`protocol` is a field name here).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from app.services.sync import protocol as wire

MAX_COMMANDS = 1000  # per push; the client sends 100
MAX_SEQ = 2**31 - 1  # the column is a 32-bit integer
MAX_CURSOR = 2**63 - 1  # the feed's numbers are 64-bit
MAX_PAGE = 2000  # feed entries per page
MAX_SCOPE = 1 << 16  # the view token: a digest and the hidden milestones' ids

Email = Annotated[str, Field(min_length=3, max_length=254)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        if not storable(value):
            raise ValueError("Text may not contain a NUL character or an unpaired surrogate.")
        return value


def storable(value: Any) -> bool:
    """Whether every text in a decoded JSON value, keys included, is one PostgreSQL can store
    (no NUL character; encodable as UTF-8, so no unpaired surrogate, which JSON allows): the
    database would refuse it with an error, a 500. Walked without recursion: the nesting is
    the sender's choice."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or not item.isascii() and not _encodes(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TokenRequest(_Body):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class TokenResponse(BaseModel):
    token: str
    email: str
    expires_at: AwareDatetime


class PushedCommand(_Body):
    seq: Annotated[int, Field(ge=1, le=MAX_SEQ)]
    op_id: uuid.UUID
    name: Annotated[str, Field(min_length=1, max_length=60)]
    args: dict[str, Any]
    at: AwareDatetime
    base: dict[str, Any] = Field(default_factory=dict)

    def to_protocol(self) -> wire.PushedCommand:
        return wire.PushedCommand(seq=self.seq, op_id=self.op_id, name=self.name,
                                      args=self.args, at=self.at, base=self.base)


class PushRequest(_Body):
    protocol: Annotated[int, Field(ge=1, le=wire.PROTOCOL)] = wire.PROTOCOL
    client_id: Annotated[str, Field(min_length=1, max_length=64)]
    commands: Annotated[list[PushedCommand], Field(max_length=MAX_COMMANDS)]

    def to_protocol(self) -> wire.PushRequest:
        return wire.PushRequest(client_id=self.client_id,
                                    commands=tuple(c.to_protocol() for c in self.commands))


class PushResult(BaseModel):
    seq: int
    status: str
    fate: str
    reason: str | None = None
    server_seq: int | None = None


class PushResponse(BaseModel):
    results: list[PushResult]
    acknowledged: int
    expected: int | None = None
    detail: str | None = None


class Status(BaseModel):
    client_id: str
    email: str
    acknowledged: int
    protocol: int
    pull: bool = True


class PullRequest(_Body):
    protocol: Annotated[int, Field(ge=1, le=wire.PROTOCOL)] = wire.PROTOCOL
    client_id: Annotated[str, Field(min_length=1, max_length=64)]
    cursor: Annotated[int, Field(ge=0, le=MAX_CURSOR)] = 0
    fates_from: Annotated[int | None, Field(ge=1, le=MAX_SEQ)] = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = MAX_PAGE
    scope: Annotated[str | None, Field(max_length=MAX_SCOPE)] = None
    horizon: Annotated[int | None, Field(ge=0, le=MAX_CURSOR)] = None


class PulledRow(BaseModel):
    """A row as it is now (`row`), or a tombstone (`row` null): the row is gone."""

    table: str
    key: str
    row: dict[str, Any] | None


class Fate(BaseModel):
    seq: int
    status: str
    reason: str | None = None


class PullResponse(BaseModel):
    rows: list[PulledRow]
    cursor: int
    more: bool
    acknowledged: int
    fates: list[Fate]
    reset: bool
    scope: str
    horizon: int
