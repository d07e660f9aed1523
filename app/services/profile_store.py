"""The store a user works in by default, and the profile user it always has.

Shared by the command line and the desktop app, so both open the same file and a new store
gets its admin the same way, whichever opened it first.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from platformdirs import user_data_dir

from app.models.store import Store, open_store
from app.services.clock import utcnow
from app.services.commands import SetupProfile
from app.services.errors import Refused
from app.services.settings import USER, get_setting
from app.services.write import SYSTEM, execute


def default_db() -> Path:
    """$WAYPOINT_DB, else default.sqlite3 in the user's data folder."""
    env = os.environ.get("WAYPOINT_DB")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("Waypoint", appauthor=False)) / "default.sqlite3"


def default_user() -> tuple[str, str]:
    """$WAYPOINT_USER, else the login name at localhost."""
    name = getpass.getuser()
    email = os.environ.get("WAYPOINT_USER")
    return (email.strip().lower() if email else f"{name}@localhost", name)


def ensure_profile(store: Store, user: tuple[str, str] | None = None) -> str:
    """A store always has a user, an admin, made on first use; returns the user's email."""
    with store.session() as session:
        current = get_setting(session, USER)
    if current:
        return current
    email, name = user or default_user()
    result = execute(store, SetupProfile(at=utcnow(), by=SYSTEM, email=email, name=name))
    if not result.ok:
        raise Refused(result.error or "The profile user could not be set up.")
    return email


def open_profile_store(path: Path | None = None, user: tuple[str, str] | None = None) -> Store:
    store = open_store(path or default_db())
    ensure_profile(store, user)
    return store
