"""The participants list of a cohort larger than a screen: the first screenful shown at once,
the rest read in slices behind it, with the filter, the sorting and the chosen participant
working across the slices. The slices are made small here (FIRST_ROWS, CHUNK_ROWS) so that a
few participants load in several pieces."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import Waypoint
from PySide6.QtCore import QPoint, Qt

import app.views.people_panel as people_module
from app.models.store import Store, open_store
from app.services.clock import utcnow
from app.services.queries.board import (
    cohort_tree,
    members_after,
    participants,
    participants_of,
    participants_page,
    subtree,
)
from app.views.people_panel import PeoplePanel
from app.views.worker import DbWorker

PROGRAM = """
[program]
name = "Student Success"
timezone = "UTC"

[[cohorts]]
key = "onboarding"
name = "Onboarding"

[[cohorts]]
key = "fall"
name = "Fall 2026"
parent = "onboarding"

[[cohorts]]
key = "spring"
name = "Spring 2027"
parent = "onboarding"

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall", "spring"]

[[milestones]]
key = "plan"
title = "Academic plan"
cohorts = ["fall"]
after = ["welcome"]
"""

# Ids out of name order, and two people of the same name (their ids break the tie).
NAMES = ["Uma Ode", "Ada Lane", "Kai Rowe", "Bo Ng", "Zed Quill", "Lia Moss", "Cy Park",
         "Eve Hart", "Ian Voss", "Ola Finn", "Max Yu", "Dee Wolf", "Gus Tran", "Noa Kerr",
         "Pia Lund", "Hal Cobb", "Ada Lane", "Rex Ivy", "Fay Dunn", "Jo Beck", "Sam Aho",
         "Tia Oak", "Vic Eld"]
PEOPLE = "id,name,email,cohort\n" + "".join(
    f"p{n:02},{name},p{n:02}@example.edu,{'fall' if n % 3 else 'spring'}\n"
    for n, name in enumerate(NAMES, start=1))
IN_NAME_ORDER = sorted((name, f"p{n:02}") for n, name in enumerate(NAMES, start=1))


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(people_module, "FIRST_ROWS", 5)
    monkeypatch.setattr(people_module, "CHUNK_ROWS", 4)


@pytest.fixture
def panel(wp: Waypoint, qtbot: Any, small_slices: None) -> Iterator[PeoplePanel]:
    wp.apply(PROGRAM)
    wp.people(PEOPLE)
    wp.json("complete", "p21", "welcome")  # Sam Aho (spring), listed in a later slice
    worker = DbWorker(open_store(wp.db))
    view = PeoplePanel(worker)
    qtbot.addWidget(view)
    view.resize(1000, 600)
    view.show()
    yield view
    worker.stop()
    worker.store.close()


def cohorts_of(store: Store, key: str) -> list[Any]:
    with store.session() as session:
        rows = cohort_tree(session)
    return subtree(rows, next(row.id for row in rows if row.key == key))


def load(view: PeoplePanel, qtbot: Any, key: str = "onboarding") -> None:
    view.show_cohorts(cohorts_of(view.worker.store, key))
    settle(view, qtbot)


def settle(view: PeoplePanel, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: view.worker.pending == 0, timeout=10_000)


def shown(view: PeoplePanel, column: int = 1) -> list[str]:
    return [view.proxy.index(r, column).data() for r in range(view.proxy.rowCount())]


def counting(view: PeoplePanel) -> Callable[[], tuple[list[int], list[int]]]:
    """The rows in the model at each reset, and the rows each insertion added."""
    resets: list[int] = []
    inserted: list[int] = []
    model = view.people_model
    model.modelReset.connect(lambda: resets.append(model.rowCount()))
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append(last - first + 1))
    return lambda: (resets, inserted)


def test_a_cohort_larger_than_a_screen_lists_everyone_in_name_order_slice_by_slice(
        panel, qtbot, qtmodeltester):
    seen = counting(panel)
    load(panel, qtbot)
    assert [(name, person) for person, name in zip(shown(panel, 1), shown(panel, 0),
                                                   strict=True)] == IN_NAME_ORDER
    assert seen() == ([5], [4, 4, 4, 4, 2])  # the first screen, then appended, never reset
    assert not panel.loading and panel.progress.isHidden()
    sam = shown(panel).index("p21")
    assert [panel.proxy.index(sam, c).data() for c in range(6)] == [
        "Sam Aho", "p21", "", "1 of 1", "0", ""]  # spring: the welcome call only
    qtmodeltester.check(panel.people_model)
    qtmodeltester.check(panel.proxy)


def test_the_first_participant_is_chosen_when_nobody_was(panel, qtbot):
    load(panel, qtbot)
    assert panel.current_person() == "p02"  # Ada Lane, the first by name and id
    assert panel.heading.text().startswith("Ada Lane")


def test_the_filter_finds_participants_of_later_slices_typed_before_or_after_they_came(
        panel, qtbot):
    panel.filter.setText("ADA")  # typed before anything is read: the slices come filtered
    load(panel, qtbot)
    assert shown(panel) == ["p02", "p17"]
    panel.filter.setText("vic")
    assert shown(panel) == ["p23"]
    panel.filter.setText("1 of 1")  # any column's text, as shown
    assert shown(panel) == ["p21"]
    panel.filter.setText("")
    assert len(shown(panel)) == len(NAMES)


def test_a_refresh_chooses_again_the_participant_chosen_from_a_later_slice(panel, qtbot):
    load(panel, qtbot)
    told: list[str] = []
    panel.person_chosen.connect(told.append)
    panel.people.selectRow(shown(panel).index("p05"))  # Zed Quill, the last by name
    settle(panel, qtbot)
    assert told == ["p05"] and panel.heading.text().startswith("Zed Quill")
    seen = counting(panel)
    panel.refresh()
    settle(panel, qtbot)
    assert seen()[0] == [5]  # the list started again from its first screen
    assert panel.current_person() == "p05"
    assert panel.heading.text().startswith("Zed Quill")
    assert told == ["p05"]  # chosen again by the panel, not by the user


def test_a_participant_picked_while_the_rest_loads_stays_chosen(panel, qtbot):
    load(panel, qtbot)
    panel.people.selectRow(shown(panel).index("p05"))  # Zed Quill, in the last slice
    settle(panel, qtbot)
    held = threading.Event()
    panel.refresh()
    panel.worker.submit(lambda _store: held.wait(10))  # the slices wait behind this
    qtbot.waitUntil(lambda: panel.people_model.rowCount() == 5)  # the first screen
    assert panel.current_person() is None and panel.progress.isVisible()
    panel.people.selectRow(shown(panel).index("p04"))  # the user picks Bo Ng
    held.set()
    settle(panel, qtbot)
    assert panel.people_model.rowCount() == len(NAMES)
    assert panel.current_person() == "p04"


def test_the_first_is_chosen_at_once_where_the_one_chosen_before_is_not_listed(panel, qtbot):
    load(panel, qtbot)
    panel.people.selectRow(shown(panel).index("p05"))  # Zed Quill, of the fall cohort
    held = threading.Event()
    panel.show_cohorts(cohorts_of(panel.worker.store, "spring"))
    panel.worker.submit(lambda _store: held.wait(10))  # the slices wait behind this
    qtbot.waitUntil(lambda: panel.people_model.rowCount() == 5)  # the first screen
    assert panel.current_person() == "p12"  # Dee Wolf, without waiting for the rest
    held.set()
    settle(panel, qtbot)
    assert panel.current_person() == "p12" and panel.heading.text().startswith("Dee Wolf")


def test_a_newer_load_drops_what_is_left_of_the_older_one(panel, qtbot):
    store = panel.worker.store
    panel.show_cohorts(cohorts_of(store, "onboarding"))
    panel.show_cohorts(cohorts_of(store, "spring"))
    settle(panel, qtbot)
    assert shown(panel) == sorted((f"p{n:02}" for n in range(3, 24, 3)),
                                  key=lambda p: NAMES[int(p[1:]) - 1])


def test_clicking_a_header_sorts_everything_listed_and_the_later_slices_too(panel, qtbot):
    header = panel.people.horizontalHeader()
    header.setSortIndicator(1, Qt.SortOrder.DescendingOrder)  # by id, before loading
    load(panel, qtbot)
    assert shown(panel) == [f"p{n:02}" for n in range(23, 0, -1)]
    panel.people.selectRow(shown(panel).index("p07"))
    click_header(qtbot, header, 3)  # Done: fewest first, ties by name
    assert shown(panel, 3) == ["0 of 1"] * 6 + ["0 of 2"] * 16 + ["1 of 1"]
    assert shown(panel)[:3] == ["p12", "p09", "p03"]  # Dee Wolf, Ian Voss, Kai Rowe
    click_header(qtbot, header, 3)
    assert shown(panel, 3)[0] == "1 of 1"
    assert panel.current_person() == "p07"  # the selection follows its row


def click_header(qtbot: Any, header: Any, section: int) -> None:
    middle = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(middle, header.height() // 2))


def test_a_slice_that_cannot_be_read_leaves_the_list_saying_it_is_not_everyone(
        panel, qtbot, monkeypatch):
    def broken(*_args: Any) -> None:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(people_module, "participants_of", broken)
    load(panel, qtbot)
    assert panel.people_model.rowCount() == 5 and not panel.loading
    assert panel.progress.isVisible()
    assert panel.progress.text() == "Listed 5; the rest could not be read: disk I/O error"
    assert panel.current_person() == "p02"


def test_an_empty_cohort_lists_nobody_and_asks_for_a_participant(wp, qtbot, small_slices):
    wp.apply(PROGRAM)
    worker = DbWorker(open_store(wp.db))
    view = PeoplePanel(worker)
    qtbot.addWidget(view)
    try:
        load(view, qtbot, "fall")
        assert view.proxy.rowCount() == 0 and not view.loading
        assert view.heading.text() == "Choose a participant to see their milestones."
    finally:
        worker.stop()
        worker.store.close()


def test_the_slices_read_together_are_the_whole_list(wp):
    wp.apply(PROGRAM)
    wp.people(PEOPLE)
    wp.json("complete", "p01", "welcome")
    store = open_store(wp.db)
    ids, at = cohorts_of(store, "onboarding"), utcnow()
    with store.session() as session:
        whole = participants(session, ids, at)
        first = participants_page(session, ids, at, 5)
        rest = members_after(session, ids, (first[-1].name, first[-1].person))
        pieces = first + [row for start in range(0, len(rest), 7)
                          for row in participants_of(session, ids, rest[start:start + 7], at)]
    store.close()
    assert len(whole) == len(NAMES) and pieces == whole
