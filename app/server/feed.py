"""The change feed: every row a replayed command wrote, numbered in the server's order, and the
pull that pages through it for one account.

PostgreSQL triggers keep the feed (one generic function, one trigger per synced table), so
rows written by set-based statements are in it as surely as the ORM's; the triggers are
installed when the service starts, and a table that gets its trigger for the first time has
its existing rows entered, so a database seeded before (or with COPY) is complete.

An entry says only which row changed: a pull sends each row as it is now (once per page
however often it changed), or a tombstone where it is gone. Compaction drops entries a later
one supersedes, so pulling from zero is the whole store (the bootstrap), and drops tombstones
older than the retention period: a client whose cursor is older than the newest dropped
tombstone could miss a deletion, so it is told to reset.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, delete, func, select, text
from sqlalchemy.orm import Session as OrmSession

from app.models import Change, Membership, Progress, Push
from app.server.replay import REPLAY_LOCK, ForeignClient, owner
from app.server.visibility import Scope, scope_for
from app.services.settings import get_setting, put_setting
from app.services.sync.tables import (
    key_columns,
    key_in,
    key_of,
    key_text,
    key_travels,
    row_filter,
    synced_table,
    synced_tables,
    to_wire,
)

HORIZON = "feed.horizon"  # the newest tombstone compaction dropped
PAGE = 2000  # feed entries per page; a page's rows can be more (a participant's whole record)
KEEP = timedelta(days=30)  # how long tombstones are kept

_FUNCTION = """
CREATE OR REPLACE FUNCTION waypoint_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
    old_key jsonb := '[]'::jsonb;
    new_key jsonb := '[]'::jsonb;
    name text;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    FOREACH name IN ARRAY TG_ARGV LOOP
        old_key := old_key || jsonb_build_array(old_row -> name);
        new_key := new_key || jsonb_build_array(new_row -> name);
    END LOOP;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND old_key <> new_key) THEN
        INSERT INTO changes (tbl, pk, deleted, at)
        VALUES (TG_TABLE_NAME, old_key::text, true, now() AT TIME ZONE 'utc');
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO changes (tbl, pk, deleted, at)
        VALUES (TG_TABLE_NAME, new_key::text, false, now() AT TIME ZONE 'utc');
    END IF;
    RETURN NULL;
END $$
"""


def install(engine: Engine) -> None:
    """Put the feed's triggers on every synced table (PostgreSQL only), entering the rows of
    a table that had none."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REPLAY_LOCK})
        connection.execute(text(_FUNCTION))
        for table in synced_tables():
            had = connection.scalar(text(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'waypoint_feed' "
                "AND tgrelid = CAST(:table AS regclass)"), {"table": table.name})
            columns = [c.name for c in key_columns(table)]
            arguments = ", ".join(f"'{name}'" for name in columns)
            connection.execute(text(
                f'CREATE OR REPLACE TRIGGER waypoint_feed AFTER INSERT OR UPDATE OR DELETE ON '
                f'"{table.name}" FOR EACH ROW EXECUTE FUNCTION waypoint_feed({arguments})'))
            if not had:
                key = ", ".join(f'"{name}"' for name in columns)
                connection.execute(text(
                    f"INSERT INTO changes (tbl, pk, deleted, at) SELECT '{table.name}', "
                    f"jsonb_build_array({key})::text, false, now() AT TIME ZONE 'utc' "
                    f'FROM "{table.name}"'))


@dataclass
class Page:
    """One page of a pull: rows (table, key, values or None for a tombstone), the cursor to
    ask from next, whether more follow, the client's acknowledged sequence and the fates of
    its pushes from `fates_from` on; `reset` when the cursor is too old to go on from."""

    rows: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    cursor: int = 0
    more: bool = False
    acknowledged: int = 0
    fates: list[tuple[int, str, str | None]] = field(default_factory=list)
    reset: bool = False
    scope: str = ""
    horizon: int = 0


def pull(session: OrmSession, email: str, client_id: str, cursor: int, *,
         fates_from: int | None = None, limit: int = PAGE, scope: str | None = None,
         horizon: int | None = None) -> Page:
    """One page after `cursor`. `scope` is the token the client's rows were pulled under; a
    client whose view widened since (another cohort, a role) starts over. `horizon` is the
    one the client's rows (or the download under way) began under: a cursor behind the
    horizon is fine when no tombstone was dropped since, and a reset otherwise."""
    holder = owner(session, client_id)
    if holder is not None and holder != email:
        raise ForeignClient(f"This store's commands are synced by {holder}.")
    page = Page(cursor=cursor)
    page.acknowledged = session.scalar(
        select(func.max(Push.seq)).where(Push.client_id == client_id)) or 0
    if fates_from is not None:
        page.fates = [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(Push.seq, Push.status, Push.reason)
            .where(Push.client_id == client_id, Push.seq >= fates_from).order_by(Push.seq))]
    newest = session.scalar(select(func.max(Change.server_seq))) or 0
    view = scope_for(session, email)
    page.scope = view.token()
    page.horizon = current = int(get_setting(session, HORIZON) or 0)
    dropped_since = cursor < current and (horizon is None or horizon < current)
    if cursor and (dropped_since or cursor > newest
                   or (scope is not None and view.widened_or_moved(scope))):
        page.reset = True
        return page
    entries = session.execute(
        select(Change.server_seq, Change.tbl, Change.pk).where(Change.server_seq > cursor)
        .order_by(Change.server_seq).limit(limit + 1)).all()
    page.more = len(entries) > limit
    entries = entries[:limit]
    if not entries:
        return page
    page.cursor = entries[-1].server_seq
    keys: dict[str, dict[str, None]] = defaultdict(dict)  # ordered, without repeats
    for _, table_name, key in entries:
        keys[table_name][key] = None
    for table_name, texts in keys.items():
        table = synced_table(table_name)
        if table is not None:
            page.rows.extend(_rows(session, table, list(texts), view))
    if not view.sees_everyone:
        page.rows.extend(_newly_visible(session, keys.get("memberships", {}), view))
    return page


def _rows(session: OrmSession, table: Table, texts: list[str], scope: Scope
          ) -> list[tuple[str, str, dict[str, Any] | None]]:
    wanted = {key_of(table, t): t for t in texts}
    wanted = {k: t for k, t in wanted.items() if key_travels(table, k)}
    if not wanted:
        return []
    columns = key_columns(table)
    keys = list(wanted)
    query = select(table).where(key_in(table, keys), scope.where(table))
    if (only := row_filter(table)) is not None:
        query = query.where(only)
    found: list[tuple[str, str, dict[str, Any] | None]] = []
    for row in session.execute(query):
        key = tuple(row._mapping[c.name] for c in columns)
        found.append((table.name, wanted[key], to_wire(table, row)))
    existing = {tuple(r) for r in session.execute(select(*columns).where(key_in(table, keys)))}
    found.extend((table.name, wanted[k], None) for k in keys if k not in existing)
    return found


def _newly_visible(session: OrmSession, memberships: dict[str, None], scope: Scope
                   ) -> list[tuple[str, str, dict[str, Any] | None]]:
    """A participant who joins one of this account's cohorts brings their whole record, which
    was not sent while they were elsewhere."""
    table = synced_table("memberships")
    assert table is not None
    ids = [key_of(table, t)[0] for t in memberships]
    people: set[uuid.UUID] = set(session.scalars(
        select(Membership.person_id).where(Membership.id.in_(ids),
                                           Membership.person_id.in_(scope.people()))))
    if not people:
        return []
    found: list[tuple[str, str, dict[str, Any] | None]] = []
    for other in synced_tables():
        column = _person_column(other)
        if column is None:
            continue
        query = select(other).where(column.in_(_person_rows(other, people)), scope.where(other))
        for row in session.execute(query):
            key = tuple(row._mapping[c.name] for c in key_columns(other))
            found.append((other.name, key_text(other, key), to_wire(other, row)))
    return found


def _person_column(table: Table) -> Any:
    if table.name == "people":
        return table.c.id
    for fk in table.foreign_keys:
        if fk.column.table.name in ("people", "progress"):
            return fk.parent
    return None


def _person_rows(table: Table, people: set[uuid.UUID]) -> Any:
    if table.name == "people" or any(fk.column.table.name == "people"
                                     for fk in table.foreign_keys):
        return list(people)
    return select(Progress.id).where(Progress.person_id.in_(people))


def compact(engine: Engine, now: datetime, keep: timedelta = KEEP) -> int:
    """Drop superseded entries, and tombstones older than `keep`; returns the new horizon."""
    with OrmSession(engine) as session, session.begin():
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REPLAY_LOCK})
            session.execute(text(
                "DELETE FROM changes c USING changes d WHERE d.tbl = c.tbl AND d.pk = c.pk "
                "AND d.server_seq > c.server_seq"))
        cutoff = now - keep
        dropped = session.scalar(select(func.max(Change.server_seq)).where(
            Change.deleted.is_(True), Change.at < cutoff)) or 0
        session.execute(delete(Change).where(Change.deleted.is_(True), Change.at < cutoff))
        horizon = max(int(get_setting(session, HORIZON) or 0), dropped)
        put_setting(session, HORIZON, str(horizon))
        return horizon

