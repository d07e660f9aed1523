"""Acting on a selection from the milestone board: complete, skip with a reason, reopen, or
move participants between cohorts, each as one command, all of the selection or none.

Each item runs through the same handler as its one-at-a-time verb, and the rules it sets
off run before the next item: a selection holding a milestone and the one it unlocks
completes both, in step order. Every item that cannot be done is named, and then nothing is
done: the refusal rolls the command's one transaction back.

No savepoint per item: pysqlite opens no transaction before a SAVEPOINT (the store does not
take over its transaction handling), so SQLite makes the first savepoint the transaction
and its release commits the items before it. The verbs check before they change anything,
so an item that is refused leaves nothing behind for the next one to trip over.
"""

from __future__ import annotations

from collections.abc import Callable

from app.services import lookup
from app.services.commands import (
    BypassMany,
    BypassProgress,
    CompleteMany,
    CompleteProgress,
    MoveMany,
    ProgressCommand,
    ReopenMany,
    ReopenProgress,
)
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.membership import current_members, join, leave
from app.services.rules.permissions import require_staff
from app.services.rules.progress_verbs import bypass, complete, reopen
from app.services.work import Work

Items = tuple[tuple[str, str], ...]


def _settle(work: Work) -> None:
    """Run the rules the item set off before the next item is tried."""
    from app.services.write import run_rules  # write imports every rule module

    run_rules(work)


def _each(work: Work, items: Items, attempt: Callable[[str, str], None], doing: str,
          done: str) -> None:
    if not items:
        raise Refused(f"Nothing was selected to {doing}.")
    problems = []
    for person, milestone in items:
        try:
            attempt(person, milestone)
            _settle(work)
        except Refused as refusal:
            work.pending.clear()  # what the refused item set off goes with it
            problems.append(f"{person} · {milestone}: {refusal.message}")
    if problems:
        count = len(problems)
        raise Refused(f"Nothing was {done}: {count} of the {len(items)} selected "
                      f"cannot be.\n" + "\n".join(problems))


def _verb(command: CompleteMany | BypassMany | ReopenMany, work: Work,
          kind: type[ProgressCommand], handler: Callable[[ProgressCommand, Work], None],
          ) -> Callable[[str, str], None]:
    def attempt(person: str, milestone: str) -> None:
        handler(kind(at=command.at, by=command.by, op_id=command.op_id, person=person,
                     milestone=milestone, note=command.note), work)

    return attempt


@handles(CompleteMany)
def complete_many(command: CompleteMany, work: Work) -> None:
    _each(work, command.items, _verb(command, work, CompleteProgress, complete), "complete",
          "completed")


@handles(BypassMany)
def bypass_many(command: BypassMany, work: Work) -> None:
    if not (command.note or "").strip():
        raise Refused("Skipping milestones needs a reason: say why they are skipped.")
    _each(work, command.items, _verb(command, work, BypassProgress, bypass), "skip", "skipped")


@handles(ReopenMany)
def reopen_many(command: ReopenMany, work: Work) -> None:
    _each(work, command.items, _verb(command, work, ReopenProgress, reopen), "reopen",
          "reopened")


@handles(MoveMany)
def move_many(command: MoveMany, work: Work) -> None:
    """Each participant leaves one cohort and joins another: their progress in the cohort
    they leave is kept (it comes back if they return), the new cohort's milestones are
    assigned as on enrolling."""
    require_staff(work, "move participants between cohorts")
    if not command.moves:
        raise Refused("Nobody was selected to move.")
    problems = []
    for person_ref, source, target in command.moves:
        try:
            person = lookup.person(work.session, person_ref)
            origin = lookup.cohort(work.session, source)
            destination = lookup.cohort(work.session, target)
            if origin.id == destination.id:
                raise Refused(f"{person.name} is in {destination.name} already.")
            if not current_members(work, destination.id, [person.id]).isdisjoint({person.id}):
                raise Refused(f"{person.name} is in {destination.name} already.")
            if not leave(work, origin, person):
                raise Refused(f"{person.name} is not in {origin.name}.")
            join(work, destination, [person])
            _settle(work)
        except Refused as refusal:
            work.pending.clear()
            problems.append(f"{person_ref}: {refusal.message}")
    if problems:
        raise Refused(f"Nobody was moved: {len(problems)} of the {len(command.moves)} "
                      "cannot be.\n" + "\n".join(problems))
