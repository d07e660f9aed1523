"""`make bench`: build the demo stores, time what DESIGN.md budgets, print PASS or OVER.

    python -m tests.perf [--skip-large] [--keep] [--out DIR] [--at TIME]

Every measure runs in a fresh process: the demo through the command line as a user runs it,
the rest in tests.perf.probe, so that each peak memory is that process's own. The budgets
are for the large data set; on the small one the times are printed without a verdict. The
table and the raw numbers go to tests/perf/out/ (bench-<time>.txt and .json, and
latest.txt). Nothing here asserts: a bench reports, the tests decide. Unix only (it reads
each child's resource usage).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().with_name("out")
AT = "2026-10-01T12:00"  # a fixed "now": the same data on every run, midway through the terms
MB = 1 << 20


@dataclass(frozen=True)
class Budget:
    seconds: float | None
    megabytes: float | None
    says: str  # where the budget comes from, as DESIGN.md (or the issue) words it


# DESIGN.md §3, "Budgets", for the large data set; a measure with no budget of its own is set
# against the nearest one, and the table says which.
BUDGETS = {
    "demo": Budget(60, None, "demo L in under a minute on 2 cores (the demo issue)"),
    "show_cli": Budget(2, None, "app start to a usable window ≤ 2 s (a process start to an "
                                "answer)"),
    "open": Budget(2, None, "app start to a usable window ≤ 2 s (the store part)"),
    "tree": Budget(0.1, None, "select a cohort → board filled ≤ 100 ms (its tree half)"),
    "board_largest": Budget(0.1, None, "select a cohort → board filled ≤ 100 ms"),
    "board_5000": Budget(0.1, None, "select a cohort of 5,000 → board filled ≤ 100 ms"),
    "show": Budget(0.1, None, "board filled ≤ 100 ms (a participant's view)"),
    "enroll": Budget(None, None, "none for one participant; see the 5,000 below"),
    "complete": Budget(0.02, None, "approve and move to the next ≤ 20 ms (one staff "
                                   "decision)"),
    "enroll_5000": Budget(1, None, "enroll 5,000 participants into a cohort of 20 "
                                   "milestones ≤ 1 s"),
    "tick": Budget(1, None, "nightly scan (reminders + alerts + deadlines) ≤ 1 s"),
    "tick_first": Budget(None, None, "none (a first tick catches up on the whole history)"),
    "inbox": Budget(0.2, None, "open the inbox with 10,000 pending ≤ 200 ms"),
    "approve": Budget(0.02, None, "approve and move to the next ≤ 20 ms"),
    "memory_open": Budget(None, 350, "resident memory with the large data set open ≤ 350 MB"),
    "memory_peak": Budget(None, None, "none (after the writes above)"),
    "demo_memory": Budget(None, None, "none (generating the store)"),
}
NOT_MEASURED = ("app start to a usable window ≤ 2 s "
                "(needs the Qt window; the store part is above)",)


@dataclass
class Row:
    size: str
    key: str
    label: str
    value: float | None  # seconds or megabytes
    unit: str
    detail: str = ""
    error: str = ""

    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        budget = BUDGETS.get(self.key)
        limit = None if budget is None else (
            budget.megabytes if self.unit == "MB" else budget.seconds)
        if limit is None or self.value is None:
            return ""
        if self.size != "L":
            return "(L only)"
        return "PASS" if self.value <= limit else "OVER"

    def shown(self) -> str:
        if self.error:
            return "—"
        if self.value is None:
            return "—"
        if self.unit == "MB":
            return f"{self.value:,.0f} MB"
        return f"{self.value * 1000:,.1f} ms" if self.value < 1 else f"{self.value:,.2f} s"

    def budget(self) -> str:
        budget = BUDGETS.get(self.key)
        if budget is None:
            return ""
        if self.unit == "MB" and budget.megabytes is not None:
            return f"≤ {budget.megabytes:,.0f} MB"
        if self.unit == "s" and budget.seconds is not None:
            seconds = budget.seconds
            return f"≤ {seconds * 1000:,.0f} ms" if seconds < 1 else f"≤ {seconds:,.0f} s"
        return ""


def run(argv: list[str], log: Path) -> tuple[float, float, int, str]:
    """Wall seconds, the child's peak resident memory in MB, its exit status, its output."""
    start = time.perf_counter()
    with log.open("w") as output:
        child = subprocess.Popen(argv, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss / (MB if sys.platform == "darwin" else 1024)
    return wall, peak, child.returncode, log.read_text(errors="replace")


def store_path(out: Path, size: str) -> Path:
    return out / f"demo-{size}.sqlite3"


def remove_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build(size: str, out: Path, at: str, rows: list[Row]) -> Path | None:
    path = store_path(out, size)
    remove_store(path)
    print(f"demo {size} …", flush=True)
    wall, peak, status, text = run(
        [sys.executable, "-m", "app", "--db", str(path), "demo", "--size", size, "--at", at],
        out / f"demo-{size}.log")
    if status != 0:
        rows.append(Row(size, "demo", f"demo --size {size}", None, "s", error=text.strip()))
        return None
    detail = text.strip().splitlines()[-1] if text.strip() else ""
    rows.append(Row(size, "demo", f"demo --size {size}", wall, "s", detail))
    rows.append(Row(size, "demo_memory", f"demo --size {size}, peak memory", peak, "MB"))
    return path


def probe(size: str, path: Path, out: Path, at: str, rows: list[Row]) -> None:
    print(f"probe {size} …", flush=True)
    person = middle_person(path)
    times = []
    for _ in range(3):
        wall, _, status, text = run(
            [sys.executable, "-m", "app", "--db", str(path), "show", person, "--at", at],
            out / f"show-{size}.log")
        times.append(wall)
    rows.append(Row(size, "show_cli", f"waypoint show {person} (whole process)",
                    sorted(times)[1] if status == 0 else None, "s", "median of 3",
                    error="" if status == 0 else text.strip()))
    _, peak, status, text = run(
        [sys.executable, "-m", "tests.perf.probe", "--db", str(path), "--at", at],
        out / f"probe-{size}.log")
    if status != 0:
        rows.append(Row(size, "probe", "probe", None, "s", error=text.strip()[-2000:]))
        return
    found: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    labels = {"open": "open the store", "tree": "cohort tree",
              "board_largest": "board: tree + largest cohort",
              "board_5000": "board: tree + a cohort of 5,000 or more",
              "show": "show one participant (query)", "enroll": "enroll one participant",
              "complete": "complete one milestone", "enroll_5000": "enroll 5,000 (import)",
              "inbox": "open the inbox", "approve": "approve one request",
              "tick_first": "first tick on the store", "tick": "nightly scan (a tick)"}
    for key, measure in found["measures"].items():
        value = measure["median"] if measure["median"] is not None else measure["first"]
        detail = measure["what"]
        if measure["n"] > 1:
            detail += f"; first {measure['first'] * 1000:,.1f} ms, median of {measure['n'] - 1}"
        rows.append(Row(size, key, labels.get(key, key), value, "s", detail))
    rows.append(Row(size, "memory_open", "peak memory, store open and read",
                    found["memory_open_mb"], "MB"))
    rows.append(Row(size, "memory_peak", "peak memory, after the writes", peak, "MB"))


def middle_person(path: Path) -> str:
    """The participant `show` is timed on: the middle one by external id, as in the probe."""
    with closing(sqlite3.connect(path)) as connection:
        (count,) = connection.execute("SELECT count(*) FROM people").fetchone()
        (person,) = connection.execute(
            "SELECT external_id FROM people ORDER BY external_id LIMIT 1 OFFSET ?",
            (count // 2,)).fetchone()
    return str(person)


def table(rows: list[Row]) -> str:
    head = ("size", "measure", "value", "budget", "verdict", "detail")
    body = [(r.size, r.label, r.shown(), r.budget(), r.verdict(), r.error[:200] or r.detail)
            for r in rows]
    widths = [max(len(str(line[i])) for line in [head, *body]) for i in range(5)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(line[:5], widths, strict=True))
             + "  " + line[5] for line in [head, *body]]
    lines.insert(1, "-" * min(120, len(lines[0])))
    said = {BUDGETS[r.key].says for r in rows if r.key in BUDGETS and (
        BUDGETS[r.key].seconds is not None or BUDGETS[r.key].megabytes is not None)}
    lines += ["", "Budgets (DESIGN.md §3; a measure without one is set against the nearest):"]
    lines += [f"  {text}" for text in sorted(said)]
    lines += ["Not measured yet:"] + [f"  {text}" for text in NOT_MEASURED]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--skip-large", action="store_true",
                        help="only the small store (a minute less, no verdicts)")
    parser.add_argument("--keep", action="store_true", help="keep the demo stores in --out")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default {OUT})")
    parser.add_argument("--at", default=AT, help=f"the demo's 'now' (default {AT})")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    sizes = ["S"] if args.skip_large else ["S", "L"]
    rows: list[Row] = []
    stores = {size: build(size, out, args.at, rows) for size in sizes}
    largest = next((size for size in reversed(sizes) if stores[size] is not None), None)
    if largest is not None:
        probe(largest, stores[largest], out, args.at, rows)  # type: ignore[arg-type]
    text = table(rows)
    print()
    print(text)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    header = f"Waypoint bench {stamp} · python {sys.version.split()[0]} · {os.cpu_count()} CPUs\n"
    (out / f"bench-{stamp}.txt").write_text(header + text + "\n", encoding="utf-8")
    (out / "latest.txt").write_text(header + text + "\n", encoding="utf-8")
    (out / f"bench-{stamp}.json").write_text(json.dumps(
        [{**vars(r), "verdict": r.verdict(), "budget": r.budget()} for r in rows], indent=1),
        encoding="utf-8")
    if not args.keep:
        for path in stores.values():
            if path is not None:
                remove_store(path)
    print(f"\nWritten to {out}/bench-{stamp}.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
