"""Store-wide settings kept in the `settings` table."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Setting
from app.services import memo

USER = "profile.user"
CLIENT = "sync.client_id"
PROGRAM_NAME = "program.name"
TIMEZONE = "program.timezone"


def get_setting(session: OrmSession, key: str) -> str | None:
    """Read once for a whole push on the sync server (app/services/memo.py)."""
    return memo.recall(session, ("setting", key), lambda: session.scalar(
        select(Setting.value).where(Setting.key == key)))


def put_setting(session: OrmSession, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def program_zone(session: OrmSession) -> ZoneInfo:
    return ZoneInfo(get_setting(session, TIMEZONE) or "UTC")
