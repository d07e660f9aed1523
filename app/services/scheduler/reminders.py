"""Reminders to participants: N days before the due date, after the start, after assignment.

A reminder fires at the first tick on or after its day and is written down with the day it
was for, so it goes once whatever the number of ticks; a `before_due` reminder follows the
due date (an extension moves it) and is never sent once the due date has passed. Never for
what is complete or skipped, nor for what is locked or waiting on approvers. A participant
gets at most one reminder mail a day: every milestone due a reminder goes in it, and what
comes due after that day's mail waits for the next day's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.sql import ColumnElement

from app.models import (
    Alert,
    Milestone,
    OutboxMessage,
    Person,
    Progress,
    ReminderSent,
    Template,
)
from app.services.mail import Rendered, RenderError, context, queue, render
from app.services.scheduler.alerts import held_now, local_midnight
from app.services.scheduler.scans import scan
from app.services.work import Work

REMINDED_STATES = ("open", "started", "denied")


@dataclass(frozen=True)
class Due:
    """One reminder due for one progress."""

    progress_id: uuid.UUID
    person_id: uuid.UUID
    milestone: Milestone
    rule: int
    fire_on: date
    due_on: date | None
    template: str | None


def _sent(rule: int, fire_on: ColumnElement[Any]) -> ColumnElement[bool]:
    return select(ReminderSent.progress_id).where(
        ReminderSent.progress_id == Progress.id, ReminderSent.rule == rule,
        ReminderSent.fire_on == fire_on).exists()


def _due_reminders(work: Work, today: date) -> list[Due]:
    """Every reminder whose day has come and that has not gone: one query per rule."""
    found: list[Due] = []
    milestones = work.session.scalars(select(Milestone).where(Milestone.retired.is_(False)))
    for milestone in milestones:
        for index, rule in enumerate((milestone.rules or {}).get("reminders") or []):
            days = int(rule["days"])
            base = [Progress.milestone_id == milestone.id, Progress.state.in_(REMINDED_STATES)]
            if rule["kind"] == "before_due":
                fire_on = func.date(Progress.due_on, f"-{days} days")
                rows = work.session.execute(
                    select(Progress.id, Progress.person_id, Progress.due_on).where(
                        *base, Progress.due_on.between(today, today + timedelta(days=days)),
                        ~_sent(index, fire_on), held_now())).all()
                found += [Due(r.id, r.person_id, milestone, index,
                              r.due_on - timedelta(days=days), r.due_on, rule.get("template"))
                          for r in rows]
                continue
            column = Progress.started_at if rule["kind"] == "after_start" else Progress.assigned_at
            # fired on its local date + N days: anything before the local midnight starting
            # day (today - N + 1) has reached it
            before = local_midnight(today - timedelta(days=days - 1), work)
            rows = work.session.execute(
                select(Progress.id, Progress.person_id, Progress.due_on, column.label("since"))
                .where(*base, column.is_not(None), column < before,
                       ~_sent(index, func.date(column)), held_now())).all()
            # The ledger keys these by the UTC date of the start, what SQL can compare.
            found += [Due(r.id, r.person_id, milestone, index,
                          r.since.date(), r.due_on, rule.get("template")) for r in rows]
    return found


@scan(10, "reminders")
def reminders(work: Work, today: date) -> None:
    due = _due_reminders(work, today)
    if not due:
        return
    by_person: dict[uuid.UUID, list[Due]] = {}
    for item in due:
        by_person.setdefault(item.person_id, []).append(item)
    mailed_today = {key for key in work.session.scalars(
        select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.in_([_mail_key(p, today) for p in by_person])))}
    people = {p.id: p for p in work.session.scalars(
        select(Person).where(Person.id.in_(list(by_person))))}
    templates = {t.key: t for t in work.session.scalars(select(Template))}
    sent_rows: list[dict[str, Any]] = []
    mails = 0
    for person_id in sorted(by_person):
        person = people[person_id]
        if _mail_key(person_id, today) in mailed_today or not person.email:
            continue  # one reminder mail a day: the rest wait for tomorrow's
        items = sorted(by_person[person_id],
                       key=lambda d: (d.due_on or date.max, d.milestone.title))
        rendered = _compose(work, person, items, templates, today)
        message = queue(work, to=person.email, kind="reminder", rendered=rendered,
                        person=person, milestone=items[0].milestone if len(items) == 1 else None,
                        dedupe_key=_mail_key(person_id, today), record=False)
        mails += 1
        sent_rows += [{"progress_id": d.progress_id, "rule": d.rule, "fire_on": d.fire_on,
                       "message_id": message.id, "at": work.at} for d in items]
    if sent_rows:
        work.session.flush()
        work.session.execute(insert(ReminderSent), sent_rows)
        work.record("outbox", {"kind": "reminder", "count": mails})


def _mail_key(person_id: uuid.UUID, today: date) -> str:
    return f"reminder:{person_id.hex}:{today.isoformat()}"


def _compose(work: Work, person: Person, items: list[Due], templates: dict[str, Template],
             today: date) -> Rendered:
    """One item with a template: the template. Otherwise a plain mail naming each milestone
    and its due date, with each item's template body in place of the plain line."""
    parts = [_render_item(work, person, item, templates, today) for item in items]
    if len(parts) == 1:
        return parts[0]
    subject = f"Reminder: {len(items)} milestones need your attention"
    body = f"Hello {person.name},\n\n" + "\n\n".join(
        part.body.strip() for part in parts) + "\n"
    return Rendered(subject=subject, body=body)


def _render_item(work: Work, person: Person, item: Due, templates: dict[str, Template],
                 today: date) -> Rendered:
    template = templates.get(item.template) if item.template else None
    if item.template and template is None:
        _failed(work, person, item, f"reminder template '{item.template}' does not exist")
    if template is not None:
        try:
            return render(template, context(person, item.milestone, due=item.due_on))
        except RenderError as problem:
            _failed(work, person, item, str(problem))
    title = item.milestone.title
    if item.due_on is None:
        when = "it has no due date"
    elif item.due_on == today:
        when = "it is due today"
    else:
        when = f"it is due {item.due_on.strftime('%A %d %B %Y')}"
    return Rendered(subject=f"Reminder: {title}" + (
        f" is due {item.due_on.isoformat()}" if item.due_on else ""),
        body=f"'{title}' is waiting for you: {when}.")


def _failed(work: Work, person: Person, item: Due, message: str) -> None:
    """A reminder that cannot use its template still goes, plainly; staff hear once."""
    key = f"action_failed:reminder:{item.progress_id.hex}:{item.rule}"
    if work.session.scalar(select(Alert.id).where(Alert.dedupe_key == key)) is not None:
        return
    work.session.add(Alert(id=work.new_id(), kind="action_failed", person_id=person.id,
                           milestone_id=item.milestone.id, at=work.at, dedupe_key=key,
                           message=f"{person.name}, '{item.milestone.title}': {message}; the "
                                   "reminder went without it."))
    work.record("alerts", {"kind": "alert", "alert": "action_failed", "count": 1})

