"""Sync from the command line: `serve` and `server add-user` run the service; `login`,
`sync` and `conflicts` connect a store to it (CONTRACT.md, "Sync from the command line").

The server's modules and the HTTP client are imported inside the verbs that use them, so
the other verbs start without loading a web framework.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from app.cli.context import Context, Failure
from app.cli.registry import acting, verb
from app.services.clock import utcnow


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _password(from_stdin: bool, prompt: str, confirm: bool = False) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(prompt)
        if confirm and password and getpass.getpass("Again: ") != password:
            raise Failure("The two passwords differ; nothing was changed.")
    else:
        raise Failure("No terminal to ask for the password on: give it with --password-stdin.")
    if not password:
        raise Failure("No password was given.")
    return password


# --- the service ------------------------------------------------------------------------------


def _database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", required=True, metavar="URL",
                        help="the server's PostgreSQL database, postgresql://USER@HOST/DB")


def _serve_args(parser: argparse.ArgumentParser) -> None:
    _database(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on "
                        "(default 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    parser.add_argument("--cert", type=Path, help="TLS certificate (PEM), with --key")
    parser.add_argument("--key", type=Path, help="the certificate's private key (PEM)")


def _server_store(url: str) -> Any:
    from app.server.database import is_postgresql, open_server_store

    if not is_postgresql(url):
        raise Failure("The sync service runs over PostgreSQL: give a postgresql:// URL.")
    try:
        return open_server_store(url)
    except Exception as exc:  # the driver's own kinds: refused, unknown host, bad password
        raise Failure(f"The database could not be opened: {exc}") from exc


@verb("serve", "run the sync service over PostgreSQL (migrates the database first)",
      _serve_args)
def serve(args: argparse.Namespace, ctx: Context) -> int:
    if (args.cert is None) != (args.key is None):
        raise Failure("TLS needs both --cert and --key.")
    for path in (args.cert, args.key):
        if path is not None and not path.is_file():
            raise Failure(f"{path}: no such file.")
    import uvicorn

    from app.server.api import create_app

    store = _server_store(args.database_url)
    scheme = "https" if args.cert else "http"
    print(f"waypoint: serving sync on {scheme}://{args.host}:{args.port}", file=sys.stderr)
    try:
        uvicorn.run(create_app(store), host=args.host, port=args.port,
                    ssl_certfile=str(args.cert) if args.cert else None,
                    ssl_keyfile=str(args.key) if args.key else None)
    finally:
        store.close()
    return 0


def _server_args(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="server_verb", metavar="ACTION", required=True)
    add = sub.add_parser("add-user", help="create or reset a server account (the first one "
                         "created is an admin)")
    add.add_argument("email", metavar="EMAIL")
    _database(add)
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from stdin")
    add.add_argument("--role", dest="roles", action="extend", nargs="+", metavar="ROLE",
                     help="the staff roles (replace the present ones; default: keep them)")
    add.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                     help="print JSON")


@verb("server", "manage the sync service: `server add-user EMAIL --database-url URL`",
      _server_args)
def server(args: argparse.Namespace, ctx: Context) -> int:
    from app.server import auth

    password = _password(args.password_stdin, f"Password for {args.email}: ", confirm=True)
    store = _server_store(args.database_url)
    try:
        added = auth.add_user(store, args.email, password, args.roles, utcnow())
    finally:
        store.close()
    roles = ", ".join(added.roles) or "none"
    ctx.emit({"ok": True, "email": added.email, "created": added.created,
              "roles": list(added.roles)},
             f"{'Created' if added.created else 'Reset'} the account {added.email} "
             f"(roles: {roles}).")
    return 0


# --- the client -------------------------------------------------------------------------------


def _login_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="the sync server, https://HOST[:PORT]")
    parser.add_argument("--user", required=True, metavar="EMAIL", help="your account")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from stdin")
    acting(parser)


@verb("login", "sign this store in to a sync server (the token goes to the OS keyring)",
      _login_args)
def login(args: argparse.Namespace, ctx: Context) -> int:
    from app.services.sync import client

    password = _password(args.password_stdin, f"Password for {args.user}: ")
    try:
        done = client.login(ctx.store, args.url, args.user, password, at=ctx.time(args.at),
                            by=args.by)
    except client.SyncError as error:
        raise Failure(error.message) from error
    if done.saved.where == "file":
        print(f"waypoint: warning: {done.saved.reason}; the sync token is kept in "
              f"{done.saved.path}, a file only you can read.", file=sys.stderr)
    ctx.emit({"ok": True, "server": done.url, "user": done.email, "token": done.saved.where,
              "expires_at": done.expires_at},
             f"Signed in to {done.url} as {done.email} (until {done.expires_at}).")
    return 0


def _sync_text(report: Any) -> str:
    if report.pushed:
        text = f"Pushed {_plural(report.pushed, 'command')}: {report.accepted} accepted"
        text += f", {report.refused} refused." if report.refused else "."
    else:
        text = "Nothing waited to be pushed."
    text += (f" Pulled {_plural(report.pulled, 'change')} from the server." if report.pulled
             else " Nothing new on the server.")
    if report.conflicts:
        text += (f" {_plural(report.conflicts, 'command')} the server refused "
                 "wait in `waypoint conflicts`.")
    return text


@verb("sync", "push this store's pending commands to the sync server, then pull")
def sync(args: argparse.Namespace, ctx: Context) -> int:
    from app.services.sync import client

    try:
        report = client.sync(ctx.store)
    except client.SyncError as error:
        if error.report is not None and error.report.pushed:
            print(f"waypoint: {_sync_text(error.report)}", file=sys.stderr)
        raise Failure(error.message) from error
    ctx.emit(report.as_dict(), _sync_text(report))
    return 0


def _conflicts_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("retry", "discard"),
                        help="retry: push it again at the next sync; discard: drop it")
    parser.add_argument("id", nargs="?", type=int, metavar="ID", help="the conflict's id")


@verb("conflicts", "commands the server refused, with its reason; retry or discard one",
      _conflicts_args)
def conflicts(args: argparse.Namespace, ctx: Context) -> int:
    from app.services.sync import outbox

    if args.action is None:
        found = outbox.conflicts(ctx.store)
        lines = [f"{c.id:>6}  {c.at:%Y-%m-%d %H:%M}  {c.command}: {c.reason}" for c in found]
        if lines:
            lines.append("`waypoint conflicts retry ID` pushes one again at the next sync; "
                         "`waypoint conflicts discard ID` drops it.")
        ctx.emit({"conflicts": [c.as_dict() for c in found]},
                 "\n".join(lines) or "No conflicts: the server took every command pushed.")
        return 0
    if args.id is None:
        raise Failure(f"Which one? `waypoint conflicts {args.action} ID`, with an id from "
                      "`waypoint conflicts`.")
    try:
        (outbox.retry if args.action == "retry" else outbox.discard)(ctx.store, args.id)
    except LookupError as missing:
        raise Failure(str(missing.args[0])) from missing
    state = "pending" if args.action == "retry" else "discarded"
    ctx.emit({"ok": True, "id": args.id, "state": state},
             f"Command {args.id} will be pushed again at the next sync." if state == "pending"
             else f"Command {args.id} was discarded; it stays in the log, marked so.")
    return 0

