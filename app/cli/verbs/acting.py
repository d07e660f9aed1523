"""Verbs that act on participants and their progress."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.context import Context, Failure
from app.cli.registry import acting, verb
from app.services import commands as c
from app.services.clock import parse_date
from app.services.write import Result


def describe(change: dict[str, Any]) -> str:
    kind = change.get("kind")
    who = change.get("person", "")
    if kind == "progress" and "to" in change:
        before = change.get("from") or "new"
        return f"{who} · {change.get('milestone')}: {before} → {change['to']}"
    if kind == "progress" and "due_to" in change:
        return (f"{who} · {change.get('milestone')}: due {change.get('due_from') or 'none'}"
                f" → {change.get('due_to') or 'none'}")
    if kind == "progress" and "waits_for" in change:
        return (f"{who} · {change.get('milestone')}: completes once it has "
                f"{' and '.join(change['waits_for'])}")
    if kind == "step":
        return f"{who} · {change.get('milestone')}: ticked '{change.get('step')}'"
    if kind == "survey_response":
        return f"{who} · {change.get('milestone')}: answered the survey {change.get('survey')}"
    if kind == "attachment":
        return f"{who} · {change.get('milestone')}: attached {change.get('file')}"
    if kind == "membership":
        return f"{who} {'joined' if change.get('joined') else 'left'} {change.get('cohort')}"
    if kind == "person":
        if change.get("created"):
            return f"{who}: added"
        if "field" in change:
            return f"{who}: {change['field']} {change.get('from')} → {change.get('to')}"
        return f"{who}: updated {', '.join(change.get('updated', []))}"
    if kind == "alert":
        return f"alert for {who}: {change.get('message')}"
    if kind == "mail":
        return f"mail queued to {change.get('to')}: {change.get('subject')}"
    if kind == "campaign":
        started = "started" if change.get("started") else "stopped"
        return f"{who}: campaign {change.get('campaign')} {started}"
    if kind in ("registration", "attendance", "no_show"):
        what = {"registration": "registered for", "attendance": "attended",
                "no_show": "did not show at"}[kind]
        return f"{who} {what} {change.get('session')}"
    if kind == "appointment":
        return f"{who}: appointment {change.get('group')} · {change.get('reason')}"
    if kind == "signature":
        return f"{who} · {change.get('milestone')}: signed as {change.get('role')}"
    if kind == "assignment":
        return f"{who} · {change.get('milestone')}: handed to {change.get('to')}"
    if kind == "approval":
        return (f"{who} · {change.get('milestone')}: {change.get('decision')} at level "
                f"{change.get('level')} by {change.get('by')}")
    if kind == "delegation":
        return (f"{change.get('to')} approves for {change.get('from')} from "
                f"{change.get('start')} to {change.get('end')}")
    if kind == "gate_review":
        return f"{who} · gate {change.get('gate')}: {change.get('decision')}"
    if kind == "definition":
        return f"{change.get('action')} {change.get('type')} '{change.get('key')}'"
    return ", ".join(f"{k}={v}" for k, v in change.items())


def report(ctx: Context, result: Result, prefix: str = "") -> None:
    lines = [describe(ch) for ch in result.changes]
    if not lines:
        lines = ["Nothing changed."]
    ctx.emit({"ok": True, "changes": result.changes}, prefix + "\n".join(lines))


def _progress_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("milestone", metavar="MILESTONE")
    parser.add_argument("--note", help="a note or reason, kept in the history")
    acting(parser)


def progress_verb(name: str, command: type[c.ProgressCommand], help: str) -> None:
    def run(args: argparse.Namespace, ctx: Context) -> int:
        report(ctx, ctx.run(command(at=ctx.time(args.at), by=args.by, person=args.person,
                                    milestone=args.milestone, note=args.note)))
        return 0

    verb(name, help, _progress_args)(run)


progress_verb("start", c.StartProgress, "start a milestone")
progress_verb("complete", c.CompleteProgress, "complete a milestone")
progress_verb("skip", c.SkipProgress, "skip a milestone (where it may be bypassed)")
progress_verb("bypass", c.BypassProgress, "bypass a milestone, with a reason (--note)")
progress_verb("reopen", c.ReopenProgress, "reopen a complete or skipped milestone")
progress_verb("add", c.AddOptional, "give a participant an optional milestone")


def _membership_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("cohort", metavar="COHORT")
    acting(parser)


@verb("enroll", "add a participant to a cohort", _membership_args)
def enroll(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.Enroll(at=ctx.time(args.at), by=args.by, person=args.person,
                                 cohort=args.cohort)))
    return 0


@verb("unenroll", "remove a participant from a cohort (their history is kept)", _membership_args)
def unenroll(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.Unenroll(at=ctx.time(args.at), by=args.by, person=args.person,
                                   cohort=args.cohort)))
    return 0


def _extend_args(parser: argparse.ArgumentParser) -> None:
    _progress_args(parser)
    parser.add_argument("--until", required=True, help="the new due date (YYYY-MM-DD)")


@verb("extend", "extend one participant's due date", _extend_args)
def extend(args: argparse.Namespace, ctx: Context) -> int:
    try:
        until = parse_date(args.until)
    except ValueError as exc:
        raise Failure(f"--until: {exc}") from exc
    report(ctx, ctx.run(c.ExtendDue(at=ctx.time(args.at), by=args.by, person=args.person,
                                    milestone=args.milestone, note=args.note, until=until)))
    return 0


def _step_args(parser: argparse.ArgumentParser) -> None:
    _progress_args(parser)
    parser.add_argument("step", metavar="STEP", help="the step's title or 1-based number")


@verb("step", "tick a step of a milestone", _step_args)
def step(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.TickStep(at=ctx.time(args.at), by=args.by, person=args.person,
                                   milestone=args.milestone, note=args.note, step=args.step)))
    return 0


def _set_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("assignments", metavar="FIELD=VALUE", nargs="+",
                        help="status=VALUE, attr.NAME=VALUE or impact.NAME[.STAGE]=NUMBER")
    acting(parser)


def parse_assignments(items: list[str]) -> dict[str, Any]:
    status: str | None = None
    attributes: list[tuple[str, str]] = []
    impacts: list[tuple[str, str, float]] = []
    for item in items:
        field, sep, value = item.partition("=")
        field = field.strip()
        if not sep or not field:
            raise Failure(f"'{item}': expected FIELD=VALUE (status=…, attr.NAME=…, impact.NAME=…)")
        if field == "status":
            status = value.strip()
        elif field.startswith("attr.") and len(field) > 5:
            attributes.append((field[5:], value.strip()))
        elif field.startswith("impact.") and len(field) > 7:
            name, _, stage = field[7:].partition(".")
            try:
                number = float(value)
            except ValueError as exc:
                raise Failure(f"'{item}': an impact must be a number, not '{value}'") from exc
            impacts.append((name, stage or "actual", number))
        else:
            raise Failure(f"'{field}' is not something `set` can change: use status, attr.NAME "
                          "or impact.NAME")
    return {"status": status, "attributes": tuple(attributes), "impacts": tuple(impacts)}


@verb("set", "change a participant's status, attributes or impacts", _set_args)
def set_person(args: argparse.Namespace, ctx: Context) -> int:
    fields = parse_assignments(args.assignments)
    report(ctx, ctx.run(c.SetPerson(at=ctx.time(args.at), by=args.by, person=args.person,
                                    **fields)))
    return 0
