"""Extra sections for the larger data sets, so that the cohort tree has as many groups as a
real college's. Each new section sits under one of its program's terms and copies, in SQL,
the milestone links and staff of one of the sections the program file declares there: it is
another section of the same term, sharing the same milestones."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Cohort
from app.services.demo.ids import Ids
from app.services.demo.profiles import Profile
from app.services.demo.sizes import Size

NEW_COHORT = ("INSERT INTO cohorts (id, key, name, parent_id, expected_days, position, version) "
              "VALUES (?, ?, ?, ?, NULL, ?, 1)")
COPY_LINKS = ("INSERT INTO milestone_cohorts (milestone_id, cohort_id) "
              "SELECT milestone_id, ? FROM milestone_cohorts WHERE cohort_id = ?")
COPY_STAFF = ("INSERT INTO cohort_staff (cohort_id, staff_id) "
              "SELECT ?, staff_id FROM cohort_staff WHERE cohort_id = ?")


def add_sections(connection: sqlite3.Connection, session: OrmSession, size: Size,
                 profiles: tuple[Profile, ...], seed: int) -> None:
    """Enough sections to bring the store to the size's count of cohorts, shared out between
    the programs as their participants are."""
    cohorts = list(session.scalars(select(Cohort).order_by(Cohort.position, Cohort.key)))
    wanted = size.cohorts - len(cohorts)
    if wanted <= 0:
        return
    children: dict[Any, list[Cohort]] = defaultdict(list)
    for cohort in cohorts:
        children[cohort.parent_id].append(cohort)
    by_key = {c.key: c for c in cohorts}
    taken = set(by_key)
    ids = Ids(seed, "cohorts")
    position = max(c.position for c in cohorts) + 1
    rows, copies = [], []
    left = wanted
    for number, profile in enumerate(profiles, start=1):
        count = left if number == len(profiles) else round(wanted * profile.share)
        left -= count
        root = by_key.get(profile.root)
        terms = [t for t in children[root.id] if children[t.id]] if root else []
        numbers = {t.id: len(children[t.id]) for t in terms}
        for k in range(count if terms else 0):
            term = terms[k % len(terms)]
            template = children[term.id][k // len(terms) % len(children[term.id])]
            while True:
                numbers[term.id] += 1
                key, name = profile.section(term.key, term.name, numbers[term.id])
                if key not in taken:
                    break
            taken.add(key)
            cohort_id = ids.text(ids.next())
            rows.append((cohort_id, key, name, term.id.hex, position + len(rows)))
            copies.append((cohort_id, template.id.hex))
    connection.executemany(NEW_COHORT, rows)
    connection.executemany(COPY_LINKS, copies)
    connection.executemany(COPY_STAFF, copies)
