"""Reports: activity, cycle time, impact, time in milestone, SLA exceptions, the gate funnel,
time to complete, at-risk participants and the access review — `waypoint report NAME`.

Every test reads one hand-built history, scripted through the command line with explicit
times at 09:00 UTC on consecutive days (D0 = 1 September 2026, D1 = 2 September, …), so
every duration is a whole number of days and each right answer is worked out by hand in a
comment beside it. Medians and 90th percentiles interpolate between the two values around
rank (n − 1) × p of the sorted values: of [1, 2, 6], the median is 2 and the p90 is
2 + 0.8 × (6 − 2) = 5.2.

The history (program below; cohorts fall and spring under onboarding):
  D0  Sam (s1), Robin (s2) and Lou (s4) join fall, Kim (s3) spring. welcome and deposit open,
      plan (after deposit) is locked. Impacts: savings actual Sam 500, Robin 1000 (forecast
      1500), Lou 2000; hours actual Lou 40.
  D1  Avery completes Sam's welcome; Sam submits the deposit.
  D2  Robin submits the deposit.
  D3  Ollie completes Kim's welcome.
  D4  Lee approves Sam's deposit: complete, and Sam's plan opens.
  D5  Sam completes the plan: Sam has finished fall.
  D6  Lou submits the deposit.
  D7  Robin's intake review: recycle; Lou's: stop.   D8  Robin's intake review: hold.
Reports are read as of D10 unless a test says otherwise.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN, Waypoint
from openpyxl import load_workbook
from pypdf import PdfReader

AVERY, OLLIE, LEE, HANA = ("avery@example.edu", "ollie@example.edu", "lee@example.edu",
                           "hana@example.edu")
D = {n: f"2026-09-{n + 1:02d}T09:00" for n in range(12)}
NAMES = ("activity, cycle-time, impact, time-in-milestone, sla, funnel, time-to-complete, "
         "at-risk, access")

PROGRAM = """\
[program]
name = "Reports"
timezone = "UTC"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "ollie@example.edu"
name = "Ollie Advisor"
roles = ["advisor"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]
[[staff]]
email = "hana@example.edu"
name = "Hana Head"
roles = ["manager"]

[[cohorts]]
key = "onboarding"
name = "Onboarding"
staff = ["hana@example.edu"]
[[cohorts]]
key = "fall"
name = "Fall 2026"
parent = "onboarding"
staff = ["avery@example.edu"]
[[cohorts]]
key = "spring"
name = "Spring 2027"
parent = "onboarding"
staff = ["ollie@example.edu"]

[[gates]]
key = "intake"
name = "Intake"
reviewers = ["manager"]
[[gates]]
key = "launch"
name = "Launch"

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall", "spring"]
complete_by = ["staff"]
gate = "intake"
expected = "5d"

[[milestones]]
key = "deposit"
title = "Pay the deposit"
cohorts = ["fall"]
complete_by = ["request"]
gate = "intake"
escalate_after = "3d"
[milestones.approval]
approvers = { roles = ["finance"] }

[[milestones]]
key = "plan"
title = "Academic plan"
cohorts = ["fall"]
complete_by = ["self"]
gate = "launch"
after = ["deposit"]
due = { date = "2026-09-08" }
"""


def history(wp: Waypoint) -> None:
    """The history of the module docstring."""
    wp.apply(PROGRAM, "--at", D[0])
    wp.people("id,name,email,cohort,impact.savings\n"
              "s1,Sam Student,sam@example.edu,fall,500\n"
              "s2,Robin Roe,robin@example.edu,fall,1000\n"
              "s3,Kim Kay,kim@example.edu,spring,\n"
              "s4,Lou Lane,lou@example.edu,fall,2000\n", "--at", D[0])
    wp.json("set", "s2", "impact.savings.forecast=1500", "--at", D[0])
    wp.json("set", "s4", "impact.hours=40", "--at", D[0])
    wp.json("complete", "s1", "welcome", "--by", AVERY, "--at", D[1])
    wp.json("submit", "s1", "deposit", "--by", "s1", "--at", D[1])
    wp.json("submit", "s2", "deposit", "--by", "s2", "--at", D[2])
    wp.json("complete", "s3", "welcome", "--by", OLLIE, "--at", D[3])
    wp.json("approve", "s1", "deposit", "--by", LEE, "--at", D[4])
    wp.json("complete", "s1", "plan", "--by", "s1", "--at", D[5])
    wp.json("submit", "s4", "deposit", "--by", "s4", "--at", D[6])
    wp.json("review", "s2", "intake", "--decision", "recycle", "--at", D[7])
    wp.json("review", "s4", "intake", "--decision", "stop", "--at", D[7])
    wp.json("review", "s2", "intake", "--decision", "hold", "--at", D[8])



@pytest.fixture(scope="module")
def wp(empty_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Waypoint:
    """One store holding the history, shared by every test here: reports only read."""
    folder = tmp_path_factory.mktemp("reports")
    shutil.copy(empty_store, folder / "store.sqlite3")
    tool = Waypoint(folder / "store.sqlite3", folder)
    tool.json("init", "--user", ADMIN, "--name", "Casey Coordinator")
    history(tool)
    return tool


def report(wp: Waypoint, name: str, *extra: str, at: str = D[10]) -> dict[str, Any]:
    payload = wp.json("report", name, "--at", at, *extra)
    assert payload["report"] == name
    return payload


def rows(wp: Waypoint, name: str, *extra: str, at: str = D[10]) -> list[list[Any]]:
    return report(wp, name, *extra, at=at)["rows"]


# --- the reports ------------------------------------------------------------------------------

def test_activity_counts_each_milestones_participants_in_each_state_per_cohort(
        wp: Waypoint) -> None:
    payload = report(wp, "activity")

    assert payload["columns"] == ["cohort", "milestone", "locked", "open", "started",
                                  "submitted", "complete", "denied", "skipped", "total"]
    # fall: welcome complete for Sam, open for Robin and Lou; deposit approved for Sam,
    # submitted by Robin and Lou; plan complete for Sam, locked (deposit pending) for the others.
    # spring: Kim's welcome complete.
    assert payload["rows"] == [
        ["fall", "welcome", 0, 2, 0, 0, 1, 0, 0, 3],
        ["fall", "deposit", 0, 0, 0, 2, 1, 0, 0, 3],
        ["fall", "plan", 2, 0, 0, 0, 1, 0, 0, 3],
        ["spring", "welcome", 0, 0, 0, 0, 1, 0, 0, 1],
    ]
    assert [r[:2] for r in rows(wp, "activity", "--cohort", "spring")] == [["spring", "welcome"]]
    assert len(rows(wp, "activity", "--cohort", "onboarding")) == 4, "the cohorts below count"


def test_cycle_time_gives_the_median_and_90th_percentile_days_spent_in_each_state(
        wp: Waypoint) -> None:
    payload = report(wp, "cycle-time")

    assert payload["columns"] == ["milestone", "state", "count", "median_days", "p90_days"]
    assert payload["rows"] == [
        # welcome open: Sam D0→D1 1, Kim D0→D3 3, Robin and Lou D0→D10 (still open) 10, 10:
        # [1, 3, 10, 10] → median 3 + 0.5 × 7 = 6.5, p90 (rank 2.7) 10.
        ["welcome", "open", 4, 6.5, 10.0],
        # deposit open: Sam D0→D1 1, Robin D0→D2 2, Lou D0→D6 6 → median 2, p90 2 + 0.8 × 4.
        ["deposit", "open", 3, 2.0, 5.2],
        # deposit submitted: Sam D1→D4 3, Lou D6→D10 4, Robin D2→D10 8 → 4, 4 + 0.8 × 4.
        ["deposit", "submitted", 3, 4.0, 7.2],
        # plan locked: Sam D0→D4 4, Robin and Lou D0→D10 10, 10; plan open: Sam D4→D5 1.
        ["plan", "locked", 3, 10.0, 10.0],
        ["plan", "open", 1, 1.0, 1.0],
    ]
    # spring holds only the welcome: Kim's, open D0→D3.
    assert rows(wp, "cycle-time", "--cohort", "spring") == [["welcome", "open", 1, 3.0, 3.0]]


def test_cycle_time_in_a_window_counts_the_stays_overlapping_it_cut_off_at_to(
        wp: Waypoint) -> None:
    # From D2 to D3: stays that ended by D2 drop out (Sam's welcome and deposit open, Robin's
    # deposit open); the rest run to D3 at most. Sam's plan opened after D3.
    assert rows(wp, "cycle-time", "--from", D[2], "--to", D[3]) == [
        ["welcome", "open", 3, 3.0, 3.0],  # Robin, Kim (done at D3), Lou: D0→D3
        ["deposit", "open", 1, 3.0, 3.0],  # Lou D0→D3
        ["deposit", "submitted", 2, 1.5, 1.9],  # Robin D2→D3 1, Sam D1→D3 2
        ["plan", "locked", 3, 3.0, 3.0],  # everyone D0→D3
    ]


def test_impact_sums_the_impacts_of_participants_waiting_on_each_approval(
        wp: Waypoint) -> None:
    payload = report(wp, "impact")

    assert payload["columns"] == ["milestone", "impact", "participants", "target", "forecast",
                                  "actual"]
    # Waiting on the deposit: Robin (savings 1000 actual, 1500 forecast) and Lou (savings
    # 2000, hours 40). Sam's 500 is approved already and no longer waits.
    assert payload["rows"] == [
        ["deposit", "hours", 1, 0.0, 0.0, 40.0],
        ["deposit", "savings", 2, 0.0, 1500.0, 3000.0],
    ]
    assert rows(wp, "impact", "--cohort", "spring") == []


def test_time_in_milestone_by_cohort_and_by_the_cohorts_staff(wp: Waypoint) -> None:
    payload = report(wp, "time-in-milestone")

    assert payload["columns"] == ["by", "who", "milestone", "count", "median_days", "p90_days"]
    # Complete now, from first open to completion: Sam's welcome D0→D1 1, deposit D0→D4 4,
    # plan D4→D5 1 (fall, staff Avery); Kim's welcome D0→D3 3 (spring, staff Ollie). Hana
    # staffs onboarding, above both: welcome [1, 3] → median 2, p90 1 + 0.9 × 2 = 2.8.
    assert payload["rows"] == [
        ["cohort", "fall", "welcome", 1, 1.0, 1.0],
        ["cohort", "fall", "deposit", 1, 4.0, 4.0],
        ["cohort", "fall", "plan", 1, 1.0, 1.0],
        ["cohort", "spring", "welcome", 1, 3.0, 3.0],
        ["staff", AVERY, "welcome", 1, 1.0, 1.0],
        ["staff", AVERY, "deposit", 1, 4.0, 4.0],
        ["staff", AVERY, "plan", 1, 1.0, 1.0],
        ["staff", HANA, "welcome", 2, 2.0, 2.8],
        ["staff", HANA, "deposit", 1, 4.0, 4.0],
        ["staff", HANA, "plan", 1, 1.0, 1.0],
        ["staff", OLLIE, "welcome", 1, 3.0, 3.0],
    ]
    # From D4: only what was completed since — Sam's deposit (D4) and plan (D5).
    assert [r[:3] for r in rows(wp, "time-in-milestone", "--from", D[4])] == [
        ["cohort", "fall", "deposit"], ["cohort", "fall", "plan"],
        ["staff", AVERY, "deposit"], ["staff", AVERY, "plan"],
        ["staff", HANA, "deposit"], ["staff", HANA, "plan"],
    ]


def test_sla_exceptions_are_progress_waiting_longer_than_escalate_after(wp: Waypoint) -> None:
    payload = report(wp, "sla")

    assert payload["columns"] == ["person", "name", "milestone", "state", "since",
                                  "days_in_state", "escalate_after_days", "days_over"]
    # deposit escalates after 3 days. At D10: Robin submitted at D2 (8 days, 5 over), Lou at
    # D6 (4 days, 1 over); longest over first.
    assert payload["rows"] == [
        ["s2", "Robin Roe", "deposit", "submitted", "2026-09-03", 8.0, 3, 5.0],
        ["s4", "Lou Lane", "deposit", "submitted", "2026-09-07", 4.0, 3, 1.0],
    ]
    # At D6 Robin has waited 4 days; Lou has just submitted.
    assert [r[0] for r in rows(wp, "sla", at=D[6])] == ["s2"]


def test_the_gate_funnel_shows_who_reached_and_passed_each_gate_and_where_they_dropped_off(
        wp: Waypoint) -> None:
    payload = report(wp, "funnel")

    assert payload["columns"] == ["gate", "participants", "reached", "passed", "in_progress",
                                  "hold", "recycle", "stop"]
    assert payload["rows"] == [
        # intake (welcome, deposit): all four hold it and have something open. Sam and Kim
        # have all of it complete (passed); Robin's latest review is hold (the recycle before
        # it no longer counts), Lou's stop.
        ["intake", 4, 4, 2, 0, 1, 0, 1],
        # launch (plan, fall only): Sam's opened and is complete; Robin's and Lou's are locked.
        ["launch", 3, 1, 1, 0, 0, 0, 0],
    ]


def test_time_to_complete_the_program_per_cohort(wp: Waypoint) -> None:
    payload = report(wp, "time-to-complete")

    assert payload["columns"] == ["cohort", "participants", "completed", "median_days",
                                  "p90_days"]
    # fall: Sam, assigned at D0, finished the plan at D5 (5 days); Robin and Lou have not.
    # spring: Kim, welcome done at D3 (3 days).
    assert payload["rows"] == [["fall", 3, 1, 5.0, 5.0], ["spring", 1, 1, 3.0, 3.0]]
    # To 5 September (the whole day): Sam finished on the 6th, Kim on the 4th.
    assert rows(wp, "time-to-complete", "--to", "2026-09-05") == [
        ["fall", 3, 0, None, None], ["spring", 1, 1, 3.0, 3.0]]
    assert rows(wp, "time-to-complete", "--to", "2026-09-06")[0] == ["fall", 3, 1, 5.0, 5.0]


def test_at_risk_lists_what_is_past_due_behind_or_stuck_as_the_board_marks_it(
        wp: Waypoint) -> None:
    payload = report(wp, "at-risk")

    assert payload["columns"] == ["person", "name", "milestone", "state", "due", "past_due",
                                  "progress"]
    # welcome expects 5 days (behind past 5, stuck past 7.5): Robin's and Lou's have been open
    # since D0, 10 days at D10. plan was due 8 September and is not done.
    assert payload["rows"] == [
        ["s4", "Lou Lane", "welcome", "open", None, False, "stuck"],
        ["s4", "Lou Lane", "plan", "locked", "2026-09-08", True, None],
        ["s2", "Robin Roe", "welcome", "open", None, False, "stuck"],
        ["s2", "Robin Roe", "plan", "locked", "2026-09-08", True, None],
    ]
    # At D6: 6 days open is behind; the plan is not due yet.
    assert rows(wp, "at-risk", at=D[6]) == [
        ["s4", "Lou Lane", "welcome", "open", None, False, "behind"],
        ["s2", "Robin Roe", "welcome", "open", None, False, "behind"],
    ]


def test_the_access_review_lists_roles_permissions_and_when_each_last_acted(
        wp: Waypoint) -> None:
    payload = report(wp, "access", "--from", D[1], "--to", D[5])

    assert payload["columns"] == ["staff", "name", "roles", "permissions", "cohorts",
                                  "approves", "reviews", "last_acted", "actions"]
    # deposit is approved by finance (and admins); intake is reviewed by managers (and
    # admins). Last acted: Avery D1, Ollie D3, Lee D4, Casey's last review D8, Hana never.
    # Actions between D1 and D5: one each for Avery, Ollie and Lee.
    # Without [permissions] every staff member may approve, mark attendance and export;
    # admins hold everything.
    staff = "approve, export, mark_attendance"
    everything = ("administer, approve, edit_programs, export, mark_attendance, "
                  "see_restricted")
    assert payload["rows"] == [
        [AVERY, "Avery Advisor", "advisor", staff, "fall", "", "",
         "2026-09-02T09:00:00+00:00", 1],
        [ADMIN, "Casey Coordinator", "admin", everything, "", "deposit", "intake, launch",
         "2026-09-09T09:00:00+00:00", 0],
        [HANA, "Hana Head", "manager", staff, "onboarding", "", "intake", None, 0],
        [LEE, "Lee Finance", "finance", staff, "", "deposit", "",
         "2026-09-05T09:00:00+00:00", 1],
        [OLLIE, "Ollie Advisor", "advisor", staff, "spring", "", "",
         "2026-09-04T09:00:00+00:00", 1],
    ]
    # For spring: its staff, the staff of onboarding above it, and the admins.
    assert [r[0] for r in rows(wp, "access", "--cohort", "spring")] == [ADMIN, HANA, OLLIE]


# --- output -----------------------------------------------------------------------------------

def test_a_report_prints_as_an_aligned_table_or_as_csv(wp: Waypoint) -> None:
    code, text, _ = wp.run("report", "funnel", "--at", D[10])
    assert code == 0
    assert text.splitlines() == [
        "Gate funnel",
        "",
        "gate    participants  reached  passed  in_progress  hold  recycle  stop",
        "------  ------------  -------  ------  -----------  ----  -------  ----",
        "intake             4        4       2            0     1        0     1",
        "launch             3        1       1            0     0        0     0",
    ]

    code, text, _ = wp.run("report", "sla", "--csv", "--at", D[10])
    assert code == 0
    assert list(csv.reader(io.StringIO(text))) == [
        ["person", "name", "milestone", "state", "since", "days_in_state",
         "escalate_after_days", "days_over"],
        ["s2", "Robin Roe", "deposit", "submitted", "2026-09-03", "8.0", "3", "5.0"],
        ["s4", "Lou Lane", "deposit", "submitted", "2026-09-07", "4.0", "3", "1.0"],
    ]


def test_a_report_is_written_to_csv_xlsx_or_pdf_by_the_files_extension(
        wp: Waypoint, tmp_path: Path) -> None:
    expected = [["gate", "participants", "reached", "passed", "in_progress", "hold", "recycle",
                 "stop"], ["intake", 4, 4, 2, 0, 1, 0, 1], ["launch", 3, 1, 1, 0, 0, 0, 0]]
    for suffix in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"funnel.{suffix}"
        written = wp.json("report", "funnel", "--at", D[10], "--out", str(out))
        assert written == {"ok": True, "report": "funnel", "out": str(out), "rows": 2}

    with (tmp_path / "funnel.csv").open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [[str(v) for v in row] for row in expected]
    sheet = load_workbook(tmp_path / "funnel.xlsx").active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == expected
    text = PdfReader(tmp_path / "funnel.pdf").pages[0].extract_text()
    assert "Gate funnel" in text
    assert "intake" in text and "launch" in text and "in_progress" in text


# --- bad input --------------------------------------------------------------------------------

def test_bad_report_input_is_refused_saying_what_is_wrong(wp: Waypoint, tmp_path: Path) -> None:
    assert f"There is no report 'speed'; the reports are: {NAMES}." in wp.refused(
        "report", "speed")
    assert "There is no cohort 'winter'." in wp.refused("report", "activity", "--cohort",
                                                        "winter")
    error = wp.refused("report", "cycle-time", "--from", "2026-09-05", "--to", "2026-09-01")
    assert "--from" in error and "is after --to" in error
    assert "--from: 'yesterday' is not a date or time" in wp.refused(
        "report", "cycle-time", "--from", "yesterday")
    assert "--to: '2026-02-30' is not a date" in wp.refused(
        "report", "cycle-time", "--to", "2026-02-30")
    assert "the file must end in .csv, .xlsx or .pdf" in wp.refused(
        "report", "funnel", "--out", str(tmp_path / "funnel.docx"))
    assert not (tmp_path / "funnel.docx").exists()
    assert "Cannot write the report to" in wp.refused(
        "report", "funnel", "--out", str(tmp_path / "missing" / "funnel.csv"))
    assert "--json or --csv, not both" in wp.refused("report", "funnel", "--csv")
