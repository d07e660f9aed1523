"""Activity files named in a program file, copied into the store on apply and written back
beside the file on export.

A program file names an activity's file relative to itself; the store keeps the content
under its hash, so a changed file is a changed milestone, the same file applied again changes
nothing, and an exported program carries its files with it.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from app.models.store import Store
from app.services.attachments import digest, folder_for, keep, limit_bytes, path_of
from app.services.errors import Refused
from app.services.programs import ProgramError, ProgramInvalid, ProgramSpec


def with_activity_files(spec: ProgramSpec, program: Path, store: Store, *,
                        dry_run: bool = False) -> ProgramSpec:
    """The spec with each activity file's hash; the files copied in unless a dry run.
    Every file that cannot be taken is named with its key path, and nothing is applied."""
    if not any(a.file for m in spec.milestones for a in m.activities):
        return spec
    if store.path is None:
        raise ProgramInvalid([ProgramError(str(program), None, "",
                                           "this store keeps no files: it has no folder")])
    folder = folder_for(store.path)
    with store.session() as session:
        limit = limit_bytes(session)
    errors: list[ProgramError] = []
    milestones = []
    for m_index, milestone in enumerate(spec.milestones):
        activities = []
        for a_index, activity in enumerate(milestone.activities):
            if activity.file:
                source = program.parent / activity.file
                try:
                    stored = digest(source, limit) if dry_run else keep(source, folder, limit)
                except Refused as refused:
                    errors.append(ProgramError(
                        str(program), None, f"milestones[{m_index}].activities[{a_index}].file",
                        str(refused).replace(str(source), activity.file)))
                    stored = None
                activity = dataclasses.replace(
                    activity, sha256=stored.sha256 if stored else None)
            activities.append(activity)
        milestones.append(dataclasses.replace(milestone, activities=activities))
    if errors:
        raise ProgramInvalid(errors)
    return dataclasses.replace(spec, milestones=milestones)


def write_activity_files(spec: ProgramSpec, program: Path, store: Store) -> list[Path]:
    """Copy the store's activity files beside an exported program file, under the names
    the program gives them."""
    if store.path is None:
        return []
    folder = folder_for(store.path)
    written = []
    for milestone in spec.milestones:
        for activity in milestone.activities:
            if not (activity.file and activity.sha256):
                continue
            stored = path_of(folder, activity.sha256)
            if not stored.exists():
                continue
            target = program.parent / activity.file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(stored, target)
            written.append(target)
    return written
