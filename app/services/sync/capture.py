"""A signed-in laptop's record of the rows its own commands wrote, with their values before.

SQLite triggers write it (so set-based statements are caught as surely as the ORM's), and
only while a command that travels runs: `execute` names the operation in `sync_capture` for
the length of the command, inside its transaction. Pulling puts the rows back as they were
(`revert`), lands the server's rows, then replays the commands still waiting: the store is
always the server's state plus this laptop's own waiting commands, never a mix of an old
copy and a new one.

The triggers go in when the store signs in (and again at each sync, should a migration have
rebuilt a table), never on a store that does not sync: they would cost the large bulk loads
for nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, text
from sqlalchemy.orm import Session as OrmSession

from app.services.sync.tables import SHARED_SETTINGS, key_columns, synced_tables

_PREFIX = "waypoint_capture_"
_PROBE = f"{_PREFIX}people_insert"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _triggers(table: Table) -> list[str]:
    name, keys = table.name, [c.name for c in key_columns(table)]
    columns = [c.name for c in table.columns]

    def key(alias: str) -> str:
        return "json_array(" + ", ".join(f"{alias}.{_quoted(c)}" for c in keys) + ")"

    before = "json_object(" + ", ".join(f"'{c}', OLD.{_quoted(c)}" for c in columns) + ")"
    only = f" AND {{row}}.key LIKE '{SHARED_SETTINGS}%'" if name == "settings" else ""
    when = "EXISTS (SELECT 1 FROM sync_capture)"
    record = "INSERT INTO sync_touched (op, tbl, pk, before) SELECT op, '{t}', {k}, {b} " \
             "FROM sync_capture;"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {_PREFIX}{name}_insert AFTER INSERT ON {_quoted(name)} "
        f"WHEN {when}{only.format(row='NEW')} BEGIN "
        f"{record.format(t=name, k=key('NEW'), b='NULL')} END",
        f"CREATE TRIGGER IF NOT EXISTS {_PREFIX}{name}_update AFTER UPDATE ON {_quoted(name)} "
        f"WHEN {when}{only.format(row='OLD')} BEGIN "
        f"{record.format(t=name, k=key('OLD'), b=before)} END",
        f"CREATE TRIGGER IF NOT EXISTS {_PREFIX}{name}_delete AFTER DELETE ON {_quoted(name)} "
        f"WHEN {when}{only.format(row='OLD')} BEGIN "
        f"{record.format(t=name, k=key('OLD'), b=before)} END",
    ]


def install(connection: Connection) -> None:
    """Put the triggers on every synced table (SQLite only; the server has its own feed)."""
    if connection.dialect.name != "sqlite":
        return
    for table in synced_tables():
        for statement in _triggers(table):
            connection.execute(text(statement))


def installed(session: OrmSession) -> bool:
    return session.scalar(text("SELECT 1 FROM sqlite_master WHERE type = 'trigger' "
                               "AND name = :name"), {"name": _PROBE}) is not None


def begin(session: OrmSession, command: Any) -> bool:
    """Attribute the writes that follow to this command, if it travels and the store syncs;
    True when capturing (the caller ends it with `end`)."""
    from app.services.sync.protocol import LOCAL_ONLY

    if session.get_bind().dialect.name != "sqlite" or type(command) in LOCAL_ONLY:
        return False
    if not installed(session):
        return False
    session.execute(text("INSERT INTO sync_capture (op) VALUES (:op)"),
                    {"op": str(command.op_id)})
    return True


def end(session: OrmSession) -> None:
    session.flush()  # the command's last writes are attributed before the name goes
    session.execute(text("DELETE FROM sync_capture"))


def revert(session: OrmSession) -> int:
    """Put every row this laptop's commands wrote since the last pull back as it was before
    the first of them; forget the record. Returns how many rows were put back."""
    touched = session.execute(text(
        "SELECT tbl, pk, before FROM sync_touched WHERE id IN "
        "(SELECT min(id) FROM sync_touched GROUP BY tbl, pk) ORDER BY id DESC")).all()
    tables = {t.name: t for t in synced_tables()}
    for name, key, before in touched:
        table = tables.get(name)
        if table is None:
            continue
        keys = [c.name for c in key_columns(table)]
        match = " AND ".join(f"{_quoted(c)} = json_extract(:key, '$[{i}]')"
                             for i, c in enumerate(keys))
        session.execute(text(f"DELETE FROM {_quoted(name)} WHERE {match}"), {"key": key})
        if before is not None:
            columns = [c.name for c in table.columns]
            values = ", ".join(f"json_extract(:before, '$.\"{c}\"')" for c in columns)
            session.execute(text(
                f"INSERT INTO {_quoted(name)} ({', '.join(map(_quoted, columns))}) "
                f"SELECT {values}"), {"before": before})
    session.execute(text("DELETE FROM sync_touched"))
    return len(touched)
