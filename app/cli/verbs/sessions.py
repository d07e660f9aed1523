"""Sessions and whiteboards: register, attend, noshow, meet, sign, calendar."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from app.cli.context import Context, Failure
from app.cli.registry import acting, reading, verb
from app.cli.verbs.acting import report
from app.services import commands as c
from app.services.calendar import cohort_calendar, person_calendar
from app.services.clock import parse_date, utcnow


def _session_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("session", metavar="SESSION")
    acting(parser)


def _when(ctx: Context, text: str | None) -> datetime | None:
    return ctx.time(text) if text else None


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise Failure(f"--day: {exc}") from exc


@verb("register", "register a participant for a session", _session_args)
def register(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.Register(at=ctx.time(args.at), by=args.by, person=args.person,
                                   session=args.session)))
    return 0


def _attend_args(parser: argparse.ArgumentParser) -> None:
    _session_args(parser)
    parser.add_argument("--join", metavar="TIME", help="when they joined (needed to count)")
    parser.add_argument("--leave", metavar="TIME", help="when they left")
    parser.add_argument("--day", metavar="DATE", help="which day of a several-day session")


@verb("attend", "record attendance (a join time makes it count)", _attend_args)
def attend(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.Attend(at=ctx.time(args.at), by=args.by, person=args.person,
                                 session=args.session, join=_when(ctx, args.join),
                                 leave=_when(ctx, args.leave), day=_day(args.day))))
    return 0


@verb("noshow", "record that a registered participant did not come", _session_args)
def noshow(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.NoShow(at=ctx.time(args.at), by=args.by, person=args.person,
                                 session=args.session)))
    return 0


def _meet_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("--group", required=True, help="the appointment's group")
    parser.add_argument("--reason", required=True, help="its reason code")
    parser.add_argument("--join", metavar="TIME", help="when it began (needed to count)")
    parser.add_argument("--leave", metavar="TIME", help="when it ended")
    acting(parser)


@verb("meet", "record an appointment outside any scheduled session", _meet_args)
def meet(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.Meet(at=ctx.time(args.at), by=args.by, person=args.person,
                               group=args.group, reason=args.reason,
                               join=_when(ctx, args.join), leave=_when(ctx, args.leave))))
    return 0


def _sign_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("milestone", metavar="MILESTONE")
    parser.add_argument("--signer", required=True, metavar="ROLE",
                        help="the role signing: participant, or a staff role")
    acting(parser)


@verb("sign", "sign a whiteboard document", _sign_args)
def sign(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(c.Sign(at=ctx.time(args.at), by=args.by, person=args.person,
                               milestone=args.milestone, signer=args.signer)))
    return 0


def _calendar_args(parser: argparse.ArgumentParser) -> None:
    whose = parser.add_mutually_exclusive_group(required=True)
    whose.add_argument("--person", metavar="PERSON", help="a participant's id or email")
    whose.add_argument("--cohort", metavar="COHORT", help="a cohort (with its sub-cohorts)")
    parser.add_argument("file", metavar="FILE", help="the .ics file to write ('-': stdout)")
    reading(parser, at=False)


@verb("calendar", "export sessions and due dates as an iCalendar file", _calendar_args)
def calendar(args: argparse.Namespace, ctx: Context) -> int:
    stamp = utcnow()
    with ctx.reading(args.reader, about=args.person, needs="export") as session:
        data = (person_calendar(session, args.person, stamp) if args.person
                else cohort_calendar(session, args.cohort, stamp))
    if args.file == "-":
        sys.stdout.write(data.decode("utf-8"))
        return 0
    path = Path(args.file)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise Failure(f"{path}: cannot be written ({exc.strerror})") from None
    ctx.emit({"ok": True, "file": str(path), "changes": []}, f"Wrote {path}.")
    return 0
