"""What completing a milestone sets off: move or remove from a cohort, pipeline status,
campaigns, a completion mail. An action that cannot be carried out raises a staff alert and
leaves the completion standing: it never breaks the command that set it off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from app.models import (
    Alert,
    Campaign,
    CampaignRun,
    Cohort,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Progress,
    Template,
)
from app.models.store import savepoint
from app.services import mail
from app.services.errors import Refused
from app.services.registry import reacts_to
from app.services.rules.events import PersonChanged, StateChanged
from app.services.rules.membership import join, leave
from app.services.rules.people import set_status
from app.services.work import Work


class ActionFailed(Exception):
    pass


def _current_cohorts_with(work: Work, person: Person, milestone: Milestone) -> list[Cohort]:
    return list(
        work.session.scalars(
            select(Cohort)
            .join(Membership, Membership.cohort_id == Cohort.id)
            .join(MilestoneCohort, MilestoneCohort.cohort_id == Cohort.id)
            .where(
                Membership.person_id == person.id,
                Membership.left_at.is_(None),
                MilestoneCohort.milestone_id == milestone.id,
            )
            .order_by(Cohort.key)
        )
    )


def move_to(work: Work, person: Person, milestone: Milestone, key: str, _: Progress) -> None:
    """A full transfer: leaves the cohorts this milestone came from, joins the new one."""
    target = work.session.scalar(select(Cohort).where(Cohort.key == key))
    if target is None:
        raise ActionFailed(f"cannot move {person.name} to cohort '{key}': it does not exist")
    for cohort in _current_cohorts_with(work, person, milestone):
        if cohort.id != target.id:
            leave(work, cohort, person)
    join(work, target, [person])


def remove_from_cohort(work: Work, person: Person, milestone: Milestone, flag: bool,
                       _: Progress) -> None:
    if flag:
        for cohort in _current_cohorts_with(work, person, milestone):
            leave(work, cohort, person)


def pipeline_status(work: Work, person: Person, _m: Milestone, status: str, _: Progress) -> None:
    try:
        changed = set_status(work, person, status)
    except Refused as refusal:
        raise ActionFailed(refusal.message) from refusal
    if changed:
        work.emit(PersonChanged(person.id, ("status",)))


def start_campaign(work: Work, person: Person, milestone: Milestone, key: str, _: Progress) -> None:
    campaign = work.session.scalar(select(Campaign).where(Campaign.key == key))
    if campaign is None:
        raise ActionFailed(f"cannot start campaign '{key}': it does not exist")
    running = work.session.scalar(
        select(CampaignRun.id).where(
            CampaignRun.campaign_id == campaign.id,
            CampaignRun.person_id == person.id,
            CampaignRun.stopped_at.is_(None),
        )
    )
    if running is None:
        work.session.add(CampaignRun(id=work.new_id(), campaign_id=campaign.id,
                                     person_id=person.id, started_at=work.at, stopped_at=None,
                                     started_by_milestone_id=milestone.id))
        work.record("campaigns", {"kind": "campaign", "person": person.external_id,
                                  "campaign": key, "started": True})


def stop_campaigns(work: Work, person: Person, _m: Milestone, keys: list[str],
                   _: Progress) -> None:
    runs = work.session.execute(
        select(CampaignRun, Campaign.key)
        .join(Campaign, Campaign.id == CampaignRun.campaign_id)
        .where(CampaignRun.person_id == person.id, CampaignRun.stopped_at.is_(None),
               Campaign.key.in_(keys))
    ).all()
    for run, key in runs:
        run.stopped_at = work.at
        work.record("campaigns", {"kind": "campaign", "person": person.external_id,
                                  "campaign": key, "started": False})


def email_template(work: Work, person: Person, milestone: Milestone, key: str,
                   progress: Progress) -> None:
    template = work.session.scalar(select(Template).where(Template.key == key))
    if template is None:
        raise ActionFailed(f"cannot send the completion mail: template '{key}' does not exist")
    if not person.email:
        raise ActionFailed(f"cannot send the completion mail: {person.name} has no email address")
    cohorts = _current_cohorts_with(work, person, milestone)
    try:
        rendered = mail.render(template, mail.context(person, milestone,
                                                      cohorts[0] if cohorts else None,
                                                      progress.due_on))
    except mail.RenderError as exc:
        raise ActionFailed(str(exc)) from exc
    mail.queue(work, to=person.email, kind="completion", rendered=rendered, person=person,
               milestone=milestone, dedupe_key=f"completion:{progress.id}:{work.op_id}")


ACTIONS: dict[str, Callable[[Work, Person, Milestone, Any, Progress], None]] = {
    "pipeline_status": pipeline_status,
    "stop_campaigns": stop_campaigns,
    "start_campaign": start_campaign,
    "email_template": email_template,
    "remove_from_cohort": remove_from_cohort,
    "move_to": move_to,
}


def action_failed(work: Work, progress: Progress, milestone: Milestone, person: Person,
                  message: str) -> None:
    work.add_once(Alert(id=work.new_id(), kind="action_failed", person_id=person.id,
                           milestone_id=milestone.id, at=work.at,
                           message=f"{person.name}, '{milestone.title}': {message}."))
    work.record("alerts", {"kind": "alert", "alert": "action_failed",
                           "person": person.external_id, "milestone": milestone.key,
                           "message": message})


@reacts_to(StateChanged)
def on_complete(event: StateChanged, work: Work) -> None:
    if event.after != "complete" or event.before == "complete":
        return
    milestone = work.session.get(Milestone, event.milestone_id)
    person = work.session.get(Person, event.person_id)
    progress = work.session.get(Progress, event.progress_id)
    assert milestone and person and progress
    settings = (milestone.rules or {}).get("on_complete") or {}
    for name, action in ACTIONS.items():
        value = settings.get(name)
        if value in (None, False, [], ""):
            continue
        nested = savepoint(work.session)
        marks = (len(work.changes), len(work.pending))
        try:
            action(work, person, milestone, value, progress)
            nested.commit()
        except ActionFailed as failure:
            nested.rollback()
            del work.changes[marks[0]:]
            while len(work.pending) > marks[1]:
                work.pending.pop()
            action_failed(work, progress, milestone, person, str(failure))
