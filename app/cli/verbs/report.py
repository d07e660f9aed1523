"""`report NAME`: the reports of app/services/reports, printed, as JSON or CSV, or written
to a CSV, XLSX or PDF file."""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from app.cli.context import Context, Failure
from app.cli.registry import reading, verb
from app.services.clock import parse_time
from app.services.reports import REPORTS, Options, run_report
from app.services.reports.export import aligned, csv_text, write
from app.services.settings import program_zone

BARE_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help=f"one of: {', '.join(REPORTS)}")
    parser.add_argument("--cohort", metavar="KEY", help="this cohort and the cohorts below it")
    parser.add_argument("--from", dest="start", metavar="DATE",
                        help="from this date or time (reports about time)")
    parser.add_argument("--to", dest="end", metavar="DATE",
                        help="to this time; a date alone counts to the end of that day")
    parser.add_argument("--csv", action="store_true", help="print CSV")
    parser.add_argument("--out", metavar="FILE", help="write to FILE: .csv, .xlsx or .pdf")
    reading(parser)


def _bound(ctx: Context, flag: str, text: str | None, *, end: bool) -> datetime | None:
    """A --from/--to value in the program's zone; a bare date given to --to means the end of
    that day, so `--from 2026-09-01 --to 2026-09-30` is the whole of September."""
    if text is None:
        return None
    with ctx.store.session() as session:
        zone = program_zone(session)
    try:
        if end and BARE_DATE.fullmatch(text):
            text = (date.fromisoformat(text.strip()) + timedelta(days=1)).isoformat()
        return parse_time(text, zone)
    except ValueError as exc:
        message = str(exc) if "is not a date" in str(exc) else (
            f"'{text}' is not a date or time (expected ISO 8601, e.g. 2026-09-15)")
        raise Failure(f"{flag}: {message}") from exc


@verb("report", "a report: " + ", ".join(REPORTS), _report_args)
def report(args: argparse.Namespace, ctx: Context) -> int:
    if args.csv and ctx.json:
        raise Failure("Give --json or --csv, not both.")
    start = _bound(ctx, "--from", args.start, end=False)
    end = _bound(ctx, "--to", args.end, end=True)
    if start and end and start > end:
        raise Failure(f"--from {args.start} is after --to {args.end}.")
    options = Options(at=ctx.time(args.at), cohort=args.cohort, start=start, end=end)
    with ctx.reading(args.reader, needs="export" if args.out or args.csv else None) as session:
        table = run_report(session, args.name, options)
    if args.out:
        path = Path(args.out).expanduser()
        try:
            write(table, path)
        except OSError as exc:
            raise Failure(f"Cannot write the report to {path}: {exc.strerror or exc}.") from exc
        ctx.emit({"ok": True, "report": args.name, "out": str(path), "rows": len(table.rows)},
                 f"{table.title}: {len(table.rows)} "
                 f"{'row' if len(table.rows) == 1 else 'rows'} written to {path}")
    elif args.csv:
        print(csv_text(table), end="")
    else:
        ctx.emit({"report": args.name, "title": table.title, "columns": table.columns,
                  "rows": table.rows, "notes": table.notes, "at": options.at,
                  "cohort": options.cohort, "from": options.start, "to": options.end},
                 "" if ctx.json else aligned(table))  # a large table's text costs seconds
    return 0
