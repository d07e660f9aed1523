"""Accounts and tokens: argon2 password hashes, short-lived random bearer tokens.

A token is 256 random bits handed out once; the server keeps only its SHA-256, so reading
the database (a backup, a replica) signs nobody in, and the lookup is one indexed equality.
Tokens last TOKEN_LIFETIME: a stolen laptop's sign-in runs out by itself.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session as OrmSession

from app.models import Account, Staff, StaffRole, Token
from app.models.store import Store
from app.services import lookup
from app.services.commands import ApplyProgram
from app.services.errors import Refused
from app.services.programs.spec import ProgramSpec, StaffSpec
from app.services.write import SYSTEM, execute

TOKEN_LIFETIME = timedelta(hours=12)
ADMIN = "admin"
_HASHER = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong
# password and the answer's timing does not tell which accounts exist.
_DUMMY = _HASHER.hash("not a password of anyone")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AddedUser:
    email: str
    created: bool
    roles: tuple[str, ...]


def add_user(store: Store, email: str, password: str, roles: list[str] | None,
             at: datetime) -> AddedUser:
    """Create an account, or reset its password (and its roles, where given). The first
    account is an admin. The email becomes a staff member with those roles too, through the
    one write path, because permission checks read the store's staff, not the accounts.
    Without --role an existing staff member keeps the roles a program gave them."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise Refused(f"'{email}' is not an email address.")
    if not password:
        raise Refused("The password may not be empty.")
    with store.session() as session, session.begin():
        account = session.get(Account, email)
        first = session.scalar(select(func.count()).select_from(Account)) == 0
        staff = lookup.staff_by_email(session, email)
        current = _staff_roles(session, staff)
        wanted = sorted(set(roles)) if roles else (current if staff else list(
            account.roles if account else []))
        if first:
            wanted = sorted({*wanted, ADMIN})
        hashed = _HASHER.hash(password)
        if account is None:
            session.add(Account(email=email, password_hash=hashed, roles=wanted, created_at=at))
        else:
            account.password_hash, account.roles = hashed, wanted
            session.execute(delete(Token).where(Token.email == email))  # old sign-ins end
        name = staff.name if staff else email.split("@")[0]
    if staff is None or wanted != current:
        spec = ProgramSpec(staff=[StaffSpec(email=email, name=name, roles=list(wanted))])
        result = execute(store, ApplyProgram(at=at, by=SYSTEM, spec=spec,
                                             source="server add-user"))
        if not result.ok:
            raise Refused(result.error or "The staff member could not be set up.")
    return AddedUser(email=email, created=account is None, roles=tuple(wanted))


def _staff_roles(session: OrmSession, staff: Staff | None) -> list[str]:
    if staff is None:
        return []
    return sorted(session.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff.id)))


def issue_token(store: Store, email: str, password: str, now: datetime
                ) -> tuple[str, datetime] | None:
    """A new token for the right email and password; None for anything else."""
    email = email.strip().lower()
    with store.session() as session, session.begin():
        account = session.get(Account, email)
        try:
            _HASHER.verify(account.password_hash if account else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None:
            return None
        if _HASHER.check_needs_rehash(account.password_hash):
            account.password_hash = _HASHER.hash(password)
        session.execute(delete(Token).where(Token.expires_at <= now))
        token = secrets.token_urlsafe(32)
        expires = now + TOKEN_LIFETIME
        session.add(Token(hash=token_hash(token), email=email, created_at=now,
                          expires_at=expires))
    return token, expires


def account_for(store: Store, token: str, now: datetime) -> str | None:
    """The email a live token signs in, or None."""
    with store.session() as session:
        row = session.get(Token, token_hash(token))
        if row is None or row.expires_at <= now:
            return None
        return row.email
