"""The program's definitions as the program editor lists and edits them.

`program_lists` reads every cohort, staff member and milestone in a handful of grouped
queries (not one query per definition, as the full export does), so the lists stay quick on
a large program. `editor_context` gathers what one edit dialog needs: the definition as its
program-file block, the keys a program file may refer to, and the names to pick from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased

from app.models import (
    Cohort,
    CohortStaff,
    Gate,
    Membership,
    Milestone,
    MilestoneCohort,
    Prerequisite,
    Staff,
    StaffRole,
)
from app.services.programs.export import cohort_spec, existing_keys, milestone_spec, staff_spec
from app.services.programs.single import SECTIONS, one_text


@dataclass(frozen=True)
class CohortItem:
    key: str
    name: str
    parent: str | None
    expected_days: int | None
    members: int
    staff: int
    milestones: int


@dataclass(frozen=True)
class StaffItem:
    email: str
    name: str
    roles: tuple[str, ...]
    cohorts: int


@dataclass(frozen=True)
class MilestoneItem:
    key: str
    title: str
    kind: str
    step: int
    gate: str | None
    cohorts: tuple[str, ...]
    due: str | None
    complete_by: tuple[str, ...]
    retired: bool
    optional: bool


@dataclass(frozen=True)
class ProgramLists:
    cohorts: list[CohortItem]
    staff: list[StaffItem]
    milestones: list[MilestoneItem]


def _counts(session: OrmSession, column: Any, *where: Any) -> dict[Any, int]:
    query = select(column, func.count()).group_by(column)
    if where:
        query = query.where(*where)
    return dict(session.execute(query).all())  # type: ignore[arg-type]


def due_label(kind: str | None, on: Any, days: int | None, attribute: str | None) -> str | None:
    """A due rule in a few words, as the list shows it."""
    if kind is None:
        return None
    if kind == "date":
        return on.isoformat() if on else None
    if kind == "attribute":
        offset = f" {days:+d}d" if days else ""
        return f"{attribute}{offset}"
    return f"{days}d after {'start' if kind == 'after_start' else 'assignment'}"


def program_lists(session: OrmSession) -> ProgramLists:
    parent = aliased(Cohort)
    members = _counts(session, Membership.cohort_id, Membership.left_at.is_(None))
    cohort_staff = _counts(session, CohortStaff.cohort_id)
    linked = _counts(session, MilestoneCohort.cohort_id)
    cohorts = [
        CohortItem(key, name, parent_key, expected, members.get(id_, 0),
                   cohort_staff.get(id_, 0), linked.get(id_, 0))
        for id_, key, name, parent_key, expected in session.execute(
            select(Cohort.id, Cohort.key, Cohort.name, parent.key, Cohort.expected_days)
            .outerjoin(parent, parent.id == Cohort.parent_id)
            .order_by(Cohort.position, Cohort.key))
    ]
    roles: dict[Any, list[str]] = defaultdict(list)
    for staff_id, role in session.execute(
            select(StaffRole.staff_id, StaffRole.role).order_by(StaffRole.role)):
        roles[staff_id].append(role)
    assigned = _counts(session, CohortStaff.staff_id)
    staff = [
        StaffItem(email, name, tuple(roles[id_]), assigned.get(id_, 0))
        for id_, email, name in session.execute(
            select(Staff.id, Staff.email, Staff.name).order_by(Staff.email))
    ]
    cohort_keys: dict[Any, list[str]] = defaultdict(list)
    for milestone_id, key in session.execute(
            select(MilestoneCohort.milestone_id, Cohort.key)
            .join(Cohort, Cohort.id == MilestoneCohort.cohort_id)
            .order_by(Cohort.position, Cohort.key)):
        cohort_keys[milestone_id].append(key)
    milestones = [
        MilestoneItem(
            key=m.key, title=m.title, kind=m.kind, step=m.step, gate=gate,
            cohorts=tuple(cohort_keys[m.id]),
            due=due_label(m.due_kind, m.due_date, m.due_days, m.due_attribute),
            complete_by=tuple(m.complete_by or ()), retired=m.retired, optional=m.is_optional)
        for m, gate in session.execute(
            select(Milestone, Gate.name).outerjoin(Gate, Gate.id == Milestone.gate_id)
            .order_by(Milestone.step, Milestone.position, Milestone.key))
    ]
    return ProgramLists(cohorts, staff, milestones)


@dataclass(frozen=True)
class EditorContext:
    """What one edit dialog needs, read at once on the worker."""

    section: str  # cohorts | staff | milestones
    key: str | None  # the definition edited (a staff member's email); None: a new one
    stored: Any  # its spec as the store holds it, None for a new one
    text: str | None  # its program-file block
    existing: dict[str, set[str]]  # the keys a program file may refer to
    cohorts: list[tuple[str, str]] = field(default_factory=list)  # (key, name)
    staff: list[tuple[str, str]] = field(default_factory=list)  # (email, name)
    milestones: list[tuple[str, str]] = field(default_factory=list)  # (key, title)
    gates: list[tuple[str, str]] = field(default_factory=list)  # (key, name)
    roles: list[str] = field(default_factory=list)  # role names in use
    next_step: int = 1  # a new milestone's step: after the last
    links: dict[str, list[str]] = field(default_factory=dict)  # prerequisites or parents


def _pairs(session: OrmSession, query: Any) -> list[tuple[str, str]]:
    return [(first, second) for first, second in session.execute(query)]


def editor_context(session: OrmSession, section: str, key: str | None) -> EditorContext:
    """Raises LookupError when the definition to edit is not (or no longer) in the store."""
    if section not in SECTIONS:
        raise ValueError(f"no such section: {section}")
    stored: Any = None
    if key is not None:
        if section == "staff":
            staff = session.scalar(select(Staff).where(Staff.email == key.lower()))
            stored = staff_spec(session, staff) if staff else None
        elif section == "cohorts":
            cohort = session.scalar(select(Cohort).where(Cohort.key == key))
            stored = cohort_spec(session, cohort) if cohort else None
        else:
            milestone = session.scalar(select(Milestone).where(Milestone.key == key))
            stored = milestone_spec(session, milestone) if milestone else None
        if stored is None:
            noun = SECTIONS[section][1]
            raise LookupError(f"There is no {noun} '{key}' any more.")
    return EditorContext(
        section=section,
        key=key,
        stored=stored,
        text=one_text(section, stored) if stored is not None else None,
        existing=existing_keys(session),
        cohorts=_pairs(session, select(Cohort.key, Cohort.name)
                       .order_by(Cohort.position, Cohort.key)),
        staff=_pairs(session, select(Staff.email, Staff.name).order_by(Staff.name, Staff.email)),
        milestones=_pairs(session, select(Milestone.key, Milestone.title)
                          .order_by(Milestone.step, Milestone.position, Milestone.key)),
        gates=_pairs(session, select(Gate.key, Gate.name).order_by(Gate.position, Gate.key)),
        roles=list(session.scalars(select(StaffRole.role).distinct().order_by(StaffRole.role))),
        next_step=(session.scalar(select(func.max(Milestone.step))) or 0) + 1,
        links=_links(session, section),
    )


def _links(session: OrmSession, section: str) -> dict[str, list[str]]:
    """The store's prerequisites (milestones) or parents (cohorts), by key."""
    links: dict[str, list[str]] = defaultdict(list)
    if section == "milestones":
        child, parent = aliased(Milestone), aliased(Milestone)
        query = (select(child.key, parent.key)
                 .join(Prerequisite, Prerequisite.milestone_id == child.id)
                 .join(parent, parent.id == Prerequisite.parent_id))
    elif section == "cohorts":
        child, parent = aliased(Cohort), aliased(Cohort)  # type: ignore[assignment]
        query = select(child.key, parent.key).join(parent, parent.id == child.parent_id)
    else:
        return {}
    for key, to in session.execute(query):
        links[key].append(to)
    return dict(links)
