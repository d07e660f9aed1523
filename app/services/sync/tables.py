"""Which tables travel between laptops and the server, and a row's plain-JSON form.

Everything the domain's commands write travels, except what belongs to one machine: the
operation log and the sync bookkeeping, each machine's own mail (outbox, reminders sent: a
mail is sent by the machine where the user acted) and alerts (raised by each machine's own
scheduler), and the settings other than the program's own (`program.*`: the profile user,
the client id and the sign-in are the laptop's).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Date, DateTime, Table, TypeDecorator, Uuid, tuple_
from sqlalchemy.sql.elements import ColumnClause

from app.models import Base

LOCAL_TABLES = frozenset({
    "accounts", "tokens", "pushes", "operations", "changes", "sync_touched", "sync_capture",
    "sync_incoming", "outbox", "reminders_sent", "alerts", "audit_log", "audit_head",
})
SHARED_SETTINGS = "program."  # the prefix of the settings that travel


@cache
def synced_tables() -> tuple[Table, ...]:
    """Parents before children, as the metadata sorts them."""
    return tuple(t for t in Base.metadata.sorted_tables if t.name not in LOCAL_TABLES)


@cache
def synced_table(name: str) -> Table | None:
    return next((t for t in synced_tables() if t.name == name), None)


def key_columns(table: Table) -> list[ColumnClause[Any]]:
    return list(table.primary_key.columns)


def row_filter(table: Table) -> ColumnElement[bool] | None:
    """The rows of a synced table that travel (None: all of them)."""
    if table.name == "settings":
        return table.c.key.startswith(SHARED_SETTINGS)
    return None


def key_travels(table: Table, key: tuple[Any, ...]) -> bool:
    """The same test for a row known only by its key (a tombstone)."""
    if table.name == "settings":
        return str(key[0]).startswith(SHARED_SETTINGS)
    return True


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_wire(table: Table, row: Any) -> dict[str, Any]:
    """A row (as SQLAlchemy returns it) as plain JSON, column by column."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return {column.name: _plain(mapping[column.name]) for column in table.columns}


@cache
def _kinds(table: Table) -> dict[str, type]:
    kinds: dict[str, type] = {}
    for column in table.columns:
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        kinds[column.name] = (datetime if isinstance(kind, DateTime)
                              else date if isinstance(kind, Date)
                              else uuid.UUID if isinstance(kind, Uuid) else object)
    return kinds


def _typed(kind: type, value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return value


def from_wire(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON back to the values the table's columns take; columns this version does not
    know are left out (a newer server)."""
    kinds = _kinds(table)
    return {name: _typed(kinds[name], value) for name, value in values.items() if name in kinds}


def key_of(table: Table, text: str) -> tuple[Any, ...]:
    """A primary key from its JSON array form (as the feed keeps it), typed."""
    kinds = _kinds(table)
    values = json.loads(text)
    return tuple(_typed(kinds[c.name], v) for c, v in zip(key_columns(table), values, strict=True))


def key_text(table: Table, key: tuple[Any, ...]) -> str:
    return json.dumps([_plain(v) for v in key])


def key_in(table: Table, keys: list[tuple[Any, ...]]) -> ColumnElement[bool]:
    columns = key_columns(table)
    if len(columns) == 1:
        return columns[0].in_([k[0] for k in keys])
    return tuple_(*columns).in_(keys)
