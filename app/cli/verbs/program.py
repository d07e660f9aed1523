"""Programs as code: `apply FILE [--dry-run]` and `export FILE`."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.context import Context, Failure
from app.cli.registry import acting, reading, verb
from app.services.activity_files import with_activity_files, write_activity_files
from app.services.commands import ApplyProgram
from app.services.programs import ProgramInvalid, dump_program, parse_program
from app.services.programs.export import existing_keys, export_spec


def _apply_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a program file (TOML)")
    parser.add_argument("--dry-run", action="store_true",
                        help="only report what would be created or changed")
    acting(parser)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Failure(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise Failure(f"{path}: not a text file (UTF-8)") from None
    except OSError as exc:
        raise Failure(f"{path}: cannot be read ({exc.strerror})") from None


def change_summary(changes: list[dict], dry_run: bool) -> str:
    if not changes:
        return "Nothing to change: the store already says what this file says."
    lines = []
    verb_word = "would be" if dry_run else "was"
    for change in changes:
        if change.get("kind") == "definition":
            fields = f" ({', '.join(change['fields'])})" if change.get("fields") else ""
            lines.append(f"{change['type']} {change['key']} {verb_word} {change['action']}"
                         f"{fields}")
        elif change.get("kind") == "progress":
            if "to" in change:
                lines.append(f"{change['person']} {change['milestone']}: "
                             f"{change['from'] or 'new'} → {change['to']}")
            else:
                before, after = change.get("due_from"), change.get("due_to")
                lines.append(f"{change['person']} {change['milestone']}: due "
                             f"{before or 'none'} → {after or 'none'}")
    return "\n".join(lines)


@verb("apply", "create or update definitions from a program file", _apply_args)
def apply(args: argparse.Namespace, ctx: Context) -> int:
    path = Path(args.file)
    text = _read(path)
    with ctx.store.session() as session:
        existing = existing_keys(session)
    try:
        spec = with_activity_files(parse_program(text, str(path), existing), path, ctx.store,
                                   dry_run=args.dry_run)
    except ProgramInvalid as invalid:
        raise Failure(str(invalid)) from None
    result = ctx.run(ApplyProgram(at=ctx.time(args.at), by=args.by, spec=spec,
                                  source=path.name), dry_run=args.dry_run)
    changes = [c for c in result.changes if c.get("kind") in ("definition", "progress")]
    ctx.emit({"ok": True, "dry_run": args.dry_run, "changes": changes},
             change_summary(changes, args.dry_run))
    return 0


def _export_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE",
                        help="where to write the program file ('-': standard output)")
    reading(parser, at=False)


@verb("export", "write the store's definitions as a program file", _export_args)
def export(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.reading(args.reader, needs="export") as session:
        spec = export_spec(session)
    text = dump_program(spec)
    if args.file == "-":
        print(text, end="")
        return 0
    path = Path(args.file)
    try:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        files = write_activity_files(spec, path, ctx.store)
    except OSError as exc:
        raise Failure(f"{exc.filename or path}: cannot be written ({exc.strerror})") from None
    beside = f" and {len(files)} activity file{'s' if len(files) != 1 else ''} beside it" \
        if files else ""
    ctx.emit({"ok": True, "file": str(path), "files": [str(f) for f in files], "changes": []},
             f"Wrote {path}{beside}.")
    return 0
