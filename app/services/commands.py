"""Commands: small immutable records of intent, one per thing a user can do.

Each names what it acts on by the keys users type (participant id, milestone key), carries
its own time and actor, and an op id from which the rows it creates take their ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Command:
    at: datetime
    by: str | None = None
    op_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, kw_only=True)
class SetupProfile(Command):
    """Make the profile's user an admin of this store (init, first start), with the roles
    they work in besides (coordinator, approver, trainer)."""

    email: str
    name: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ApplyProgram(Command):
    spec: Any  # programs.ProgramSpec
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class RestoreProgram(Command):
    """Bring the definitions back to an earlier version of the program."""

    number: int


@dataclass(frozen=True, kw_only=True)
class PersonRow:
    line: int
    external_id: str
    name: str
    email: str | None = None
    cohort: str | None = None
    location: str | None = None
    status: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    impacts: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ImportPeople(Command):
    rows: tuple[PersonRow, ...]
    cohort: str | None = None
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class Enroll(Command):
    person: str
    cohort: str


@dataclass(frozen=True, kw_only=True)
class Unenroll(Command):
    person: str
    cohort: str


@dataclass(frozen=True, kw_only=True)
class ProgressCommand(Command):
    person: str
    milestone: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class StartProgress(ProgressCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class CompleteProgress(ProgressCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class SkipProgress(ProgressCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class BypassProgress(ProgressCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class ReopenProgress(ProgressCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class ExtendDue(ProgressCommand):
    until: date


@dataclass(frozen=True, kw_only=True)
class TickStep(ProgressCommand):
    step: str


@dataclass(frozen=True, kw_only=True)
class SetPerson(Command):
    """Change a participant: pipeline status, attributes (key → value) and impacts
    ((key, stage) → number)."""

    person: str
    status: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    impacts: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True, kw_only=True)
class SubmitProgress(ProgressCommand):
    """A completion request: the milestone waits for its approvers. `answers` answer the
    milestone's linked form: (question number or text, answer) pairs."""

    answers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class ApproveProgress(ProgressCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class DenyProgress(ProgressCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class WithdrawProgress(ProgressCommand):
    """The submitter takes a request back before any approver acted on it."""


@dataclass(frozen=True, kw_only=True)
class Delegate(Command):
    """The acting approver (`by`) lets a colleague approve for them, both days included."""

    to: str
    start: date
    end: date


@dataclass(frozen=True, kw_only=True)
class AddOptional(ProgressCommand):
    """Give a participant an optional milestone of one of their cohorts."""


@dataclass(frozen=True, kw_only=True)
class ReviewGate(Command):
    person: str
    gate: str
    decision: str  # go | hold | recycle | stop
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class UnapproveProgress(ProgressCommand):
    """Take back an approval: the milestone, and every later one, is ready for approval again."""


@dataclass(frozen=True, kw_only=True)
class AssignApproval(ProgressCommand):
    """Hand a pending approval to one eligible person, who alone acts on it and is told so."""

    to: str


@dataclass(frozen=True, kw_only=True)
class ApproveMany(Command):
    """Approve a selection from the inbox in one command: all of them, or none."""

    items: tuple[tuple[str, str], ...]  # (person, milestone)
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class Register(Command):
    person: str
    session: str


@dataclass(frozen=True, kw_only=True)
class Attend(Command):
    """Attendance for one day of a session; only a join time counts as having attended."""

    person: str
    session: str
    join: datetime | None = None
    leave: datetime | None = None
    day: date | None = None


@dataclass(frozen=True, kw_only=True)
class NoShow(Command):
    person: str
    session: str


@dataclass(frozen=True, kw_only=True)
class Meet(Command):
    """An appointment outside any scheduled session, by group and reason code."""

    person: str
    group: str
    reason: str
    join: datetime | None = None
    leave: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Sign(Command):
    person: str
    milestone: str
    signer: str  # the role signing: "participant" or a staff role


@dataclass(frozen=True, kw_only=True)
class AnswerSurvey(ProgressCommand):
    """A participant's answers to a milestone's survey (the active one unless named):
    (question number or text, answer) pairs."""

    answers: tuple[tuple[str, str], ...]
    survey: str | None = None


@dataclass(frozen=True, kw_only=True)
class AttachFile(ProgressCommand):
    """Evidence handed in on a progress; the file is already in the attachment store under
    its hash (services.attachments.keep)."""

    sha256: str
    name: str
    size: int


@dataclass(frozen=True, kw_only=True)
class ScheduleSession(Command):
    """Create a session in the app, or edit one: a field left None keeps its value, so two
    coordinators editing different fields do not undo each other. An empty text clears a
    field ("" for milestone unlinks it); `trainers=()` clears the trainers.

    With `repeat` N (≥ 2) and `every_days`, creates a series instead: KEY-1 … KEY-N, one
    every so many days at the same local time, all linked to the same milestone (a series is
    the sessions linked to one milestone, which `attendance_min` counts over).
    """

    key: str
    title: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    milestone: str | None = None
    location: str | None = None
    link: str | None = None
    passcode: str | None = None
    tentative: bool | None = None
    trainers: tuple[str, ...] | None = None
    marking: str | None = None  # admin | self
    group: str | None = None
    reason: str | None = None
    repeat: int = 1
    every_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class CancelSession(Command):
    """Call off a session nobody has attended: it goes, with its registrations, and those
    registered are told by mail."""

    session: str


@dataclass(frozen=True, kw_only=True)
class SheetMark:
    """One line of a marked sign-in sheet: a participant's day at a session. `status` is
    "present" (a join or leave time alone means present too) or "absent"."""

    line: int
    person: str
    day: date
    status: str  # present | absent
    join: datetime | None = None
    leave: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class MarkSheet(Command):
    """A sign-in sheet marked on paper, taken back in one command: every mark or none, so a
    sheet typed in twice, or with a bad line, never leaves half a room marked."""

    session: str
    marks: tuple[SheetMark, ...]
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class Tick(Command):
    """Run the scheduler once as of `at`: reminders, staff alerts, digests, campaigns."""


@dataclass(frozen=True, kw_only=True)
class AcknowledgeAlerts(Command):
    """Staff saw these alerts (by id), or all open ones when `ids` is empty and `all` set."""

    ids: tuple[str, ...] = ()
    all: bool = False


# --- mail delivery (services.delivery sends; these record what it did) ------------------------


@dataclass(frozen=True, kw_only=True)
class ConfigureMail(Command):
    """Set the SMTP server mail goes out through; a field left None keeps its value, "" clears
    `user`. `clear` forgets the server: mail then waits in the outbox. The password is not
    here: it goes to the keyring, never into the store or its operation log."""

    host: str | None = None
    port: int | None = None
    security: str | None = None  # starttls | tls | none
    user: str | None = None
    from_address: str | None = None
    clear: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordSendAttempt(Command):
    """About to hand a queued mail (outbox id, hex) to the SMTP server: committed before the
    send, so a crash after it leaves the mail "sending", never to be sent again. `attempts`
    is the count the sender read: a compare-and-set against a second sender."""

    message: str
    attempts: int


@dataclass(frozen=True, kw_only=True)
class RecordSendResult(Command):
    """What became of an attempt: sent, temporary (retried after a back-off), permanent
    (refused by the server), or unknown (the connection broke during the data: it may have
    gone out, so it is never retried)."""

    message: str
    outcome: str  # sent | temporary | permanent | unknown
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeferSends(Command):
    """The server could not be reached or would not take us (no connection, TLS or login
    failed): each of these queued mails counts an attempt and waits its back-off."""

    messages: tuple[str, ...]
    error: str


@dataclass(frozen=True, kw_only=True)
class FailInterruptedSends(Command):
    """Mail left "sending" past its lease (a sender that crashed or lost power mid-send) is
    failed for staff to check, never resent: it may or may not have gone out."""


@dataclass(frozen=True, kw_only=True)
class CompleteMany(Command):
    """Complete a selection from the milestone board in one command: all of it, or none."""

    items: tuple[tuple[str, str], ...]  # (person, milestone)
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class BypassMany(Command):
    """Skip a selection with a reason (a bypass) in one command: all of it, or none."""

    items: tuple[tuple[str, str], ...]  # (person, milestone)
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReopenMany(Command):
    """Reopen a selection of complete or skipped milestones (the board's undo of a bulk
    complete or skip) in one command: all of it, or none."""

    items: tuple[tuple[str, str], ...]  # (person, milestone)
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class SendReminder(ProgressCommand):
    """Staff remind a participant of one milestone now: a reminder mail is queued."""


@dataclass(frozen=True, kw_only=True)
class RemindMany(Command):
    """Remind a selection now: one reminder mail per participant, naming their milestones."""

    items: tuple[tuple[str, str], ...]  # (person, milestone)


@dataclass(frozen=True, kw_only=True)
class MoveMany(Command):
    """Move participants between cohorts (a transfer: leave one, join the other), all of
    them or none; moving back is the same command with each move turned round."""

    moves: tuple[tuple[str, str, str], ...]  # (person, from cohort, to cohort)
