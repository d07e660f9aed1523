"""The sign-in sheet: `sheet` prints a session's roster for a room without a laptop (and the
CSV to type the marks into), `marks` takes the marked sheet back."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.context import Context, Failure
from app.cli.registry import acting, reading, verb
from app.cli.verbs.acting import report
from app.services import lookup
from app.services.clock import parse_date
from app.services.commands import MarkSheet
from app.services.importer import ImportInvalid
from app.services.sheet_marks import read_marks
from app.services.signin_sheet import render_pdf, render_template, roster


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise Failure(f"{path}: cannot be written ({exc.strerror})") from None


def _sheet_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION")
    parser.add_argument("file", metavar="FILE.pdf", help="the PDF to write")
    parser.add_argument("--csv", metavar="FILE.csv",
                        help="also write the roster as CSV, to type the marks into")
    parser.add_argument("--day", metavar="DATE", help="only this day of a several-day session")
    parser.add_argument("--walk-ins", type=int, default=5, metavar="N",
                        help="blank lines for walk-ins on each sheet (default 5)")
    parser.add_argument("--paper", choices=("a4", "letter"),
                        help="paper size (default: Letter in the Americas, else A4)")
    reading(parser, at=False)


@verb("sheet", "print a session's sign-in sheet to PDF (and its CSV template)", _sheet_args)
def sheet(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.reading(args.reader) as session:
        r = roster(session, args.session)
    days = r.days
    if args.day:
        try:
            day = parse_date(args.day)
        except ValueError as exc:
            raise Failure(f"--day: {exc}") from None
        if day not in days:
            raise Failure(f"'{r.title}' runs {days[0].isoformat()}"
                          + (f" to {days[-1].isoformat()}" if len(days) > 1 else "")
                          + f"; {day.isoformat()} is not one of its days.")
        days = [day]
    if args.walk_ins < 0:
        raise Failure("--walk-ins: give a number of blank lines, 0 or more.")
    pdf = Path(args.file)
    _write(pdf, render_pdf(r, days, walk_ins=args.walk_ins, paper=args.paper))
    written = [str(pdf)]
    if args.csv:
        # with a byte-order mark: Excel then reads the names as UTF-8, not as ANSI
        _write(Path(args.csv), render_template(r, days).encode("utf-8-sig"))
        written.append(args.csv)
    ctx.emit({"ok": True, "file": str(pdf), "csv": args.csv, "session": r.key,
              "days": days, "people": [line.person for line in r.lines], "changes": []},
             f"Wrote {' and '.join(written)}: {len(r.lines)} registered, "
             f"{len(days)} day{'s' if len(days) > 1 else ''}.")
    return 0


def _marks_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("session", metavar="SESSION")
    parser.add_argument("file", metavar="FILE.csv",
                        help="the marked sheet: columns id, name, day, join, leave, status "
                             "(.csv or .xlsx)")
    acting(parser)


@verb("marks", "import a marked sign-in sheet: attendance and no-shows (all rows or none)",
      _marks_args)
def marks(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    with ctx.store.session() as session:
        r = roster(session, args.session)
        try:
            rows = read_marks(path, r,
                              lambda ref: lookup.person_by_ref(session, ref) is not None)
        except ImportInvalid as invalid:
            raise Failure("\n".join(invalid.errors)) from invalid
    result = ctx.run(MarkSheet(at=ctx.time(args.at), by=args.by, session=r.key,
                               marks=tuple(rows), source=path.name))
    present = sum(1 for m in rows if m.status == "present")
    report(ctx, result,
           f"{path.name}: {present} marked present, {len(rows) - present} absent.\n")
    return 0
