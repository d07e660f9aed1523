"""execute(): the one write path. Every change of state in Waypoint comes through here.

One transaction per command: resolve the actor, run the handler (which checks permission and
preconditions, then applies), run the rules the change sets off until nothing more changes,
append the command to the operation log, commit. A refusal anywhere rolls everything back and
comes back as a result with the reason, never half a change. Either way the command gets its
entry in the audit trail (app/services/audit.py).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session as OrmSession

from app.models import Operation
from app.models.store import Store
from app.services import access, audit, lookup, memo
from app.services import demo as _demo  # noqa: F401 - registers the demo handler
from app.services import rules as _rules  # noqa: F401 - registers every handler and rule
from app.services import scheduler as _scheduler  # noqa: F401 - registers the tick
from app.services.commands import Command
from app.services.errors import Refused
from app.services.registry import HANDLERS, RULES
from app.services.settings import CLIENT, USER, get_setting
from app.services.work import Actor, Work

RULE_LIMIT = 200_000
SYSTEM = "system"


@dataclass(frozen=True)
class Result:
    ok: bool
    changes: list[dict[str, Any]] = field(default_factory=list)
    flags: frozenset[str] = frozenset()
    error: str | None = None
    op_id: uuid.UUID | None = None
    dry_run: bool = False
    seq: int | None = None  # the command's number in the operation log, once logged


def resolve_actor(session: OrmSession, by: str | None) -> Actor:
    """`--by`: a staff email, a participant's id or email, or (absent) the profile's user."""
    if by == SYSTEM:
        return Actor(label=SYSTEM, roles=frozenset({"system"}))
    ref = by or get_setting(session, USER)
    if not ref:
        raise Refused("No user is set for this store: run `waypoint init` or give --by.")
    known = memo.recall(session, ("staff actor", ref), lambda: _staff_actor(session, ref))
    if known is not None:
        # Recalled, its row may be one an earlier command of the batch loaded: this
        # session's copy of it, taken as it is (no statement: it was read since its last write).
        return dataclasses.replace(known, staff=session.merge(known.staff, load=False))
    person = lookup.person_by_ref(session, ref)
    if person is not None:
        return Actor(label=person.external_id, person=person)
    raise Refused(f"No staff member or participant is known as '{ref}'.")


def _staff_actor(session: OrmSession, ref: str) -> Actor | None:
    staff = lookup.staff_by_email(session, ref)
    if staff is None:
        return None
    roles = access.staff_roles(session, staff.id)
    return Actor(label=staff.email, staff=staff, roles=roles,
                 permissions=access.permissions_of(roles, access.role_permissions(session)))


def run_rules(work: Work) -> None:
    steps = 0
    while work.pending:
        event = work.pending.popleft()
        for rule in RULES.get(type(event), ()):
            rule(event, work)
        steps += 1
        if steps > RULE_LIMIT:
            raise Refused(
                "The rules this change sets off never settle (a milestone's completion "
                "actions undo each other); nothing was changed."
            )


def plain(value: Any) -> Any:
    """Commands as JSON for the operation log (and the sync wire)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _log(work: Work, command: Command, client_id: str | None, sync_state: str | None
         ) -> Operation:
    args = plain(command)
    for key in ("at", "by", "op_id"):
        args.pop(key, None)
    operation = Operation(
        id=command.op_id,
        client_id=client_id or get_setting(work.session, CLIENT) or "local",
        name=type(command).__name__,
        args=args,
        actor=work.actor.label,
        at=command.at,
        changes=plain(work.changes[:1000]),
        base=work.base,
    )
    if sync_state is not None:
        operation.sync_state = sync_state
    work.session.add(operation)
    return operation


def execute_in(session: OrmSession, command: Command, *, dry_run: bool = False,
               expected: dict[str, int] | None = None, log: bool = True,
               client_id: str | None = None, sync_state: str | None = None) -> Result:
    """Run a command in an open session; the caller owns the transaction. `expected`: the
    row versions the user saw (a replayed command's base), checked where the rules read
    them. `log=False` replays an operation already in the log (a pull's waiting commands).
    `client_id` and `sync_state`: what the log says of a command that is not this store's
    own (the sync server's replay of a push: the pushing client's, and its fate)."""
    from app.services.sync import capture

    access.unrestricted(session)
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"no handler for {type(command).__name__}")
    work = Work(session=session, op_id=command.op_id, at=command.at, replaying=not log,
                actor=resolve_actor(session, command.by), expected=dict(expected or {}))
    if work.actor.staff is not None:
        access.refuse_hidden(session, work.actor.roles, work.actor.permissions,
                             _milestones_named(command))
    capturing = not dry_run and capture.begin(session, command)
    handler(command, work)
    run_rules(work)
    logged = _log(work, command, client_id, sync_state) if not dry_run and log else None
    if capturing:
        capture.end(session)
    session.flush()
    return Result(ok=True, changes=work.changes, flags=frozenset(work.flags),
                  op_id=command.op_id, dry_run=dry_run,
                  seq=logged.seq if logged is not None else None)


def _milestones_named(command: Command) -> list[str]:
    """The milestone keys a command names: its `milestone`, or the (person, milestone) pairs of
    a selection."""
    named = getattr(command, "milestone", None)
    pairs = getattr(command, "items", ())
    return ([named] if isinstance(named, str) else []) + [
        pair[1] for pair in pairs if isinstance(pair, tuple) and len(pair) == 2]


def _audit_refusal(session: OrmSession, command: Command, reason: str) -> None:
    """A refused command's audit entry, in a short transaction of its own (the command's was
    rolled back), under the actor it named: as given, when that names nobody known."""
    with session.begin():
        try:
            actor = resolve_actor(session, command.by).label
        except Refused:
            actor = command.by or ""
        audit.append(session, at=command.at, actor=actor, device=audit.device(session),
                     command=type(command).__name__, args=audit.command_args(plain(command)),
                     op_id=command.op_id, outcome=audit.REFUSED, reason=reason)


def execute(store: Store, command: Command, *, dry_run: bool = False) -> Result:
    """Apply a command all or nothing. A dry run computes the same changes, then rolls back."""
    session = store.session()
    try:
        session.begin()
        result = execute_in(session, command, dry_run=dry_run)
        if dry_run:
            session.rollback()
        else:
            audit.accepted(session, command.op_id)
            session.commit()
        return result
    except Refused as refusal:
        session.rollback()
        if not dry_run:
            _audit_refusal(session, command, refusal.message)
        return Result(ok=False, error=refusal.message, op_id=command.op_id, dry_run=dry_run)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
