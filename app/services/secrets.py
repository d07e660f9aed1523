"""Secrets (the SMTP password, a sync token): in the OS keyring, or where a machine has none
that works (a headless server, a bare container), in a file only the user can read.

The keyring is tried first and read back, because some backends accept a password and keep
nothing (keyring's null backend, a chainer with no backends): a secret that silently vanished
would surface only as a failed login days later. The fallback file lives beside the store
(the profile folder), holds JSON keyed by service and user, and is written 0600 through a
temporary file, so a crash never leaves it half-written or readable by others. Callers are
told where the secret went, so the command line can warn when it is on disk.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

KEYRING = "keyring"
FILE = "file"


@dataclass(frozen=True)
class Saved:
    """Where a secret was kept: "keyring", or "file" at `path`, with why not the keyring."""

    where: str
    path: Path | None = None
    reason: str | None = None


def fallback_file(store_path: Path) -> Path:
    """The file beside a store that holds its secrets where no keyring works."""
    return store_path.with_name(f"{store_path.stem}.secrets.json")


def _backend() -> KeyringBackend | None:
    """The keyring backend, or None where it is one that cannot keep anything."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent or unreadable: holds nothing we can use
        return {}
    return data if isinstance(data, dict) else {}


def _write_file(path: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically, readable and writable by the user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(temp, 0o600)  # mkstemp makes it 0600 already; say so where it matters
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    os.chmod(path, 0o600)


def _key(service: str, username: str) -> str:
    return f"{service}\n{username}"


def _file_put(path: Path, service: str, username: str, secret: str | None) -> None:
    data = _read_file(path)
    key = _key(service, username)
    if secret is None:
        if key not in data:
            return
        del data[key]
    else:
        data[key] = secret
    if data or path.exists():
        _write_file(path, data)


def save_secret(service: str, username: str, secret: str, fallback: Path) -> Saved:
    """Keep a secret in the keyring if one works, else in the fallback file (0600)."""
    backend = _backend()
    reason = "no keyring backend is available on this machine"
    if backend is not None:
        try:
            backend.set_password(service, username, secret)
            if backend.get_password(service, username) == secret:
                _file_put(fallback, service, username, None)  # no stale copy left on disk
                return Saved(KEYRING)
            reason = f"the keyring ({type(backend).__name__}) did not keep the secret"
        except Exception as exc:  # backends raise their own kinds (D-Bus, locked, denied)
            reason = f"the keyring could not be used ({exc.__class__.__name__}: {exc})"
    _file_put(fallback, service, username, secret)
    return Saved(FILE, path=fallback, reason=reason)


def load_secret(service: str, username: str, fallback: Path) -> str | None:
    """The secret from the keyring, else from the fallback file; None where neither has it."""
    backend = _backend()
    if backend is not None:
        try:
            found = backend.get_password(service, username)
        except Exception:  # a keyring that fails to read: the file may still have it
            found = None
        if found is not None:
            return found
    value = _read_file(fallback).get(_key(service, username))
    return value if isinstance(value, str) else None


def secret_location(service: str, username: str, fallback: Path) -> str | None:
    """"keyring", "file" or None: where the secret is, without handing it out."""
    backend = _backend()
    if backend is not None:
        try:
            if backend.get_password(service, username) is not None:
                return KEYRING
        except Exception:  # unreadable keyring: look in the file
            pass
    return FILE if _key(service, username) in _read_file(fallback) else None


def forget_secret(service: str, username: str, fallback: Path) -> None:
    """Remove a secret from both places; absent is fine."""
    backend = _backend()
    if backend is not None:
        with suppress(Exception):  # not there, or the keyring refuses: nothing more to do
            backend.delete_password(service, username)
    _file_put(fallback, service, username, None)
