"""Stage gate reviews."""

from __future__ import annotations

import argparse

from app.cli.context import Context
from app.cli.registry import acting, verb
from app.cli.verbs.acting import report
from app.services.commands import ReviewGate
from app.services.rules.gates import DECISIONS


def _review_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    parser.add_argument("gate", metavar="GATE")
    parser.add_argument("--decision", required=True, choices=DECISIONS)
    parser.add_argument("--note", help="why, kept with the review")
    acting(parser)


@verb("review", "record a gate decision for a participant", _review_args)
def review(args: argparse.Namespace, ctx: Context) -> int:
    report(ctx, ctx.run(ReviewGate(at=ctx.time(args.at), by=args.by, person=args.person,
                                   gate=args.gate, decision=args.decision, note=args.note)))
    return 0
