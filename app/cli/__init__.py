"""The command line: `waypoint [--db PATH] [--json] VERB …`; no verb opens the desktop app.

Verbs live in `app/cli/verbs/`, one module per family, each registering itself with
`@verb`; adding a verb is a change to one file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from app.cli.context import Context, Failure
from app.cli.registry import VERBS
from app.services.errors import Refused

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _load_verbs() -> None:
    from app.cli import verbs

    for module in pkgutil.iter_modules(verbs.__path__):
        importlib.import_module(f"{verbs.__name__}.{module.name}")


def build_parser() -> argparse.ArgumentParser:
    _load_verbs()
    parser = argparse.ArgumentParser(
        prog="waypoint",
        description="Waypoint: participants, cohorts and milestones. With no verb, opens the app.",
    )
    parser.add_argument("--db", help="the store (default: the profile's store, or $WAYPOINT_DB)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name, spec in sorted(VERBS.items()):
        child = sub.add_parser(name, help=spec.help, description=spec.help)
        child.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        child.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                           help="print JSON")
        spec.configure(child)
        child.set_defaults(run=spec.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        from app.desktop import run_desktop

        return run_desktop(args.db)
    context = Context(db=args.db, json=bool(getattr(args, "json", False)))
    try:
        return args.run(args, context) or EXIT_OK
    except (Failure, Refused) as failure:  # a reading verb's query may refuse too
        context.fail(failure.message)
        return EXIT_REFUSED
    finally:
        context.close()


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `waypoint outbox | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)
