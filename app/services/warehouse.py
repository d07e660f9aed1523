"""Exports for a data warehouse: progress and its history as CSV or JSON Lines, in numbered
batches that each hold what changed since the one before.

"Since" is counted in the operation log's `seq`, which this store numbers itself as it
commits each command, never in the history's `at`: that is the time the user says they acted,
and a back-dated command (`--at` last week, a laptop syncing a day's work) lands in the past,
behind any watermark kept in time. A history event belongs to its command (`op_id`); a batch
takes the events of the commands numbered after the last batch's watermark, and the progress
they touched, as the progress is now.

The watermark is this store's own bookkeeping (the `warehouse.` settings do not sync), written
in a short transaction of its own once the files are in place, not by a command: an export
reads, and a command would put it in the operation log and the audit trail as a change of
the program, and would itself take a `seq`. A crash between the files and the watermark
exports the same rows again in the next batch, never loses any; rows carry their ids (event
id; progress id and version) for the loader to merge on.

Not in an incremental batch: events without an operation in this store's log, which are the
rows a sync pull brought from other laptops (their commands ran elsewhere) and those of
stores made before the log kept op ids; a due date moved by a program change without a
history event; the names a retention run replaced. `full` exports everything and starts
the count again from there.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session as OrmSession

from app.models import (
    Cohort,
    Membership,
    Milestone,
    MilestoneCohort,
    Operation,
    Person,
    Progress,
    ProgressEvent,
)
from app.models.store import Store
from app.services.access import restrict
from app.services.errors import Refused
from app.services.settings import get_setting, put_setting

LAST_SEQ = "warehouse.last_seq"
LAST_BATCH = "warehouse.last_batch"
FORMATS = ("csv", "jsonl")
CHUNK = 2000
LIST_SEPARATOR = ";"  # between cohort keys in a CSV cell (JSON Lines has a list)

PROGRESS_COLUMNS = (
    "progress_id", "person_id", "person", "milestone", "cohorts", "state", "assigned_at",
    "opened_at", "started_at", "submitted_at", "completed_at", "state_since", "due_on",
    "extended_until", "round", "version",
)
HISTORY_COLUMNS = (
    "event_id", "seq", "progress_id", "person_id", "person", "milestone", "kind",
    "from_state", "to_state", "at", "actor", "note",
)
_MANIFEST = re.compile(r"^(\d+)-manifest\.json$")


@dataclass(frozen=True)
class Batch:
    """What one export wrote. `batch` is None when nothing changed since the last one (no
    files are written then; the watermark still moves past the operations that changed no
    progress)."""

    batch: int | None
    format: str
    full: bool
    since: int  # the watermark before: operations after it are in this batch
    watermark: int  # the last operation in it
    exported_at: datetime
    counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # file names, in the directory


def export(store: Store, directory: Path, fmt: str, *, full: bool, at: datetime,
           hidden: frozenset[uuid.UUID] = frozenset()) -> Batch:
    """`hidden`: milestones the reader may not see, left out of the batch with their rows."""
    if fmt not in FORMATS:
        raise Refused(f"Unknown format '{fmt}': choose {' or '.join(FORMATS)}.")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refused(f"{directory}: cannot write there ({exc.strerror}).") from exc
    with store.session() as session:
        restrict(session, hidden)
        _snapshot(session)
        since = 0 if full else int(get_setting(session, LAST_SEQ) or 0)
        watermark = session.scalar(select(func.max(Operation.seq))) or 0
        number = max(int(get_setting(session, LAST_BATCH) or 0), _highest(directory)) + 1
        names = {kind: f"{number:04d}-{kind}.{fmt}" for kind in ("progress", "history")}
        write = _csv if fmt == "csv" else _jsonl
        counts = {
            "progress": _write(directory / names["progress"], write, PROGRESS_COLUMNS,
                               _progress_rows(session, since, watermark, full)),
            "history": _write(directory / names["history"], write, HISTORY_COLUMNS,
                              _history_rows(session, since, watermark, full)),
        }
    batch = Batch(batch=number, format=fmt, full=full, since=since, watermark=watermark,
                  exported_at=at, counts=counts, files=dict(names))
    if not full and not any(counts.values()):
        for name in names.values():
            (directory / name).unlink()
        batch = Batch(batch=None, format=fmt, full=False, since=since, watermark=watermark,
                      exported_at=at, counts=counts)
    else:
        manifest = f"{number:04d}-manifest.json"
        _replace(directory / manifest, lambda out: json.dump(
            asdict(batch), out, default=_plain, indent=2))
        batch.files["manifest"] = manifest
    _remember(store, watermark, batch.batch)
    return batch


def _snapshot(session: OrmSession) -> None:
    """One read transaction for the whole export, so the progress file, the history file and
    the watermark agree. pysqlite begins a transaction only at the first write; begin it."""
    raw = session.connection().connection.driver_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN")


def _highest(directory: Path) -> int:
    """The last batch already in the directory (another store's, or one whose watermark was
    never written): never overwritten."""
    found = (_MANIFEST.match(p.name) for p in directory.iterdir())
    return max((int(m.group(1)) for m in found if m), default=0)


def _remember(store: Store, watermark: int, batch: int | None) -> None:
    with store.session() as session, session.begin():
        put_setting(session, LAST_SEQ, str(watermark))
        if batch is not None:
            put_setting(session, LAST_BATCH, str(batch))


# --- rows -------------------------------------------------------------------------------


def _in_range(statement: Select[Any], since: int, watermark: int) -> Select[Any]:
    return statement.join(Operation, Operation.id == ProgressEvent.op_id).where(
        Operation.seq > since, Operation.seq <= watermark)


def _progress_rows(session: OrmSession, since: int, watermark: int,
                   full: bool) -> Iterator[dict[str, Any]]:
    fields = [getattr(Progress, name) for name in PROGRESS_COLUMNS[5:]]
    statement = (select(Progress.id, Progress.person_id, Person.external_id, Milestone.key,
                        Progress.milestone_id, *fields)
                 .join(Person, Person.id == Progress.person_id)
                 .join(Milestone, Milestone.id == Progress.milestone_id)
                 .order_by(Progress.id))
    if not full:
        touched = _in_range(select(ProgressEvent.progress_id), since, watermark)
        statement = statement.where(Progress.id.in_(touched))
    for chunk in session.execute(statement.execution_options(yield_per=CHUNK)).partitions():
        cohorts = _cohorts(session, [(row[1], row[4]) for row in chunk])
        for progress_id, person_id, person, milestone, milestone_id, *values in chunk:
            yield {"progress_id": progress_id, "person_id": person_id, "person": person,
                   "milestone": milestone, "cohorts": cohorts.get((person_id, milestone_id), []),
                   **dict(zip(PROGRESS_COLUMNS[5:], values, strict=True))}


def _cohorts(session: OrmSession, pairs: list[tuple[uuid.UUID, uuid.UUID]]
             ) -> dict[tuple[uuid.UUID, uuid.UUID], list[str]]:
    """The cohorts (past or present) through which each person has each milestone."""
    wanted = set(pairs)
    found: dict[tuple[uuid.UUID, uuid.UUID], set[str]] = defaultdict(set)
    rows = session.execute(
        select(Membership.person_id, MilestoneCohort.milestone_id, Cohort.key)
        .join(MilestoneCohort, MilestoneCohort.cohort_id == Membership.cohort_id)
        .join(Cohort, Cohort.id == Membership.cohort_id)
        .where(Membership.person_id.in_({p for p, _ in wanted}),
               MilestoneCohort.milestone_id.in_({m for _, m in wanted})))
    for person_id, milestone_id, key in rows:
        if (person_id, milestone_id) in wanted:
            found[(person_id, milestone_id)].add(key)
    return {pair: sorted(keys) for pair, keys in found.items()}


def _history_rows(session: OrmSession, since: int, watermark: int,
                  full: bool) -> Iterator[dict[str, Any]]:
    statement = (select(ProgressEvent.id, Operation.seq, ProgressEvent.progress_id,
                        Progress.person_id, Person.external_id, Milestone.key,
                        ProgressEvent.kind, ProgressEvent.from_state, ProgressEvent.to_state,
                        ProgressEvent.at, ProgressEvent.actor, ProgressEvent.note)
                 .select_from(ProgressEvent)
                 .join(Progress, Progress.id == ProgressEvent.progress_id)
                 .join(Person, Person.id == Progress.person_id)
                 .join(Milestone, Milestone.id == Progress.milestone_id))
    if full:
        statement = statement.outerjoin(Operation, Operation.id == ProgressEvent.op_id)
    else:
        statement = _in_range(statement, since, watermark)
    statement = statement.order_by(Operation.seq, ProgressEvent.at, ProgressEvent.id)
    for chunk in session.execute(statement.execution_options(yield_per=CHUNK)).partitions():
        for row in chunk:
            yield dict(zip(HISTORY_COLUMNS, row, strict=True))


# --- files ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Times in ISO 8601 UTC, dates ISO, ids as text; JSON's own types as they are."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    return _plain(value)


def _csv(out: IO[str], columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
        count += 1
    return count


def _jsonl(out: IO[str], columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps({c: _plain(row[c]) for c in columns}, ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


Writer = Callable[[IO[str], tuple[str, ...], Iterable[dict[str, Any]]], int]


def _write(path: Path, write: Writer, columns: tuple[str, ...],
           rows: Iterable[dict[str, Any]]) -> int:
    return _replace(path, lambda out: write(out, columns, rows))


def _replace(path: Path, fill: Callable[[IO[str]], Any]) -> Any:
    """Write beside the file, then rename: a loader never sees half a file."""
    part = path.with_name(f".{path.name}.part")
    try:
        with part.open("w", encoding="utf-8", newline="") as out:
            result = fill(out)
        os.replace(part, path)
        return result
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise Refused(f"{path}: cannot write it ({exc.strerror}).") from exc
