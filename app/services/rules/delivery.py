"""Mail delivery as recorded facts: the SMTP settings, and each mail's attempts and results.

services.delivery talks to the SMTP server; every change it makes to the outbox comes here as
a command, so it is audited and at most once: an attempt is committed ("sending") before the
mail is handed over, and only a mail that is "queued" may be attempted. A mail that stays
"sending" (its sender crashed between the send and the result) is failed once its lease has
run out, with words that tell staff to check, and never resent.

Back-off: after the n-th failed attempt a mail waits BACKOFF[n-1] (the last one repeating),
and after MAX_ATTEMPTS it fails: about a day and a half of trying in all, long enough to ride
out a mail server's maintenance night, short enough that staff hear of it that week.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select, update

from app.models import OutboxMessage
from app.services import smtp_settings as smtp
from app.services.commands import (
    ConfigureMail,
    DeferSends,
    FailInterruptedSends,
    RecordSendAttempt,
    RecordSendResult,
)
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.permissions import require
from app.services.settings import put_setting
from app.services.work import Work

BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 720, 1440))
MAX_ATTEMPTS = 8
# How long an attempt may take before its mail counts as interrupted. smtplib waits at most
# a minute per reply (services.delivery.TIMEOUT); ten minutes leaves room for a slow server
# without failing a mail another sender is still handing over.
LEASE = timedelta(minutes=10)
INTERRUPTED = ("Sending was interrupted (the sender stopped between handing the mail to the "
               "server and recording it): it may or may not have gone out, so it is not sent "
               "again; check with the recipient.")
ERROR_LENGTH = 500
_CHUNK = 500


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1-based)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


def _staff_only(work: Work) -> None:
    if not (work.actor.is_staff or work.actor.label == "system"):
        raise Refused("Only staff may send the outbox.")


def _message(work: Work, ref: str) -> OutboxMessage:
    try:
        key = uuid.UUID(ref)
    except ValueError:
        raise Refused(f"'{ref}' is not a mail of the outbox.") from None
    message = work.session.get(OutboxMessage, key)
    if message is None:
        raise Refused(f"No mail {ref} is in the outbox.")
    return message


def _set(work: Work, message: OutboxMessage, **values: object) -> None:
    for name, value in values.items():
        setattr(message, name, value)
    work.record("outbox", {"kind": "delivery", "message": message.id.hex,
                           "to": message.to_email, "status": message.status,
                           "attempts": message.attempts})


@handles(ConfigureMail)
def configure_mail(command: ConfigureMail, work: Work) -> None:
    require(work, "administer")
    session = work.session
    if command.clear:
        for key in smtp.KEYS:
            put_setting(session, key, "")
        work.record("settings", {"kind": "mail_setup", "host": None})
        return
    current = smtp.read_settings(session)
    host = command.host.strip() if command.host is not None else current.host
    if not host:
        raise Refused("Give the mail server's host (--host).")
    security = command.security or current.security
    if security not in smtp.SECURITIES:
        raise Refused(f"Security must be one of {', '.join(smtp.SECURITIES)}, not '{security}'.")
    user = command.user.strip() if command.user is not None else current.user
    sender = (command.from_address.strip() if command.from_address is not None
              else current.from_address) or (user if user and "@" in user else None)
    if not sender:
        raise Refused("Give the address mail is sent from (--from).")
    problem = (smtp.bad_host(host)
               or (smtp.bad_port(command.port) if command.port is not None else None)
               or smtp.bad_address(sender))
    if problem:
        raise Refused(problem)
    put_setting(session, smtp.HOST, host)
    put_setting(session, smtp.SECURITY, security)
    if command.port is not None:
        put_setting(session, smtp.PORT, str(command.port))
    put_setting(session, smtp.USER, user or "")
    put_setting(session, smtp.FROM, sender)
    port = smtp.read_settings(session).port
    work.record("settings", {"kind": "mail_setup", "host": host, "port": port,
                             "security": security, "user": user or None, "from": sender})


@handles(RecordSendAttempt)
def record_attempt(command: RecordSendAttempt, work: Work) -> None:
    _staff_only(work)
    message = _message(work, command.message)
    if message.status != "queued":
        raise Refused(f"That mail is {message.status}, not waiting to be sent.")
    if message.next_attempt_at is not None and message.next_attempt_at > work.at:
        raise Refused("That mail waits to be retried later.")
    # Compare-and-set in one statement: of two senders that read the same queued mail, the
    # second finds it changed and is refused, so only one hands it to the server.
    taken = work.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == "queued",
               OutboxMessage.attempts == command.attempts)
        .values(status="sending", attempts=command.attempts + 1,
                next_attempt_at=work.at + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise Refused("Another sender has taken that mail.")
    work.session.refresh(message)
    _set(work, message)


@handles(RecordSendResult)
def record_result(command: RecordSendResult, work: Work) -> None:
    _staff_only(work)
    message = _message(work, command.message)
    outcome, error = command.outcome, _clip(command.error or "")
    if outcome == "sent":
        # A mail failed as interrupted whose sender did finish after all: the truth wins.
        if message.status not in ("sending", "failed"):
            raise Refused(f"That mail is {message.status}, not being sent.")
        _set(work, message, status="sent", sent_at=work.at, next_attempt_at=None,
             last_error=None)
        return
    if message.status != "sending":
        raise Refused(f"That mail is {message.status}, not being sent.")
    if outcome == "temporary":
        _fail_or_wait(work, message, error)
    elif outcome == "permanent":
        _set(work, message, status="failed", next_attempt_at=None,
             last_error=_clip(f"The mail server refused it: {error}"))
    elif outcome == "unknown":
        _set(work, message, status="failed", next_attempt_at=None,
             last_error=_clip(f"{INTERRUPTED} ({error})" if error else INTERRUPTED))
    else:
        raise Refused(f"'{outcome}' is not an outcome of sending a mail.")


def _fail_or_wait(work: Work, message: OutboxMessage, error: str) -> None:
    if message.attempts >= MAX_ATTEMPTS:
        _set(work, message, status="failed", next_attempt_at=None,
             last_error=_clip(f"Not delivered after {message.attempts} attempts; "
                              f"the last: {error}"))
    else:
        _set(work, message, status="queued", last_error=error,
             next_attempt_at=work.at + backoff(message.attempts))


def _chunks(items: list[uuid.UUID]) -> Iterable[list[uuid.UUID]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


@handles(DeferSends)
def defer_sends(command: DeferSends, work: Work) -> None:
    """Set-based: one UPDATE per attempt count (the back-off depends on it), not a Python
    loop over rows, since a server down for a campaign defers thousands."""
    _staff_only(work)
    try:
        ids = [uuid.UUID(ref) for ref in command.messages]
    except ValueError:
        raise Refused("A mail to defer is not in the outbox.") from None
    error = _clip(command.error)
    deferred = failed = 0
    for chunk in _chunks(ids):
        waiting = (OutboxMessage.id.in_(chunk), OutboxMessage.status == "queued")
        counts = work.session.execute(
            select(OutboxMessage.attempts, func.count()).where(*waiting)
            .group_by(OutboxMessage.attempts)).all()
        for attempts, count in counts:
            done = attempts + 1
            values: dict[str, object] = {"attempts": done}
            if done >= MAX_ATTEMPTS:
                values |= {"status": "failed", "next_attempt_at": None, "last_error": _clip(
                    f"Not delivered after {done} attempts; the last: {error}")}
                failed += count
            else:
                values |= {"last_error": error, "next_attempt_at": work.at + backoff(done)}
                deferred += count
            work.session.execute(
                update(OutboxMessage).where(*waiting, OutboxMessage.attempts == attempts)
                .values(**values).execution_options(synchronize_session=False))
    work.record("outbox", {"kind": "delivery", "status": "deferred", "count": deferred,
                           "failed": failed, "error": error})


@handles(FailInterruptedSends)
def fail_interrupted(command: FailInterruptedSends, work: Work) -> None:
    _staff_only(work)
    count = work.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= work.at)
        .values(status="failed", next_attempt_at=None, last_error=INTERRUPTED)
        .execution_options(synchronize_session=False)
    ).rowcount
    work.record("outbox", {"kind": "delivery", "status": "interrupted", "count": count})

