"""Whiteboards: a document signed by every required role; then the milestone completes, or
goes to review when it also needs approval."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Signature
from app.services.commands import Sign
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.lifecycle import transition
from app.services.rules.progress_verbs import refuse_if_done, refuse_if_locked, target
from app.services.rules.waiting import complete_unless_waiting
from app.services.work import Work

PARTICIPANT = "participant"


@handles(Sign)
def sign(command: Sign, work: Work) -> None:
    person, milestone, progress = target(command, work)
    required = list((milestone.rules or {}).get("signatures") or [])
    if "signatures" not in (milestone.complete_by or []) or not required:
        raise Refused(f"'{milestone.title}' is not a document to sign.")
    role = command.signer.strip()
    if role not in required:
        raise Refused(f"'{milestone.title}' needs the signatures of {', '.join(required)}; "
                      f"not of '{role}'.")
    actor = work.actor
    if role == PARTICIPANT:
        if actor.person is None or actor.person.id != person.id:
            raise Refused(f"Only {person.name} may sign '{milestone.title}' as the participant.")
    elif actor.staff is None or role not in actor.roles:
        raise Refused(f"Only staff with the role {role} may sign '{milestone.title}' as "
                      f"{role}; {actor.label} may not.")
    refuse_if_done(person, progress, milestone)
    refuse_if_locked(work, progress, milestone)
    signed = set(work.session.scalars(select(Signature.role).where(
        Signature.progress_id == progress.id)))
    if role in signed:
        raise Refused(f"'{milestone.title}' is already signed as {role}.")
    work.session.add(Signature(id=work.new_id(), progress_id=progress.id, role=role,
                               signer=actor.label, at=work.at))
    work.record("signatures", {"kind": "signature", "person": person.external_id,
                               "milestone": milestone.key, "role": role, "by": actor.label})
    if signed | {role} >= set(required):
        if "request" in (milestone.complete_by or []):
            progress.round += 1
            progress.submitted_at, progress.submitted_by = work.at, actor.label
            transition(work, progress, "submitted", "ProgressSigned",
                       note="every signature is in", acted=True)
        else:
            complete_unless_waiting(work, progress, milestone, "ProgressSigned",
                                    "every signature is in")
    elif progress.state == "open":
        transition(work, progress, "started", "ProgressSigningStarted", acted=True)
