"""`waypoint demo`: fill an empty store with a realistic generated data set, as one command.

The definitions are three program files (a college's new-student onboarding, a staff
training plan, a hiring pipeline) applied by the program handler. The participants and their
journeys are simulated by following the rules, then written set-based on the unit of work's
own connection: the large set (100,000 participants, ~1.9M progress rows, ~5M history events)
is far beyond what ORM objects per row could write. The same seed gives the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.models import Campaign, Cohort, Milestone, Person, Template
from app.models.store import bulk_load, foreign_key_violations
from app.services.commands import Command
from app.services.demo.bulk import indexes_deferred
from app.services.demo.cohorts import add_sections
from app.services.demo.definitions import apply_programs
from app.services.demo.plans import load
from app.services.demo.population import Population, Setting
from app.services.demo.profiles import PROFILES
from app.services.demo.rosters import add_rosters
from app.services.demo.sizes import SIZES
from app.services.demo.timeline import Calendar, seconds
from app.services.errors import Refused
from app.services.registry import handles
from app.services.rules.permissions import require_editor
from app.services.settings import program_zone
from app.services.work import Work

# Indexes cheaper to build once at the end than to keep row by row (measured on the large
# set): two of progress whose entries land all over the tree. The others grow at their end,
# since ids and the rows' order follow insertion, and cost less kept as they go, on the
# loader's helper thread, than built after it (the op id index's one key collects millions
# of entries, but always at its end).
DEFERRED_INDEXES = ("ix_progress_milestone_state", "ix_progress_state_due")


@dataclass(frozen=True, kw_only=True)
class GenerateDemo(Command):
    size: str
    seed: int = 7


@handles(GenerateDemo)
def generate_demo(command: GenerateDemo, work: Work) -> None:
    require_editor(work)
    size = SIZES.get(command.size.strip().upper())
    if size is None:
        raise Refused(f"There is no demo size '{command.size}': choose S, M or L.")
    session = work.session
    if session.get_bind().dialect.name != "sqlite":
        raise Refused("The demo data set is generated into a local store (SQLite) only.")
    people = session.scalar(select(func.count()).select_from(Person)) or 0
    if people:
        raise Refused(
            f"This store already has {people} participant{'s' if people != 1 else ''}: a demo "
            "only fills an empty store. Give another store with --db (or WAYPOINT_DB)."
        )
    bulk_load(session.connection().connection)  # before the first write of the transaction
    apply_programs(command, work, PROFILES)
    session.flush()
    connection = session.connection().connection.driver_connection
    add_sections(connection, session, size, PROFILES, command.seed)
    # The definitions are checked here, while they are all the store holds; the generated
    # rows below reference only them and each other, parents written first.
    if foreign_key_violations(session.connection().connection):
        raise Refused("The demo programs left definitions that refer to missing rows; "
                      "nothing was changed.")
    setting = Setting(
        seed=command.seed, op_id=command.op_id, now=seconds(command.at),
        calendar=Calendar(program_zone(session)),
        campaigns={c.key: c.id.hex for c in session.scalars(select(Campaign))},
        templates={t.key: (t.subject, t.body) for t in session.scalars(select(Template))},
    )
    layouts = load(session, PROFILES, work.actor.label)
    with indexes_deferred(connection, DEFERRED_INDEXES):
        totals = Population(connection, setting).run(layouts, size.participants)
    rosters = add_rosters(connection, command.seed, command.at, program_zone(session))
    work.record("people", {
        "kind": "demo", "size": size.name, "seed": command.seed,
        "participants": totals.get("people", 0),
        "cohorts": session.scalar(select(func.count()).select_from(Cohort)),
        "milestones": session.scalar(select(func.count()).select_from(Milestone)),
        "progress": totals.get("progress", 0), "events": totals.get("events", 0),
        "mails": totals.get("mails", 0), "alerts": totals.get("alerts", 0),
        "registrations": rosters["registrations"], "attendance": rosters["attendance"],
    })
    for flag in ("cohorts", "progress", "campaigns", "outbox", "alerts", "sessions"):
        work.record(flag)
