"""The mail outbox and staff alerts, newest last, as people read them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.models import Alert, Milestone, OutboxMessage, Person


def outbox(session: OrmSession, status: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.created_at, OutboxMessage.id)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query))


def alerts(session: OrmSession, include_acknowledged: bool = False) -> list[dict[str, object]]:
    query = (
        select(Alert, Person.external_id, Milestone.key)
        .outerjoin(Person, Person.id == Alert.person_id)
        .outerjoin(Milestone, Milestone.id == Alert.milestone_id)
        .order_by(Alert.at, Alert.id)
    )
    if not include_acknowledged:
        query = query.where(Alert.acknowledged_at.is_(None))
    return [
        {"id": a.id.hex, "kind": a.kind, "person": person, "milestone": key, "at": a.at,
         "message": a.message, "acknowledged_at": a.acknowledged_at,
         "acknowledged_by": a.acknowledged_by}
        for a, person, key in session.execute(query).all()
    ]
