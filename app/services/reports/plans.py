"""Hints for SQLite's query planner, which knows nothing of how the store's values spread: a
store is never ANALYZEd, so a condition on an indexed column looks selective to it even
when most rows meet it."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql import ColumnElement


def usually(session: OrmSession, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition most rows meet (progress that is complete): SQLite then reads the table
    through rather than fetching nearly every row by way of an index, one jump each."""
    if session.get_bind().dialect.name == "sqlite":
        return func.likely(condition)
    return condition
