"""The coordinator's window on a real store: the cohort tree, the board, one participant."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from app.services.profile_store import open_profile_store
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


def window_on(wp, qtbot) -> MainWindow:
    window = MainWindow(open_profile_store(wp.db))
    qtbot.addWidget(window)
    window.show()
    return window


def test_the_window_shows_the_cohort_tree_with_members_counted_up_the_tree(wp, qtbot):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n"
              "p2,Sam Roe,sam@example.edu,fall\n")
    window = window_on(wp, qtbot)
    top = window.cohorts.topLevelItem(0)
    assert (top.text(0), top.text(1)) == ("Onboarding", "2")
    assert (top.child(0).text(0), top.child(0).text(1)) == ("Fall 2026", "2")
    assert window.windowTitle() == "Waypoint — Student Success"


def test_choosing_a_cohort_lists_its_participants_and_their_milestones(wp, qtbot):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    wp.json("complete", "p1", "welcome")
    window = window_on(wp, qtbot)
    window.cohorts.setCurrentItem(window.cohorts.topLevelItem(0).child(0))
    assert window.people.rowCount() == 1
    assert [window.people.item(0, c).text() for c in range(4)] == [
        "Pat Lee", "p1", "", "1 of 2"]
    window.people.setCurrentCell(0, 0)
    rows = [[window.milestones.item(r, c).text() for c in (0, 1)]
            for r in range(window.milestones.rowCount())]
    assert rows == [["Welcome call", "Complete"], ["Academic plan", "Open"]]


def test_a_locked_milestone_says_in_the_window_why_it_waits(wp, qtbot):
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    window.people.setCurrentCell(0, 0)
    assert window.milestones.item(1, 1).text() == "Locked"
    assert "Welcome call" in window.milestones.item(1, 4).text()


def test_an_empty_store_is_offered_demo_data_and_filled_off_the_ui_thread(wp, qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    window = window_on(wp, qtbot)
    assert window.is_empty()
    window.offer_demo()
    qtbot.waitUntil(lambda: window.cohorts.topLevelItemCount() == 3, timeout=60_000)
    assert not window.is_empty()
    assert window.people.rowCount() > 0


def test_a_milestone_held_for_its_upload_says_in_the_window_what_it_waits_for(wp, qtbot):
    wp.apply(PROGRAM.replace('title = "Welcome call"\n',
                             'title = "Welcome call"\nupload = "mandatory"\n'))
    wp.people("id,name,email,cohort\np1,Pat Lee,pat@example.edu,fall\n")
    window = window_on(wp, qtbot)
    window.people.setCurrentCell(0, 0)
    assert window.milestones.item(0, 4).text() == "Completes once it has an uploaded file."
