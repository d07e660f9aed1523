"""The definitions as the simulation reads them: for every leaf cohort of a demo program, the
milestones its members are assigned, parents first, with what shapes a journey through each.

Everything comes from the store after the program files are applied, never from the files,
so the simulated histories follow the definitions the rules will act on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Cohort,
    CohortStaff,
    Milestone,
    MilestoneCohort,
    Prerequisite,
    Staff,
    StaffRole,
    Step,
)
from app.services.demo.profiles import Profile
from app.services.demo.timeline import DAY, day_number
from app.services.errors import Refused

# How a progress gets to complete, most specific first: a milestone completing by steps
# and by staff is, in practice, done by ticking its steps.
ROUTES = ("steps", "request", "signatures", "attendance", "registration", "self", "staff")
DEFAULT_EXPECTED_DAYS = 5


@dataclass(frozen=True)
class PlanStep:
    id: str
    title: str
    required: bool


@dataclass(frozen=True)
class PlanMilestone:
    id: str
    key: str
    title: str
    row: Milestone
    parents: tuple[int, ...]  # positions in the plan
    unreachable: bool  # a parent the members never get: the milestone stays locked
    has_children: bool
    manual: bool
    route: str
    expected: int  # seconds
    due_kind: str | None
    due_day: int | None  # a fixed due date, as a day number
    due_days: int
    due_attribute: str | None
    skippable: bool
    steps: tuple[PlanStep, ...]
    closer: str  # the staff member who completes or approves it
    on_complete: dict[str, Any]
    terminal: bool  # completing it moves people out of the cohort: not simulated
    blocks: frozenset[str]


@dataclass(frozen=True)
class Leaf:
    id: str
    key: str
    name: str
    term: str
    milestones: tuple[PlanMilestone, ...]


@dataclass(frozen=True)
class Layout:
    profile: Profile
    leaves: tuple[Leaf, ...]
    enroller: str


class _Store:
    """The definition rows, read once."""

    def __init__(self, session: OrmSession) -> None:
        self.cohorts = list(session.scalars(select(Cohort).order_by(Cohort.position, Cohort.key)))
        self.children: dict[Any, list[Cohort]] = defaultdict(list)
        for cohort in self.cohorts:
            self.children[cohort.parent_id].append(cohort)
        self.staff: dict[Any, list[str]] = defaultdict(list)
        for cohort_id, email in session.execute(
            select(CohortStaff.cohort_id, Staff.email)
            .join(Staff, Staff.id == CohortStaff.staff_id)
            .order_by(Staff.email)
        ):
            self.staff[cohort_id].append(email)
        self.roles: dict[str, list[str]] = defaultdict(list)
        for role, email in session.execute(
            select(StaffRole.role, Staff.email)
            .join(Staff, Staff.id == StaffRole.staff_id)
            .order_by(Staff.email)
        ):
            self.roles[role].append(email)
        self.milestones = {m.id: m for m in session.scalars(select(Milestone))}
        self.parents: dict[Any, list[Any]] = defaultdict(list)
        for child, parent in session.execute(
            select(Prerequisite.milestone_id, Prerequisite.parent_id)
        ):
            self.parents[child].append(parent)
        self.with_children = {p for ps in self.parents.values() for p in ps}
        self.steps: dict[Any, list[Step]] = defaultdict(list)
        for step in session.scalars(select(Step).order_by(Step.position)):
            self.steps[step.milestone_id].append(step)
        self.links: dict[Any, set[Any]] = defaultdict(set)
        for cohort_id, milestone_id in session.execute(
            select(MilestoneCohort.cohort_id, MilestoneCohort.milestone_id)
        ):
            self.links[cohort_id].add(milestone_id)


def load(session: OrmSession, profiles: tuple[Profile, ...], fallback: str) -> list[Layout]:
    store = _Store(session)
    by_key = {c.key: c for c in store.cohorts}
    plans: dict[tuple[frozenset[Any], tuple[str, ...]], tuple[PlanMilestone, ...]] = {}
    layouts = []
    for profile in profiles:
        root = by_key.get(profile.root)
        if root is None:
            raise Refused(f"The demo program {profile.file} did not create its cohort "
                          f"'{profile.root}'; nothing was changed.")
        enroller = (store.staff.get(root.id) or [fallback])[0]
        leaves = []
        for term in store.children[root.id]:
            for section in store.children[term.id]:
                if store.children[section.id]:
                    continue
                staff = tuple(store.staff.get(section.id, ()))
                key = (frozenset(store.links[section.id]), staff)
                if key not in plans:
                    plans[key] = _plan(store, key[0], staff or (enroller,))
                leaves.append(Leaf(section.id.hex, section.key, section.name, term.key,
                                   plans[key]))
        layouts.append(Layout(profile, tuple(leaves), enroller))
    return layouts


def _plan(store: _Store, linked: frozenset[Any], staff: tuple[str, ...]
          ) -> tuple[PlanMilestone, ...]:
    """Parents before children; otherwise by step and position, as the board shows them."""
    eligible = {
        mid: store.milestones[mid] for mid in linked
        if not store.milestones[mid].retired and not store.milestones[mid].is_optional
    }
    ordered: list[Milestone] = []
    seen: set[Any] = set()

    def visit(m: Milestone) -> None:
        if m.id in seen:
            return
        seen.add(m.id)
        for parent in store.parents.get(m.id, ()):
            if parent in eligible:
                visit(eligible[parent])
        ordered.append(m)

    for m in sorted(eligible.values(), key=lambda m: (m.step, m.position, m.key)):
        visit(m)
    index = {m.id: i for i, m in enumerate(ordered)}
    return tuple(_milestone(store, m, index, staff) for m in ordered)


def _milestone(store: _Store, m: Milestone, index: dict[Any, int], staff: tuple[str, ...]
               ) -> PlanMilestone:
    parents = store.parents.get(m.id, [])
    steps = tuple(PlanStep(s.id.hex, s.title, s.required) for s in store.steps.get(m.id, []))
    ways = [w for w in m.complete_by or [] if w != "steps" or any(s.required for s in steps)]
    route = next((r for r in ROUTES if r in ways), "staff")
    on_complete = dict((m.rules or {}).get("on_complete") or {})
    return PlanMilestone(
        id=m.id.hex, key=m.key, title=m.title, row=m,
        parents=tuple(sorted(index[p] for p in parents if p in index)),
        unreachable=any(p not in index for p in parents),
        has_children=m.id in store.with_children,
        manual=m.starts == "manual",
        route=route,
        expected=(m.expected_days or DEFAULT_EXPECTED_DAYS) * DAY,
        due_kind=m.due_kind,
        due_day=day_number(m.due_date) if m.due_date else None,
        due_days=m.due_days or 0,
        due_attribute=m.due_attribute,
        skippable=bool(m.skip_when),
        steps=steps,
        closer=_closer(store, m, route, staff),
        on_complete=on_complete,
        terminal=bool(on_complete.get("move_to") or on_complete.get("remove_from_cohort")),
        blocks=frozenset(m.blocks_statuses or []),
    )


def _closer(store: _Store, m: Milestone, route: str, staff: tuple[str, ...]) -> str:
    """Approvers from the last approval level; otherwise staff with the roles the milestone
    names (who may see or bypass it); otherwise the cohort's own staff."""
    if route == "request":
        levels = ((m.rules or {}).get("approval") or {}).get("levels") or []
        if levels:
            last = levels[-1]
            if last.get("users"):
                return str(last["users"][0])
            for role in last.get("roles") or []:
                if store.roles.get(role):
                    return store.roles[role][0]
    for role in [*(m.visible_to or []), *(m.bypass_roles or [])]:
        if store.roles.get(role):
            return store.roles[role][0]
    return staff[0]
