"""The scheduler from the command line: `tick` runs it once; `ack` acknowledges alerts."""

from __future__ import annotations

import argparse

from app.cli.context import Context
from app.cli.registry import verb
from app.services import commands as c
from app.services.scheduler.tick import summary


def _tick_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--now", metavar="TIME", help="run as of this time (default: now)")
    parser.add_argument("--at", help="the same as --now")
    parser.add_argument("--by", help="who runs it (default: the profile's user)")


@verb("tick", "run the scheduler once: reminders, alerts, deadlines, digests, campaigns",
      _tick_args)
def tick(args: argparse.Namespace, ctx: Context) -> int:
    result = ctx.run(c.Tick(at=ctx.time(args.now or args.at), by=args.by))
    ctx.emit({"ok": True, "changes": result.changes}, summary(result.changes) or "Nothing was due.")
    return 0


def _ack_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ALERT", help="alert ids, as `alerts` lists")
    parser.add_argument("--all", action="store_true", help="every open alert")
    parser.add_argument("--at", help="when (default: now)")
    parser.add_argument("--by", help="the staff member acknowledging")


@verb("ack", "acknowledge staff alerts", _ack_args)
def ack(args: argparse.Namespace, ctx: Context) -> int:
    result = ctx.run(c.AcknowledgeAlerts(at=ctx.time(args.at), by=args.by,
                                         ids=tuple(args.ids), all=args.all))
    count = sum(int(change.get("count", 0)) for change in result.changes)
    ctx.emit({"ok": True, "changes": result.changes},
             f"Acknowledged {count} alert{'s' if count != 1 else ''}.")
    return 0
