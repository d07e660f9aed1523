"""New rows into a table by the thousand, for the commands that make that many: an import
enrolling 5,000 participants into a cohort of 20 milestones writes 100,000 progress rows and
as many history events, within the second DESIGN.md §3 gives it.

SQLAlchemy's executemany converts every value of every row in Python (a parameter dict per
row, then each column's bind processor), which on SQLite costs more than SQLite's own work.
Here the caller builds the rows as the driver takes them: new ids as the 32 hex digits the Uuid
type keeps on SQLite, a value the whole batch shares converted once by its column's own bind
processor; the tuples go to the DB-API executemany as they are. On any other database (the
sync server's PostgreSQL) the same calls leave the values as Python made them and insert
through SQLAlchemy as usual, so both sides write the same rows.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.orm import Session as OrmSession


class Rows:
    """Inserts on the connection of a command's session."""

    def __init__(self, session: OrmSession) -> None:
        self.connection = session.connection()
        self.dialect = self.connection.dialect
        self.raw = self.dialect.name == "sqlite"
        self._processors: dict[Column[Any], Callable[[Any], Any] | None] = {}

    def new_keys(self, keys: list[str]) -> list[Any]:
        """New ids, given as 32 hex digits (`Work.new_keys`), as this store binds them."""
        return keys if self.raw else [uuid.UUID(hex=key) for key in keys]

    def ids(self, values: Iterable[uuid.UUID]) -> list[Any]:
        """Ids of rows already there, as this store binds them."""
        return [value.hex for value in values] if self.raw else list(values)

    def value(self, column: Column[Any], value: Any) -> Any:
        """One value as `column` binds it: on SQLite, the column's bind processor applied."""
        if not self.raw:
            return value
        if column not in self._processors:
            self._processors[column] = column.type.dialect_impl(self.dialect).bind_processor(
                self.dialect)
        process = self._processors[column]
        return process(value) if process is not None else value

    def insert(self, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert `rows`, each a tuple of the `columns` in order. A column left out is NULL
        (or its server default): a column's Python default is not applied on SQLite, so a
        column that has one is named, on both sides alike."""
        if not rows:
            return
        if not self.raw:
            self.connection.execute(insert(table), [dict(zip(columns, row, strict=True))
                                                    for row in rows])
            return
        quote = self.dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in columns)
        marks = ", ".join("?" * len(columns))
        self.connection.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", rows)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while the rows are built and inserted: every 700 new
    tuples set it off, now and then for a pass over everything the process holds (a tenth of
    an import's time or more), for rows that hold no cycles and are gone once inserted."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
