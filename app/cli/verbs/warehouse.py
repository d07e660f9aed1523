"""`warehouse DIR`: progress and its history for a data warehouse, in numbered batches of
what changed since the last export (see app/services/warehouse.py for what "since" means)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from app.cli.context import Context, Failure
from app.cli.registry import reading, verb
from app.services import warehouse
from app.services.access import hidden_in
from app.services.errors import Refused


def _args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", type=Path,
                        help="where the batch's files go (made if missing)")
    parser.add_argument("--format", choices=warehouse.FORMATS, default="csv",
                        help="CSV (the default) or JSON Lines")
    parser.add_argument("--full", action="store_true",
                        help="export everything, and count the next batch from here")
    parser.add_argument("--at", help="the export's time in its manifest (default: now)")
    reading(parser, at=False)


@verb("warehouse", "export progress and history changed since the last export, for a data "
      "warehouse", _args)
def warehouse_export(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.reading(args.reader, needs="export") as session:
        hidden = hidden_in(session)
    try:
        batch = warehouse.export(ctx.store, args.directory, args.format, full=args.full,
                                 at=ctx.time(args.at), hidden=hidden)
    except Refused as refusal:
        raise Failure(refusal.message) from refusal
    payload = {**asdict(batch), "directory": str(args.directory)}
    counts = batch.counts
    if batch.batch is None:
        text = f"Nothing changed since the last export (up to operation {batch.watermark})."
    else:
        text = (f"Batch {batch.batch}{' (full)' if batch.full else ''}: "
                f"{counts['progress']} progress rows, {counts['history']} history events "
                f"(operations {batch.since + 1}–{batch.watermark}) in {args.directory}: "
                f"{', '.join(batch.files.values())}")
    ctx.emit(payload, text)
    return 0
