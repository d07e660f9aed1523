"""Versions of the program: `versions`, `versions show N`, `versions diff A B`,
`versions restore N [--dry-run]`."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session as OrmSession

from app.cli.context import Context, Failure
from app.cli.registry import acting, verb
from app.cli.verbs.program import change_summary
from app.services.access import require_everything
from app.services.commands import RestoreProgram
from app.services.errors import Refused
from app.services.programs import versions
from app.services.programs.dump import dump_program
from app.services.programs.export import export_spec
from app.services.settings import program_zone


def _args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("show", "diff", "restore"),
                        help="show N: the file and what changed; diff A B; restore N")
    parser.add_argument("numbers", nargs="*", type=int, metavar="N", help="version numbers")
    parser.add_argument("--dry-run", action="store_true",
                        help="restore: only show what would change")
    acting(parser)


@verb("versions", "the program's history: every change to the definitions; show, diff, "
      "restore one", _args)
def versions_verb(args: argparse.Namespace, ctx: Context) -> int:
    wanted = {None: 0, "show": 1, "diff": 2, "restore": 1}[args.action]
    if len(args.numbers) != wanted:
        usage = {None: "versions", "show": "versions show N", "diff": "versions diff A B",
                 "restore": "versions restore N"}[args.action]
        raise Failure(f"Usage: waypoint {usage} (numbers from `waypoint versions`).")
    if args.action is None:
        return _list(ctx, args.by)
    if args.action == "restore":
        return _restore(args, ctx)
    with _everything(ctx, args.by) as session:
        found = [versions.find(session, n) for n in args.numbers]
        missing = [n for n, v in zip(args.numbers, found, strict=True) if v is None]
        if missing:
            raise Failure(f"There is no version {missing[0]} of the program: "
                          f"`waypoint versions` lists them ({versions.count(session)}).")
        if args.action == "show":
            (version,) = found
            assert version is not None
            before = versions.previous_text(session, version.number)
            payload = {"number": version.number, "at": version.at, "actor": version.actor,
                       "source": version.source, "text": version.text,
                       "diff": versions.diff(before, version.text,
                                             old=f"version {version.number - 1}",
                                             new=f"version {version.number}")}
            when = version.at.astimezone(program_zone(session))
            ctx.emit(payload, f"Version {version.number}, {when:%Y-%m-%d %H:%M} by "
                              f"{version.actor or '-'} ({version.source})\n{payload['diff']}")
            return 0
    first, second = found
    assert first is not None and second is not None
    text = versions.diff(first.text, second.text, old=f"version {first.number}",
                         new=f"version {second.number}")
    ctx.emit({"from": first.number, "to": second.number, "diff": text},
             text or f"Versions {first.number} and {second.number} read the same.")
    return 0


@contextmanager
def _everything(ctx: Context, by: str | None) -> Iterator[OrmSession]:
    """Versions are whole program files: only for those who may see every milestone."""
    with ctx.reading(by) as session:
        try:
            require_everything(session, "Program versions")
        except Refused as refusal:
            raise Failure(refusal.message) from refusal
        yield session


def _list(ctx: Context, by: str | None) -> int:
    with _everything(ctx, by) as session:
        lines = versions.history(session)
        zone = program_zone(session)
    ctx.emit({"versions": [{"number": v.number, "at": v.at, "actor": v.actor,
                            "source": v.source, "added": v.added, "removed": v.removed}
                           for v in lines]},
             "\n".join(f"{v.number:>4}  {v.at.astimezone(zone):%Y-%m-%d %H:%M}  "
                       f"{v.actor or '-':<28} "
                       f"+{v.added} -{v.removed}  {v.source}" for v in lines)
             or "No versions yet: the first change to the definitions makes version 1.")
    return 0


def _restore(args: argparse.Namespace, ctx: Context) -> int:
    (number,) = args.numbers
    with _everything(ctx, args.by) as session:
        version = versions.find(session, number)
        if version is None:
            raise Failure(f"There is no version {number} of the program: "
                          "`waypoint versions` lists them.")
        now = dump_program(export_spec(session))
    preview = versions.diff(now, version.text, old="now", new=f"version {number}")
    result = ctx.run(RestoreProgram(at=ctx.time(args.at), by=args.by, number=number),
                     dry_run=args.dry_run)
    changes = [c for c in result.changes if c.get("kind") in ("definition", "progress",
                                                                "milestone")]
    head = (f"Restoring version {number} would change:" if args.dry_run
            else f"Version {number} restored.")
    ctx.emit({"ok": True, "dry_run": args.dry_run, "number": number, "diff": preview,
              "changes": changes},
             "\n".join(part for part in (head, preview, change_summary(
                 [c for c in changes if c.get("kind") != "milestone"], args.dry_run)) if part))
    return 0
