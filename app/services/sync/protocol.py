"""The sync wire: what a client pushes and what the server answers, and the codec between a
command and its plain-JSON form.

Both ends speak it: the client builds pushes from its operation log, the service reads them
from HTTP and rebuilds each command to replay it through `execute`. The decoder is strict
(every type checked, unknown fields refused) because the server must refuse a bad command in
words, never crash on one: a wrong type caught here is a refusal the user sees in
`conflicts`; a wrong type reaching a rule would be a server error. Nothing here imports
FastAPI or Qt.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from app.services import commands as c
from app.services.commands import Command
from app.services.demo import GenerateDemo
from app.services.programs.spec import ProgramSpec
from app.services.registry import HANDLERS
from app.services.sync.account import ConnectServer
from app.services.write import plain

PROTOCOL = 1
ACCEPTED, REFUSED, DUPLICATE = "accepted", "refused", "duplicate"

# Commands that belong to one machine and are never pushed: the scheduler's tick (each
# machine runs its own; reminders and alerts follow from the synced state), mail delivery
# and its settings (each machine sends its own outbox), the profile and the sign-in (who
# uses this store, which server it talks to), the generated demo data, and acknowledging
# alerts (the alerts are raised by that machine's own tick).
LOCAL_ONLY: frozenset[type[Command]] = frozenset({
    c.Tick, c.SetupProfile, GenerateDemo, ConnectServer, c.AcknowledgeAlerts,
    c.ConfigureMail, c.RecordSendAttempt, c.RecordSendResult, c.DeferSends,
    c.FailInterruptedSends,
})

# Fields typed Any (to keep commands.py free of imports): the type their value really has.
ANY_FIELDS: dict[tuple[type[Command], str], Any] = {(c.ApplyProgram, "spec"): ProgramSpec}

_ENVELOPE = ("at", "by", "op_id")  # carried beside the args, never inside them


@dataclass(frozen=True)
class PushedCommand:
    """One operation of a client's log as it travels: its per-client sequence number, op id,
    command name and arguments, the time the user acted, and the row versions it read."""

    seq: int
    op_id: uuid.UUID
    name: str
    args: dict[str, Any]
    at: datetime
    base: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PushRequest:
    client_id: str
    commands: tuple[PushedCommand, ...]


@dataclass(frozen=True)
class PushResult:
    """What became of one pushed command. A duplicate carries the `fate` recorded the first
    time (accepted or refused) and that time's reason, so a client whose answer was lost
    learns it on the retry."""

    seq: int
    status: str  # accepted | refused | duplicate
    fate: str  # accepted | refused
    reason: str | None = None
    server_seq: int | None = None


@dataclass(frozen=True)
class PushResponse:
    """The results in order, and the client's last acknowledged seq. `expected` is set when a
    gap stopped the batch: the seq the server waits for."""

    results: tuple[PushResult, ...]
    acknowledged: int
    expected: int | None = None
    error: str | None = None


# --- the command codec --------------------------------------------------------------------------


class Malformed(ValueError):
    """A pushed command that cannot be rebuilt; the message says what is wrong, for the user."""


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


@cache
def command_classes() -> dict[str, type[Command]]:
    """Every command a handler carries out, by class name (the name the log keeps)."""
    table: dict[str, type[Command]] = {}
    for cls in _subclasses(Command):
        if cls not in HANDLERS:
            continue  # an abstract family such as ProgressCommand
        if table.get(cls.__name__, cls) is not cls:
            raise TypeError(f"two commands are named {cls.__name__}")
        table[cls.__name__] = cls
    return table


def syncable(name: str) -> bool:
    """Whether operations of this name are pushed (unknown names are, to be refused there)."""
    cls = command_classes().get(name)
    return cls is None or cls not in LOCAL_ONLY


def encode_command(command: Command) -> tuple[str, dict[str, Any]]:
    """(name, args) as the operation log keeps them: the args without at, by and op_id."""
    args = plain(command)
    for key in _ENVELOPE:
        args.pop(key, None)
    return type(command).__name__, args


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode_command(name: str, args: Any, *, at: datetime, op_id: uuid.UUID,
                   by: str | None) -> Command:
    """Rebuild a pushed command, with the actor the server decides (`by`), never the
    client's word for it."""
    cls = command_classes().get(name)
    if cls is None:
        raise Malformed(f"The server does not know the command '{name}'.")
    if cls in LOCAL_ONLY:
        raise Malformed(f"'{name}' is local to one machine and is never synced.")
    if at.tzinfo is None:
        raise Malformed("The command's time has no time zone.")
    values = _fields(cls, args, name, skip=_ENVELOPE)
    try:
        return cls(at=at, by=by, op_id=op_id, **values)
    except (TypeError, ValueError) as exc:
        raise Malformed(f"{name}: {exc}") from exc


def decode_base(base: Any) -> dict[str, int]:
    """The row versions a command was decided on: {"progress:<id>": version, ...}."""
    if not isinstance(base, dict):
        raise Malformed("base: expected an object")
    for key, version in base.items():
        if not (isinstance(version, int) and not isinstance(version, bool)):
            raise Malformed(f"base.{key}: expected a whole number")
    return dict(base)


def _fields(cls: type, value: Any, path: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{path}: expected an object")
    hints = _hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise Malformed(f"{path}: unknown field {unknown[0]!r}")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if name in value:
            kind = ANY_FIELDS.get((cls, name), hints[name])
            values[name] = _decode(kind, value[name], f"{path}.{name}")
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise Malformed(f"{path}: {name} is missing")
    return values


def _decode(kind: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if value is None:
            if type(None) in options:
                return None
            raise Malformed(f"{path}: may not be empty")
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _decode(option, value, path)
            except Malformed as exc:
                errors.append(exc)
        raise errors[0]
    if value is None:
        raise Malformed(f"{path}: may not be empty")
    if origin is tuple:
        items = typing.get_args(kind)
        _need(isinstance(value, list), path, "a list")
        if len(items) == 2 and items[1] is Ellipsis:
            return tuple(_decode(items[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        _need(len(value) == len(items), path, f"a list of {len(items)}")
        pairs = enumerate(zip(items, value, strict=True))
        return tuple(_decode(k, v, f"{path}[{i}]") for i, (k, v) in pairs)
    if origin is list:
        (item,) = typing.get_args(kind)
        _need(isinstance(value, list), path, "a list")
        return [_decode(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, item = typing.get_args(kind)
        _need(isinstance(value, dict), path, "an object")
        return {k: _decode(item, v, f"{path}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        try:
            return kind(**_fields(kind, value, path))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, Malformed):
                raise
            raise Malformed(f"{path}: {exc}") from exc
    return _scalar(kind, value, path)


def _scalar(kind: Any, value: Any, path: str) -> Any:
    if kind is str:
        _need(isinstance(value, str), path, "text")
        return value
    if kind is bool:
        _need(isinstance(value, bool), path, "true or false")
        return value
    if kind is int:
        _need(isinstance(value, int) and not isinstance(value, bool), path, "a whole number")
        return value
    if kind is float:
        _need(isinstance(value, int | float) and not isinstance(value, bool)
              and math.isfinite(value), path, "a number")
        return float(value)
    if kind in (datetime, date, uuid.UUID):
        _need(isinstance(value, str), path, "text")
        try:
            parsed = (datetime.fromisoformat(value) if kind is datetime
                      else date.fromisoformat(value) if kind is date else uuid.UUID(value))
        except ValueError as exc:
            raise Malformed(f"{path}: {exc}") from exc
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise Malformed(f"{path}: a time needs a time zone")
        return parsed
    raise Malformed(f"{path}: values of type {kind!r} cannot be synced")


def _need(ok: bool, path: str, what: str) -> None:
    if not ok:
        raise Malformed(f"{path}: expected {what}")
