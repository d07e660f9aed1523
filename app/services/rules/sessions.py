"""Sessions: registration, attendance, no-shows and appointments, and the milestones they
complete.

A meeting milestone completes on attendance with a recorded join time — at its linked session,
or at any session or appointment of its group and reason — and not without one. An event
milestone completes on registration and opens again on a no-show, which alerts staff. With
`attendance_min`, the share of the linked sessions held since the participant joined decides:
a late joiner is never absent from sessions held before they came.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from app.models import (
    Alert,
    Appointment,
    Attendance,
    CohortStaff,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Progress,
    Registration,
    ScheduledSession,
)
from app.services import lookup
from app.services.clock import local_date
from app.services.commands import Attend, Meet, NoShow, Register
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.approvals import ancestors
from app.services.rules.lifecycle import transition
from app.services.rules.permissions import require, require_self_or_staff
from app.services.rules.waiting import complete_unless_waiting
from app.services.work import Work

OPEN_STATES = ("open", "started", "denied")


def scheduled(work: Work, key: str) -> ScheduledSession:
    found = work.session.scalar(select(ScheduledSession).where(ScheduledSession.key == key))
    if found is None:
        raise Refused(f"There is no session '{key}'.")
    return found


def _cohort_staff(work: Work, person: Person) -> bool:
    """Is the actor staff of one of the participant's cohorts (or a cohort above them)?"""
    staff = work.actor.staff
    if staff is None:
        return False
    current = set(work.session.scalars(select(Membership.cohort_id).where(
        Membership.person_id == person.id, Membership.left_at.is_(None))))
    staffed = set(work.session.scalars(select(CohortStaff.cohort_id).where(
        CohortStaff.staff_id == staff.id)))
    return bool(staffed & ancestors(work.session, current))


def may_mark(work: Work, person: Person, where: ScheduledSession | None, doing: str) -> None:
    """The session's trainers, the participant's cohort staff or an admin; the participant
    only where the session allows self marking. Staff whose roles lack the permission to
    mark attendance may not, whatever else they are."""
    actor = work.actor
    if actor.staff is not None:
        require(work, "mark_attendance")
    if actor.label == "system" or actor.is_admin or _cohort_staff(work, person):
        return
    if actor.staff is not None and where is not None and (
            actor.staff.email.lower() in [t.lower() for t in where.trainers or []]):
        return
    if actor.person is not None and actor.person.id == person.id:
        if where is not None and where.marking == "self":
            return
        raise Refused(f"Participants do not mark their own {doing}"
                      + (f" at '{where.title}'" if where else "") + ": staff do.")
    trainers = ", ".join(where.trainers or []) if where is not None else ""
    raise Refused(f"Only {'the trainers (' + trainers + '), ' if trainers else ''}the "
                  f"participant's cohort staff or an admin may record {doing} for "
                  f"{person.name}; {actor.label} may not.")


def held_progress(work: Work, person: Person, milestone: Milestone) -> Progress | None:
    """The participant's progress of a milestone they have now (through a current cohort)."""
    progress = work.session.scalar(select(Progress).where(
        Progress.person_id == person.id, Progress.milestone_id == milestone.id))
    if progress is None or not lookup.has_access(work.session, person, milestone):
        return None
    return progress


def complete_by(work: Work, person: Person, milestone: Milestone, way: str, why: str) -> None:
    if way not in (milestone.complete_by or []):
        return
    progress = held_progress(work, person, milestone)
    if progress is not None and progress.state in OPEN_STATES:
        complete_unless_waiting(work, progress, milestone, "ProgressCompletedBy" + way.title(),
                                why)


def _register(work: Work, person: Person, where: ScheduledSession) -> Registration:
    found = work.session.scalar(select(Registration).where(
        Registration.session_id == where.id, Registration.person_id == person.id))
    if found is None:
        found = Registration(id=work.new_id(), session_id=where.id, person_id=person.id,
                             status="registered", walk_in=work.at >= where.start,
                             at=work.at, actor=work.actor.label)
        work.session.add(found)
    else:
        found.status, found.at, found.actor = "registered", work.at, work.actor.label
    work.record("sessions", {"kind": "registration", "person": person.external_id,
                             "session": where.key, "walk_in": found.walk_in})
    if where.milestone_id:
        milestone = work.session.get(Milestone, where.milestone_id)
        assert milestone is not None
        complete_by(work, person, milestone, "registration", f"registered for {where.title}")
    return found


@handles(Register)
def register(command: Register, work: Work) -> None:
    person = lookup.person(work.session, command.person)
    where = scheduled(work, command.session)
    require_self_or_staff(work, person, "register")
    current = work.session.scalar(select(Registration.status).where(
        Registration.session_id == where.id, Registration.person_id == person.id))
    if current == "registered":
        raise Refused(f"{person.name} is already registered for '{where.title}'.")
    _register(work, person, where)


def _series_met(work: Work, person: Person, milestone: Milestone, share: float) -> bool:
    """Attended at least `share` of the linked sessions held since the participant joined."""
    joined = work.session.scalar(
        select(func.min(Membership.joined_at))
        .join(MilestoneCohort, MilestoneCohort.cohort_id == Membership.cohort_id)
        .where(Membership.person_id == person.id, Membership.left_at.is_(None),
               MilestoneCohort.milestone_id == milestone.id))
    if joined is None:
        return False
    held = list(work.session.scalars(select(ScheduledSession.id).where(
        ScheduledSession.milestone_id == milestone.id, ScheduledSession.end >= joined,
        ScheduledSession.start <= work.at)))
    if not held:
        return False
    attended = set(work.session.scalars(select(Attendance.session_id).where(
        Attendance.person_id == person.id, Attendance.session_id.in_(held),
        Attendance.join_at.is_not(None))))
    return len(attended) / len(held) >= share


def _meeting_matches(work: Work, person: Person, group: str | None, reason: str | None,
                     why: str) -> None:
    """Meeting milestones of this group and reason complete on attendance anywhere."""
    if not group or not reason:
        return
    for milestone in work.session.scalars(select(Milestone).where(Milestone.kind == "meeting")):
        meeting = (milestone.rules or {}).get("meeting") or {}
        if meeting.get("group") == group and meeting.get("reason") == reason:
            complete_by(work, person, milestone, "attendance", why)


@handles(Attend)
def attend(command: Attend, work: Work) -> None:
    record_attendance(work, lookup.person(work.session, command.person),
                      scheduled(work, command.session), command.day, command.join,
                      command.leave)


def record_attendance(work: Work, person: Person, where: ScheduledSession, day: date | None,
                      join: datetime | None, leave: datetime | None) -> None:
    """One day's attendance, permission checked: shared by `attend` and the sign-in sheet, so
    a mark on paper counts exactly as one taken on the laptop."""
    may_mark(work, person, where, "attendance")
    zone = work.zone
    first, last = local_date(where.start, zone), local_date(where.end, zone)
    day = day or (local_date(join, zone) if join else first)
    if not first <= day <= last:
        raise Refused(f"'{where.title}' runs {first.isoformat()}"
                      + (f" to {last.isoformat()}" if last != first else "")
                      + f"; {day.isoformat()} is not one of its days.")
    if join and leave and leave < join:
        raise Refused("--leave is before --join.")
    registered = work.session.scalar(select(Registration.status).where(
        Registration.session_id == where.id, Registration.person_id == person.id))
    if registered != "registered":
        _register(work, person, where)  # a walk-in, registered at the door
    row = work.session.scalar(select(Attendance).where(
        Attendance.session_id == where.id, Attendance.person_id == person.id,
        Attendance.day == day))
    if row is None:
        row = Attendance(id=work.new_id(), session_id=where.id, person_id=person.id, day=day,
                         at=work.at)
        work.session.add(row)
    row.join_at = join or row.join_at
    row.leave_at = leave or row.leave_at
    row.at, row.actor = work.at, work.actor.label
    work.session.flush()
    work.record("sessions", {"kind": "attendance", "person": person.external_id,
                             "session": where.key, "day": day.isoformat(),
                             "join": _iso(join), "leave": _iso(leave)})
    if row.join_at is None:
        return  # recorded, but without a join time it completes nothing
    why = f"attended {where.title}"
    if where.milestone_id:
        milestone = work.session.get(Milestone, where.milestone_id)
        assert milestone is not None
        share = (milestone.rules or {}).get("attendance_min")
        if share is None or _series_met(work, person, milestone, float(share)):
            complete_by(work, person, milestone, "attendance", why)
    _meeting_matches(work, person, where.group, where.reason, why)


@handles(NoShow)
def no_show(command: NoShow, work: Work) -> None:
    record_no_show(work, lookup.person(work.session, command.person),
                   scheduled(work, command.session))


def record_no_show(work: Work, person: Person, where: ScheduledSession) -> None:
    """A registered participant did not come, permission checked: shared by `noshow` and the
    sign-in sheet. The event milestone their registration completed opens again."""
    may_mark(work, person, where, "a no-show")
    found = work.session.scalar(select(Registration).where(
        Registration.session_id == where.id, Registration.person_id == person.id))
    if found is None:
        raise Refused(f"{person.name} was not registered for '{where.title}'.")
    if found.status == "no_show":
        raise Refused(f"{person.name} is already recorded as a no-show at '{where.title}'.")
    found.status, found.at, found.actor = "no_show", work.at, work.actor.label
    work.record("sessions", {"kind": "no_show", "person": person.external_id,
                             "session": where.key})
    milestone = work.session.get(Milestone, where.milestone_id) if where.milestone_id else None
    if milestone is None or "registration" not in (milestone.complete_by or []):
        return
    progress = held_progress(work, person, milestone)
    if progress is not None and (progress.state == "complete" or progress.held):
        transition(work, progress, "open", "ProgressReopenedByNoShow",
                   note=f"no-show at {where.title}", acted=True)
    work.add_once(Alert(id=work.new_id(), kind="no_show", person_id=person.id,
                           milestone_id=milestone.id, at=work.at,
                           message=f"{person.name} did not show at {where.title}; "
                                   f"'{milestone.title}' is open again."))
    work.record("alerts")


@handles(Meet)
def meet(command: Meet, work: Work) -> None:
    person = lookup.person(work.session, command.person)
    may_mark(work, person, None, "an appointment")
    if command.join and command.leave and command.leave < command.join:
        raise Refused("--leave is before --join.")
    work.session.add(Appointment(id=work.new_id(), person_id=person.id, group=command.group,
                                 reason=command.reason, join_at=command.join,
                                 leave_at=command.leave, at=work.at, actor=work.actor.label))
    work.record("sessions", {"kind": "appointment", "person": person.external_id,
                             "group": command.group, "reason": command.reason,
                             "join": _iso(command.join)})
    if command.join is not None:
        _meeting_matches(work, person, command.group, command.reason,
                         f"appointment: {command.group} · {command.reason}")



def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
