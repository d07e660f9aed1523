"""Durations in days, and their median and 90th percentile, computed in SQL.

SQLite has no percentile function, so a percentile is read off the ranked durations of each
group: the values at the two ranks around (n − 1) × p, interpolated linearly (the usual
definition, numpy's default). Integer ranks keep it exact and portable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, case, func, literal, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql import ColumnElement

from app.models.base import UTCDateTime


def instant(value: datetime) -> ColumnElement[datetime]:
    """A time as SQL, stored the way the store's own times are, so that they compare."""
    return literal(value, UTCDateTime())


def days_between(session: OrmSession, start: Any, end: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def _quantile(ranked: Subquery, numerator: int, denominator: int) -> ColumnElement[float]:
    position = (ranked.c.n - 1) * numerator
    lower = position // denominator
    upper = lower + case((position % denominator > 0, 1), else_=0)
    low = func.max(case((ranked.c.rank == lower, ranked.c.days)))
    high = func.max(case((ranked.c.rank == upper, ranked.c.days)))
    return low + (high - low) * (position % denominator) / float(denominator)


def summarized(durations: Subquery, keys: Sequence[str]) -> Select[Any]:
    """Per group of `keys` of `durations` (a subquery with a `days` column): the group's
    keys, `n`, `median` and `p90`."""
    group = [durations.c[key] for key in keys]
    ranked = select(
        *group, durations.c.days,
        (func.row_number().over(partition_by=group, order_by=durations.c.days) - 1
         ).label("rank"),
        # Ordered like the rank, over the whole group: both windows share one sort.
        func.count().over(partition_by=group, order_by=durations.c.days,
                          rows=(None, None)).label("n"),
    ).subquery("ranked")
    ranked_group = [ranked.c[key] for key in keys]
    return (select(*ranked_group, ranked.c.n, _quantile(ranked, 1, 2).label("median"),
                   _quantile(ranked, 9, 10).label("p90"))
            .group_by(*ranked_group, ranked.c.n))
