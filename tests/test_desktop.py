"""The coordinator's window on a real store: the cohort tree, the board, one participant."""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QMessageBox

from app.services.profile_store import open_profile_store
from app.services.write import Result
from app.views.first_start import ProfileDialog
from app.views.main_window import MainWindow

PROGRAM = """
[program]
name = "Student Success"
timezone = "America/Chicago"

[[cohorts]]
key = "onboarding"
name = "Onboarding"

[[cohorts]]
key = "fall"
name = "Fall 2026"
parent = "onboarding"

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall"]

[[milestones]]
key = "plan"
title = "Academic plan"
cohorts = ["fall"]
after = ["welcome"]
"""


def settle(window: MainWindow, qtbot) -> None:
    """Wait until the database worker has nothing left to do (reads run off the UI thread)."""
    qtbot.waitUntil(lambda: window.worker.pending == 0, timeout=30_000)


def window_on(wp, qtbot, *, run_scheduler: bool = False) -> MainWindow:
    QSettings().clear()  # no layout remembered from another test
    window = MainWindow(open_profile_store(wp.db), run_scheduler=run_scheduler)
    qtbot.addWidget(window)
    window.show()
    settle(window, qtbot)
    return window


def cells(model, columns) -> list[list[str]]:
    return [[model.index(r, c).data() for c in columns] for r in range(model.rowCount())]


def test_the_window_shows_the_cohort_tree_with_members_counted_up_the_tree(wp, qtbot):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n"
              "p2,Sam Roe,sam@example.edu,fall\n")
    window = window_on(wp, qtbot)
    assert (window.tree.text_of((0,)), window.tree.text_of((0,), 1)) == ("Onboarding", "2")
    assert (window.tree.text_of((0, 0)), window.tree.text_of((0, 0), 1)) == ("Fall 2026", "2")
    assert window.windowTitle() == "Waypoint — Student Success"


def test_the_cohort_tree_badges_cohorts_with_participants_past_due(wp, qtbot):
    wp.apply(PROGRAM.replace('title = "Welcome call"\n',
                             'title = "Welcome call"\ndue = { date = "2026-01-15" }\n'))
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    assert window.tree.text_of((0, 0), 2) == "⚠ 1"
    assert window.tree.text_of((0,), 2) == "⚠ 1"


def test_the_cohort_filter_keeps_a_match_and_its_parents(wp, qtbot):
    wp.apply(PROGRAM)
    window = window_on(wp, qtbot)
    window.tree.filter.setText("fall")
    proxy = window.tree.proxy
    top = proxy.index(0, 0)
    assert top.data() == "Onboarding" and proxy.rowCount(top) == 1
    assert proxy.index(0, 0, top).data() == "Fall 2026"


def test_choosing_a_cohort_lists_its_participants_and_their_milestones(wp, qtbot):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    wp.json("complete", "p1", "welcome")
    window = window_on(wp, qtbot)
    window.tree.select_key("fall")
    settle(window, qtbot)
    assert cells(window.people.proxy, range(4)) == [["Pat Lee", "p1", "", "1 of 2"]]
    assert cells(window.people.milestone_model, (0, 1)) == [
        ["Welcome call", "Complete"], ["Academic plan", "Open"]]


def test_a_locked_milestone_says_in_the_window_why_it_waits(wp, qtbot):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    model = window.people.milestone_model
    assert model.index(1, 1).data() == "Locked"
    assert "Welcome call" in model.index(1, 4).data()


def test_an_empty_store_is_offered_demo_data_and_filled_off_the_ui_thread(wp, qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    window = window_on(wp, qtbot)
    assert window.is_empty()
    window.offer_demo()
    qtbot.waitUntil(lambda: window.tree.model.rowCount() == 3, timeout=60_000)
    settle(window, qtbot)
    assert not window.is_empty()
    assert window.people.proxy.rowCount() > 0


def test_a_milestone_held_for_its_upload_says_in_the_window_what_it_waits_for(wp, qtbot):
    wp.apply(PROGRAM.replace('title = "Welcome call"\n',
                             'title = "Welcome call"\nupload = "mandatory"\n'))
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    assert window.people.milestone_model.index(0, 4).data() == (
        "Completes once it has an uploaded file.")


def test_the_scheduler_runs_when_the_window_opens_and_its_alerts_show(wp, qtbot):
    wp.apply(PROGRAM.replace('title = "Welcome call"\n',
                             'title = "Welcome call"\ndue = { date = "2026-01-15" }\n'))
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot, run_scheduler=True)
    qtbot.waitUntil(lambda: window.alerts.model.rowCount() == 1, timeout=30_000)
    assert window.alerts.model.index(0, 0).data() == "Past due"
    assert window.scheduler_state.text().startswith("Scheduler: ran")
    qtbot.waitUntil(lambda: "no mail server set up" in window.mail_state.text(), timeout=30_000)


def test_acknowledging_an_alert_in_the_panel_removes_it(wp, qtbot):
    wp.apply(PROGRAM.replace('title = "Welcome call"\n',
                             'title = "Welcome call"\ndue = { date = "2026-01-15" }\n'))
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    wp.json("tick")
    window = window_on(wp, qtbot)
    assert window.alerts.model.rowCount() == 1
    window.alerts.acknowledge_all()
    settle(window, qtbot)
    assert window.alerts.model.rowCount() == 0
    assert wp.json("alerts")["alerts"] == []


def test_the_first_start_asks_who_the_user_is_and_refuses_a_bad_email(qtbot):
    dialog = ProfileDialog()
    qtbot.addWidget(dialog)
    dialog.name.setText("Casey Coordinator")
    dialog.email.setText("casey")
    dialog.accept()
    assert dialog.problem.text() == "'casey' is not an email address."
    dialog.email.setText("Casey@Example.edu")
    dialog.role.setCurrentIndex(2)
    dialog.accept()
    assert dialog.result() == 1
    assert dialog.profile() == ("casey@example.edu", "Casey Coordinator", ("trainer",))


def test_every_item_model_of_the_window_passes_the_model_tester(wp, qtbot, qtmodeltester):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    wp.json("tick")
    window = window_on(wp, qtbot)
    for model in (window.tree.model, window.tree.proxy, window.people.people_model,
                  window.people.proxy, window.people.milestone_model, window.alerts.model,
                  window.outbox.model):
        qtmodeltester.check(model)


def test_a_long_session_does_not_wear_out_the_interpreter(qtbot):
    """A Qt binding that drops a reference to None or True on each call (PySide6 6.12.0 on
    Python 3.11) aborts a window left open for a day; the pinned binding must not."""

    class Emitter(QObject):
        ping = Signal(object)

    emitter = Emitter()
    emitter.ping.connect(lambda _value: None)
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        emitter.setObjectName("worker")
        emitter.ping.emit(True)
    after = sys.getrefcount(None), sys.getrefcount(True)
    assert after[0] >= before[0] and after[1] >= before[1]


APPROVAL = PROGRAM.replace('title = "Welcome call"\n',
                           'title = "Welcome call"\ncomplete_by = ["request"]\n')


def test_the_inbox_tab_counts_what_waits_for_the_user_and_opens_as_its_own_window(wp, qtbot):
    wp.apply(APPROVAL)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    wp.json("submit", "p1", "welcome", "--by", "p1")
    window = window_on(wp, qtbot)
    qtbot.waitUntil(lambda: window.tabs.tabText(window.tabs.indexOf(window.inbox))
                    == "&Inbox (1)", timeout=30_000)
    window.open_inbox_window()
    settle(window, qtbot)
    assert window.inbox_window.isVisible()


def test_picking_a_participant_shows_their_stage_gate_timeline(wp, qtbot):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n"
              "p2,Sam Roe,sam@example.edu,fall\n")
    window = window_on(wp, qtbot)
    assert window.timeline.subject == ("cohort", "onboarding")
    table = window.people.people
    second = table.visualRect(window.people.proxy.index(1, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=second)
    settle(window, qtbot)
    assert window.timeline.subject == ("person", "p2")


def test_start_up_and_refresh_read_each_view_once_and_a_hidden_timeline_when_shown(wp, qtbot):
    """On a large store a cohort's board or timeline takes seconds of the one worker: read
    twice, or read unseen, it holds up the list the coordinator is looking at."""
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    assert window.board._load_id == 1
    assert window.timeline._asked == 0 and window.timeline.subject is not None
    window.refresh()  # F5
    settle(window, qtbot)
    assert window.board._load_id == 2
    assert window.timeline._asked == 0
    with qtbot.waitSignal(window.timeline.sig_timeline_loaded, timeout=10_000):
        window.tabs.setCurrentWidget(window.timeline)
    assert window.timeline._asked == 1


def test_choosing_a_cohort_reads_the_tab_in_front_first(wp, qtbot, monkeypatch):
    """One worker reads for every view: the board a coordinator is looking at comes before
    the participants list behind it (and the list first when it is in front), the one behind
    only once the one in front has its first screen."""
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    asked: list[tuple[str, int]] = []
    shown: list[str] = []
    window.board.model.modelReset.connect(lambda: shown.append("BoardView"))
    window.people.people_model.modelReset.connect(lambda: shown.append("PeoplePanel"))
    submit = window.worker.submit

    def recorded(job, *args, **kwargs):
        asked.append((job.__qualname__.split(".")[0], len(shown)))
        return submit(job, *args, **kwargs)

    monkeypatch.setattr(window.worker, "submit", recorded)
    for front, first, then in ((window.board, "BoardView", "PeoplePanel"),
                               (window.people, "PeoplePanel", "BoardView")):
        window.tabs.setCurrentWidget(front)
        asked.clear()
        shown.clear()
        other = next(row.key for row in window.tree.rows if row.id != window.tree.current_id())
        window.tree.select_key(other)
        settle(window, qtbot)
        readers = [(name, seen) for name, seen in asked if name in (first, then)]
        assert readers[0] == (first, 0)
        behind = next(seen for name, seen in readers if name == then)
        assert behind >= 1 and shown[0] == first  # asked for once the front one is shown


def test_choosing_a_cohort_fills_the_board_and_completing_a_card_refreshes_the_window(wp, qtbot):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    window.tree.select_key("fall")
    settle(window, qtbot)
    assert window.board.heading.text() == "Fall 2026"
    titles = [c.title.text() for c in window.board.columns.columns]
    assert titles == ["Welcome call", "Academic plan"]
    window.on_changed(wp_result(wp, "complete", "p1", "welcome"))
    settle(window, qtbot)
    assert cells(window.people.proxy, (3,)) == [["1 of 2"]]


def wp_result(wp, *argv):
    """Run a verb as another process would, and hand the window what it changed."""
    payload = wp.json(*argv)
    return Result(ok=True, changes=payload["changes"], flags=frozenset({"progress"}))


def test_a_change_reaches_the_database_file_behind_the_window(wp, qtbot, tmp_path):
    """Commands no longer copy the log into the file as they commit: the window does it on a
    thread of its own after each change, so a copy of the file alone soon has it."""
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)

    def completed_in_the_file() -> bool:
        copy = tmp_path / "file-alone.sqlite3"
        copy.write_bytes(Path(wp.db).read_bytes())
        with contextlib.closing(sqlite3.connect(copy)) as alone:
            return alone.execute("SELECT count(*) FROM progress WHERE state = 'complete'"
                                 ).fetchone() == (1,)

    result = wp_result(wp, "complete", "p1", "welcome")
    assert not completed_in_the_file()
    window.on_changed(result)
    qtbot.waitUntil(completed_in_the_file, timeout=10_000)


def test_the_program_view_lists_the_definitions_to_edit(wp, qtbot):
    wp.apply(PROGRAM)
    window = window_on(wp, qtbot)
    model = window.program_panel.lists["milestones"].proxy
    titles = {model.index(r, c).data() for r in range(model.rowCount())
              for c in range(model.columnCount())}
    assert {"Welcome call", "Academic plan"} <= titles


def test_completing_what_was_past_due_clears_the_cohort_badge_soon_after(wp, qtbot):
    wp.apply(PROGRAM.replace('title = "Welcome call"\n',
                             'title = "Welcome call"\ndue = { date = "2026-01-15" }\n'))
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    assert window.tree.text_of((0, 0), 2) == "⚠ 1"
    window.on_changed(wp_result(wp, "complete", "p1", "welcome"))
    assert window.tree.text_of((0, 0), 2) == "⚠ 1"  # counted again a little later, once
    qtbot.waitUntil(lambda: window.tree.text_of((0, 0), 2) == "", timeout=15_000)


def test_the_audit_dock_lists_commands_filters_refusals_and_names_a_tampered_entry(
        wp, qtbot, qtmodeltester):
    import sqlite3

    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    wp.run("complete", "p1", "plan", "--by", "nobody@example.edu")  # refused: unknown
    window = window_on(wp, qtbot)
    panel = window.audit
    window.docks["audit"].show()
    window.docks["audit"].raise_()
    settle(window, qtbot)
    qtmodeltester.check(panel.model)
    commands = [panel.model.index(r, 3).data() for r in range(panel.model.rowCount())]
    assert commands[:3] == ["CompleteProgress", "ImportPeople", "ApplyProgram"]  # newest first
    panel.refused.setChecked(True)
    settle(window, qtbot)
    assert panel.model.rowCount() == 1
    assert panel.model.index(0, 2).data() == "nobody@example.edu"
    assert "nobody@example.edu" in panel.model.index(0, 5).data()

    panel.verify_button.click()
    settle(window, qtbot)
    assert panel.status.text().startswith("The chain holds")
    with sqlite3.connect(wp.db) as raw:  # someone edits the file behind the app's back
        raw.execute("UPDATE audit_log SET actor = 'someone@else.edu' WHERE command = "
                    "'ImportPeople'")
    panel.verify_button.click()
    settle(window, qtbot)
    assert "was altered" in panel.status.text() and "ImportPeople" in panel.status.text()
