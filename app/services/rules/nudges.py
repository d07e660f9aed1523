"""Reminders staff send by hand, from the board: a reminder mail queued now.

The same limit holds as for the scheduler's reminders: a participant gets at most one
reminder mail a day. Several milestones of one participant go in one mail; a participant
already reminded today is left out (and said so in the changes), not refused, since what
staff wanted — that they hear about it today — is done. Never for what they cannot act on:
complete, skipped, locked, or waiting on approvers.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from app.models import Milestone, OutboxMessage, Person, Progress
from app.services import lookup
from app.services.commands import RemindMany, SendReminder
from app.services.errors import Refused
from app.services.mail import Rendered, queue
from app.services.registry import handles
from app.services.rules.permissions import require_staff
from app.services.work import Work

REMINDED_STATES = ("open", "started", "denied")  # as the scheduler's reminders
WHY_NOT = {"complete": "already complete", "skipped": "skipped", "submitted":
           "waiting for approvers", "locked": "locked: there is nothing they can do yet"}


def _mail_key(person_id: uuid.UUID, today: date) -> str:
    """The scheduler's key for a participant's reminder mail of the day, so that neither
    sends a second one."""
    from app.services.scheduler.reminders import _mail_key as scheduler_key

    return scheduler_key(person_id, today)


def _compose(person: Person, items: list[tuple[Milestone, Progress]]) -> Rendered:
    lines = []
    for milestone, progress in items:
        due = f", due {progress.due_on.strftime('%A %d %B %Y')}" if progress.due_on else ""
        lines.append(f"- {milestone.title}{due}")
    if len(items) == 1:
        milestone, progress = items[0]
        subject = f"Reminder: {milestone.title}" + (
            f" is due {progress.due_on.isoformat()}" if progress.due_on else "")
    else:
        subject = f"Reminder: {len(items)} milestones need your attention"
    body = (f"Hello {person.name},\n\nThis is a reminder of what is waiting for you:\n"
            + "\n".join(lines) + "\n")
    return Rendered(subject=subject, body=body)


def remind(work: Work, items: tuple[tuple[str, str], ...]) -> None:
    require_staff(work, "send reminders")
    if not items:
        raise Refused("Nothing was selected to remind.")
    problems: list[str] = []
    chosen: dict[uuid.UUID, tuple[Person, list[tuple[Milestone, Progress]]]] = {}
    for person_ref, milestone_ref in items:
        try:
            person = lookup.person(work.session, person_ref)
            milestone = lookup.milestone(work.session, milestone_ref)
            progress = lookup.progress(work.session, person, milestone)
        except Refused as refusal:
            problems.append(f"{person_ref} · {milestone_ref}: {refusal.message}")
            continue
        if progress.state not in REMINDED_STATES:
            why = WHY_NOT.get(progress.state, progress.state)
            problems.append(f"{person.name} · '{milestone.title}' is {why}.")
        elif not person.email:
            problems.append(f"{person.name} has no email address to remind.")
        else:
            chosen.setdefault(person.id, (person, []))[1].append((milestone, progress))
    if problems:
        raise Refused("Nobody was reminded:\n" + "\n".join(problems))
    today = work.today
    keys = {pid: _mail_key(pid, today) for pid in chosen}
    sent_today = set(work.session.scalars(
        select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys.values()))))
    for pid, (person, held) in chosen.items():
        if keys[pid] in sent_today:
            work.record("outbox", {"kind": "reminder", "person": person.external_id,
                                   "skipped": "already reminded today"})
            continue
        queue(work, to=person.email or "", kind="reminder", rendered=_compose(person, held),
              person=person, milestone=held[0][0] if len(held) == 1 else None,
              dedupe_key=keys[pid])


@handles(SendReminder)
def send_reminder(command: SendReminder, work: Work) -> None:
    remind(work, ((command.person, command.milestone),))


@handles(RemindMany)
def remind_many(command: RemindMany, work: Work) -> None:
    remind(work, command.items)
