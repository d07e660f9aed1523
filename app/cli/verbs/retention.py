"""`retention`: anonymize the participants who left more than N years ago.

A dry run runs the command and rolls it back, so it lists exactly whom the real run would
anonymize, under the same permission check. The real run lists them as they are afterwards
(their new names): a cron job's log of it must not keep who they were.
"""

from __future__ import annotations

import argparse

from app.cli.context import Context
from app.cli.registry import acting, verb
from app.services.clock import local_date
from app.services.rules.retention import AnonymizeLeavers, affected, cutoff
from app.services.settings import program_zone


def _args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--years", type=int, required=True, metavar="N",
                        help="anonymize those whose last cohort ended more than N years ago")
    parser.add_argument("--dry-run", action="store_true",
                        help="list who would be anonymized; change nothing")
    acting(parser)


@verb("retention", "anonymize participants who left more than N years ago (their counts "
      "and cycle times stay)", _args)
def retention(args: argparse.Namespace, ctx: Context) -> int:
    at = ctx.time(args.at)
    result = ctx.run(AnonymizeLeavers(at=at, by=args.by, years=args.years),
                     dry_run=args.dry_run)
    with ctx.store.session() as session:
        people = affected(session, result.changes)
        zone = program_zone(session)
    payload = {"dry_run": args.dry_run, "count": len(people),
               "affected": [{"id": p.external_id, "name": p.name, "left_at": p.left_at}
                            for p in people]}
    since = local_date(cutoff(at, args.years), zone).isoformat()
    if not people:
        text = f"Nobody left before {since} who is not anonymized already; nothing to do."
    else:
        head = "Would anonymize" if args.dry_run else "Anonymized"
        lines = [f"{head} {len(people)} participant{'s' if len(people) != 1 else ''} who "
                 f"left before {since}:"]
        lines += [f"  {p.external_id:<16} {p.name}  left {local_date(p.left_at, zone)}"
                  for p in people]
        if args.dry_run:
            lines.append("Nothing was changed (dry run).")
        text = "\n".join(lines)
    ctx.emit(payload, text)
    return 0
