"""Delivery: the outbox handed to an SMTP server, each mail at most once.

The order of things is what makes "never sent twice" hold, a crash at any instant included:

1. a mail left "sending" past its lease by a sender that died is failed (FailInterruptedSends),
   never resent: it may have gone out, and a person can check where a program cannot;
2. the connection is opened (TLS, STARTTLS, login) before any mail is touched: a server that
   cannot be reached defers every due mail with its back-off (DeferSends), nothing sent;
3. per mail, the attempt is committed first (RecordSendAttempt: "sending", attempts + 1), and
   only then is the mail handed over; the result is committed after (RecordSendResult).

The SMTP dialogue is run step by step (MAIL, RCPT, DATA) rather than with sendmail(), so a
failure is placed exactly: a refusal or a dropped connection before the data went out is safe
to retry, a refusal of the data is definite, and only a connection lost while the data was
going out leaves it unknown whether the server took the mail, which fails it for staff to
check. Every state change is a command through the one write path, so it is audited.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr
from typing import Any

from sqlalchemy import func, or_, select

from app.models import OutboxMessage
from app.models.store import Store
from app.services import smtp_settings
from app.services.commands import (
    Command,
    DeferSends,
    FailInterruptedSends,
    RecordSendAttempt,
    RecordSendResult,
)
from app.services.errors import Refused
from app.services.smtp_settings import SmtpSettings
from app.services.write import SYSTEM, Result, execute, resolve_actor

TIMEOUT = 60.0  # seconds per SMTP reply; rules.delivery.LEASE allows for it

Connect = Callable[[SmtpSettings, str | None], smtplib.SMTP]
Progress = Callable[[int, int], None]


@dataclass
class SendReport:
    """What one run did. `reason` says why nothing was sent (no server set up)."""

    configured: bool = True
    reason: str | None = None
    sent: int = 0
    retry: int = 0  # back in the queue, to be tried again after their back-off
    failed: int = 0
    interrupted: int = 0  # found "sending" after a crash: failed, not resent
    in_progress: int = 0  # "sending" under another sender's lease: left alone
    waiting: int = 0  # queued in the outbox once the run is over (retries included)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": True, "configured": self.configured, "reason": self.reason,
                "sent": self.sent, "retry": self.retry, "failed": self.failed,
                "interrupted": self.interrupted, "in_progress": self.in_progress,
                "waiting": self.waiting, "changes": self.changes}


class _Outcome(Exception):
    """How handing one mail over went wrong: temporary, permanent or unknown; `dead` when the
    connection cannot be used for the next mail."""

    def __init__(self, outcome: str, error: str, *, dead: bool = False) -> None:
        super().__init__(error)
        self.outcome, self.error, self.dead = outcome, error, dead


# --- the connection ---------------------------------------------------------------------------


def open_connection(settings: SmtpSettings, password: str | None) -> smtplib.SMTP:
    """Connected, secured as the settings say, and logged in where a user is set."""
    assert settings.host is not None
    context = ssl.create_default_context()
    connection: smtplib.SMTP
    if settings.security == "tls":
        connection = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT,
                                      context=context)
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    try:
        connection.ehlo()
        if settings.security == "starttls":
            connection.starttls(context=context)
            connection.ehlo()
        if settings.user:
            connection.login(settings.user, password or "")
    except BaseException:
        with suppress(Exception):
            connection.close()
        raise
    return connection


def describe(exc: BaseException, settings: SmtpSettings) -> str:
    """An error in words a coordinator can act on (or pass to whoever runs the server)."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"The mail server did not accept the user and password ({_reply(exc)})."
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"The mail server at {where} does not offer that: {str(exc).rstrip('.')}."
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server answered {_reply(exc)}."
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"The mail server at {where} closed the connection."
    if isinstance(exc, ConnectionRefusedError):
        return f"The mail server at {where} refused the connection."
    if isinstance(exc, TimeoutError):
        return f"The mail server at {where} did not answer in time."
    if isinstance(exc, socket.gaierror):
        return f"The mail server's host '{settings.host}' is not known."
    if isinstance(exc, ssl.SSLError):
        return f"A secure connection to {where} could not be made: {exc}."
    return f"The mail server at {where} could not be reached: {exc}."


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{exc.smtp_code} {text}".strip()


# --- one mail -------------------------------------------------------------------------------


def message_id(key: uuid.UUID, sender: str) -> str:
    """The same for every attempt at one outbox row, so receiving servers and people can
    tell a copy from a second mail."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "waypoint.invalid"
    return f"<{key.hex}.waypoint@{domain}>"


def build(message: OutboxMessage, settings: SmtpSettings, now: datetime) -> EmailMessage:
    assert settings.from_address is not None
    mail = EmailMessage(policy=SMTP_POLICY)
    mail["From"] = settings.from_address
    mail["To"] = message.to_email
    mail["Subject"] = " ".join(message.subject.split())  # a line break would forge headers
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = message_id(message.id, settings.from_address)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    mail.set_content(message.body)
    return mail


def _by_code(code: int, reply: bytes | str, what: str) -> _Outcome:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    error = f"{what}: {code} {text}".strip()
    if 500 <= code < 600:
        return _Outcome("permanent", error)
    return _Outcome("temporary", error, dead=code == 421 or code < 0)


def hand_over(connection: smtplib.SMTP, mail: EmailMessage, recipient: str) -> None:
    """MAIL, RCPT, DATA one by one, raising _Outcome with what is known of the failure."""
    sender = parseaddr(str(mail["From"]))[1]
    options: list[str] = []
    if not (sender + recipient).isascii():
        if not connection.has_extn("smtputf8"):
            raise _Outcome("permanent", "The mail server cannot take an address with "
                                        f"non-ASCII letters ({recipient}).")
        options = ["SMTPUTF8", "BODY=8BITMIME"]
    try:
        code, reply = connection.mail(sender, options)
        if code != 250:
            _reset(connection)
            raise _by_code(code, reply, "sender refused")
        code, reply = connection.rcpt(recipient)
        if code not in (250, 251):
            _reset(connection)
            raise _by_code(code, reply, "recipient refused")
        connection.putcmd("data")
        code, reply = connection.getreply()
        if code != 354:
            _reset(connection)
            raise _by_code(code, reply, "data refused")
    except (smtplib.SMTPServerDisconnected, OSError) as exc:  # before the data: safe to retry
        raise _Outcome("temporary", f"The connection broke before the mail went out ({exc}).",
                       dead=True) from exc
    payload = re.sub(rb"(?m)^\.", b"..", mail.as_bytes())
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    try:
        connection.send(payload + b".\r\n")
        code, reply = connection.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _Outcome("unknown", f"The connection broke while the mail was going out ({exc}).",
                       dead=True) from exc
    if code != 250:
        raise _by_code(code, reply, "mail refused")


def _reset(connection: smtplib.SMTP) -> None:
    with suppress(smtplib.SMTPException, OSError):
        connection.rset()


# --- a run ----------------------------------------------------------------------------------


def _run(store: Store, command: Command, report: SendReport) -> Result:
    result = execute(store, command)
    report.changes.extend(result.changes)
    return result


def _count(report: SendReport, result: Result) -> None:
    for change in result.changes:
        status = change.get("status")
        if status == "sent":
            report.sent += 1
        elif status == "queued":
            report.retry += 1
        elif status == "failed":
            report.failed += 1
        elif status == "deferred":
            report.retry += int(change.get("count", 0))
            report.failed += int(change.get("failed", 0))
        elif status == "interrupted":
            report.interrupted += int(change.get("count", 0))


def _due(store: Store, now: datetime) -> tuple[list[tuple[uuid.UUID, int]], int, int]:
    """The mails to attempt now (id, attempts), oldest first; how many are stale "sending";
    how many are "sending" under a live lease."""
    with store.session() as session:
        due = [(key, attempts) for key, attempts in session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts)
            .where(OutboxMessage.status == "queued",
                   or_(OutboxMessage.next_attempt_at.is_(None),
                       OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.created_at, OutboxMessage.id))]
        stale, live = session.execute(
            select(func.count().filter(OutboxMessage.next_attempt_at <= now),
                   func.count().filter(OutboxMessage.next_attempt_at > now))
            .where(OutboxMessage.status == "sending")).one()
    return due, stale, live


def _queued(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status == "queued")) or 0


def send_outbox(store: Store, now: datetime, *, by: str | None = None,
                connect: Connect = open_connection,
                progress: Progress | None = None) -> SendReport:
    """Send every queued mail that is due as of `now`; see the module's docstring. `by` is
    who the state changes are recorded as (default: the profile's user)."""
    with store.session() as session:
        actor = resolve_actor(session, by)
    if not (actor.is_staff or actor.label == SYSTEM):
        raise Refused("Only staff may send the outbox.")
    report = SendReport()
    due, stale, live = _due(store, now)
    report.in_progress = live
    if stale:
        _count(report, _run(store, FailInterruptedSends(at=now, by=by), report))
    settings = smtp_settings.load(store)
    password = smtp_settings.load_password(store, settings) if settings.user else None
    if not settings.configured:
        report.configured = False
        report.reason = "No mail server is set up (waypoint mail-setup): mail waits in the outbox."
    elif settings.user and password is None:
        report.configured = False
        report.reason = (f"No password is kept for {settings.account} (waypoint mail-setup "
                         "--password-stdin): mail waits in the outbox.")
    if not report.configured:
        report.waiting = _queued(store)
        return report
    connection: smtplib.SMTP | None = None
    try:
        for index, (key, attempts) in enumerate(due):
            if connection is None:
                try:
                    connection = connect(settings, password)
                except (OSError, smtplib.SMTPException) as exc:
                    rest = tuple(k.hex for k, _ in due[index:])
                    _count(report, _run(store, DeferSends(
                        at=now, by=by, messages=rest, error=describe(exc, settings)), report))
                    break
            connection = _send_one(store, connection, settings, key, attempts, now, by, report)
            if progress is not None:
                progress(index + 1, len(due))
    finally:
        if connection is not None:
            with suppress(smtplib.SMTPException, OSError):
                connection.quit()
    report.waiting = _queued(store)
    return report


def _send_one(store: Store, connection: smtplib.SMTP, settings: SmtpSettings,
              key: uuid.UUID, attempts: int, now: datetime, by: str | None,
              report: SendReport) -> smtplib.SMTP | None:
    """Attempt one mail; the connection to go on with (None: it broke)."""
    taken = _run(store, RecordSendAttempt(at=now, by=by, message=key.hex, attempts=attempts),
                 report)
    if not taken.ok:  # another sender took it, or it changed since we looked
        return connection
    with store.session() as session:
        message = session.get(OutboxMessage, key)
    assert message is not None
    outcome, error, dead = "sent", None, False
    try:
        hand_over(connection, build(message, settings, now), message.to_email)
    except _Outcome as failure:
        outcome, error, dead = failure.outcome, failure.error, failure.dead
    except ValueError as exc:  # a header the mail library cannot write (a malformed address)
        outcome, error = "permanent", f"The mail cannot be written: {exc}"
    _count(report, _run(store, RecordSendResult(at=now, by=by, message=key.hex,
                                                outcome=outcome, error=error), report))
    if dead:
        with suppress(smtplib.SMTPException, OSError):
            connection.close()
        return None
    return connection
