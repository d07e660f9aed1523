"""Completion requests and their review: submit, approve, deny, withdraw, inbox."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date

from app.cli.context import Context, Failure
from app.cli.registry import acting, verb
from app.cli.verbs.acting import progress_verb, report
from app.services import commands as c
from app.services.clock import parse_date
from app.services.queries.inbox import evidence, inbox

progress_verb("approve", c.ApproveProgress, "approve a pending request at your level")
progress_verb("deny", c.DenyProgress, "deny a pending request (it may be resubmitted)")
progress_verb("withdraw", c.WithdrawProgress, "take back a request before anyone acted on it")
progress_verb("unapprove", c.UnapproveProgress,
              "take back an approval: it and every later approved milestone are ready again")


def _assign_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("milestone", metavar="MILESTONE")
    parser.add_argument("--to", required=True, metavar="EMAIL",
                        help="the eligible approver who alone acts on it")
    parser.add_argument("--note", help="a note for them, kept in the history")
    acting(parser)


@verb("assign", "hand a pending approval to one eligible approver, who is told by mail",
      _assign_args)
def assign(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.AssignApproval(at=ctx.time(args.at), by=args.by, person=args.person,
                                         milestone=args.milestone, to=args.to, note=args.note)))
    return 0


def _inbox_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="who", metavar="EMAIL", required=True,
                        help="whose inbox: a staff member's email")
    parser.add_argument("--evidence", action="store_true",
                        help="with each request, its steps and its history")
    parser.add_argument("--at", help="compute deadlines as of this time")


@verb("inbox", "the requests a staff member may act on now, soonest deadline first", _inbox_args)
def show_inbox(args: argparse.Namespace, ctx: Context) -> int:
    at = ctx.time(args.at)
    with ctx.reading(args.who) as session:
        items = inbox(session, args.who, at)
        found = evidence(session, [i.progress_id for i in items]) if args.evidence else {}
    payload = {"items": [
        {"person": i.person, "milestone": i.milestone, "level": i.level,
         "submitted_at": i.submitted_at, "deadline": i.deadline,
         **(dataclasses.asdict(found[i.progress_id]) if args.evidence else {})}
        for i in items
    ]}
    lines = [f"{i.person:<12} {i.name:<24} {i.title}  level {i.level} of {i.levels}"
             + (f"  by {i.deadline.isoformat()}" if i.deadline else "")
             for i in items] or [f"Nothing waits for {args.who}."]
    ctx.emit(payload, "\n".join(lines))
    return 0


def _delegate_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, metavar="EMAIL", help="the colleague who acts")
    parser.add_argument("--start", required=True, metavar="DATE", help="first day (inclusive)")
    parser.add_argument("--end", required=True, metavar="DATE", help="last day (inclusive)")
    acting(parser)


def _day(text: str, option: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise Failure(f"{option}: {exc}") from exc


@verb("delegate", "let a colleague approve for you (--by) between two dates", _delegate_args)
def delegate(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.Delegate(at=ctx.time(args.at), by=args.by, to=args.to,
                                   start=_day(args.start, "--start"),
                                   end=_day(args.end, "--end"))))
    return 0
