"""The reports view as a coordinator uses it: pick a report, read it as a table and a chart,
narrow it to the cohort chosen in the tree and to a time window, export it.

Each test scripts a short history through the command line (a smaller one than
test_reports.py's, at 09:00 UTC on consecutive days: D0 = 1 September 2026), opens the view
with the app's serial DbWorker and a fixed clock (D10), and checks the view against what
`waypoint report` says of the same store.

  D0  Sam (s1) and Robin (s2) join fall, Kim (s3) spring.
  D1  Avery completes Sam's welcome; Sam submits the deposit.
  D3  Ollie completes Kim's welcome.
  D4  Lee approves Sam's deposit: Sam's plan opens.     D5  Sam completes the plan.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import ADMIN, Waypoint
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from app.models.store import open_store
from app.services.profile_store import open_profile_store
from app.services.reports.export import cell_text
from app.services.write import Result
from app.views.main_window import MainWindow
from app.views.reports_view import ReportsView
from app.views.worker import DbWorker

AVERY, OLLIE, LEE = "avery@example.edu", "ollie@example.edu", "lee@example.edu"
D = {n: f"2026-09-{n + 1:02d}T09:00" for n in range(12)}
NOW = datetime(2026, 9, 11, 9, 0, tzinfo=UTC)  # D10

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

[[cohorts]]
key = "onboarding"
name = "Onboarding"
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

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall", "spring"]
complete_by = ["staff"]
gate = "intake"

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
after = ["deposit"]
"""


def history(wp: Waypoint) -> None:
    wp.apply(PROGRAM, "--at", D[0])
    wp.people("id,name,email,cohort\n"
              "s1,Sam Student,sam@example.edu,fall\n"
              "s2,Robin Roe,robin@example.edu,fall\n"
              "s3,Kim Kay,kim@example.edu,spring\n", "--at", D[0])
    wp.json("complete", "s1", "welcome", "--by", AVERY, "--at", D[1])
    wp.json("submit", "s1", "deposit", "--by", "s1", "--at", D[1])
    wp.json("complete", "s3", "welcome", "--by", OLLIE, "--at", D[3])
    wp.json("approve", "s1", "deposit", "--by", LEE, "--at", D[4])
    wp.json("complete", "s1", "plan", "--by", "s1", "--at", D[5])


@pytest.fixture
def reports_on(wp: Waypoint, qtbot: Any) -> Iterator[Callable[[], ReportsView]]:
    """The view on the scripted history, shown, its first report (activity) in."""
    opened: list[DbWorker] = []

    def open_view() -> ReportsView:
        history(wp)
        worker = DbWorker(open_store(wp.db))
        opened.append(worker)
        view = ReportsView(worker, ADMIN, now=lambda: NOW)
        qtbot.addWidget(view)
        view.resize(1200, 700)
        with qtbot.waitSignal(view.sig_report_shown, timeout=10_000):
            view.show()
        return view

    yield open_view
    for worker in opened:
        worker.stop()
        worker.store.close()


def run(qtbot: Any, view: ReportsView, action: Callable[[], Any]) -> None:
    """Do something that runs the report, and wait until its table is shown."""
    with qtbot.waitSignal(view.sig_report_shown, timeout=10_000):
        action()


def shown(view: ReportsView) -> list[list[str]]:
    model = view.proxy
    return [[model.index(r, c).data() for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def cli(wp: Waypoint, name: str, *extra: str) -> list[list[str]]:
    """The report's rows as `waypoint report --json` gives them (times in ISO 8601), in the
    words of the table's cells."""
    payload = wp.json("report", name, "--at", D[10], *extra)
    return [[cell_text(datetime.fromisoformat(v) if isinstance(v, str) and "T" in v[10:11]
                       else v) for v in row] for row in payload["rows"]]


def headers(view: ReportsView) -> list[str]:
    return [view.proxy.headerData(c, Qt.Orientation.Horizontal)
            for c in range(view.proxy.columnCount())]


# -- picking a report -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["activity", "cycle-time", "funnel", "time-to-complete",
                                  "time-in-milestone", "sla", "access"])
def test_picking_a_report_fills_the_table_with_the_rows_the_command_line_gives(
        wp, reports_on, qtbot, qtmodeltester, name):
    view = reports_on()
    if name != "activity":  # the first report, shown on opening
        run(qtbot, view, lambda: view.choose(name))
    assert view.picker.currentData() == name
    assert shown(view) == cli(wp, name)
    assert view.status.text().endswith("rows.") or view.status.text() == "1 row."
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.proxy)


def test_the_table_reads_in_words_with_numbers_to_the_right(reports_on, qtbot):
    view = reports_on()
    run(qtbot, view, lambda: view.choose("time-to-complete"))
    assert view.heading.text() == "Time to complete — all cohorts"
    assert headers(view) == ["Cohort", "Participants", "Completed", "Median days", "P90 days"]
    assert view.model.headerData(3, Qt.Orientation.Horizontal,
                                 Qt.ItemDataRole.ToolTipRole) == "median_days"
    right = view.proxy.index(0, 3).data(Qt.ItemDataRole.TextAlignmentRole)
    assert right & Qt.AlignmentFlag.AlignRight
    assert view.notes.text() == ("Days from the first milestone assigned to the last "
                                 "required one done.")


def test_sorting_by_a_column_orders_numbers_as_numbers(reports_on, qtbot):
    view = reports_on()
    run(qtbot, view, lambda: view.choose("cycle-time"))
    view.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    medians = [view.proxy.index(r, 3).data(Qt.ItemDataRole.UserRole)
               for r in range(view.proxy.rowCount())]
    assert medians == sorted(medians, reverse=True)


# -- the chart ------------------------------------------------------------------------------


def test_activity_charts_the_states_of_each_milestone_stacked(reports_on):
    view = reports_on()
    data = view.chart.data
    assert view.chart.isVisibleTo(view) and data is not None and data.stacked
    assert data.categories == ["welcome", "deposit", "plan"]
    # nobody is denied nor skipped: those states are left out of the stack and its legend
    assert [s.label for s in data.series] == ["Locked", "Open", "Complete"]
    complete = next(s for s in data.series if s.name == "complete")
    # Sam's and Kim's welcome (fall and spring added up), Sam's deposit and plan
    assert complete.values == [2, 1, 1]
    assert "Complete" in view.chart.legend.text()


def test_cycle_time_charts_the_median_days_per_state_side_by_side(wp, reports_on, qtbot):
    view = reports_on()
    run(qtbot, view, lambda: view.choose("cycle-time"))
    data = view.chart.data
    assert data is not None and not data.stacked
    rows = wp.json("report", "cycle-time", "--at", D[10])["rows"]
    medians = {(m, state): median for m, state, _n, median, _p90 in rows}
    for series in data.series:
        for milestone, value in zip(data.categories, series.values, strict=True):
            assert value == medians.get((milestone, series.name))


def test_the_funnel_charts_who_reached_and_passed_each_gate(reports_on, qtbot):
    view = reports_on()
    run(qtbot, view, lambda: view.choose("funnel"))
    data = view.chart.data
    assert data is not None and data.categories == ["intake"]
    # all three reached intake; Sam and Kim have done all of its milestones they hold
    assert [(s.label, s.values) for s in data.series] == [("Reached", [3]), ("Passed", [2])]


@pytest.mark.parametrize("name", ["sla", "at-risk", "access", "impact"])
def test_a_report_of_people_or_of_mixed_units_has_no_chart(reports_on, qtbot, name):
    view = reports_on()
    run(qtbot, view, lambda: view.choose(name))
    assert not view.chart.isVisibleTo(view)
    assert view.table.isVisibleTo(view)


# -- narrowing ------------------------------------------------------------------------------


def test_choosing_a_cohort_narrows_the_report_and_clearing_it_shows_every_cohort(
        wp, reports_on, qtbot):
    view = reports_on()
    assert {row[0] for row in shown(view)} == {"fall", "spring"}
    run(qtbot, view, lambda: view.show_cohort("spring"))
    assert shown(view) == cli(wp, "activity", "--cohort", "spring")
    assert {row[0] for row in shown(view)} == {"spring"}
    assert view.heading.text() == ("Activity by milestone — cohort spring and those below it")
    assert view.only.isChecked() and "spring" in view.only.text()
    run(qtbot, view, lambda: view.only.setChecked(False))
    assert shown(view) == cli(wp, "activity")
    assert view.heading.text() == "Activity by milestone — all cohorts"


def test_the_tree_saying_the_same_cohort_again_runs_the_report_again_keeping_every_cohort(
        reports_on, qtbot):
    view = reports_on()
    run(qtbot, view, lambda: view.show_cohort("fall"))
    run(qtbot, view, lambda: view.only.setChecked(False))
    # The tree reloaded (Refresh): the same cohort, chosen again, and the report read again.
    run(qtbot, view, lambda: view.show_cohort("fall"))
    assert view.cohort is None
    assert view.heading.text() == "Activity by milestone — all cohorts"
    run(qtbot, view, lambda: view.show_cohort("spring"))  # another cohort: narrowed again
    assert view.cohort == "spring"


def test_from_and_to_narrow_a_report_about_time_as_on_the_command_line(wp, reports_on, qtbot):
    view = reports_on()
    run(qtbot, view, lambda: view.choose("time-in-milestone"))
    everything = shown(view)
    view.start.setText("2026-09-06")
    view.end.setText("2026-09-06")  # a date: to the end of that day
    run(qtbot, view, view.run_button.click)
    assert shown(view) == cli(wp, "time-in-milestone", "--from", "2026-09-06",
                              "--to", "2026-09-06")
    assert shown(view) != everything and {row[2] for row in shown(view)} == {"plan"}
    assert view.heading.text() == ("Time in milestone — all cohorts, "
                                   "from 2026-09-06 to 2026-09-06")


def test_a_report_of_how_things_stand_now_says_so_when_given_dates(reports_on, qtbot):
    view = reports_on()
    view.start.setText("2026-09-01")
    run(qtbot, view, view.run_button.click)
    assert view.notes.text() == ("From/To do not apply to this report: it shows how things "
                                 "stand now.")


def test_a_bad_date_is_said_and_changes_nothing(reports_on, qtbot):
    view = reports_on()
    before = shown(view)
    view.start.setText("2026-13-45")
    view.run_button.click()
    assert view.status.text().startswith("From: '2026-13-45' is not a date.")
    assert view.worker.pending == 0  # nothing ran
    view.picker.setCurrentIndex(view.picker.findData("funnel"))
    assert view.worker.pending == 0 and shown(view) == before
    assert view.heading.text() == "Activity by milestone — all cohorts"


def test_from_after_to_is_said_and_changes_nothing(reports_on, qtbot):
    view = reports_on()
    before = shown(view)
    view.start.setText("2026-09-10")
    view.end.setText("2026-09-05")
    view.run_button.click()
    qtbot.waitUntil(lambda: view.worker.pending == 0, timeout=10_000)
    assert view.status.text() == ("The report could not be run: From (2026-09-10) is after "
                                  "To (2026-09-05).")
    assert shown(view) == before


# -- changes and export ---------------------------------------------------------------------


def test_a_change_to_progress_runs_the_report_again_and_others_do_not(wp, reports_on, qtbot):
    view = reports_on()
    run(qtbot, view, lambda: view.choose("funnel"))
    wp.json("complete", "s2", "welcome", "--by", AVERY, "--at", D[9])
    view.on_changed(Result(ok=True, flags=frozenset({"outbox", "alerts"})))
    assert view.worker.pending == 0 and shown(view)[0][2] == "3"  # not read again
    run(qtbot, view, lambda: view.on_changed(Result(ok=True, flags=frozenset({"progress"}))))
    assert shown(view) == cli(wp, "funnel")


def test_a_hidden_view_runs_its_report_only_once_shown(wp, qtbot):
    history(wp)
    worker = DbWorker(open_store(wp.db))
    try:
        view = ReportsView(worker, ADMIN, now=lambda: NOW)
        qtbot.addWidget(view)
        view.refresh()
        view.show_cohort("fall")
        assert worker.pending == 0 and view.model.rowCount() == 0
        run(qtbot, view, view.show)
        assert {row[0] for row in shown(view)} == {"fall"}
    finally:
        worker.stop()
        worker.store.close()


def test_export_writes_the_report_shown_to_a_csv_that_reads_back(reports_on, qtbot, tmp_path,
                                                                 monkeypatch):
    view = reports_on()
    run(qtbot, view, lambda: view.choose("funnel"))
    asked: list[str] = []

    def save_as(_parent: Any, _title: str, name: str, _filters: str) -> tuple[str, str]:
        asked.append(name)
        return str(tmp_path / "funnel"), "CSV (*.csv)"  # no extension typed: the filter's

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    with qtbot.waitSignal(view.sig_report_exported, timeout=10_000) as written:
        view.export_button.click()
    assert asked == ["funnel.csv"]
    assert written.args == [str(tmp_path / "funnel.csv")]
    with open(tmp_path / "funnel.csv", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == view.model.table.columns
    assert rows[1:] == shown(view)
    assert view.status.text().startswith("Gate funnel: 1 row written to")


def test_export_to_a_folder_that_does_not_exist_is_said(reports_on, qtbot, tmp_path,
                                                        monkeypatch):
    view = reports_on()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *_args: (str(tmp_path / "nowhere" / "a.xlsx"), ""))
    view.export_button.click()
    qtbot.waitUntil(lambda: view.worker.pending == 0, timeout=10_000)
    assert view.status.text().startswith("Could not write ")
    assert not (tmp_path / "nowhere").exists()


# -- in the main window ---------------------------------------------------------------------


def test_the_window_has_a_reports_tab_narrowed_by_the_cohort_tree(wp, qtbot):
    history(wp)
    QSettings().clear()
    window = MainWindow(open_profile_store(wp.db), run_scheduler=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.worker.pending == 0, timeout=30_000)
    number = window.tabs.indexOf(window.reports)
    assert window.tabs.tabText(number) == "Rep&orts"
    action = next(a for a in window.view_menu.actions() if a.text() == "&Reports")
    assert action.shortcut().toString() == f"Ctrl+{number + 1}"
    window.tree.select_key("spring")
    run(qtbot, window.reports, action.trigger)
    assert {row[0] for row in shown(window.reports)} == {"spring"}
