"""`waypoint audit`: the commands this store ran or refused, and `audit verify`, which checks
that none of their entries was altered or removed since (app/services/audit.py)."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import suppress
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.cli.context import Context, Failure, to_json
from app.cli.registry import reader, verb
from app.services import audit
from app.services.clock import parse_date, parse_time
from app.services.settings import program_zone

LIMIT = 100


def _args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("verify",),
                        help="verify: check that no entry was altered or removed")
    parser.add_argument("--by", metavar="ACTOR", help="only this actor's commands")
    parser.add_argument("--command", metavar="NAME", help="only this command (e.g. "
                        "ApproveProgress)")
    parser.add_argument("--refused", action="store_true", help="only refused commands")
    parser.add_argument("--from", dest="since", metavar="DATE",
                        help="from this date or time (in the program's time zone)")
    parser.add_argument("--to", dest="until", metavar="DATE",
                        help="up to this date (the whole day) or time (not included)")
    parser.add_argument("--limit", type=int, default=LIMIT, metavar="N",
                        help=f"at most N entries, the newest (default {LIMIT}; 0: all)")
    reader(parser, "--as")


@verb("audit", "who did what, when, on which machine, and what came of it; "
      "`audit verify` checks the log is whole", _args)
def show_audit(args: argparse.Namespace, ctx: Context) -> int:
    if args.action == "verify":
        return _verify(ctx)
    with ctx.reading(args.reader) as session:
        zone = program_zone(session)
        since = _when("--from", args.since, zone)
        until = _when("--to", args.until, zone, end_of_day=True)
        found = audit.entries(session, actor=args.by, command=args.command,
                              refused_only=args.refused, since=since, before=until,
                              limit=max(args.limit, 0))
    lines = []
    for e in found:
        lines.append(f"{e.seq:>6}  {e.at.astimezone(zone):%Y-%m-%d %H:%M}  {e.outcome:<8}  "
                     f"{e.command} by {e.actor or '?'} on {e.device}")
        if e.reason:
            lines.append(f"        ↳ {e.reason}")
    ctx.emit({"entries": [e.as_dict() for e in found]},
             "\n".join(lines) or "No audit entries match.")
    return 0


def _when(flag: str, text: str | None, zone: ZoneInfo, end_of_day: bool = False
          ) -> datetime | None:
    if not text:
        return None
    if end_of_day:
        with suppress(ValueError):  # a time is taken as it is
            text = (parse_date(text) + timedelta(days=1)).isoformat()
    try:
        return parse_time(text, zone)
    except ValueError as exc:
        raise Failure(f"{flag}: {exc}") from exc


def _verify(ctx: Context) -> int:
    with ctx.store.session() as session:
        result = audit.verify(session)
    bad = result.first_bad
    if bad is None:
        ctx.emit({"ok": True, "entries": result.entries, "last_hash": result.last_hash},
                 f"The audit log is whole: {result.entries} entries, each linked to the one "
                 f"before; the last one's hash is {result.last_hash}.")
        return 0
    sentence = bad.sentence()
    if ctx.json:
        print(json.dumps({"ok": False, "first_bad": bad.as_dict(), "error": sentence},
                         default=to_json, ensure_ascii=False))
    print(f"waypoint: {sentence}", file=sys.stderr)
    return 1
