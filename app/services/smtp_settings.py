"""The SMTP server mail goes out through: host, port, security, user and sender in the
store's settings table; the password never there, but in the OS keyring (or, where a
machine has none, the store's secrets file: see services.secrets).

The settings are set by the ConfigureMail command (rules.delivery), so changing them is
audited like any other change; the password is kept outside the store because the store is
copied around (backups, support requests) and its operation log is synced.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy.orm import Session as OrmSession

from app.models.store import Store
from app.services import secrets
from app.services.settings import get_setting

HOST = "mail.smtp.host"
PORT = "mail.smtp.port"
SECURITY = "mail.smtp.security"
USER = "mail.smtp.user"
FROM = "mail.from"
KEYS = (HOST, PORT, SECURITY, USER, FROM)

SECURITIES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
KEYRING_SERVICE = "Waypoint SMTP"


@dataclass(frozen=True)
class SmtpSettings:
    """What `mail-setup` stored; `port` falls back to the usual one for the security."""

    host: str | None = None
    port: int = DEFAULT_PORTS["starttls"]
    security: str = "starttls"
    user: str | None = None
    from_address: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.host and self.from_address)

    @property
    def account(self) -> str | None:
        """The keyring user name the password is kept under: "<user>@<host>"."""
        return f"{self.user}@{self.host}" if self.user and self.host else None


def read_settings(session: OrmSession) -> SmtpSettings:
    security = get_setting(session, SECURITY) or "starttls"
    port = get_setting(session, PORT)
    return SmtpSettings(
        host=get_setting(session, HOST) or None,
        port=int(port) if port else DEFAULT_PORTS.get(security, 587),
        security=security,
        user=get_setting(session, USER) or None,
        from_address=get_setting(session, FROM) or None,
    )


def load(store: Store) -> SmtpSettings:
    with store.session() as session:
        return read_settings(session)


# --- checks the ConfigureMail handler makes -----------------------------------------------


def bad_host(host: str) -> str | None:
    if not host or any(ch.isspace() for ch in host) or "/" in host:
        return f"'{host}' is not a mail server's host name."
    return None


def bad_port(port: int) -> str | None:
    return None if 0 < port < 65536 else f"{port} is not a port number (1 to 65535)."


def bad_address(address: str, what: str = "sender") -> str | None:
    """An address for a header: one mailbox, no line breaks (which would let text forge
    headers)."""
    if "\r" in address or "\n" in address:
        return f"The {what} address may not contain a line break."
    _name, mailbox = parseaddr(address)
    if "@" not in mailbox or mailbox.startswith("@") or mailbox.endswith("@"):
        return f"'{address}' is not a mail address."
    return None


# --- the password ---------------------------------------------------------------------------


def secrets_file(store: Store) -> Path:
    """Beside the store (the profile folder); for a store that is not a file, the user's
    data folder."""
    if store.path is not None:
        return secrets.fallback_file(store.path)
    return Path(user_data_dir("Waypoint", appauthor=False)) / "secrets.json"


def save_password(store: Store, settings: SmtpSettings, password: str) -> secrets.Saved:
    if settings.account is None:
        raise ValueError("a password needs a user and a host")
    return secrets.save_secret(KEYRING_SERVICE, settings.account, password, secrets_file(store))


def load_password(store: Store, settings: SmtpSettings) -> str | None:
    if settings.account is None:
        return None
    return secrets.load_secret(KEYRING_SERVICE, settings.account, secrets_file(store))


def password_location(store: Store, settings: SmtpSettings) -> str | None:
    """"keyring", "file" or None, never the password itself."""
    if settings.account is None:
        return None
    return secrets.secret_location(KEYRING_SERVICE, settings.account, secrets_file(store))


def forget_password(store: Store, settings: SmtpSettings) -> None:
    if settings.account is not None:
        secrets.forget_secret(KEYRING_SERVICE, settings.account, secrets_file(store))
