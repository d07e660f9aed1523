"""The warehouse export: `waypoint warehouse DIR [--format csv|jsonl] [--full]` writes
progress and its history in numbered batches, each with what changed since the one before,
and a manifest; a data warehouse loads them in order.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Waypoint

PROGRAM = """\
[program]
name = "Warehouse"
timezone = "America/Chicago"

[[cohorts]]
key = "fall"
name = "Fall 2026"
[[cohorts]]
key = "spring"
name = "Spring 2027"

[[milestones]]
key = "intake"
title = "Intake interview"
cohorts = ["fall", "spring"]
complete_by = ["staff"]

[[milestones]]
key = "essay"
title = "Personal essay"
cohorts = ["fall"]
complete_by = ["staff"]
"""

PEOPLE = "id,name,email,cohort\ns1,Sam Student,sam@example.edu,fall\n" \
         "s2,Robin Roe,robin@example.edu,fall\n"


@pytest.fixture
def store(wp: Waypoint) -> Waypoint:
    wp.apply(PROGRAM)
    wp.people(PEOPLE, "--at", "2026-09-01T09:00")
    wp.json("enroll", "s2", "spring", "--at", "2026-09-02T09:00")
    wp.json("complete", "s1", "intake", "--note", "went well", "--at", "2026-09-03T10:00")
    return wp


def rows(path: Path) -> list[dict[str, Any]]:
    """A file's rows as text, the way a CSV loader sees them (JSON Lines made alike)."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    lines = path.read_text(encoding="utf-8").splitlines()
    return [{k: text(v) for k, v in json.loads(line).items()} for line in lines]


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def batch(wp: Waypoint, directory: Path, *extra: str) -> dict[str, Any]:
    return wp.json("warehouse", str(directory), *extra)


def test_the_first_export_has_every_progress_and_all_its_history(store: Waypoint,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "dw"
    first = batch(store, out)
    assert first["batch"] == 1 and first["format"] == "csv"
    assert first["files"] == {"progress": "0001-progress.csv", "history": "0001-history.csv",
                              "manifest": "0001-manifest.json"}
    progress = rows(out / "0001-progress.csv")
    assert sorted((r["person"], r["milestone"], r["cohorts"], r["state"]) for r in progress) == [
        ("s1", "essay", "fall", "open"), ("s1", "intake", "fall", "complete"),
        ("s2", "essay", "fall", "open"), ("s2", "intake", "fall;spring", "open")]
    sam_intake = next(r for r in progress if (r["person"], r["milestone"]) == ("s1", "intake"))
    assert sam_intake["completed_at"] == "2026-09-03T15:00:00Z"  # 10:00 in Chicago, in UTC
    history = rows(out / "0001-history.csv")
    assert len(history) == 5  # four assignments and Sam's completion
    assert history[-1] | {"event_id": "", "progress_id": "", "person_id": "", "seq": ""} == {
        "event_id": "", "seq": "", "progress_id": "", "person_id": "", "person": "s1",
        "milestone": "intake", "kind": "ProgressCompleted", "from_state": "open",
        "to_state": "complete", "at": "2026-09-03T15:00:00Z", "actor": "coord@example.edu",
        "note": "went well"}
    manifest = json.loads((out / "0001-manifest.json").read_text())
    assert manifest["counts"] == {"progress": 4, "history": 5}
    assert manifest["watermark"] == first["watermark"] and manifest["since"] == 0


def test_the_next_export_has_only_what_changed_since(store: Waypoint, tmp_path: Path) -> None:
    out = tmp_path / "dw"
    first = batch(store, out)
    # Back-dated before everything already exported: still new to the warehouse.
    store.json("complete", "s2", "essay", "--at", "2026-08-15T10:00")
    second = batch(store, out)
    assert second["batch"] == 2 and second["since"] == first["watermark"]
    assert second["counts"] == {"progress": 1, "history": 1}
    [progress] = rows(out / "0002-progress.csv")
    assert (progress["person"], progress["milestone"], progress["state"]) == (
        "s2", "essay", "complete")
    [event] = rows(out / "0002-history.csv")
    assert (event["person"], event["milestone"], event["kind"], event["at"]) == (
        "s2", "essay", "ProgressCompleted", "2026-08-15T15:00:00Z")
    assert len(rows(out / "0001-history.csv")) == 5  # the first batch is still there


def test_nothing_changed_writes_no_batch(store: Waypoint, tmp_path: Path) -> None:
    out = tmp_path / "dw"
    batch(store, out)
    again = batch(store, out)
    assert again["batch"] is None and again["counts"] == {"progress": 0, "history": 0}
    assert sorted(p.name for p in out.iterdir()) == [
        "0001-history.csv", "0001-manifest.json", "0001-progress.csv"]
    store.json("complete", "s2", "intake", "--at", "2026-09-04T10:00")
    assert batch(store, out)["batch"] == 2


def test_a_full_export_has_everything_again_and_counts_on_from_there(
        store: Waypoint, tmp_path: Path) -> None:
    out = tmp_path / "dw"
    batch(store, out)
    full = batch(store, out, "--full")
    assert full["batch"] == 2 and full["full"] is True and full["since"] == 0
    assert full["counts"] == {"progress": 4, "history": 5}
    assert rows(out / "0002-history.csv") == rows(out / "0001-history.csv")
    store.json("complete", "s2", "intake", "--at", "2026-09-04T10:00")
    assert batch(store, out)["counts"] == {"progress": 1, "history": 1}


def test_csv_and_json_lines_hold_the_same_rows(store: Waypoint, tmp_path: Path) -> None:
    as_csv = batch(store, tmp_path / "csv", "--full")
    as_jsonl = batch(store, tmp_path / "jsonl", "--full", "--format", "jsonl")
    assert as_jsonl["files"]["progress"] == "0002-progress.jsonl"
    for kind in ("progress", "history"):
        assert rows(tmp_path / "jsonl" / as_jsonl["files"][kind]) == rows(
            tmp_path / "csv" / as_csv["files"][kind])
    [line, *_] = (tmp_path / "jsonl" / "0002-progress.jsonl").read_text().splitlines()
    assert isinstance(json.loads(line)["cohorts"], list)


def test_batches_never_overwrite_files_already_in_the_directory(store: Waypoint,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "dw"
    out.mkdir()
    (out / "0007-manifest.json").write_text("{}")
    assert batch(store, out)["batch"] == 8
