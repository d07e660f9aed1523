"""Sessions created in the app: schedule (create, edit, a series), cancel-session, and the
sessions list."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import Any

from app.cli.context import Context, Failure
from app.cli.registry import acting, reading, verb
from app.cli.verbs.acting import describe
from app.services import commands as c
from app.services.clock import parse_date, parse_time
from app.services.programs.fields import DURATION_HINT, parse_days
from app.services.queries.sessions_view import SessionLine, Standing, sessions_view
from app.services.settings import program_zone
from app.services.write import Result


def _describe(change: dict[str, Any]) -> str:
    if change.get("kind") == "registration_cancelled":
        return f"{change.get('person')}: registration for {change.get('session')} cancelled"
    line = describe(change)
    if change.get("kind") == "definition" and change.get("fields"):
        line += f" ({', '.join(change['fields'])})"
    return line


def _report(ctx: Context, result: Result) -> None:
    lines = [_describe(change) for change in result.changes] or ["Nothing changed."]
    ctx.emit({"ok": True, "changes": result.changes}, "\n".join(lines))


def _time(ctx: Context, text: str | None, flag: str) -> datetime | None:
    """A time in the program's zone unless it carries an offset."""
    if text is None:
        return None
    with ctx.store.session() as session:
        zone = program_zone(session)
    try:
        return parse_time(text, zone)
    except ValueError as exc:
        raise Failure(f"{flag}: {exc}") from exc


def _schedule_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", metavar="KEY", help="the session's key (new: created; "
                        "existing: only the options given change)")
    parser.add_argument("--title", help="what participants see (a series numbers it: T 1, T 2…)")
    parser.add_argument("--start", metavar="TIME", help="ISO 8601, in the program's zone")
    parser.add_argument("--end", metavar="TIME", help="ISO 8601; a later day: several days")
    parser.add_argument("--milestone", metavar="KEY",
                        help="the milestone it completes ('' unlinks it)")
    parser.add_argument("--location", help="where ('' clears it)")
    parser.add_argument("--link", help="the meeting link ('' clears it)")
    parser.add_argument("--passcode", help="the meeting passcode ('' clears it)")
    confirmed = parser.add_mutually_exclusive_group()
    confirmed.add_argument("--tentative", dest="tentative", action="store_const", const=True,
                           help="not yet confirmed")
    confirmed.add_argument("--confirmed", dest="tentative", action="store_const", const=False,
                           help="confirmed (the default for a new session)")
    trainers = parser.add_mutually_exclusive_group()
    trainers.add_argument("--trainer", metavar="EMAIL", action="append",
                          help="a trainer (repeat for several; replaces the list)")
    trainers.add_argument("--no-trainers", action="store_true", help="remove every trainer")
    parser.add_argument("--marking", choices=["admin", "self"],
                        help="who marks attendance: admin (trainers, staff) or self")
    parser.add_argument("--group", help="with --reason: matched by meeting milestones")
    parser.add_argument("--reason", help="with --group: the reason code")
    parser.add_argument("--repeat", metavar="N", type=int,
                        help="a series: N sessions KEY-1 … KEY-N (with --every)")
    parser.add_argument("--every", metavar="DURATION", help='time between them, like "1w"')
    acting(parser)


@verb("schedule", "create or edit a session, or a series of sessions", _schedule_args)
def schedule(args: argparse.Namespace, ctx: Context) -> int:
    every = None
    if args.every is not None:
        every = parse_days(args.every)
        if every is None or every < 1:
            raise Failure(f"--every: expected {DURATION_HINT}, got '{args.every}'")
    trainers = () if args.no_trainers else tuple(args.trainer) if args.trainer else None
    _report(ctx, ctx.run(c.ScheduleSession(
        at=ctx.time(args.at), by=args.by, key=args.key, title=args.title,
        start=_time(ctx, args.start, "--start"), end=_time(ctx, args.end, "--end"),
        milestone=args.milestone, location=args.location, link=args.link,
        passcode=args.passcode, tentative=args.tentative, trainers=trainers,
        marking=args.marking, group=args.group, reason=args.reason,
        repeat=args.repeat if args.repeat is not None else 1, every_days=every)))
    return 0


def _cancel_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION")
    acting(parser)


def cancel_session(args: argparse.Namespace, ctx: Context) -> int:
    _report(ctx, ctx.run(c.CancelSession(at=ctx.time(args.at), by=args.by,
                                         session=args.session)))
    return 0


_CANCEL_HELP = "cancel a session nobody has attended (registrants are told)"
verb("cancel-session", _CANCEL_HELP, _cancel_args)(cancel_session)
verb("unschedule", _CANCEL_HELP + "; the same as cancel-session", _cancel_args)(cancel_session)


# -- the sessions list -------------------------------------------------------------------


def _sessions_args(parser: argparse.ArgumentParser) -> None:
    whose = parser.add_mutually_exclusive_group()
    whose.add_argument("--cohort", metavar="COHORT", help="a cohort (with its sub-cohorts)")
    whose.add_argument("--person", metavar="PERSON",
                       help="a participant, with where they stand at each")
    whose.add_argument("--milestone", metavar="MILESTONE", help="a milestone (a series)")
    parser.add_argument("--from", dest="since", metavar="DATE", help="from this day")
    parser.add_argument("--to", dest="until", metavar="DATE", help="to this day, included")
    reading(parser)


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise Failure(f"{flag}: {exc}") from exc


def _standing(standing: Standing) -> dict[str, Any]:
    return {"status": standing.status, "registered_at": standing.registered_at,
            "walk_in": standing.walk_in,
            "days": [{"day": d.day, "join": d.join, "leave": d.leave} for d in standing.days]}


def _plain(line: SessionLine) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "key": line.key, "title": line.title, "start": line.start, "end": line.end,
        "days": line.days, "tentative": line.tentative,
        "status": "tentative" if line.tentative else "confirmed", "when": line.when,
        "location": line.location, "link": line.link, "passcode": line.passcode,
        "trainers": line.trainers, "marking": line.marking, "milestone": line.milestone,
        "group": line.group, "reason": line.reason,
        "counts": {"registered": line.registered, "no_shows": line.no_shows,
                   "attended": line.attended},
    }
    if line.standing is not None:
        payload["participant"] = _standing(line.standing)
    return payload


def _span(line: SessionLine) -> str:
    start, end = line.start, line.end
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M} ({len(line.days)} days)"


def _cells(line: SessionLine) -> list[str]:
    cells = [_span(line), line.key, line.title,
             "tentative" if line.tentative else "confirmed",
             " · ".join(part for part in (line.location, line.link) if part) or "-",
             ", ".join(line.trainers) or "-", line.milestone or "-",
             f"{line.registered}/{line.no_shows}/{line.attended}"]
    if line.standing is not None:
        cells.append(line.standing.status.replace("_", " "))
    return cells


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                               ).rstrip() for row in rows)


@verb("sessions", "list sessions in start order, with registrations and attendance",
      _sessions_args)
def sessions(args: argparse.Namespace, ctx: Context) -> int:
    at = ctx.time(args.at)
    since, until = _date(args.since, "--from"), _date(args.until, "--to")
    with ctx.reading(args.reader) as session:
        view = sessions_view(session, at, cohort=args.cohort, person=args.person,
                             milestone=args.milestone, since=since, until=until)
    payload: dict[str, Any] = {"sessions": [_plain(line) for line in view.sessions]}
    header = ["when", "key", "title", "status", "where", "trainers", "milestone",
              "reg/no-show/att"]
    heading = ""
    if view.person is not None:
        payload["person"] = view.person.external_id
        header.append("their status")
        heading = f"{view.person.name} ({view.person.external_id})\n"
    if not view.sessions:
        ctx.emit(payload, heading + "No sessions.")
        return 0
    ctx.emit(payload, heading + _table([header, *(_cells(line) for line in view.sessions)]))
    return 0
