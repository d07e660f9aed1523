"""`demo`: fill an empty store with a generated data set."""

from __future__ import annotations

import argparse

from app.cli.context import Context
from app.cli.registry import acting, verb
from app.services.demo import GenerateDemo
from app.services.demo.sizes import SIZES


def _demo_args(parser: argparse.ArgumentParser) -> None:
    sizes = ", ".join(f"{s.name} ≈ {s.participants:,} participants" for s in SIZES.values())
    parser.add_argument("--size", choices=list(SIZES), default="S", help=f"{sizes} (default S)")
    parser.add_argument("--seed", type=int, default=7,
                        help="the same seed gives the same data (default 7)")
    acting(parser)


@verb("demo", "fill an empty store with a generated data set", _demo_args)
def demo(args: argparse.Namespace, ctx: Context) -> int:
    result = ctx.run(GenerateDemo(at=ctx.time(args.at), by=args.by, size=args.size,
                                  seed=args.seed))
    summary = next(ch for ch in result.changes if ch.get("kind") == "demo")
    definitions = sum(1 for ch in result.changes if ch.get("kind") == "definition")
    text = (f"Applied the three demo programs ({definitions} definitions).\n"
            f"Demo {summary['size']} (seed {summary['seed']}): {summary['participants']:,} "
            f"participants in {summary['cohorts']:,} cohorts, {summary['milestones']} "
            f"milestones, {summary['progress']:,} progress rows with {summary['events']:,} "
            "history events.")
    ctx.emit({"ok": True, "changes": result.changes}, text)
    return 0
