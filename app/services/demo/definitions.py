"""The demo's definitions: three program files applied as `waypoint apply` would, inside the
demo's own unit of work, so that a demo is one command, all or nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

from app.services.commands import ApplyProgram, Command
from app.services.demo.profiles import Profile
from app.services.errors import Refused
from app.services.programs import ProgramInvalid, parse_program
from app.services.registry import HANDLERS
from app.services.work import Work

PROGRAMS = Path(__file__).resolve().parents[3] / "resources" / "programs"


def apply_programs(command: Command, work: Work, profiles: tuple[Profile, ...]) -> None:
    """Each apply takes an op id derived from the demo's, so a replayed demo applies the
    same definitions with the same ids."""
    apply = HANDLERS[ApplyProgram]
    for profile in profiles:
        path = PROGRAMS / profile.file
        try:
            spec = parse_program(path.read_text(encoding="utf-8"), path.name)
        except (OSError, ProgramInvalid) as exc:
            raise Refused(f"The demo program {path.name} cannot be read: {exc}") from exc
        apply(ApplyProgram(at=command.at, by=command.by,
                           op_id=uuid.uuid5(command.op_id, f"apply:{profile.file}"),
                           spec=spec, source=str(path)), work)
