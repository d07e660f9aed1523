"""The profile's user: the admin a new store belongs to."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.models import Staff, StaffRole
from app.services import lookup
from app.services.commands import SetupProfile
from app.services.registry import handles
from app.services.rules.permissions import require
from app.services.settings import CLIENT, USER, get_setting, put_setting
from app.services.work import Work


@handles(SetupProfile)
def setup_profile(command: SetupProfile, work: Work) -> None:
    session = work.session
    current = get_setting(session, USER)
    if current:
        require(work, "administer")
    staff = lookup.staff_by_email(session, command.email)
    if staff is None:
        staff = Staff(id=work.new_id(), email=command.email.strip().lower(), name=command.name)
        session.add(staff)
        session.flush()
    roles = set(session.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff.id)))
    for role in ("admin", *command.roles):
        if role not in roles:
            session.add(StaffRole(staff_id=staff.id, role=role))
            roles.add(role)
    put_setting(session, USER, staff.email)
    if get_setting(session, CLIENT) is None:
        put_setting(session, CLIENT, str(uuid.uuid5(work.op_id, "client")))
    work.record("staff", {"kind": "staff", "email": staff.email, "roles": sorted(roles)})
