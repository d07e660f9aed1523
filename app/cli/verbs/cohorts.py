"""Verbs that read a cohort: its members' stage gate statuses."""

from __future__ import annotations

import argparse

from app.cli.context import Context
from app.cli.registry import reading, verb
from app.services import lookup
from app.services.queries.board import cohort_tree, subtree
from app.services.queries.gate_board import (
    STATUSES,
    gate_counts,
    member_count,
    participants_at_gate,
)


def _cohort_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cohort", metavar="COHORT")
    parser.add_argument("--gate", metavar="KEY", help="list the members at this gate …")
    parser.add_argument("--status", choices=STATUSES, help="… whose status there is this")
    reading(parser, at=False)


@verb("cohort", "a cohort's members by stage gate status (sub-cohorts included)", _cohort_args)
def cohort(args: argparse.Namespace, ctx: Context) -> int:
    if (args.gate is None) != (args.status is None):  # wrong usage: exit 2, as argparse does
        ctx.fail("--gate and --status go together: name the gate and the status to list.")
        return 2
    with ctx.reading(args.reader) as session:
        found = lookup.cohort(session, args.cohort)
        ids = subtree(cohort_tree(session), found.id)
        members = member_count(session, ids)
        counts = gate_counts(session, ids)
        listed = (participants_at_gate(session, ids, args.gate, args.status)
                  if args.gate is not None else None)
    payload: dict[str, object] = {
        "cohort": found.key,
        "members": members,
        "gates": [{"key": g.key, "name": g.name, "not_started": g.not_started,
                   "active": g.active, "complete": g.complete} for g in counts],
    }
    lines = [f"{found.name} ({found.key})  members: {members}"]
    if counts:
        lines.append(f"  {'gate':<24} {'not started':>11} {'active':>7} {'complete':>9}")
        lines += [f"  {g.name:<24} {g.not_started:>11} {g.active:>7} {g.complete:>9}"
                  for g in counts]
    else:
        lines.append("  No stage gates.")
    if listed is not None:
        payload["participants"] = listed
        label = args.status.replace("_", " ")
        lines.append(f"{label} at {args.gate}: {', '.join(listed) or 'nobody'}")
    ctx.emit(payload, "\n".join(lines))
    return 0
