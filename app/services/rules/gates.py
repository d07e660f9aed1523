"""Gate reviews: an eligible reviewer's decision on one participant at one stage gate."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Gate, GateReview, Milestone, Progress
from app.services import lookup
from app.services.commands import ReviewGate
from app.services.errors import Refused
from app.services.registry import handles
from app.services.work import Work

DECISIONS = ("go", "hold", "recycle", "stop")


@handles(ReviewGate)
def review_gate(command: ReviewGate, work: Work) -> None:
    session = work.session
    person = lookup.person(session, command.person)
    gate = session.scalar(select(Gate).where(Gate.key == command.gate))
    if gate is None:
        raise Refused(f"There is no stage gate '{command.gate}'.")
    if command.decision not in DECISIONS:
        raise Refused(f"A gate decision is one of {', '.join(DECISIONS)}, "
                      f"not '{command.decision}'.")
    actor = work.actor
    reviewers = list(gate.reviewers or [])
    if actor.staff is None or not (actor.is_admin or actor.has_any_role(reviewers)):
        who = ", ".join(reviewers) or "an admin"
        raise Refused(f"Only {who} (or an admin) may review the gate '{gate.name}'; "
                      f"{actor.label} may not.")
    checklist = [
        {"milestone": milestone.key, "title": milestone.title, "state": state}
        for milestone, state in session.execute(
            select(Milestone, Progress.state)
            .join(Progress, Progress.milestone_id == Milestone.id)
            .where(Milestone.gate_id == gate.id, Progress.person_id == person.id)
            .order_by(Milestone.step, Milestone.position)
        ).all()
        if lookup.has_access(session, person, milestone)
    ]
    if not checklist:
        raise Refused(f"{person.name} has none of the milestones of the gate '{gate.name}'.")
    session.add(GateReview(id=work.new_id(), gate_id=gate.id, person_id=person.id,
                           decision=command.decision, note=command.note,
                           checklist=checklist, actor=actor.label, at=work.at))
    work.record("gates", {"kind": "gate_review", "person": person.external_id,
                          "gate": gate.key, "decision": command.decision,
                          "note": command.note, "checklist": checklist})
