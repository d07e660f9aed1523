"""What the approval inbox needs beside the requests themselves: each milestone's decision
rules (when a note is required, whether a follow-up is worth prompting), the colleagues a
request may be handed to, the pipeline statuses in use, and where a request stands after a
decision.

Each is a few set-based queries, never one per request, so the inbox stays quick with
thousands of requests waiting.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import CohortStaff, Milestone, Person, Progress, Staff, StaffRole
from app.services.rules.approvals import (
    ancestors,
    approval_spec,
    approved_by_level,
    current_level,
    request_cohorts,
)


@dataclass(frozen=True)
class DecisionRules:
    """How deciding on one milestone's requests goes.

    `follow_up`: the program file has no follow-up setting of its own, so a decision prompts
    one where completing the milestone leaves the participant's pipeline status to a person
    (its `on_complete.pipeline_status` is absent); where the file sets the status itself,
    there is nothing to follow up by hand.
    """

    note_required: frozenset[str]  # "approve", "deny"
    follow_up: bool
    sets_status: str | None = None


def decision_rules(session: OrmSession, milestone_keys: set[str]) -> dict[str, DecisionRules]:
    """The rules of these milestones, by key, in one query."""
    found: dict[str, DecisionRules] = {}
    if not milestone_keys:
        return found
    for milestone in session.scalars(select(Milestone).where(Milestone.key.in_(milestone_keys))):
        spec = approval_spec(milestone)
        status = ((milestone.rules or {}).get("on_complete") or {}).get("pipeline_status")
        found[milestone.key] = DecisionRules(frozenset(spec.note_required), not status, status)
    return found


@dataclass(frozen=True)
class Colleague:
    email: str
    name: str
    why: str  # what makes them eligible, in words: "finance", "cohort staff", "admin"…


def colleagues(session: OrmSession, progress_id: uuid.UUID, me: str) -> list[Colleague]:
    """Who a pending request may be handed to: the staff eligible at the level it waits on
    (by role, by name, as cohort staff of the participant's cohorts, or as admins), except
    `me` and anyone who has already approved that level in this round."""
    progress = session.get(Progress, progress_id)
    if progress is None or progress.state != "submitted":
        return []
    milestone = session.get(Milestone, progress.milestone_id)
    assert milestone is not None
    spec = approval_spec(milestone)
    approved = approved_by_level(session, progress)
    number = current_level(spec, approved)
    if number is None:
        return []
    level = spec.levels[number - 1]
    roles: dict[uuid.UUID, set[str]] = {}
    for staff_id, role in session.execute(select(StaffRole.staff_id, StaffRole.role)):
        roles.setdefault(staff_id, set()).add(role)
    staffing: set[uuid.UUID] = set()
    if level.cohort_staff:
        cohorts = request_cohorts(session, progress.person_id, milestone.id)
        if cohorts:
            staffing = set(session.scalars(select(CohortStaff.staff_id).where(
                CohortStaff.cohort_id.in_(ancestors(session, cohorts)))))
    named = {user.lower() for user in level.users}
    done = approved.get(number, set())
    found = []
    for staff in session.scalars(select(Staff).order_by(Staff.name)):
        email = staff.email.lower()
        if email == me.lower() or email in done:
            continue
        held = roles.get(staff.id, set())
        reasons = sorted(held.intersection(level.roles))
        if email in named:
            reasons.append("named")
        if staff.id in staffing:
            reasons.append("cohort staff")
        if not reasons and "admin" in held:
            reasons.append("admin")
        if reasons:
            found.append(Colleague(staff.email, staff.name, ", ".join(reasons)))
    return found


def pipeline_statuses(session: OrmSession) -> list[str]:
    """The statuses a coordinator would pick from: those participants have, and those the
    program's milestones set or block."""
    found = {s for s in session.scalars(select(Person.status).distinct()) if s}
    for blocks, rules in session.execute(select(Milestone.blocks_statuses, Milestone.rules)):
        found.update(s for s in blocks or [] if s)
        status = ((rules or {}).get("on_complete") or {}).get("pipeline_status")
        if status:
            found.add(status)
    return sorted(found, key=str.lower)


def progress_state(session: OrmSession, progress_id: uuid.UUID) -> str | None:
    """Where a request stands now: still `submitted` (another level or approver is due), or
    decided (`complete`, `denied`)."""
    return session.scalar(select(Progress.state).where(Progress.id == progress_id))
