"""Mail: templates rendered with Jinja2 and queued in the outbox with the change that caused
them. A template that cannot render is an action that failed, never a crash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2 import Template as JinjaTemplate
from jinja2.sandbox import SandboxedEnvironment

from app.models import Milestone, OutboxMessage, Person, Template
from app.services.work import Work

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


class RenderError(Exception):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def context(person: Person, milestone: Milestone | None, cohort: Any = None,
            due: date | None = None) -> dict[str, Any]:
    return {
        "person": {"id": person.external_id, "name": person.name, "email": person.email,
                   "status": person.status, "location": person.location},
        "milestone": None if milestone is None else {
            "key": milestone.key, "title": milestone.title,
            "description": milestone.description or ""},
        "cohort": None if cohort is None else {"key": cohort.key, "name": cohort.name},
        "due": due.isoformat() if due else "",
    }


@lru_cache(maxsize=512)
def _compiled(source: str) -> JinjaTemplate:
    """A template compiled once: a tick renders the same few for hundreds of participants,
    and compiling is most of the cost."""
    return _env.from_string(source)


def render(template: Template, values: dict[str, Any]) -> Rendered:
    try:
        return Rendered(
            subject=_compiled(template.subject).render(values).strip(),
            body=_compiled(template.body).render(values),
        )
    except TemplateError as exc:
        raise RenderError(f"template '{template.key}' cannot be rendered: {exc}") from exc


def queue(work: Work, *, to: str, kind: str, rendered: Rendered, person: Person | None,
          milestone: Milestone | None, dedupe_key: str | None = None,
          record: bool = True) -> OutboxMessage:
    """Queue a mail; `record=False` where the caller reports a count instead (a tick may
    queue thousands)."""
    message = OutboxMessage(
        id=work.new_id(), to_email=to, kind=kind, subject=rendered.subject, body=rendered.body,
        person_id=person.id if person else None, milestone_id=milestone.id if milestone else None,
        created_at=work.at, status="queued", dedupe_key=dedupe_key,
    )
    message = work.add_once(message)
    if record:
        work.record("outbox", {"kind": "mail", "to": to, "mail": kind,
                               "subject": rendered.subject})
    else:
        work.flags.add("outbox")
    return message
