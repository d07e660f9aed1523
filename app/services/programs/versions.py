"""Versions of the program: the whole file after each change to the definitions, and the
differences between two of them.

A version is the program file `export` would write at that moment, so reading one needs
nothing but the text, a diff is a diff of two files a coordinator already knows how to read,
and restoring one is applying it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from app.models import ProgramVersion
from app.services.programs.dump import dump_program
from app.services.programs.export import export_spec
from app.services.work import Work


def record(work: Work, source: str) -> ProgramVersion | None:
    """Keep the program as it now stands, unless it reads as the last version did."""
    text = dump_program(export_spec(work.session))
    last = latest(work.session)
    if last is not None and last.text == text:
        return None
    version = ProgramVersion(id=work.new_id(), number=(last.number + 1) if last else 1,
                             at=work.at, actor=work.actor.label, source=source[:200],
                             op_id=work.op_id, text=text)
    work.session.add(version)
    work.record("definitions")
    return version


def latest(session: OrmSession) -> ProgramVersion | None:
    return session.scalar(select(ProgramVersion).order_by(ProgramVersion.number.desc())
                          .limit(1))


def find(session: OrmSession, number: int) -> ProgramVersion | None:
    return session.scalar(select(ProgramVersion).where(ProgramVersion.number == number))


@dataclass(frozen=True)
class VersionLine:
    """One version as the history lists it: lines added and removed against the one before."""

    number: int
    at: datetime
    actor: str | None
    source: str
    added: int
    removed: int


def history(session: OrmSession) -> list[VersionLine]:
    rows = session.scalars(select(ProgramVersion).order_by(ProgramVersion.number)).all()
    found, before = [], ""
    for row in rows:
        added, removed = _counts(before, row.text)
        found.append(VersionLine(row.number, row.at, row.actor, row.source, added, removed))
        before = row.text
    return found


def diff(before: str, after: str, *, old: str, new: str) -> str:
    """A unified diff of two versions' files, labelled as the user knows them."""
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True), old, new))


def previous_text(session: OrmSession, number: int) -> str:
    before = session.scalar(select(ProgramVersion.text).where(
        ProgramVersion.number < number).order_by(ProgramVersion.number.desc()).limit(1))
    return before or ""


def count(session: OrmSession) -> int:
    return session.scalar(select(func.count()).select_from(ProgramVersion)) or 0


def _counts(before: str, after: str) -> tuple[int, int]:
    added = removed = 0
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed
