"""Permissions, and what a user may see.

Roles are free names; the program file's `[permissions]` table says which roles hold each
permission. A permission the table does not name keeps its default, so a program without the
table works as before: every staff member may approve (where a milestone's approvers name
them), mark attendance (as a session's trainer or the cohort's staff) and export; editors edit
programs; admins administer. Admins hold every permission whatever the table says.

A milestone with `visible_to` is seen by staff holding one of those roles, by those holding
`see_restricted`, and by admins; a participant sees their own. For everyone else it is kept
out of every output by `restrict()`, which adds the filter to each query a session runs:
views, reports, exports and the command line read through it, so a new query is filtered
without anyone remembering to. An alias of a filtered class (a milestone joined to itself)
is not filtered itself (SQLAlchemy cannot adapt these filters to it): reach it through a
filtered table, as prerequisites are.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import ColumnElement, event, or_, select
from sqlalchemy.orm import ORMExecuteState, with_loader_criteria
from sqlalchemy.orm import Session as OrmSession

from app.models import Base, Milestone, Progress, ScheduledSession, StaffRole
from app.models.store import READER
from app.services import lookup, memo
from app.services.errors import Refused
from app.services.settings import USER, get_setting

PERMISSIONS_SETTING = "program.permissions"
UNRESTRICTED = "waypoint_unrestricted"  # an execution option: read past restrict()
HIDDEN = "hidden_milestones"  # Session.info: the milestones kept out of what it reads

# name: (what it lets a user do, in words; who holds it, in words; the roles holding it when
#        the table is silent, None: every staff member)
PERMISSIONS: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "edit_programs": ("change program definitions", "a program editor",
                      ("admin", "editor", "program_editor")),
    "approve": ("approve or deny requests", "an approver", None),
    "mark_attendance": ("mark attendance", "an attendance taker", None),
    "see_restricted": ("see restricted milestones", "a reader of restricted milestones",
                       ("admin",)),
    "export": ("export data", "an exporter", None),
    "administer": ("administer this store", "an administrator", ("admin",)),
}


def stored_permissions(session: OrmSession) -> dict[str, list[str]] | None:
    """The program file's `[permissions]` as last applied (None: never given)."""
    text = get_setting(session, PERMISSIONS_SETTING)
    return json.loads(text) if text else None


def role_permissions(session: OrmSession) -> dict[str, list[str]]:
    """Permission → roles holding it; a permission not named keeps its default."""
    return stored_permissions(session) or {}


def permissions_of(roles: Iterable[str], table: dict[str, list[str]]) -> frozenset[str]:
    roles = set(roles)
    if "admin" in roles:
        return frozenset(PERMISSIONS)
    held = set()
    for name, (_, _, default) in PERMISSIONS.items():
        holders = table.get(name, default)
        if holders is None or roles.intersection(holders):
            held.add(name)
    return frozenset(held)


def describe(permission: str) -> str:
    return PERMISSIONS[permission][0]


def holders(permission: str, table: dict[str, list[str]]) -> str:
    """Who holds a permission, in words, for a refusal."""
    _, noun, default = PERMISSIONS[permission]
    roles = [r for r in table.get(permission, default) or () if r != "admin"]
    if not roles:
        return "an admin"
    return f"an admin or {noun} (role {' or '.join(roles)})"


def staff_roles(session: OrmSession, staff_id: uuid.UUID) -> frozenset[str]:
    return frozenset(session.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff_id)))


def _restricted(session: OrmSession) -> list[tuple[uuid.UUID, str, list[str]]]:
    """The milestones with `visible_to`: (id, key, the roles they are visible to)."""
    return memo.recall(session, "restricted milestones", lambda: [
        (m, key, allowed) for m, key, allowed in session.execute(
            select(Milestone.id, Milestone.key, Milestone.visible_to)) if allowed])


def _hidden(session: OrmSession, roles: Iterable[str], permissions: Iterable[str]
            ) -> list[tuple[uuid.UUID, str]]:
    if "see_restricted" in permissions:
        return []
    roles = set(roles)
    return [(m, key) for m, key, allowed in _restricted(session)
            if not roles.intersection(allowed)]


def hidden_milestones(session: OrmSession, roles: Iterable[str],
                      permissions: Iterable[str]) -> frozenset[uuid.UUID]:
    """The restricted milestones these roles may not see."""
    return frozenset(m for m, _ in _hidden(session, roles, permissions))


def refuse_hidden(session: OrmSession, roles: frozenset[str], permissions: frozenset[str],
                  named: Iterable[str]) -> None:
    """A staff member's command naming a milestone hidden from them is refused as a command
    naming no milestone would be: to them it does not exist."""
    keys = set(named)
    if not keys:
        return
    key = min((key for _, key in _hidden(session, roles, permissions) if key in keys),
              default=None)
    if key is not None:
        raise Refused(f"There is no milestone '{key}'.")


@dataclass(frozen=True)
class Viewer:
    """Who reads: what they may do and which milestones are kept from them. `person`: the
    participant reading (they see their own milestones, restricted or not)."""

    label: str
    roles: frozenset[str]
    permissions: frozenset[str]
    hidden: frozenset[uuid.UUID]
    person: uuid.UUID | None = None

    def require(self, permission: str, session: OrmSession) -> None:
        if permission not in self.permissions:
            raise Refused(f"{self.label} may not {describe(permission)}: that takes "
                          f"{holders(permission, role_permissions(session))}.")


EVERYONE = Viewer("system", frozenset({"system"}), frozenset(PERMISSIONS), frozenset())


def viewer_for(session: OrmSession, ref: str | None) -> Viewer:
    """`--by` of a reading verb: a staff email or a participant's id or email; None: the
    profile's user."""
    ref = ref or get_setting(session, USER)
    if not ref or ref == "system":
        return EVERYONE
    staff = lookup.staff_by_email(session, ref)
    if staff is not None:
        roles = staff_roles(session, staff.id)
        held = permissions_of(roles, role_permissions(session))
        return Viewer(staff.email, roles, held, hidden_milestones(session, roles, held))
    person = lookup.person_by_ref(session, ref)
    if person is not None:
        return Viewer(person.external_id, frozenset(), frozenset(),
                      hidden_milestones(session, (), ()), person.id)
    raise Refused(f"No staff member or participant is known as '{ref}'.")


def restrict(session: OrmSession, hidden: frozenset[uuid.UUID]) -> OrmSession:
    """Keep these milestones, and everything hanging off them, out of what the session reads."""
    session.info[HIDDEN] = hidden
    return session


def hidden_in(session: OrmSession) -> frozenset[uuid.UUID]:
    if HIDDEN not in session.info and READER in session.info:
        reader = session.info[READER]
        session.info[HIDDEN] = frozenset()  # the lookup itself reads everything
        try:
            session.info[HIDDEN] = viewer_for(session, reader).hidden
        except Refused:  # a reader nobody knows sees what a stranger would
            session.info[HIDDEN] = hidden_milestones(session, (), ())
    return session.info.get(HIDDEN) or frozenset()


def unrestricted(session: OrmSession) -> OrmSession:
    """A session a command runs in: it sees everything (its rules must), and refuses what its
    actor may not name (refuse_hidden)."""
    session.info.pop(READER, None)
    session.info[HIDDEN] = frozenset()
    return session


def hidden_names(session: OrmSession) -> tuple[list[str], list[str]]:
    """The keys and titles of the milestones a restricted session hides: for text that names
    milestones in words (the audit trail's reasons) rather than by a foreign key."""
    hidden = hidden_in(session)
    if not hidden:
        return [], []
    rows = session.execute(select(Milestone.key, Milestone.title)
                           .where(Milestone.id.in_(hidden))
                           .execution_options(**{UNRESTRICTED: True})).all()
    return [key for key, _ in rows], [title for _, title in rows]


def require_everything(session: OrmSession, what: str) -> None:
    """For outputs that cannot leave a milestone out (whole program files)."""
    if hidden_in(session):
        raise Refused(f"{what} name every milestone, restricted ones too: that takes "
                      f"{holders('see_restricted', role_permissions(session))}.")


def _criteria(table_name: str, hidden: frozenset[uuid.UUID], mapped: type
              ) -> list[ColumnElement[bool]]:
    table = mapped.__table__  # type: ignore[attr-defined]
    terms: list[ColumnElement[bool]] = []
    if table_name == "milestones":
        terms.append(table.c.id.not_in(hidden))
    for fk in table.foreign_keys:
        column, target = fk.parent, fk.column.table.name
        if target == "milestones":
            terms.append(or_(column.is_(None), column.not_in(hidden)))
        elif target == "progress":
            terms.append(column.in_(select(Progress.id).where(
                Progress.milestone_id.not_in(hidden))))
        elif target == "sessions":
            terms.append(column.in_(select(ScheduledSession.id).where(or_(
                ScheduledSession.milestone_id.is_(None),
                ScheduledSession.milestone_id.not_in(hidden)))))
    return terms


@cache
def _restricted_classes() -> list[tuple[type, str]]:
    found = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if table.name == "milestones" or any(
                fk.column.table.name in ("milestones", "progress", "sessions")
                for fk in table.foreign_keys):
            found.append((mapper.class_, table.name))
    return found


@event.listens_for(OrmSession, "do_orm_execute")
def _filter_hidden(state: ORMExecuteState) -> None:
    if (not state.is_select or state.is_column_load
            or state.execution_options.get(UNRESTRICTED)):
        return
    hidden = hidden_in(state.session)
    if not hidden:
        return
    options = []
    for mapped, name in _restricted_classes():
        for term in _criteria(name, hidden, mapped):
            options.append(with_loader_criteria(mapped, term))
    state.statement = state.statement.options(*options)
