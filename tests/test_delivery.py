"""Mail delivery: the outbox handed to a real SMTP server (aiosmtpd, started by the tests),
each mail at most once, with retries and back-off; the SMTP password in the OS keyring, or in
a file only the user can read where there is none.

Mail is queued the way it is in use: a milestone whose completion sends a mail from a
template, completed by a coordinator. Each test then drives `waypoint outbox send` and
`waypoint mail-setup` as a script would, and reads back `outbox` and what the server got.
"""

from __future__ import annotations

import io
import ipaddress
import socket
import ssl
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import keyring
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import Waypoint
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked, PasswordDeleteError

from app.models.store import open_store
from app.services.commands import RecordSendAttempt
from app.services.write import execute

PROGRAM = """\
[program]
name = "Mail"
timezone = "UTC"

[[cohorts]]
key = "fall"
name = "Fall 2026"

[[templates]]
key = "congrats"
subject = "Well done, {{ person.name }}"
body = "You completed {{ milestone.title }}.\\n.\\nA line that was only a dot, kept."

[[milestones]]
key = "orientation"
title = "Orientation"
cohorts = ["fall"]
[milestones.on_complete]
email_template = "congrats"
"""

T0 = "2026-09-01T10:00:00Z"
SENDER = "Waypoint <noreply@example.edu>"


# --- an SMTP server and a keyring the tests own --------------------------------------------


class Mailroom:
    """What the SMTP server received, and whom it refuses (permanently or for now)."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply
        self.logins: list[tuple[bytes, bytes]] = []
        self.hang_up: set[str] = set()  # take the mail, then drop the line before answering

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.append(message_from_bytes(envelope.content))
        if self.hang_up.intersection(envelope.rcpt_tos):
            server.transport.close()
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")


class SmtpServer:
    """An aiosmtpd server on a free local port, started and stopped by the test."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.room = Mailroom()
        self.controller: Controller | None = None

    def start(self, **tls: Any) -> None:
        """`tls_context=…, require_starttls=True` for STARTTLS; `ssl_context=…` for TLS."""
        self.controller = Controller(
            self.room, hostname="127.0.0.1", port=self.port,
            authenticator=self.room.authenticate, auth_require_tls=False, **tls)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


class MemoryKeyring(KeyringBackend):
    """A keyring that works, kept in the test's memory (never the machine's own)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not there")


class LockedKeyring(KeyringBackend):
    """A keyring that is there but refuses every use (locked, D-Bus gone)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the keyring is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the keyring is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the keyring is locked")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    saved = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(saved)


# --- helpers --------------------------------------------------------------------------------


def queue_mails(wp: Waypoint, *people: tuple[str, str, str], at: str = T0) -> None:
    """These participants (id, name, email) complete orientation: one completion mail each."""
    wp.apply(PROGRAM)
    rows = "".join(f"{pid},{name},{email},fall\n" for pid, name, email in people)
    wp.people("id,name,email,cohort\n" + rows, "--at", at)
    for pid, _name, _email in people:
        wp.json("complete", pid, "orientation", "--at", at)


SAM = ("s1", "Sam Student", "sam@example.edu")
RIA = ("s2", "Ria Rivera", "ria@example.edu")


def setup_mail(wp: Waypoint, server: SmtpServer, *extra: str) -> dict[str, Any]:
    return wp.json("mail-setup", "--host", "127.0.0.1", "--port", str(server.port),
                   "--security", "none", "--from", SENDER, *extra)


def send(wp: Waypoint, at: str) -> dict[str, Any]:
    return wp.json("outbox", "send", "--now", at)


def outbox(wp: Waypoint) -> list[dict[str, Any]]:
    return wp.json("outbox")["messages"]


def wp_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def with_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


# --- waiting, delivering, once ----------------------------------------------------------------


def test_with_no_smtp_configured_mail_waits_in_the_outbox(wp: Waypoint) -> None:
    queue_mails(wp, SAM)

    report = send(wp, "2026-09-01T10:05:00Z")

    assert report["configured"] is False
    assert (report["sent"], report["retry"], report["failed"], report["waiting"]) == (0, 0, 0, 1)
    [mail] = outbox(wp)
    assert (mail["status"], mail["attempts"], mail["last_error"]) == ("queued", 0, None)
    code, out, _err = wp.run("outbox", "send")
    assert code == 0 and "mail waits in the outbox" in out
    assert wp.json("mail-setup", "--show")["mail"]["configured"] is False


def test_the_outbox_keeps_its_contract_and_lists_by_status(wp: Waypoint) -> None:
    queue_mails(wp, SAM)

    [mail] = outbox(wp)
    assert {"to", "kind", "subject", "created_at", "status"} <= set(mail)
    assert (mail["to"], mail["kind"], mail["status"]) == ("sam@example.edu", "completion",
                                                          "queued")
    assert len(wp.json("outbox", "--status", "queued")["messages"]) == 1
    assert wp.json("outbox", "--status", "sent")["messages"] == []


def test_outbox_send_delivers_each_queued_mail_once_over_smtp(
    wp: Waypoint, smtp: SmtpServer,
) -> None:
    queue_mails(wp, SAM, RIA)
    smtp.start()
    setup_mail(wp, smtp)

    report = send(wp, "2026-09-01T10:05:00Z")

    assert (report["sent"], report["retry"], report["failed"]) == (2, 0, 0)
    assert sorted(m["To"] for m in smtp.room.received) == ["ria@example.edu", "sam@example.edu"]
    by_to = {m["To"]: m for m in smtp.room.received}
    sam_mail = by_to["sam@example.edu"]
    assert sam_mail["Subject"] == "Well done, Sam Student"
    assert sam_mail["From"] == SENDER
    assert sam_mail["Auto-Submitted"] == "auto-generated"
    assert sam_mail.get_payload(decode=True).decode().splitlines() == [
        "You completed Orientation.", ".", "A line that was only a dot, kept."]
    assert ("noreply@example.edu", ["sam@example.edu"]) in smtp.room.envelopes
    mails = {m["to"]: m for m in outbox(wp)}
    assert {m["status"] for m in mails.values()} == {"sent"}
    assert mails["sam@example.edu"]["sent_at"].startswith("2026-09-01T10:05")
    assert mails["sam@example.edu"]["attempts"] == 1
    # The Message-ID derives from the outbox row: a copy would be recognisable as one.
    assert sam_mail["Message-ID"] == (
        f"<{mails['sam@example.edu']['id']}.waypoint@example.edu>")

    again = send(wp, "2026-09-01T11:00:00Z")

    assert (again["sent"], again["retry"], again["failed"]) == (0, 0, 0)
    assert len(smtp.room.received) == 2


def test_sending_says_what_it_did_in_words(wp: Waypoint, smtp: SmtpServer) -> None:
    queue_mails(wp, SAM)
    smtp.start()
    setup_mail(wp, smtp)

    code, out, err = wp.run("outbox", "send", "--now", "2026-09-01T10:05:00Z")

    assert code == 0, err
    assert out.strip() == "Sent 1 mail; 0 to retry later; 0 failed."


# --- retries and back-off ---------------------------------------------------------------------


def test_with_the_server_stopped_a_mail_stays_queued_and_is_retried_after_its_backoff(
    wp: Waypoint, smtp: SmtpServer,
) -> None:
    queue_mails(wp, SAM)
    setup_mail(wp, smtp)  # configured, but nothing listens on the port yet

    first = send(wp, "2026-09-01T10:05:00Z")

    assert (first["sent"], first["retry"], first["failed"]) == (0, 1, 0)
    [mail] = outbox(wp)
    assert (mail["status"], mail["attempts"]) == ("queued", 1)
    assert "refused the connection" in mail["last_error"]
    assert mail["next_attempt_at"].startswith("2026-09-01T10:06:00")

    smtp.start()
    early = send(wp, "2026-09-01T10:05:30Z")  # still inside its back-off

    assert (early["sent"], early["retry"]) == (0, 0)
    assert smtp.room.received == []

    due = send(wp, "2026-09-01T10:06:30Z")

    assert due["sent"] == 1
    [received] = smtp.room.received
    assert received["To"] == "sam@example.edu"
    [mail] = outbox(wp)
    assert (mail["status"], mail["attempts"], mail["last_error"]) == ("sent", 2, None)
    assert send(wp, "2026-09-02T10:00:00Z")["sent"] == 0
    assert len(smtp.room.received) == 1


def test_a_temporary_refusal_is_retried_later(wp: Waypoint, smtp: SmtpServer) -> None:
    queue_mails(wp, SAM)
    smtp.room.refuse["sam@example.edu"] = "451 4.3.0 Mailbox busy, try again later"
    smtp.start()
    setup_mail(wp, smtp)

    first = send(wp, "2026-09-01T10:05:00Z")

    assert first["retry"] == 1
    [mail] = outbox(wp)
    assert mail["status"] == "queued" and "451" in mail["last_error"]
    del smtp.room.refuse["sam@example.edu"]
    assert send(wp, "2026-09-01T10:07:00Z")["sent"] == 1
    assert len(smtp.room.received) == 1


def test_a_mail_that_cannot_be_delivered_for_a_day_and_a_half_fails(
    wp: Waypoint, smtp: SmtpServer,
) -> None:
    queue_mails(wp, SAM)
    setup_mail(wp, smtp)  # the server never comes up

    waits = []
    day = 1
    for _attempt in range(8):
        at = f"2026-09-{day:02d}T10:05:00Z"
        send(wp, at)
        [mail] = outbox(wp)
        waits.append(mail["next_attempt_at"])
        day += 1

    [mail] = outbox(wp)
    assert (mail["status"], mail["attempts"]) == ("failed", 8)
    assert "after 8 attempts" in mail["last_error"]
    assert waits[:2] == ["2026-09-01T10:06:00+00:00", "2026-09-02T10:10:00+00:00"]
    assert waits[-1] is None
    assert send(wp, "2026-09-20T10:00:00Z")["retry"] == 0


def test_a_permanent_refusal_fails_the_mail_without_retrying(
    wp: Waypoint, smtp: SmtpServer,
) -> None:
    queue_mails(wp, SAM, RIA)
    smtp.room.refuse["sam@example.edu"] = "550 5.1.1 No such user here"
    smtp.start()
    setup_mail(wp, smtp)

    report = send(wp, "2026-09-01T10:05:00Z")

    assert (report["sent"], report["retry"], report["failed"]) == (1, 0, 1)
    mails = {m["to"]: m for m in outbox(wp)}
    assert mails["sam@example.edu"]["status"] == "failed"
    assert mails["sam@example.edu"]["attempts"] == 1
    assert "550" in mails["sam@example.edu"]["last_error"]
    assert mails["ria@example.edu"]["status"] == "sent"
    del smtp.room.refuse["sam@example.edu"]
    assert send(wp, "2026-09-03T10:00:00Z")["sent"] == 0
    assert [m["To"] for m in smtp.room.received] == ["ria@example.edu"]
    failed = wp.json("outbox", "--status", "failed")["messages"]
    assert [m["to"] for m in failed] == ["sam@example.edu"]


# --- at most once, a crash included ----------------------------------------------------------


def test_a_mail_left_sending_by_a_crash_is_never_sent_again(
    wp: Waypoint, smtp: SmtpServer,
) -> None:
    queue_mails(wp, SAM)
    smtp.start()
    setup_mail(wp, smtp)
    [mail] = outbox(wp)
    # A sender records its attempt, hands the mail over (or not), and dies before it can
    # record the result.
    store = open_store(wp.db)
    try:
        attempt = execute(store, RecordSendAttempt(
            at=wp_time("2026-09-01T10:05:00Z"), message=mail["id"], attempts=0))
    finally:
        store.close()
    assert attempt.ok, attempt.error
    assert outbox(wp)[0]["status"] == "sending"

    meanwhile = send(wp, "2026-09-01T10:06:00Z")  # the other sender may still be at it

    assert (meanwhile["sent"], meanwhile["in_progress"]) == (0, 1)
    assert outbox(wp)[0]["status"] == "sending"

    later = send(wp, "2026-09-01T11:00:00Z")

    assert (later["sent"], later["interrupted"]) == (0, 1)
    [mail] = outbox(wp)
    assert mail["status"] == "failed"
    assert "may or may not have gone out" in mail["last_error"]
    assert send(wp, "2026-09-02T11:00:00Z")["sent"] == 0
    assert smtp.room.received == []


def test_a_second_sender_cannot_take_a_mail_already_being_sent(wp: Waypoint) -> None:
    queue_mails(wp, SAM)
    [mail] = outbox(wp)
    store = open_store(wp.db)
    try:
        at = wp_time("2026-09-01T10:05:00Z")
        first = execute(store, RecordSendAttempt(at=at, message=mail["id"], attempts=0))
        second = execute(store, RecordSendAttempt(at=at, message=mail["id"], attempts=0))
    finally:
        store.close()

    assert first.ok
    assert not second.ok and "sending" in (second.error or "")
    assert outbox(wp)[0]["attempts"] == 1


def test_a_mail_whose_connection_breaks_as_it_goes_out_is_failed_not_resent(
    wp: Waypoint, smtp: SmtpServer,
) -> None:
    queue_mails(wp, SAM, RIA)
    smtp.room.hang_up.add("sam@example.edu")  # the server has the mail; we never hear so
    smtp.start()
    setup_mail(wp, smtp)

    report = send(wp, "2026-09-01T10:05:00Z")

    assert (report["sent"], report["retry"], report["failed"]) == (1, 0, 1)
    mails = {m["to"]: m for m in outbox(wp)}
    assert mails["sam@example.edu"]["status"] == "failed"
    assert "may or may not have gone out" in mails["sam@example.edu"]["last_error"]
    assert mails["ria@example.edu"]["status"] == "sent"  # over a new connection
    smtp.room.hang_up.clear()
    assert send(wp, "2026-09-03T10:00:00Z")["sent"] == 0
    assert sorted(m["To"] for m in smtp.room.received) == ["ria@example.edu",
                                                           "sam@example.edu"]


# --- secured connections ----------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1 that this test's clients trust (through
    SSL_CERT_FILE, as a site's own CA would be); the server's TLS context."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_out_over_a_secured_connection(
    wp: Waypoint, smtp: SmtpServer, certificate: ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch, security: str,
) -> None:
    queue_mails(wp, SAM)
    if security == "starttls":
        smtp.start(tls_context=certificate, require_starttls=True)
    else:
        smtp.start(ssl_context=certificate)
    with_stdin(monkeypatch, "s3cret\n")
    wp.json("mail-setup", "--host", "127.0.0.1", "--port", str(smtp.port), "--security",
            security, "--user", "mailer", "--from", SENDER, "--password-stdin")

    report = send(wp, "2026-09-01T10:05:00Z")

    assert report["sent"] == 1, outbox(wp)
    assert smtp.room.logins == [(b"mailer", b"s3cret")]
    assert [m["To"] for m in smtp.room.received] == ["sam@example.edu"]


def test_a_server_that_offers_no_starttls_is_not_sent_to_in_the_clear(
    wp: Waypoint, smtp: SmtpServer,
) -> None:
    queue_mails(wp, SAM)
    smtp.start()
    wp.json("mail-setup", "--host", "127.0.0.1", "--port", str(smtp.port), "--security",
            "starttls", "--from", SENDER)

    report = send(wp, "2026-09-01T10:05:00Z")

    assert report["retry"] == 1 and smtp.room.received == []
    assert "STARTTLS" in outbox(wp)[0]["last_error"]


# --- the SMTP settings and the password -----------------------------------------------------


def test_the_smtp_password_is_kept_in_the_keyring(
    wp: Waypoint, smtp: SmtpServer, memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queue_mails(wp, SAM)
    smtp.start()
    with_stdin(monkeypatch, "s3cret\n")

    code, out, err = wp.run("--json", "mail-setup", "--host", "127.0.0.1", "--port",
                            str(smtp.port), "--security", "none", "--user", "mailer",
                            "--from", SENDER, "--password-stdin")

    assert code == 0, err
    assert err == ""
    assert memory_keyring.items == {("Waypoint SMTP", "mailer@127.0.0.1"): "s3cret"}
    assert not list(wp.db.parent.glob("*.secrets.json"))
    shown = wp.json("mail-setup", "--show")["mail"]
    assert shown["password"] == "keyring" and shown["user"] == "mailer"
    code, text, _ = wp.run("mail-setup", "--show")
    assert "s3cret" not in out + text and "in the keyring" in text

    assert send(wp, "2026-09-01T10:05:00Z")["sent"] == 1
    assert smtp.room.logins == [(b"mailer", b"s3cret")]


@pytest.mark.parametrize("backend", [fail.Keyring, LockedKeyring],
                         ids=["no keyring backend", "a keyring that refuses"])
def test_where_there_is_no_keyring_the_password_goes_to_a_file_only_the_user_can_read(
    wp: Waypoint, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch,
    backend: type[KeyringBackend],
) -> None:
    keyring.set_keyring(backend())
    queue_mails(wp, SAM)
    smtp.start()
    with_stdin(monkeypatch, "s3cret\n")

    code, _out, err = wp.run("mail-setup", "--host", "127.0.0.1", "--port", str(smtp.port),
                             "--security", "none", "--user", "mailer", "--from", SENDER,
                             "--password-stdin")

    assert code == 0, err
    [secrets] = wp.db.parent.glob("*.secrets.json")
    assert "warning" in err and str(secrets) in err and "only you can read" in err
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert "s3cret" in secrets.read_text()
    assert wp.json("mail-setup", "--show")["mail"]["password"] == "file"

    assert send(wp, "2026-09-01T10:05:00Z")["sent"] == 1
    assert smtp.room.logins == [(b"mailer", b"s3cret")]


def test_a_password_that_reaches_the_keyring_leaves_no_copy_on_disk(
    wp: Waypoint, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring,
) -> None:
    keyring.set_keyring(fail.Keyring())
    with_stdin(monkeypatch, "old\n")
    wp.json("mail-setup", "--host", "smtp.example.edu", "--user", "mailer@example.edu",
            "--password-stdin")
    [secrets] = wp.db.parent.glob("*.secrets.json")
    keyring.set_keyring(memory_keyring)
    with_stdin(monkeypatch, "new\n")

    wp.json("mail-setup", "--password-stdin")

    assert memory_keyring.items == {("Waypoint SMTP", "mailer@example.edu@smtp.example.edu"):
                                    "new"}
    assert "old" not in secrets.read_text()


def test_with_a_user_but_no_password_kept_mail_waits(wp: Waypoint, smtp: SmtpServer) -> None:
    queue_mails(wp, SAM)
    smtp.start()

    code, _out, err = wp.run("mail-setup", "--host", "127.0.0.1", "--port", str(smtp.port),
                             "--security", "none", "--user", "mailer", "--from", SENDER)
    report = send(wp, "2026-09-01T10:05:00Z")

    assert code == 0 and "no password is kept" in err
    assert report["configured"] is False and "password" in report["reason"]
    assert outbox(wp)[0]["status"] == "queued" and smtp.room.received == []


def test_mail_setup_checks_what_it_is_given(wp: Waypoint) -> None:
    assert "--from" in wp.refused("mail-setup", "--host", "smtp.example.edu")
    assert "not a mail address" in wp.refused(
        "mail-setup", "--host", "smtp.example.edu", "--from", "nobody")
    assert "port" in wp.refused("mail-setup", "--host", "smtp.example.edu", "--port", "70000",
                                "--from", "a@example.edu")
    code, _out, _err = wp.run("mail-setup", "--host", "h", "--security", "ssl3")
    assert code == 2

    made = wp.json("mail-setup", "--host", "smtp.example.edu", "--security", "tls",
                   "--from", "noreply@example.edu")
    assert made["mail"] == {"host": "smtp.example.edu", "port": 465, "security": "tls",
                                 "user": None, "from": "noreply@example.edu",
                                 "password": None, "configured": True}
    changed = wp.json("mail-setup", "--port", "2465")  # the rest kept
    assert (changed["mail"]["host"], changed["mail"]["port"]) == ("smtp.example.edu", 2465)

    wp.json("mail-setup", "--clear")
    assert wp.json("mail-setup", "--show")["mail"]["configured"] is False


def test_only_an_admin_sets_up_mail_and_only_staff_send(wp: Waypoint) -> None:
    queue_mails(wp, SAM)
    wp.apply(PROGRAM + """
[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
""")

    assert "admin" in wp.refused("mail-setup", "--host", "smtp.example.edu", "--from",
                                 "a@example.edu", "--by", "avery@example.edu")
    assert "staff" in wp.refused("outbox", "send", "--by", "s1")
    assert wp.json("outbox", "send", "--by", "avery@example.edu")["configured"] is False
