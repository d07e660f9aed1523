"""Calendars: a participant's or a cohort's sessions and due dates as an iCalendar file, which
Outlook, Google and Apple calendars import.

Uids are stable (session and progress ids), so importing a newer export updates the events
already in someone's calendar instead of doubling them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    DONE_STATES,
    Milestone,
    MilestoneCohort,
    Registration,
    ScheduledSession,
)
from app.services import lookup
from app.services.queries.board import cohort_tree, subtree
from app.services.queries.person_view import held
from app.services.settings import PROGRAM_NAME, get_setting

PRODUCT = "-//Waypoint//Waypoint calendar//EN"


def _calendar(session: OrmSession, title: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{get_setting(session, PROGRAM_NAME) or 'Waypoint'} · {title}")
    return calendar


def _session_event(row: ScheduledSession, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"session-{row.id.hex}@waypoint")
    event.add("dtstamp", stamp)
    event.add("summary", row.title + (" (tentative)" if row.tentative else ""))
    event.add("dtstart", row.start)
    event.add("dtend", row.end)
    event.add("status", "TENTATIVE" if row.tentative else "CONFIRMED")
    if row.location:
        event.add("location", row.location)
    details = [f"Join: {row.link}"] if row.link else []
    details += [f"Passcode: {row.passcode}"] if row.passcode else []
    if details:
        event.add("description", "\n".join(details))
    if row.link:
        event.add("url", row.link)
    return event


def _due_event(uid: str, title: str, due: object, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{uid}@waypoint")
    event.add("dtstamp", stamp)
    event.add("summary", f"Due: {title}")
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(days=1))  # type: ignore[operator]
    event.add("transp", "TRANSPARENT")
    return event


def person_calendar(session: OrmSession, ref: str, stamp: datetime) -> bytes:
    """The participant's sessions (of their milestones, or registered for) and due dates."""
    person = lookup.person(session, ref)
    rows = held(session, person)
    calendar = _calendar(session, person.name)
    milestone_ids = [m.id for _, m in rows]
    registered = select(Registration.session_id).where(
        Registration.person_id == person.id, Registration.status == "registered")
    for row in session.scalars(select(ScheduledSession).where(
            ScheduledSession.milestone_id.in_(milestone_ids) | ScheduledSession.id.in_(registered)
    ).order_by(ScheduledSession.start)):
        calendar.add_component(_session_event(row, stamp))
    for progress, milestone in rows:
        if progress.due_on and progress.state not in DONE_STATES:
            calendar.add_component(_due_event(f"due-{progress.id.hex}", milestone.title,
                                              progress.due_on, stamp))
    return calendar.to_ical()


def cohort_calendar(session: OrmSession, key: str, stamp: datetime) -> bytes:
    """A cohort's (and its sub-cohorts') sessions and the fixed due dates of its milestones."""
    cohort = lookup.cohort(session, key)
    ids = subtree(cohort_tree(session), cohort.id)
    milestones = list(session.scalars(
        select(Milestone).join(MilestoneCohort, MilestoneCohort.milestone_id == Milestone.id)
        .where(MilestoneCohort.cohort_id.in_(ids), Milestone.retired.is_(False)).distinct()))
    calendar = _calendar(session, cohort.name)
    for row in session.scalars(select(ScheduledSession).where(
            ScheduledSession.milestone_id.in_([m.id for m in milestones])
    ).order_by(ScheduledSession.start)):
        calendar.add_component(_session_event(row, stamp))
    for milestone in milestones:
        if milestone.due_kind == "date" and milestone.due_date:
            calendar.add_component(_due_event(f"due-{milestone.id.hex}-{cohort.id.hex}",
                                              milestone.title, milestone.due_date, stamp))
    return calendar.to_ical()

