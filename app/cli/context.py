"""What a verb runs with: the store (opened on first use), output in text or JSON, time."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session as OrmSession

from app.models.store import Store, open_store
from app.services import lookup
from app.services.access import restrict, viewer_for
from app.services.clock import parse_time, utcnow
from app.services.commands import Command
from app.services.errors import Refused
from app.services.profile_store import default_db, ensure_profile
from app.services.settings import program_zone
from app.services.write import Result, execute


class Failure(Exception):
    """Refused or bad input: exit status 1 with one message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


class Context:
    def __init__(self, db: str | None, json: bool) -> None:
        self.db = Path(db).expanduser() if db else default_db()
        self.json = json
        self._store: Store | None = None
        self.profile: tuple[str, str] | None = None  # init --user: who the profile's user is

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.db)
            try:
                ensure_profile(self._store, self.profile)
            except Refused as refusal:
                raise Failure(refusal.message) from refusal
        return self._store

    @contextmanager
    def reading(self, by: str | None, *, about: str | None = None,
                needs: str | None = None) -> Iterator[OrmSession]:
        """A session that reads as `by` (default: the profile's user): milestones restricted to
        roles they lack are left out of everything it reads. `about`: the participant the
        output is about (reading one's own record shows all of it); `needs`: a permission
        the reader must hold (export)."""
        with self.store.session() as session:
            try:
                viewer = viewer_for(session, by)
                if needs:
                    viewer.require(needs, session)
            except Refused as refusal:
                raise Failure(refusal.message) from refusal
            if viewer.person is None:
                yield restrict(session, viewer.hidden)
                return
            found = lookup.person_by_ref(session, about) if about else None
            if found is None or found.id != viewer.person:
                raise Failure(f"{viewer.label} is a participant: they may read their own "
                              "record only (show, gates, calendar --person).")
            yield restrict(session, frozenset())

    def time(self, text: str | None) -> datetime:
        if not text:
            return utcnow()
        with self.store.session() as session:
            zone = program_zone(session)
        try:
            return parse_time(text, zone)
        except ValueError as exc:
            raise Failure(f"--at: {exc}") from exc

    def run(self, command: Command, *, dry_run: bool = False) -> Result:
        result = execute(self.store, command, dry_run=dry_run)
        if not result.ok:
            raise Failure(result.error or "refused")
        return result

    def emit(self, payload: dict[str, Any], text: str) -> None:
        if self.json:
            print(json.dumps(payload, default=to_json, ensure_ascii=False, indent=None))
        elif text:
            print(text)

    def fail(self, message: str) -> None:
        if self.json:
            print(json.dumps({"ok": False, "error": message}, ensure_ascii=False))
        lines = message.splitlines() or [message]
        for line in lines:
            print(f"waypoint: {line}", file=sys.stderr)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
