"""Drip campaigns: each running campaign sends its timed steps to the participant.

A completion action starts a run (`on_complete.start_campaign`) and another stops it
(`stop_campaigns`); see rules/actions.py. Step N goes at the first tick on or after the local
day the run started plus the step's `after` days, rendered from its template. A stopped run
is never selected again, so it sends nothing more.

Each mail's dedupe key names the run and the step (`campaign:<run>:<step>`): the scan selects
only the due steps without a mail, so a second tick sends nothing and a tick after a week
closed sends each due step once. A step more than two weeks overdue (a first tick on an old
store, a laptop closed for a month) is not sent late: a stale drip mail helps nobody. A step
that cannot go (its template is missing or cannot render, or the participant has no email
address) raises one `action_failed` staff alert and is tried again at later ticks (it goes
once the cause is fixed); it never fails the tick.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, cast, exists, insert, literal, select, union_all
from sqlalchemy.sql import ColumnElement, Select

from app.models import (
    Alert,
    Campaign,
    CampaignRun,
    Cohort,
    Membership,
    Milestone,
    MilestoneCohort,
    OutboxMessage,
    Person,
    Template,
)
from app.services import mail
from app.services.programs.fields import parse_days
from app.services.scheduler.alerts import local_midnight
from app.services.scheduler.scans import LOOK_BACK_DAYS, scan
from app.services.work import Work

CHUNK = 5000  # keys per IN list
COMPOUND = 200  # selects per UNION ALL (SQLite allows 500)


@dataclass(frozen=True)
class DueStep:
    """One step of one running campaign whose day has come and that has no mail yet."""

    key: str  # the mail's dedupe key, campaign:<run>:<step>
    person_id: uuid.UUID
    milestone_id: uuid.UUID | None  # the milestone whose completion started the run
    campaign: str
    step: int  # 0-based, as the program file lists them
    template: str


@scan(40, "campaigns")
def campaigns(work: Work, today: date) -> None:
    due = _due_steps(work, today)
    if not due:
        return
    session = work.session
    people: dict[uuid.UUID, Person] = {}
    for chunk in _chunks(sorted({d.person_id for d in due})):
        people.update((p.id, p) for p in session.scalars(select(Person).where(
            Person.id.in_(chunk))))
    milestone_ids = {d.milestone_id for d in due if d.milestone_id is not None}
    milestones = {m.id: m for m in session.scalars(select(Milestone).where(
        Milestone.id.in_(milestone_ids)))} if milestone_ids else {}
    templates = {t.key: t for t in session.scalars(select(Template))}
    cohorts = _cohorts(work, due)
    rows: list[dict[str, Any]] = []
    problems: dict[str, tuple[DueStep, str]] = {}
    for item in due:
        person = people[item.person_id]
        what = f"campaign '{item.campaign}' step {item.step + 1}"
        if not person.email:
            problems.setdefault(f"action_failed:{item.key.rsplit(':', 1)[0]}:email", (
                item, f"cannot send {what}: {person.name} has no email address"))
            continue
        template = templates.get(item.template)
        if template is None:
            problems[f"action_failed:{item.key}"] = (
                item, f"cannot send {what}: template '{item.template}' does not exist")
            continue
        milestone = milestones.get(item.milestone_id) if item.milestone_id else None
        try:
            rendered = mail.render(template, mail.context(
                person, milestone, cohorts.get((item.person_id, item.milestone_id))))
        except mail.RenderError as exc:
            problems[f"action_failed:{item.key}"] = (item, f"cannot send {what}: {exc}")
            continue
        rows.append({"id": work.new_id(), "to_email": person.email, "kind": "campaign",
                     "subject": rendered.subject, "body": rendered.body,
                     "person_id": person.id, "milestone_id": item.milestone_id,
                     "created_at": work.at, "status": "queued", "attempts": 0,
                     "dedupe_key": item.key})
    if rows:
        session.execute(insert(OutboxMessage), rows)
        work.record("outbox", {"kind": "campaign", "count": len(rows)})
    _alert(work, problems, people, milestones)


def after_days(step: dict[str, Any]) -> int:
    """A step's delay in days: stored as `after_days`; "after" ("3d") is read too."""
    if step.get("after_days") is not None:
        return int(step["after_days"])
    return parse_days(step.get("after")) or 0


def _key(step: int) -> ColumnElement[str]:
    return (literal("campaign:", String) + cast(CampaignRun.id, String)
            + literal(f":{step}", String))


def _due_steps(work: Work, today: date) -> list[DueStep]:
    """Every running campaign's due steps without a mail, in one query per 200 steps defined
    (the definitions are few; the runs may be many and stay in SQL)."""
    selects: list[Select[Any]] = []
    for campaign in work.session.scalars(select(Campaign).order_by(Campaign.key)):
        for index, step in enumerate(campaign.steps or []):
            # due once the run's local start day + after <= today: started before the local
            # midnight that begins the day after (today - after)
            before: datetime = local_midnight(today - timedelta(days=after_days(step) - 1), work)
            since = local_midnight(today - timedelta(days=after_days(step) + LOOK_BACK_DAYS),
                                   work)
            key = _key(index)
            selects.append(
                select(key.label("key"), CampaignRun.person_id,
                       CampaignRun.started_by_milestone_id.label("milestone_id"),
                       literal(campaign.key, String).label("campaign"),
                       literal(index, Integer).label("step"),
                       literal(str(step.get("template") or ""), String).label("template"),
                       CampaignRun.started_at)
                .where(CampaignRun.campaign_id == campaign.id, CampaignRun.stopped_at.is_(None),
                       CampaignRun.started_at < before, CampaignRun.started_at >= since,
                       ~exists().where(OutboxMessage.dedupe_key == key)))
    found: list[DueStep] = []
    for start in range(0, len(selects), COMPOUND):
        part = selects[start:start + COMPOUND]
        query = part[0] if len(part) == 1 else union_all(*part)
        rows = work.session.execute(query).all()
        found += [DueStep(r.key, _uuid(r.person_id), _uuid(r.milestone_id), r.campaign,
                          int(r.step), r.template) for r in rows]
    found.sort(key=lambda d: (d.key.rsplit(":", 1)[0], d.step))  # stable ids on replay
    return found


def _uuid(value: Any) -> Any:
    """A key from a UNION (where SQLite hands back its stored text) as a UUID."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(hex=str(value))


def _cohorts(work: Work, due: list[DueStep]) -> dict[tuple[uuid.UUID, uuid.UUID | None], Cohort]:
    """The participant's current cohort carrying the milestone that started the run: what a
    template's `cohort` is."""
    found: dict[tuple[uuid.UUID, uuid.UUID | None], Cohort] = {}
    wanted = {(d.person_id, d.milestone_id) for d in due if d.milestone_id is not None}
    milestones = sorted({milestone for _, milestone in wanted})
    # Cohorts are few and runs many: the pairs are read as ids, each cohort loaded once.
    cohorts = {c.id: c for c in work.session.scalars(select(Cohort))}
    for chunk in _chunks(sorted({person for person, _ in wanted})):
        for person_id, milestone_id, cohort_id in work.session.execute(
            select(Membership.person_id, MilestoneCohort.milestone_id, Membership.cohort_id)
            .join(MilestoneCohort, MilestoneCohort.cohort_id == Membership.cohort_id)
            .where(Membership.person_id.in_(chunk), Membership.left_at.is_(None),
                   MilestoneCohort.milestone_id.in_(milestones))
        ):
            if (person_id, milestone_id) in wanted:
                cohort = cohorts[cohort_id]
                held = found.get((person_id, milestone_id))
                if held is None or cohort.key < held.key:  # the first by key wins
                    found[(person_id, milestone_id)] = cohort
    return found


def _alert(work: Work, problems: dict[str, tuple[DueStep, str]],
           people: dict[uuid.UUID, Person], milestones: dict[uuid.UUID, Milestone]) -> None:
    """One staff alert per problem, ever: the ones already raised are not raised again."""
    if not problems:
        return
    raised: set[str] = set()
    for chunk in _chunks(sorted(problems)):
        raised.update(work.session.scalars(select(Alert.dedupe_key).where(
            Alert.dedupe_key.in_(chunk))))
    rows = []
    for key in sorted(set(problems) - raised):
        item, message = problems[key]
        person = people[item.person_id]
        milestone = milestones.get(item.milestone_id) if item.milestone_id else None
        about = f"{person.name}, '{milestone.title}'" if milestone else person.name
        rows.append({"id": work.new_id(), "kind": "action_failed", "person_id": person.id,
                     "milestone_id": item.milestone_id, "at": work.at, "dedupe_key": key,
                     "message": f"{about}: {message}; it goes once that is fixed."})
    if rows:
        work.session.execute(insert(Alert), rows)
        work.record("alerts", {"kind": "alert", "alert": "action_failed", "count": len(rows)})


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]
