"""Who may do what. Admins may do anything a rule does not forbid to everyone; the permissions
the program file's `[permissions]` gives roles are in app/services/access.py."""

from __future__ import annotations

from app.models import Person
from app.services.access import describe, holders, role_permissions
from app.services.errors import Refused
from app.services.work import Work


def is_staff_or_system(work: Work) -> bool:
    return work.actor.is_staff or work.actor.label == "system"


def require_staff(work: Work, doing: str) -> None:
    if not is_staff_or_system(work):
        raise Refused(f"Only staff may {doing}; {work.actor.label} is a participant.")


def require(work: Work, permission: str) -> None:
    """The actor's roles hold the permission (the system always does)."""
    if not work.actor.may(permission):
        raise Refused(f"{work.actor.label} may not {describe(permission)}: that takes "
                      f"{holders(permission, role_permissions(work.session))}.")


def require_editor(work: Work) -> None:
    require(work, "edit_programs")


def require_self_or_staff(work: Work, person: Person, doing: str) -> None:
    if is_staff_or_system(work):
        return
    if work.actor.person is None or work.actor.person.id != person.id:
        raise Refused(f"A participant may only {doing} their own milestones.")
