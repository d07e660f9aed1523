"""The local side of a pull: download the server's rows page by page, then land them in one
transaction.

Each downloaded page is kept (`sync_incoming`) with the cursor it reached, so an interrupted
pull resumes where it stopped and a crash never leaves half the server's changes applied.
Landing them: the rows this laptop's commands wrote since the last pull go back as they were
(capture.revert), the server's rows go in (or out, for tombstones), and the commands still
waiting to be pushed run again on top. The first pull, and a reset, replace everything that
travels: the store becomes the server's, plus what waits here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session as OrmSession

from app.models import Incoming, Operation
from app.models.store import Store, savepoint
from app.services.errors import Refused
from app.services.settings import get_setting, put_setting
from app.services.sync import capture
from app.services.sync.outbox import PENDING
from app.services.sync.protocol import Malformed, decode_base, decode_command, syncable
from app.services.sync.tables import (
    from_wire,
    key_in,
    key_of,
    row_filter,
    synced_tables,
)
from app.services.write import execute_in

CURSOR = "sync.cursor"  # the feed number this store's rows are up to
STAGED = "sync.staged"  # the feed number downloaded pages reach (not yet landed)
RESETTING = "sync.resetting"  # "1" while a reset's download is under way
SCOPE = "sync.scope"  # what the user could see when this store's rows were pulled
STAGED_SCOPE = "sync.staged_scope"
HORIZON = "sync.horizon"  # the server's tombstone horizon when this store's rows were pulled
STAGED_HORIZON = "sync.staged_horizon"  # …when the download under way began
CHUNK = 500  # rows landed per statement (SQLite's limit on bound values is well above)


def position(store: Store) -> tuple[int, int | None, bool]:
    """(landed cursor, downloaded cursor or None, resetting)."""
    with store.session() as session:
        staged = get_setting(session, STAGED)
        return (int(get_setting(session, CURSOR) or 0), int(staged) if staged else None,
                get_setting(session, RESETTING) == "1")


def scope(store: Store) -> str | None:
    """The view the store's rows (landed or downloaded) were pulled under."""
    with store.session() as session:
        return get_setting(session, STAGED_SCOPE) or get_setting(session, SCOPE)


def horizon(store: Store) -> int | None:
    """The server's horizon the download under way began under, else the landed rows'."""
    with store.session() as session:
        found = get_setting(session, STAGED_HORIZON) or get_setting(session, HORIZON)
        return int(found) if found else None


def first_waiting(store: Store) -> int | None:
    """The lowest push number still waiting for its fate: the server says what became of
    those from there on (a push whose answer was lost)."""
    with store.session() as session:
        return session.scalar(select(func.min(Operation.push_seq)).where(
            Operation.sync_state == PENDING, Operation.push_seq.is_not(None)))


def start_reset(store: Store) -> None:
    """The server no longer has what this store missed: download everything afresh."""
    with store.session() as session, session.begin():
        session.execute(delete(Incoming))
        session.execute(text("DELETE FROM settings WHERE key = :key"), {"key": STAGED_HORIZON})
        put_setting(session, STAGED, "0")
        put_setting(session, RESETTING, "1")


def stage(store: Store, rows: list[dict[str, Any]], cursor: int, view: str,
          server_horizon: int) -> None:
    """Keep one downloaded page, the cursor it reached, the view it was pulled under and
    (from its first page) the horizon the download began under, together."""
    with store.session() as session, session.begin():
        if rows:
            session.execute(Incoming.__table__.insert(), [
                {"tbl": r["table"], "pk": r["key"], "row": r["row"]} for r in rows])
        put_setting(session, STAGED, str(cursor))
        put_setting(session, STAGED_SCOPE, view)
        if get_setting(session, STAGED_HORIZON) is None:
            put_setting(session, STAGED_HORIZON, str(server_horizon))


def land(store: Store, progress: Callable[[int], None] | None = None) -> int:
    """Apply every downloaded page in one transaction; returns the rows applied.

    Foreign keys are off for the transaction: pages arrive in the server's order of change,
    not parents first, and a row's parent may be in a later page; the server's state they
    add up to is whole.
    """
    cursor, staged, resetting = position(store)
    if staged is None:
        return 0
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        connection.commit()  # the PRAGMA began the connection's transaction: end it
        try:
            with OrmSession(bind=connection) as session, session.begin():
                if cursor == 0 or resetting:
                    _wipe(session)
                else:
                    capture.revert(session)
                applied = _apply(session, progress)
                put_setting(session, CURSOR, str(staged))
                put_setting(session, SCOPE, get_setting(session, STAGED_SCOPE) or "")
                put_setting(session, HORIZON, get_setting(session, STAGED_HORIZON) or "0")
                for key in (STAGED, STAGED_SCOPE, STAGED_HORIZON, RESETTING):
                    session.execute(text("DELETE FROM settings WHERE key = :key"),
                                    {"key": key})
                _replay_waiting(session)
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.commit()
    return applied


def _wipe(session: OrmSession) -> None:
    for table in reversed(synced_tables()):
        statement = delete(table)
        if (only := row_filter(table)) is not None:
            statement = statement.where(only)
        session.execute(statement)
    session.execute(text("DELETE FROM sync_touched"))


def _apply(session: OrmSession, progress: Callable[[int], None] | None) -> int:
    """The downloaded rows, table by table (the latest copy of each row wins), streamed in
    chunks so a bootstrap of a large store never sits in memory whole."""
    latest = select(func.max(Incoming.id)).group_by(Incoming.tbl, Incoming.pk)
    applied = 0
    for table in synced_tables():
        chosen = session.execute(select(Incoming.pk, Incoming.row).where(
            Incoming.tbl == table.name, Incoming.id.in_(latest)).execution_options(
            yield_per=CHUNK))
        for chunk in chosen.partitions():
            keys = [key_of(table, key) for key, _ in chunk]
            session.execute(delete(table).where(key_in(table, keys)))
            rows = [from_wire(table, row) for _, row in chunk if row is not None]
            if rows:
                session.execute(table.insert().prefix_with("OR REPLACE"), rows)
            applied += len(chunk)
            if progress is not None:
                progress(applied)
    session.execute(delete(Incoming))
    return applied


def _replay_waiting(session: OrmSession) -> None:
    """Run again, on the server's state, the commands not yet pushed. One the state no longer
    allows keeps waiting: the server will say so, and it reaches the conflicts list then."""
    waiting = session.scalars(select(Operation).where(
        Operation.sync_state == PENDING).order_by(Operation.seq)).all()
    for op in waiting:
        if not syncable(op.name):
            continue
        try:
            command = decode_command(op.name, op.args, at=op.at, op_id=op.id, by=op.actor)
            base = decode_base(op.base or {})
        except Malformed:
            continue
        try:
            with savepoint(session):
                execute_in(session, command, expected=base, log=False)
        except Refused:
            continue
