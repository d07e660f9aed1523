"""Handing a file in: copy it into the attachment store, then run the command naming it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from sqlalchemy import select

from app.models import Attachment
from app.models.store import Store
from app.services.attachments import StoredFile, fetch, folder_for, keep, limit_bytes, path_of
from app.services.commands import Command
from app.services.errors import Refused
from app.services.write import Result, execute


def hand_in(store: Store, source: Path, command: Callable[[StoredFile], Command]) -> Result:
    """Copy a file in, then run the command that refers to it; a refused command leaves no
    file behind that nothing refers to."""
    if store.path is None:
        raise Refused("This store keeps no files: it has no folder on disk.")
    folder = folder_for(store.path)
    with store.session() as session:
        limit = limit_bytes(session)
    stored = keep(source, folder, limit)
    result = execute(store, command(stored))
    if not result.ok:
        with store.session() as session:
            used = session.scalar(select(Attachment.id).where(
                Attachment.sha256 == stored.sha256).limit(1))
        if used is None:
            with suppress(FileNotFoundError):
                path_of(folder, stored.sha256).unlink()
    return result


def copy_out(store: Store, sha256: str, name: str, target: Path) -> Path:
    """A handed-in file copied out of the store, to open or keep (a folder target keeps its
    name)."""
    if store.path is None:
        raise Refused("This store keeps no files: it has no folder on disk.")
    return fetch(folder_for(store.path), sha256, name, target)
