"""Who may do what. Admins may do anything a rule does not forbid to everyone."""

from __future__ import annotations

from app.models import Person
from app.services.errors import Refused
from app.services.work import Work

EDITOR_ROLES = ("admin", "editor", "program_editor")


def is_staff_or_system(work: Work) -> bool:
    return work.actor.is_staff or work.actor.label == "system"


def require_staff(work: Work, doing: str) -> None:
    if not is_staff_or_system(work):
        raise Refused(f"Only staff may {doing}; {work.actor.label} is a participant.")


def require_editor(work: Work) -> None:
    if work.actor.label == "system":
        return
    if not work.actor.has_any_role(EDITOR_ROLES):
        raise Refused(
            f"{work.actor.label} may not change program definitions: that takes an admin "
            "or a program editor."
        )


def require_self_or_staff(work: Work, person: Person, doing: str) -> None:
    if is_staff_or_system(work):
        return
    if work.actor.person is None or work.actor.person.id != person.id:
        raise Refused(f"A participant may only {doing} their own milestones.")
