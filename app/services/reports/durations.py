"""Durations in days, and their median and 90th percentile, computed in SQL.

SQLite has no percentile function, so a percentile is read off the ranked durations of each
group: the values at the two ranks around (n − 1) × p, interpolated linearly (the usual
definition, numpy's default). Integer ranks keep it exact and portable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, Select, Subquery, case, func, literal, select
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


def _ranks(n: ColumnElement[int], numerator: int, denominator: int
           ) -> tuple[ColumnElement[int], ColumnElement[int], ColumnElement[int]]:
    """The two ranks around (n − 1) × p, and how far between them p lies (in 1/denominator)."""
    position = (n - 1) * numerator
    lower = position // denominator
    return lower, lower + case((position % denominator > 0, 1), else_=0), position % denominator


def _quantile(ranked: Subquery, numerator: int, denominator: int) -> ColumnElement[float]:
    lower, upper, part = _ranks(ranked.c.n, numerator, denominator)
    low = func.max(case((ranked.c.rank == lower, ranked.c.days)))
    high = func.max(case((ranked.c.rank == upper, ranked.c.days)))
    return low + (high - low) * part / float(denominator)


def summarized(query: Select[Any] | CompoundSelect, keys: Sequence[str]) -> Select[Any]:
    """Per group of `keys` of the durations `query` (with a `days` column): the group's
    keys, `n`, `median` and `p90`."""
    # OFFSET 0 keeps SQLite from merging the durations into the ranking, where each use of
    # `days` (sorted on, then read) would work it out again, its subqueries included.
    durations = query.offset(0).subquery("durations")
    group = [durations.c[key] for key in keys]
    ordered = select(
        *group, durations.c.days,
        (func.row_number().over(partition_by=group, order_by=durations.c.days) - 1
         ).label("rank"),
        # Ordered like the rank, over the whole group: both windows share one sort.
        func.count().over(partition_by=group, order_by=durations.c.days,
                          rows=(None, None)).label("n"),
    ).subquery("ordered")
    # Only the (at most four) rows the percentiles read go on to the grouping: grouping
    # every row sorted them all a second time.
    read = [rank for p in ((1, 2), (9, 10)) for rank in _ranks(ordered.c.n, *p)[:2]]
    ranked = select(ordered).where(ordered.c.rank.in_(read)).subquery("ranked")
    ranked_group = [ranked.c[key] for key in keys]
    return (select(*ranked_group, ranked.c.n, _quantile(ranked, 1, 2).label("median"),
                   _quantile(ranked, 9, 10).label("p90"))
            .group_by(*ranked_group, ranked.c.n))
