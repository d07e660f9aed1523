"""Restoring an earlier version of the program.

The version's file is applied as a file would be (every definition it names comes back as it
was), and the milestones made since are retired rather than deleted: participants' history
on them stays, and they leave the board and the exports' active list as the version had it.
Cohorts, staff and sessions made since are kept: people and their records belong to them.
"""

from __future__ import annotations

from sqlalchemy import select

from app.models import Milestone
from app.services.access import hidden_milestones
from app.services.commands import RestoreProgram
from app.services.errors import Refused
from app.services.programs import ProgramInvalid, parse_program, versions
from app.services.programs.export import existing_keys
from app.services.registry import handles
from app.services.rules.definitions import apply_spec
from app.services.rules.permissions import require_editor
from app.services.work import Work


@handles(RestoreProgram)
def restore_program(command: RestoreProgram, work: Work) -> None:
    require_editor(work)
    actor = work.actor
    if actor.staff is not None and hidden_milestones(work.session, actor.roles,
                                                     actor.permissions):
        raise Refused(f"A version restores every milestone, restricted ones too: {actor.label} "
                      "may not restore one without seeing them all.")
    version = versions.find(work.session, command.number)
    if version is None:
        raise Refused(f"There is no version {command.number} of the program: "
                      "`waypoint versions` lists them.")
    try:
        spec = parse_program(version.text, f"version {version.number}",
                             existing_keys(work.session))
    except ProgramInvalid as invalid:  # a version that no longer reads (keys gone since)
        raise Refused(f"Version {version.number} cannot be applied as it is: {invalid}") \
            from invalid
    apply_spec(work, spec)
    wanted = {m.key for m in spec.milestones}
    for milestone in work.session.scalars(select(Milestone).where(
            Milestone.key.not_in(wanted), Milestone.retired.is_(False))):
        milestone.retired = True
        milestone.version += 1
        work.record("definitions", {"kind": "milestone", "key": milestone.key,
                                    "change": "retired"})
    versions.record(work, f"restore of version {version.number}")
