"""What every command of a batch reads the same way, read once for the batch.

The sync server replays a push's commands one after another in one session, and each would
otherwise read again who the account is (its staff row, roles and permissions), the program's
settings, its restricted milestones, and the milestones a command names or whose rules it
follows (their rows, steps and prerequisites): most of a small command's statements, with
answers that change only when a command writes them. Inside `remembering(session)` such
reads go through `recall`, which keeps each answer until a statement writes to a table it is
read from, or a savepoint (or the transaction) is rolled back (what was read after a write
it undid would be wrong); the next read asks the database again. The connection's own
statements are watched, so a write is seen however it is made (the unit of work, a set-based
statement, raw SQL). Outside `remembering` (a laptop's one command) `recall` just reads.

A remembered row outlives the command that read it (the server forgets every row between
commands): `attach` gives a later command its own copy without a statement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession

T = TypeVar("T")
_MEMO = "waypoint_memo"  # Session.info: the answers kept, while remembering
# The tables the remembered answers are read from: a statement that may write one of them
# (any statement naming one that is not a plain read; naming one spuriously only costs a
# read) forgets them all.
_READ_FROM = re.compile(r"\b(settings|staff|staff_roles|milestones|steps|prerequisites)\b",
                        re.IGNORECASE)
_READS = ("SELECT", "SAVEPOINT", "RELEASE")
_UNDOING = ("rollback_savepoint", "rollback")


@contextmanager
def remembering(session: OrmSession) -> Iterator[None]:
    """Keep what `recall` reads in this session's transaction (begun) until it ends."""
    connection = session.connection()
    kept: dict[Hashable, Any] = {}

    def written(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if kept and not statement.lstrip()[:9].upper().startswith(_READS) \
                and _READ_FROM.search(statement):
            kept.clear()

    def undone(*_: Any) -> None:
        kept.clear()

    event.listen(connection, "before_cursor_execute", written)
    for name in _UNDOING:
        event.listen(connection, name, undone)
    session.info[_MEMO] = kept
    try:
        yield
    finally:
        session.info.pop(_MEMO, None)
        for name in _UNDOING:
            event.remove(connection, name, undone)
        event.remove(connection, "before_cursor_execute", written)


def recall(session: OrmSession, key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, or what it gave last while nothing it reads from was written since."""
    kept = session.info.get(_MEMO)
    if kept is None:
        return read()
    if session.autoflush:
        session.flush()  # as the query would: a change still pending is written, and seen
    if key in kept:
        return kept[key]
    kept[key] = found = read()
    return found


def attach(session: OrmSession, row: T) -> T:
    """A recalled row as this session holds it: the session's own instance when it has one
    (as fresh as the memo's: nothing wrote the row since it was read), else a copy of the
    remembered one, taken as it is (no statement)."""
    held = session.identity_map.get(inspect(row).key)
    return held if held is not None else session.merge(row, load=False)
