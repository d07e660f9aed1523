"""The profile's attachment store: files named by the SHA-256 of their content.

A file is copied in before the command that refers to it runs, so the command (and the
operation log, and a sync) carries only the hash, name and size. The same content handed in
twice is stored once; a file over the store's size limit is refused before anything is
copied.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session as OrmSession

from app.services.errors import Refused
from app.services.settings import get_setting

LIMIT_SETTING = "attachments.limit_mb"
DEFAULT_LIMIT_MB = 25
_CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    name: str
    size: int


def limit_bytes(session: OrmSession) -> int:
    """The largest file the store takes, from its settings (25 MB unless set)."""
    text = get_setting(session, LIMIT_SETTING)
    megabytes = float(text) if text else DEFAULT_LIMIT_MB
    return int(megabytes * 1024 * 1024)


def folder_for(db_path: Path) -> Path:
    """Beside the store file, one folder per store."""
    return db_path.with_name(f"{db_path.stem}-attachments")


def path_of(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def too_large(name: str, size: int, limit: int) -> str:
    return (f"{name} is {_megabytes(size)}; attachments may be at most {_megabytes(limit)}. "
            "Nothing was attached.")


def keep(source: Path, folder: Path, limit: int) -> StoredFile:
    """Copy `source` into the store, hashing as it goes; refuse it above `limit` bytes."""
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise Refused(f"{source}: cannot be read ({exc.strerror}).") from None
    if not source.is_file():
        raise Refused(f"{source} is not a file.")
    if size > limit:
        raise Refused(too_large(source.name, size, limit))
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as data:
            copied = 0
            while chunk := data.read(_CHUNK):
                copied += len(chunk)
                if copied > limit:  # grew while we read it
                    raise Refused(too_large(source.name, copied, limit))
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        target = path_of(folder, sha)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return StoredFile(sha256=sha, name=source.name, size=copied)


def digest(source: Path, limit: int) -> StoredFile:
    """What `keep` would store, without storing it (a dry run)."""
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise Refused(f"{source}: cannot be read ({exc.strerror}).") from None
    if size > limit:
        raise Refused(too_large(source.name, size, limit))
    hashed = hashlib.sha256()
    with source.open("rb") as data:
        while chunk := data.read(_CHUNK):
            hashed.update(chunk)
    return StoredFile(sha256=hashed.hexdigest(), name=source.name, size=size)


def fetch(folder: Path, sha256: str, name: str, target: Path) -> Path:
    """Copy a stored file back out, under the name it was handed in with."""
    stored = path_of(folder, sha256)
    if not stored.exists():
        raise Refused(f"{name} is not in this store's attachment folder ({folder}).")
    destination = target / name if target.is_dir() else target
    shutil.copyfile(stored, destination)
    return destination


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"

