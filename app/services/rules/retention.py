"""Retention: participants who left long ago keep their place in the numbers, not their name.

A leaver is someone every one of whose cohort stints is closed, the last more than N years
before the command's time. Anonymizing keeps the person's row and id, memberships, progress,
history, approvals, attendance and impacts, so every count, funnel and cycle time reads the
same; what could name them goes: name, email, location, external id (each replaced by a
stable code from the row's id), attributes, the free text written about their progress
(notes, text answers, attachment names), mail addressed to them, and their name in staff
mail and alerts about them. Where they acted themselves (submitted, signed, registered), the
actor they were recorded as becomes their new external id.

Impacts are kept: they are numbers, say nothing about who someone was once the name,
location and attributes are gone, and the impact reports total them as the other reports
count progress. The pipeline status stays for the same reason.

Everything is set-based: one statement per table over the leavers (chunked), or one
executemany where each person gets a value of their own (their code). No rule runs on what
this changes: removing attributes must not reopen approvals that once depended on them.

Left alone: the operation log and the audit trail (an append-only, hash-chained record of
what was done, including the commands that named them), and the files in the attachment
store (the rows that name them are renamed; the content is not this command's to delete).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Table, and_, bindparam, delete, func, not_, select, update
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Alert,
    Appointment,
    Approval,
    Attachment,
    Attendance,
    Membership,
    OutboxMessage,
    Person,
    PersonAttribute,
    Progress,
    ProgressEvent,
    Registration,
    ReminderSent,
    Signature,
    StepCheck,
    SurveyResponse,
)
from app.services.commands import Command
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.content import CHOICE_KINDS
from app.services.rules.permissions import require
from app.services.work import Work

ANON_ID = "anon-"
ANON_NAME = "Former participant "
CODE_LENGTH = 8  # hex digits of a hash of the person's id; the whole id where two collide
CHUNK = 5000
SENDING = "sending"  # a mail mid-delivery is left to finish; its result is recorded on it


@dataclass(frozen=True, kw_only=True)
class AnonymizeLeavers(Command):
    """Anonymize every participant who left their last cohort more than `years` years before
    the command's time."""

    years: int


@dataclass(frozen=True)
class Leaver:
    id: uuid.UUID
    external_id: str
    name: str
    left_at: datetime


def cutoff(at: datetime, years: int) -> datetime:
    """Calendar years (a leap day's anniversary is the 28th), not multiples of 365 days."""
    return at - relativedelta(years=years)


def _anonymized() -> Any:
    return and_(Person.external_id.startswith(ANON_ID), Person.name.startswith(ANON_NAME),
                Person.email.is_(None))


def leavers(session: OrmSession, before: datetime) -> list[Leaver]:
    """People whose every membership is closed, the last before `before`, not yet
    anonymized; by when they left."""
    last = (select(Membership.person_id, func.max(Membership.left_at).label("left_at"))
            .group_by(Membership.person_id)
            .having(func.count() == func.count(Membership.left_at))
            .subquery())
    rows = session.execute(
        select(Person.id, Person.external_id, Person.name, last.c.left_at)
        .join(last, last.c.person_id == Person.id)
        .where(last.c.left_at < before, not_(_anonymized()))
        .order_by(last.c.left_at, Person.name, Person.id))
    return [Leaver(*row) for row in rows]


def _chunks(ids: list[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _codes(session: OrmSession, people: list[Leaver]) -> dict[uuid.UUID, str]:
    """A short code per person, from a hash of their id (ids made together share their
    first digits): stable, and unique among external ids (the rare two that would share
    one, or meet an existing id, get the whole id instead)."""
    codes = {p.id: hashlib.sha256(p.id.bytes).hexdigest()[:CODE_LENGTH] for p in people}
    wanted = [ANON_ID + code for code in codes.values()]
    taken: set[str] = set()
    for i in range(0, len(wanted), CHUNK):
        taken.update(session.scalars(select(Person.external_id).where(
            Person.external_id.in_(wanted[i:i + CHUNK]))))
    seen: dict[str, int] = {}
    for code in codes.values():
        seen[code] = seen.get(code, 0) + 1
    return {pid: pid.hex if seen[code] > 1 or ANON_ID + code in taken else code
            for pid, code in codes.items()}


def _their_progress(person_ids: Any) -> Any:
    return select(Progress.id).where(Progress.person_id.in_(person_ids))


def _one_progress() -> Any:
    return select(Progress.id).where(Progress.person_id == bindparam("pid"))


# Where a participant acting on their own progress is recorded by their external id: the
# table, its actor column, and how its rows belong to one person.
_ACTED: tuple[tuple[Table, str, str], ...] = (
    (ProgressEvent.__table__, "actor", "progress"),
    (Progress.__table__, "submitted_by", "person"),
    (SurveyResponse.__table__, "actor", "progress"),
    (Attachment.__table__, "actor", "progress"),
    (StepCheck.__table__, "actor", "progress"),
    (Signature.__table__, "signer", "progress"),
    (Registration.__table__, "actor", "person"),
    (Attendance.__table__, "actor", "person"),
    (Appointment.__table__, "actor", "person"),
)


def _rename_actor(session: OrmSession, params: list[dict[str, Any]]) -> None:
    for table, column, by in _ACTED:
        owner = (table.c.person_id == bindparam("pid") if by == "person"
                 else table.c.progress_id.in_(_one_progress()))
        session.execute(update(table).where(table.c[column] == bindparam("old_id"), owner)
                        .values({column: bindparam("new_id")}), params)


def _blank_notes(session: OrmSession, ids: list[uuid.UUID]) -> None:
    theirs = _their_progress(ids)
    for table in (ProgressEvent.__table__, Approval.__table__, Attachment.__table__):
        session.execute(update(table).where(table.c.progress_id.in_(theirs), table.c.note
                                            .is_not(None)).values(note=None))
    session.execute(update(Progress.__table__).where(Progress.person_id.in_(ids))
                    .values(note=None))


def _blank_texts(session: OrmSession, ids: list[uuid.UUID]) -> None:
    """Text answers and file names, inside rows whose structure stays (the survey summary
    still counts their choices and ratings; the evidence is still there)."""
    theirs = _their_progress(ids)
    answers = []
    for row_id, given in session.execute(select(SurveyResponse.id, SurveyResponse.answers)
                                         .where(SurveyResponse.progress_id.in_(theirs))):
        kept = [a if a.get("kind") in CHOICE_KINDS else {**a, "answer": None} for a in given]
        if kept != given:
            answers.append({"rid": row_id, "kept": kept})
    if answers:
        table = SurveyResponse.__table__
        session.execute(update(table).where(table.c.id == bindparam("rid"))
                        .values(answers=bindparam("kept")), answers)
    names = [{"rid": row_id, "plain": "attachment" + PurePath(name).suffix[:10]}
             for row_id, name in session.execute(select(Attachment.id, Attachment.name)
                                                 .where(Attachment.progress_id.in_(theirs)))]
    if names:
        table = Attachment.__table__
        session.execute(update(table).where(table.c.id == bindparam("rid"))
                        .values(name=bindparam("plain")), names)


def _drop_mail(session: OrmSession, ids: list[uuid.UUID]) -> int:
    """Mail addressed to them, waiting or sent: it holds their address and a body that names
    them. The reminders it carried stay in the ledger (sent on that day), without it."""
    addresses = select(Person.email).where(Person.id.in_(ids), Person.email.is_not(None))
    theirs = select(OutboxMessage.id).where(OutboxMessage.to_email.in_(addresses),
                                            OutboxMessage.status != SENDING)
    session.execute(update(ReminderSent.__table__).where(ReminderSent.message_id.in_(theirs))
                    .values(message_id=None))
    return session.execute(delete(OutboxMessage.__table__).where(
        OutboxMessage.__table__.c.id.in_(theirs))).rowcount


def _rename_in_staff_mail(session: OrmSession, params: list[dict[str, Any]]) -> None:
    outbox, alerts = OutboxMessage.__table__, Alert.__table__
    session.execute(update(outbox).where(outbox.c.person_id == bindparam("pid")).values(
        subject=func.replace(outbox.c.subject, bindparam("old_name"), bindparam("new_name")),
        body=func.replace(outbox.c.body, bindparam("old_name"), bindparam("new_name"))), params)
    session.execute(update(alerts).where(alerts.c.person_id == bindparam("pid")).values(
        message=func.replace(alerts.c.message, bindparam("old_name"), bindparam("new_name"))),
        params)


def _rename_people(session: OrmSession, params: list[dict[str, Any]],
                   ids: list[uuid.UUID]) -> None:
    people = Person.__table__
    session.execute(update(people).where(people.c.id == bindparam("pid")).values(
        external_id=bindparam("new_id"), name=bindparam("new_name"), email=None,
        location=None, version=people.c.version + 1), params)
    session.execute(delete(PersonAttribute.__table__).where(
        PersonAttribute.__table__.c.person_id.in_(ids)))


@handles(AnonymizeLeavers)
def anonymize_leavers(command: AnonymizeLeavers, work: Work) -> None:
    require(work, "administer")
    if command.years < 1:
        raise Refused("Give the retention period as a whole number of years, 1 or more.")
    session = work.session
    people = leavers(session, cutoff(work.at, command.years))
    codes = _codes(session, people)
    params = [{"pid": p.id, "old_id": p.external_id, "new_id": ANON_ID + codes[p.id],
               "old_name": p.name, "new_name": ANON_NAME + codes[p.id]} for p in people]
    dropped = 0
    for start in range(0, len(people), CHUNK):
        chunk, ids = params[start:start + CHUNK], [p.id for p in people[start:start + CHUNK]]
        _rename_actor(session, chunk)
        _blank_notes(session, ids)
        _blank_texts(session, ids)
        dropped += _drop_mail(session, ids)
        _rename_in_staff_mail(session, chunk)
        _rename_people(session, chunk, ids)
    # Only the id and the new external id: the operation log keeps this list, and a record
    # of who was anonymized must not name them.
    for p in people:
        work.record("people", {"kind": "anonymized", "person_id": str(p.id),
                               "person": ANON_ID + codes[p.id],
                               "left_at": p.left_at.isoformat()})
    if dropped:
        work.record("outbox", {"kind": "retention", "removed": dropped})


@dataclass(frozen=True)
class Affected:
    external_id: str
    name: str
    left_at: datetime


def affected(session: OrmSession, changes: list[dict[str, Any]]) -> list[Affected]:
    """The people a run named, as the store holds them now: after a dry run (rolled back)
    who they are, after the real one only their new names."""
    entries = [c for c in changes if c.get("kind") == "anonymized"]
    ids = [uuid.UUID(c["person_id"]) for c in entries]
    found: dict[uuid.UUID, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        found.update((pid, (ext, name)) for pid, ext, name in session.execute(
            select(Person.id, Person.external_id, Person.name).where(Person.id.in_(chunk))))
    return [Affected(*found[pid], datetime.fromisoformat(c["left_at"]))
            for pid, c in zip(ids, entries, strict=True) if pid in found]
