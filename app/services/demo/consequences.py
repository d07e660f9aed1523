"""What a simulated journey set off besides progress: the pipeline status its completions
set, the campaigns they started and stopped, the completion mails they sent, and the staff
alerts for regressions and failed status changes, as the completion rules and `transition`
would have.

Only the write path's own consequences are made. What the scheduler would have sent on its
daily ticks (reminders, campaign steps, due-date alerts) is left to the first real tick.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from app.models import DONE_STATES
from app.services import mail
from app.services.demo.bulk import Batch
from app.services.demo.histories import Journey
from app.services.demo.ids import Ids
from app.services.demo.plans import Leaf
from app.services.demo.profiles import Profile

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Person:
    id: int  # its id counter (see ids.py)
    external_id: str
    name: str
    email: str
    location: str
    status: str


Failure = tuple[int, int, str]  # when, position in the plan, what the rule said


def pipeline_status(profile: Profile, leaf: Leaf, journey: Journey,
                    completed: list[tuple[int, int]]) -> tuple[str, list[Failure]]:
    """The status the completions set in turn, and the ones the rule refused because a
    milestone blocking that status was not done yet (the action failed, the status stayed).
    A candidate turned down is then set to the profile's rejected status by hand."""
    status, failed = profile.status, []
    plan, tracks = leaf.milestones, journey.tracks
    for at, i in completed:
        wanted = plan[i].on_complete.get("pipeline_status")
        if not wanted or wanted == status:
            continue
        blockers = [other for other, track in zip(plan, tracks, strict=True)
                    if wanted in other.blocks and not (track.done is not None and track.done <= at)]
        if blockers:
            first = min(blockers, key=lambda m: (m.row.step, m.row.position))
            failed.append((at, i, f"cannot be set to {wanted} until '{first.title}' is complete"))
        else:
            status = wanted
    if journey.rejected and profile.rejected_status:
        status = profile.rejected_status
    return status, failed


def completions(journey: Journey) -> list[tuple[int, int]]:
    """(when, position in the plan) of every complete milestone, in the order they completed."""
    return sorted((t.completed, i) for i, t in enumerate(journey.tracks)
                  if t.state == "complete" and t.completed is not None)


class Consequences:
    """Adds a participant's campaign runs, completion mails and staff alerts to a batch."""

    def __init__(self, op_id: uuid.UUID, campaigns: dict[str, str],
                 templates: dict[str, tuple[str, str]], ids: dict[str, Ids]) -> None:
        self.op_id = op_id
        self.campaigns = campaigns
        env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self.templates = {key: (env.from_string(subject), env.from_string(body))
                          for key, (subject, body) in templates.items()}
        self.ids = ids

    def add(self, batch: Batch, person: Person, leaf: Leaf, journey: Journey,
            completed: list[tuple[int, int]], failed: list[Failure], progress_ids: list[int],
            due_days: list[int | None]) -> None:
        running: dict[str, list[Any]] = {}
        for at, i in completed:
            m = leaf.milestones[i]
            actions = m.on_complete
            for key in actions.get("stop_campaigns") or []:
                run = running.pop(key, None)
                if run is not None:
                    run[4] = at
            key = actions.get("start_campaign")
            if key and key in self.campaigns and key not in running:
                running[key] = [self.ids["campaign_runs"].next(), self.campaigns[key],
                                person.id, at, 0, m.id]
                batch.runs.append(running[key])
            template = actions.get("email_template")
            if template in self.templates:
                batch.mails.append(self._mail(person, leaf, m, progress_ids[i], due_days[i],
                                              template, at))
        for at, i, refusal in failed:
            m = leaf.milestones[i]
            batch.alerts.append((
                self.ids["alerts"].next(), "action_failed", person.id, m.id, at,
                f"{person.name}, '{m.title}': {person.name} {refusal}.", 0, "",
            ))
        for m, track in zip(leaf.milestones, journey.tracks, strict=True):
            if track.regressed is not None:
                again = track.completed if track.state in DONE_STATES else None
                batch.alerts.append((
                    self.ids["alerts"].next(), "regression", person.id, m.id, track.regressed,
                    f"{person.name}: {m.title} went back from complete to open.",
                    again or 0, m.closer if again else "",
                ))

    def _mail(self, person: Person, leaf: Leaf, m: Any, progress_id: int, due: int | None,
              template: str, at: int) -> tuple[Any, ...]:
        subject, body = self.templates[template]
        values = mail.context(
            SimpleNamespace(**vars(person)), m.row, SimpleNamespace(key=leaf.key, name=leaf.name),
            None if due is None else _EPOCH + timedelta(days=due),
        )
        progress = uuid.UUID(hex=self.ids["progress"].text(progress_id))
        return (
            self.ids["outbox"].next(), person.email, subject.render(values).strip(),
            body.render(values), person.id, m.id, at, at + 60 * (1 + at % 15),
            f"completion:{progress}:{self.op_id}",
        )
