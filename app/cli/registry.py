"""The verb registry the verb modules add themselves to."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Runner = Callable[[argparse.Namespace, Any], int | None]


@dataclass(frozen=True)
class VerbSpec:
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Runner


VERBS: dict[str, VerbSpec] = {}


def verb(name: str, help: str, configure: Callable[[argparse.ArgumentParser], None] | None = None
         ) -> Callable[[Runner], Runner]:
    def register(run: Runner) -> Runner:
        VERBS[name] = VerbSpec(help=help, configure=configure or (lambda _p: None), run=run)
        return run

    return register


def acting(parser: argparse.ArgumentParser) -> None:
    """Every verb that acts takes --at and --by."""
    parser.add_argument("--at", help="when it happened (ISO 8601; default: now)")
    parser.add_argument("--by", help="who acts: a staff email, or the participant's id or email")


def reading(parser: argparse.ArgumentParser, *, at: bool = True) -> None:
    """Every verb that reads takes --by: who reads (restricted milestones are left out for
    those without the role)."""
    if at:
        parser.add_argument("--at", help="compute past due and progress as of this time")
    reader(parser, "--by")


def reader(parser: argparse.ArgumentParser, flag: str) -> None:
    parser.add_argument(flag, dest="reader", metavar="WHO",
                        help="who reads: a staff email or a participant's id or email "
                             "(default: the profile's user); milestones restricted to roles "
                             "they lack are left out")
