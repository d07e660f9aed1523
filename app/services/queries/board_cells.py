"""The milestone board of a cohort: every current member × every milestone of the cohort (and
of the cohorts below it), with what a card shows — state, due date, past due, progress scale.

A cohort of 5,000 on 20 milestones is 100,000 cards, so cards are read set-based, never a
query per participant, and the time-derived values are computed in SQL rather than in a
Python loop over ORM objects. Per milestone, the instants at which its progress turns
behind, stuck or past a ready or approval deadline are worked out once in Python (there are
tens of milestones) and compared with each progress's own times. Each milestone is one
branch of a UNION ALL with its own constants, so SQLite walks the members' progress through
the (person, milestone) index with plain comparisons per row, and no date arithmetic of one
database's dialect is needed.

A view asks for the frame first (columns and rows: cheap), then the cards of the first rows
it shows, then the rest column by column, so a large cohort is on screen at once and fills
in while the user looks. Why a locked card is locked is asked one card at a time, when the
user asks (`locked_reason_of`): it walks that card's prerequisites.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, and_, case, false, literal, or_, select, true, type_coerce
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.elements import ColumnElement

from app.models import (
    DONE_STATES,
    Cohort,
    Gate,
    Membership,
    Milestone,
    MilestoneCohort,
    Person,
    Progress,
)
from app.models.base import UTCDateTime
from app.services import lookup
from app.services.clock import local_date
from app.services.queries.board import CohortRow
from app.services.rules.approvals import approval_spec
from app.services.rules.locks import locked_reason
from app.services.settings import program_zone

WAITING_FOR_APPROVER = ("open", "started", "denied")  # a ready deadline runs in these
CHUNK = 5000  # people per query: well inside SQLite's limit on bound parameters
NOT_YET_STARTED = "Not Yet Started"


@dataclass(frozen=True)
class BoardMilestone:
    """A column of the board."""

    id: uuid.UUID
    key: str
    title: str
    step: int
    kind: str
    gate_key: str | None
    gate_name: str | None
    labels: tuple[str, ...]
    bypassable: bool  # may be skipped with a reason (by some roles); else mandatory
    retired: bool


@dataclass(frozen=True)
class BoardPerson:
    """A row of the board: one current member of the cohort. `key` is the person's row key as
    the database driver hands it over, kept only to ask for this person's cards again."""

    key: Any
    external_id: str
    name: str
    email: str | None
    status: str | None


@dataclass(frozen=True, slots=True)
class Cell:
    """One card: a participant's progress on one milestone, as of the board's `at`."""

    state: str
    due: date | None
    due_label: str | None  # "Not Yet Started": a due date that waits for the start
    past_due: bool
    scale: str | None  # on_track | behind | stuck | None

    @property
    def at_risk(self) -> bool:
        return self.past_due or self.scale in ("behind", "stuck")


@dataclass(frozen=True)
class BoardFrame:
    """A board without its cards: the columns and the rows, fetched first so that a view can
    show the cohort at once and fill the cards in as they come (`cells_for`)."""

    at: datetime
    cohort_ids: tuple[uuid.UUID, ...]
    milestones: list[BoardMilestone]
    people: list[BoardPerson]


@dataclass
class BoardCells:
    """The whole board: columns, rows and `cells[row][column]` (None where the member does
    not hold that milestone, e.g. one of a sub-cohort that does not have it)."""

    at: datetime
    milestones: list[BoardMilestone]
    people: list[BoardPerson]
    cells: list[list[Cell | None]] = field(default_factory=list)


Placed = tuple[int, int, Cell]  # (row, column, card)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day begins: a date compared as an instant."""
    return datetime.combine(day, time(), tzinfo=zone)


def _thresholds(m: Milestone, at: datetime, today: date, zone: ZoneInfo
                ) -> dict[str, datetime | None]:
    """One milestone's instants, as of `at`: a progress opened (or submitted) before them is
    past its ready (approval) deadline, stuck or behind.

    local_date(opened_at) + N < today  ⟺  opened_at < the midnight that begins today − N;
    elapsed / expected > stuck  ⟺  opened_at < at − expected × stuck (as person_view).
    """
    found: dict[str, datetime | None] = dict.fromkeys(("ready", "approval", "stuck", "behind"))
    if "request" in (m.complete_by or []):
        spec = approval_spec(m)
        if spec.ready_deadline_days is not None:
            found["ready"] = _midnight(today - timedelta(days=spec.ready_deadline_days), zone)
        if spec.approval_deadline_days is not None:
            found["approval"] = _midnight(today - timedelta(days=spec.approval_deadline_days),
                                          zone)
    if m.expected_days:
        expected = timedelta(days=m.expected_days)
        found["stuck"] = at - expected * m.scale_stuck
        found["behind"] = at - expected * m.scale_behind
    return found


def _per_milestone(values: dict[uuid.UUID, datetime], column: Any) -> ColumnElement[bool]:
    """`column < (CASE milestone_id WHEN m THEN m's instant … END)`; false for the others."""
    if not values:
        return false()
    limit = case({mid: literal(value, UTCDateTime()) for mid, value in values.items()},
                 value=Progress.milestone_id, else_=None)
    return column < limit


def risk_columns(milestones: Sequence[Milestone], at: datetime, today: date, zone: ZoneInfo
             ) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
    """SQL for each card's past due, progress scale and whether its due date waits for a
    start, as of `at`: each milestone's thresholds picked by a simple CASE on its id."""
    limits = {m.id: _thresholds(m, at, today, zone) for m in milestones}

    def picked(name: str) -> dict[uuid.UUID, datetime]:
        return {mid: found[name] for mid, found in limits.items() if found[name] is not None}

    undone = Progress.state.not_in(DONE_STATES)
    past_due = and_(undone, or_(
        Progress.due_on < today,
        and_(Progress.state.in_(WAITING_FOR_APPROVER),
             _per_milestone(picked("ready"), Progress.opened_at)),
        and_(Progress.state == "submitted",
             _per_milestone(picked("approval"), Progress.submitted_at)),
    ))
    scaled = picked("stuck")
    scale = case(
        (or_(~Progress.milestone_id.in_(list(scaled)) if scaled else true(),
             Progress.opened_at.is_(None), ~undone, Progress.state == "locked"), None),
        (_per_milestone(scaled, Progress.opened_at), literal("stuck")),
        (_per_milestone(picked("behind"), Progress.opened_at), literal("behind")),
        else_=literal("on_track"),
    )
    after_start = [m.id for m in milestones if m.due_kind == "after_start"]
    waits = (and_(Progress.milestone_id.in_(after_start), Progress.started_at.is_(None),
                  Progress.extended_until.is_(None)) if after_start else false())
    return past_due, scale, waits


def board_milestones(session: OrmSession, cohort_ids: Sequence[uuid.UUID]) -> list[Milestone]:
    """The milestones linked to these cohorts, in step order."""
    linked = select(MilestoneCohort.milestone_id).where(
        MilestoneCohort.cohort_id.in_(list(cohort_ids)))
    return list(session.scalars(
        select(Milestone).where(Milestone.id.in_(linked))
        .order_by(Milestone.step, Milestone.position, Milestone.key)
    ))


def _members(cohort_ids: Sequence[uuid.UUID]) -> Any:
    return (
        select(Membership.person_id)
        .where(Membership.cohort_id.in_(list(cohort_ids)), Membership.left_at.is_(None))
    )


def _day(value: Any) -> date | None:
    """A date as the driver hands it over: an ISO text from SQLite, a date elsewhere."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _raw(column: Any) -> Any:
    """A key column as the driver hands it over: no UUID object made per row (there are
    100,000 cards on a large board), and bound back as it came."""
    return type_coerce(column, String)


def board_frame(session: OrmSession, cohort_ids: Sequence[uuid.UUID], at: datetime
                ) -> BoardFrame:
    """The board's columns (milestones in step order) and rows (current members by name)."""
    gates = {g.id: g for g in session.scalars(select(Gate))}
    columns = [
        BoardMilestone(
            id=m.id, key=m.key, title=m.title, step=m.step, kind=m.kind,
            gate_key=gates[m.gate_id].key if m.gate_id in gates else None,
            gate_name=gates[m.gate_id].name if m.gate_id in gates else None,
            labels=tuple(m.labels or ()), bypassable=m.bypass_roles is not None,
            retired=m.retired,
        )
        for m in board_milestones(session, cohort_ids)
    ]
    people = [
        BoardPerson(*row)
        for row in session.connection().execute(
            select(_raw(Person.id), Person.external_id, Person.name, Person.email, Person.status)
            .where(Person.id.in_(_members(cohort_ids)))
            .order_by(Person.name, Person.external_id)
        )
    ]
    return BoardFrame(at=at, cohort_ids=tuple(cohort_ids), milestones=columns, people=people)


def cells_for(session: OrmSession, frame: BoardFrame, rows: Sequence[int] | None = None
              ) -> list[Placed]:
    """The cards of some rows of the frame (all by default), as (row, column, card), in
    one query per CHUNK rows (the whole cohort at once goes through its memberships).

    The query walks person by person, so each person's cards come from the same pages of
    the table. Cards are plain values that repeat a great deal (a state, a date, two flags),
    so equal ones are shared: a cohort of thousands holds a few hundred distinct cards.
    """
    wanted = list(range(len(frame.people)) if rows is None else rows)
    if not frame.milestones or not wanted:
        return []
    zone = program_zone(session)
    milestones = list(session.scalars(select(Milestone).where(
        Milestone.id.in_([m.id for m in frame.milestones]))))
    past_due, scale, waits = risk_columns(milestones, frame.at, local_date(frame.at, zone), zone)
    column = case({m.id: number for number, m in enumerate(frame.milestones)},
                  value=Progress.milestone_id)
    connection = session.connection()
    shared: dict[tuple[Any, ...], Cell] = {}
    placed: list[Placed] = []
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        row_of = {frame.people[r].key: r for r in chunk}
        whole = len(row_of) == len(frame.people)
        found = connection.execute(
            # Plain values straight from the driver (no processing per row): the few
            # distinct ones are turned into a Cell once each below.
            select(_raw(Progress.person_id), column, Progress.state,
                   type_coerce(Progress.due_on, String), type_coerce(waits, Integer),
                   type_coerce(past_due, Integer), scale)
            .where(Progress.person_id.in_(_members(frame.cohort_ids)) if whole
                   else _raw(Progress.person_id).in_(list(row_of)),
                   Progress.milestone_id.in_([m.id for m in frame.milestones]))
        ).all()
        for found_row in found:
            values = found_row[2:]
            cell = shared.get(values)
            if cell is None:
                state, due, waiting, late, measured = values
                cell = shared[values] = Cell(state, _day(due),
                                             NOT_YET_STARTED if waiting else None,
                                             bool(late), measured)
            placed.append((row_of[found_row[0]], found_row[1], cell))
    return placed


def board_cells(session: OrmSession, cohort_ids: Sequence[uuid.UUID], at: datetime
                ) -> BoardCells:
    """Every current member of these cohorts × every milestone linked to them, whatever the
    size of the cohort: one query for the rows, one for all the cards."""
    frame = board_frame(session, cohort_ids, at)
    cells: list[list[Cell | None]] = [[None] * len(frame.milestones) for _ in frame.people]
    for row, column, cell in cells_for(session, frame):
        cells[row][column] = cell
    return BoardCells(at=at, milestones=frame.milestones, people=frame.people, cells=cells)


def locked_reason_of(session: OrmSession, person: str, milestone: str) -> str | None:
    """Why one card is locked, in words (None when it is not locked): asked for lazily, on
    one card, since it walks that card's prerequisites."""
    who = lookup.person(session, person)
    what = lookup.milestone(session, milestone)
    return locked_reason(session, lookup.progress(session, who, what), what)



def board_cohort_of(session: OrmSession, people: Sequence[str],
                    cohort_ids: Sequence[uuid.UUID]) -> dict[str, str]:
    """For each participant (by id), the key of the board's cohort they are in now (the
    first by key if several): where a move from the board takes them out of."""
    found: dict[str, str] = {}
    wanted = list(people)
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(Person.external_id, Cohort.key)
            .join(Membership, Membership.person_id == Person.id)
            .join(Cohort, Cohort.id == Membership.cohort_id)
            .where(Person.external_id.in_(wanted[start:start + CHUNK]),
                   Membership.cohort_id.in_(list(cohort_ids)), Membership.left_at.is_(None))
            .order_by(Cohort.key)
        )
        for person, key in rows:
            found.setdefault(person, key)
    return found


def cohorts_plain(session: OrmSession) -> list[CohortRow]:
    """Every cohort without its member count (members = 0): what the board needs to find a
    cohort's subtree and to offer move targets, without counting every membership."""
    return [CohortRow(*row, 0) for row in session.execute(
        select(Cohort.id, Cohort.key, Cohort.name, Cohort.parent_id)
        .order_by(Cohort.position, Cohort.key))]
