"""parse_program: a program file's text → a complete ProgramSpec, or every problem in it."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import UTC
from typing import Any

from app.services.programs import sections
from app.services.programs.errors import ProgramError, ProgramInvalid
from app.services.programs.fields import Problem, Table
from app.services.programs.lines import key_lines, line_of
from app.services.programs.milestones import milestone
from app.services.programs.refs import Known, cycles
from app.services.programs.spec import ProgramSpec

_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def parse_program(
    text: str, filename: str, existing: dict[str, set[str]] | None = None
) -> ProgramSpec:
    """Read and check a whole program file; raises ProgramInvalid listing every problem.

    `existing` holds the keys the store already has, by section ("cohorts", "milestones",
    "gates", "templates", "campaigns", "sessions", and "staff" by email): a reference may
    name those as well as this file's own definitions.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramInvalid([_syntax_error(filename, exc)]) from None
    problems: list[Problem] = []
    spec = _read(data, problems, Known(data, existing))
    if problems:
        lines = key_lines(text)
        errors = [ProgramError(filename, line_of(lines, path), path, message)
                  for path, message in problems]
        errors.sort(key=lambda error: (error.line is None, error.line or 0))
        raise ProgramInvalid(errors)
    return spec


def _syntax_error(filename: str, exc: tomllib.TOMLDecodeError) -> ProgramError:
    message = str(exc)
    match = _AT_LINE.search(message)
    if match is None:
        return ProgramError(filename, None, "", f"not valid TOML: {message}")
    message = message[: match.start()]
    return ProgramError(filename, int(match.group(1)), "",
                        f"not valid TOML: {message} (column {match.group(2)})")


def _read(data: dict[str, Any], problems: list[Problem], known: Known) -> ProgramSpec:
    root = Table(data, "", problems)
    program_table = root.table("program")
    program = sections.program(program_table) if program_table is not None else None
    zone = sections.zone_of(program.timezone if program else "UTC") or UTC

    def each(section: str, read: Callable[[Table], Any]) -> list[Any]:
        return [read(entry) for entry in root.tables(section, hint=f" ([[{section}]])")]

    permissions_table = root.table("permissions")
    spec = ProgramSpec(
        program=program,
        permissions=(sections.permissions(permissions_table)
                     if permissions_table is not None else None),
        staff=each("staff", sections.staff),
        cohorts=each("cohorts", lambda t: sections.cohort(t, known)),
        gates=each("gates", sections.gate),
        templates=each("templates", sections.template),
        campaigns=each("campaigns", lambda t: sections.campaign(t, known)),
        milestones=[milestone(t, position, known) for position, t in
                    enumerate(root.tables("milestones", hint=" ([[milestones]])"), start=1)],
        sessions=each("sessions", lambda t: sections.session(t, known, zone)),
    )
    root.finish()
    for section, entries in vars(spec).items():
        if isinstance(entries, list) and section != "permissions":
            problems.extend(_duplicates(section, entries))
    problems.extend(cycles([(c.key, [c.parent] if c.parent else []) for c in spec.cohorts],
                           "cohorts", "parent"))
    problems.extend(cycles([(m.key, m.after) for m in spec.milestones], "milestones", "after"))
    return spec


def _duplicates(section: str, entries: list[Any]) -> list[Problem]:
    """Two entries of a section with one key: `apply` could not tell which one is meant."""
    field = "email" if section == "staff" else "key"
    first: dict[str, int] = {}
    problems = []
    for index, entry in enumerate(entries):
        key = getattr(entry, field)
        if key in first:
            problems.append((f"{section}[{index}].{field}",
                             f"'{key}' is already the {field} of {section}[{first[key]}]"))
        elif key:
            first[key] = index
    return problems
