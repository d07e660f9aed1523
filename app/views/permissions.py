"""What the app's user may do, for the views to offer only that: read on the database worker
as the command line reads it (app/services/access.py), again whenever the definitions change.

An action the user's roles do not allow stays in its place, disabled, its tooltip saying why;
the job behind it checks again on the worker, so a click that slips through is refused the
way the command line refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models.store import Store
from app.services.access import PERMISSIONS, holders, role_permissions, viewer_for


@dataclass(frozen=True)
class Allowed:
    """The user's roles, the permissions they hold, and who holds each permission (in
    words, for the tooltip of an action they may not take)."""

    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset(PERMISSIONS)
    held_by: dict[str, str] = field(default_factory=dict)

    def refusal(self, permission: str, doing: str) -> str | None:
        """Why the user may not do this (`doing`: "Exporting"), or None when they may."""
        if permission in self.permissions:
            return None
        whose = (f"your roles ({', '.join(sorted(self.roles))}) do not hold it" if self.roles
                 else "you hold no roles")
        who = self.held_by.get(permission)
        return f"{doing} takes the {permission} permission; {whose}." + (
            f" It is held by {who}." if who else "")


def allowed(store: Store, user: str) -> Allowed:
    """A job for the worker: what `user` (a staff email; empty: the profile's user) may do."""
    with store.session() as session:
        viewer = viewer_for(session, user or None)
        table = role_permissions(session)
        return Allowed(viewer.roles, viewer.permissions,
                       {name: holders(name, table) for name in PERMISSIONS})


def require(store: Store, user: str, permission: str) -> None:
    """On the worker, before the job does what the permission guards: Refused when `user`
    does not hold it."""
    with store.session() as session:
        viewer_for(session, user or None).require(permission, session)
