"""Mail from the command line: `mail-setup` (the SMTP server mail goes out through) and
`outbox send` (the `outbox` verb itself lives with the other reading verbs)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from app.cli.context import Context, Failure
from app.cli.registry import verb
from app.services import commands as c
from app.services import smtp_settings as smtp
from app.services.delivery import SendReport, send_outbox


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# --- outbox send ------------------------------------------------------------------------------


def send(args: argparse.Namespace, ctx: Context) -> int:
    """`outbox send [--now TIME] [--by WHO]`: deliver what is due, say what became of it."""
    report = send_outbox(ctx.store, ctx.time(args.now or args.at), by=args.reader)
    ctx.emit(report.as_dict(), _send_text(report))
    return 0


def _send_text(report: SendReport) -> str:
    lines: list[str] = []
    if report.interrupted:
        lines.append(f"{_plural(report.interrupted, 'mail')} left half-sent by an earlier run "
                     "failed and will not be resent: it may or may not have gone out "
                     "(see `waypoint outbox --status failed`).")
    if not report.configured:
        lines.append(f"{report.reason} {_plural(report.waiting, 'mail')} waiting.")
        return "\n".join(lines)
    lines.append(f"Sent {_plural(report.sent, 'mail')}; {report.retry} to retry later; "
                 f"{report.failed} failed.")
    errors = sorted({str(ch["error"]) for ch in report.changes
                     if ch.get("kind") == "delivery" and ch.get("error")})
    lines.extend(f"  {error}" for error in errors)
    if report.in_progress:
        lines.append(f"{_plural(report.in_progress, 'mail')} being sent by another run "
                     "was left alone.")
    return "\n".join(lines)


# --- mail-setup -------------------------------------------------------------------------------


def _setup_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="the SMTP server's host name")
    parser.add_argument("--port", type=int,
                        help="its port (default: 587 for starttls, 465 for tls, 25 for none)")
    parser.add_argument("--security", choices=smtp.SECURITIES,
                        help="starttls (the default), tls (implicit TLS) or none")
    parser.add_argument("--user", help="the user to log in as (\"\" for no login)")
    parser.add_argument("--from", dest="from_address", metavar="ADDRESS",
                        help="the address mail is sent from (default: the user, if an address)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from stdin; it goes to the OS keyring")
    parser.add_argument("--show", action="store_true",
                        help="print the settings (never the password)")
    parser.add_argument("--clear", action="store_true",
                        help="forget the server: mail then waits in the outbox")
    parser.add_argument("--at", help="when (default: now)")
    parser.add_argument("--by", help="the admin making the change")


def _read_password() -> str:
    if sys.stdin.isatty():
        password = getpass.getpass("SMTP password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise Failure("No password was given on stdin.")
    return password


def _describe(ctx: Context) -> tuple[dict[str, Any], str]:
    settings = smtp.load(ctx.store)
    where = smtp.password_location(ctx.store, settings)
    payload = {"host": settings.host, "port": settings.port, "security": settings.security,
               "user": settings.user, "from": settings.from_address, "password": where,
               "configured": settings.configured}
    if not settings.configured:
        return payload, ("No mail server is set up: mail waits in the outbox. Set one up with "
                         "`waypoint mail-setup --host HOST --from ADDRESS`.")
    kept = {"keyring": "in the keyring", "file": f"in {smtp.secrets_file(ctx.store)}",
            None: "none kept"}[where]
    lines = [f"SMTP server: {settings.host}:{settings.port} ({settings.security})",
             f"User: {settings.user} (password: {kept})" if settings.user
             else "User: none (no login)",
             f"From: {settings.from_address}"]
    return payload, "\n".join(lines)


@verb("mail-setup", "the SMTP server mail goes out through (the password goes to the keyring)",
      _setup_args)
def mail_setup(args: argparse.Namespace, ctx: Context) -> int:
    changing = any(value is not None for value in (
        args.host, args.port, args.security, args.user, args.from_address))
    if args.show or not (changing or args.clear or args.password_stdin):
        payload, text = _describe(ctx)
        ctx.emit({"mail": payload}, text)
        return 0
    if args.clear and (changing or args.password_stdin):
        raise Failure("--clear forgets the server; give it alone.")
    password = _read_password() if args.password_stdin else None
    before = smtp.load(ctx.store)
    at = ctx.time(args.at)
    changes: list[dict[str, Any]] = []
    if args.clear:
        changes = ctx.run(c.ConfigureMail(at=at, by=args.by, clear=True)).changes
        smtp.forget_password(ctx.store, before)
    elif changing:
        changes = ctx.run(c.ConfigureMail(
            at=at, by=args.by, host=args.host, port=args.port, security=args.security,
            user=args.user, from_address=args.from_address)).changes
    after = smtp.load(ctx.store)
    if password is not None:
        if after.account is None:
            raise Failure("A password needs a server and a user: give --host and --user.")
        saved = smtp.save_password(ctx.store, after, password)
        if saved.where == "file":
            print(f"waypoint: warning: {saved.reason}; the SMTP password is kept in "
                  f"{saved.path}, a file only you can read.", file=sys.stderr)
    elif after.account and after.account != before.account and smtp.password_location(
            ctx.store, after) is None:
        print(f"waypoint: no password is kept for {after.account} yet: give it with "
              "--password-stdin.", file=sys.stderr)
    payload, text = _describe(ctx)
    ctx.emit({"ok": True, "changes": changes, "mail": payload}, text)
    return 0
