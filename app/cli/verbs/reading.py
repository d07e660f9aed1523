"""Verbs that read: show, gates, outbox, alerts."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.context import Context
from app.cli.registry import reading, verb
from app.cli.verbs import mail
from app.models import GateReview
from app.services.queries.outbox_view import alerts, outbox
from app.services.queries.person_view import gate_statuses, latest_reviews, person_view


def _person_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("person", metavar="PERSON")
    reading(parser)


@verb("show", "a participant's milestones, states and due dates", _person_args)
def show(args: argparse.Namespace, ctx: Context) -> int:
    at = ctx.time(args.at)
    with ctx.reading(args.reader, about=args.person) as session:
        view = person_view(session, args.person, at)
    person = view.person
    payload = {
        "person": {"id": person.external_id, "name": person.name, "email": person.email,
                   "status": person.status, "location": person.location,
                   "cohorts": [c.key for c in view.cohorts]},
        "milestones": [
            {"key": m.key, "title": m.title, "state": m.state, "due": m.due,
             "due_label": m.due_label, "past_due": m.past_due, "progress": m.progress,
             "started_at": m.started_at, "completed_at": m.completed_at, "gate": m.gate,
             "locked_reason": m.locked_reason, "approvals": m.approvals, "steps": m.steps,
             "labels": m.labels, **m.content}
            for m in view.milestones
        ],
    }
    lines = [f"{person.name} ({person.external_id})  status: {person.status or '-'}  "
             f"cohorts: {', '.join(c.key for c in view.cohorts) or '-'}"]
    for m in view.milestones:
        due = m.due_label or (m.due.isoformat() if m.due else "")
        flags = " PAST DUE" if m.past_due else ""
        flags += f" [{m.progress.replace('_', ' ')}]" if m.progress else ""
        lines.append(f"  {m.state:<10} {m.title}  {('due ' + due) if due else ''}{flags}")
        if m.locked_reason:
            lines.append(f"             ↳ {m.locked_reason}")
        lines.extend(f"             ↳ {line}" for line in _content_lines(m.content))
    ctx.emit(payload, "\n".join(lines))
    return 0


def _content_lines(content: dict[str, Any]) -> list[str]:
    lines = []
    if content["held"]:
        lines.append(f"{content['held']}; completes once it has "
                     f"{' and '.join(content['waits_for'])}")
    elif content["waits_for"]:
        lines.append(f"completion needs {' and '.join(content['waits_for'])}")
    if content["files"]:
        lines.append("files: " + ", ".join(f["name"] for f in content["files"]))
    survey = content["survey"]
    if survey:
        lines.append(f"survey '{survey['title']}': "
                     + ("answered" if survey["answered"] else "not answered yet"))
    return lines


def _review(review: GateReview | None) -> dict[str, object] | None:
    if review is None:
        return None
    return {"decision": review.decision, "note": review.note, "by": review.actor,
            "at": review.at, "checklist": review.checklist}


@verb("gates", "a participant's stage gates", _person_args)
def gates(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.reading(args.reader, about=args.person) as session:
        person, statuses = gate_statuses(session, args.person)
        reviews = latest_reviews(session, person)
        rows = [{"key": g.key, "name": g.name, "status": s, "review": _review(reviews.get(g.id))}
                for g, s in statuses]
    text = "\n".join(
        f"{r['status']:<12} {r['name']}"
        + (f"  (last review: {r['review']['decision']} by {r['review']['by']})"
           if r["review"] else "")
        for r in rows) or "No stage gates."
    ctx.emit({"person": person.external_id, "gates": rows}, text)
    return 0


def _outbox_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["send"], metavar="send",
                        help="send: deliver the mail that is due over SMTP (see mail-setup)")
    parser.add_argument("--status", choices=["queued", "sending", "sent", "failed"])
    parser.add_argument("--now", metavar="TIME", help="send: as of this time (default: now)")
    parser.add_argument("--at", help="send: the same as --now")
    parser.add_argument("--by", dest="reader", metavar="WHO",
                        help="who sends, or who reads (restricted milestones' mail is left "
                             "out for those without the role); default: the profile's user")


@verb("outbox", "mail waiting to be sent, or sent; `outbox send` delivers it", _outbox_args)
def show_outbox(args: argparse.Namespace, ctx: Context) -> int:
    if args.action == "send":
        return mail.send(args, ctx)
    with ctx.reading(args.reader) as session:
        messages = [
            {"to": m.to_email, "kind": m.kind, "subject": m.subject, "created_at": m.created_at,
             "status": m.status, "id": m.id.hex, "attempts": m.attempts,
             "last_error": m.last_error, "next_attempt_at": m.next_attempt_at,
             "sent_at": m.sent_at}
            for m in outbox(session, args.status)
        ]
    text = "\n".join(f"{m['status']:<7} {m['kind']:<10} {m['to']:<30} {m['subject']}"
                     + (f"\n        ↳ {m['last_error']}" if m["last_error"] else "")
                     for m in messages) or "The outbox is empty."
    ctx.emit({"messages": messages}, text)
    return 0


def _alerts_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="include acknowledged alerts")
    reading(parser, at=False)


@verb("alerts", "staff alerts", _alerts_args)
def show_alerts(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.reading(args.reader) as session:
        rows = alerts(session, include_acknowledged=args.all)
    text = "\n".join(f"{r['id']}  {r['kind']:<14} {r['message']}" for r in rows) or (
        "No alerts.")
    ctx.emit({"alerts": rows}, text)
    return 0
