"""Importing participants."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select

from app.cli.context import Context, Failure
from app.cli.registry import acting, verb
from app.models import Cohort
from app.services.commands import ImportPeople
from app.services.importer import ImportInvalid, read_people


def _import_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a .csv or .xlsx file")
    parser.add_argument("--cohort", help="enroll everyone without a cohort column in this cohort")
    acting(parser)


@verb("import", "import participants from CSV or XLSX (all rows or none)", _import_args)
def import_people(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    with ctx.store.session() as session:
        cohorts = set(session.scalars(select(Cohort.key)))
    try:
        rows = read_people(path, cohorts, args.cohort)
    except ImportInvalid as invalid:
        raise Failure("\n".join(invalid.errors)) from invalid
    result = ctx.run(ImportPeople(at=ctx.time(args.at), by=args.by, rows=tuple(rows),
                                  cohort=args.cohort, source=path.name))
    created = sum(1 for ch in result.changes if ch.get("kind") == "person" and ch.get("created"))
    joined = sum(1 for ch in result.changes if ch.get("kind") == "membership")
    ctx.emit({"ok": True, "changes": result.changes},
             f"Imported {len(rows)} rows: {created} new participants, {joined} enrollments.")
    return 0
