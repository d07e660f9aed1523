"""The milestone board as a coordinator uses it: a cohort's milestones as columns of cards, or
participants by milestones in the grid, filters that narrow what is loaded, acting on one
card or a selection (context menu, toolbar, dropping cards on a zone) with undo, "why is
this locked?", and the participant panel with a milestone's history.

Each test sets up a real store through the command line, opens the board on it with the
app's serial DbWorker and a fixed clock, drives it and reads back what the user sees and
what the store says.

To look at it on demo data: `make screenshots` (resources/screenshots/02-board.png).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import ADMIN, Waypoint
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog
from sqlalchemy import select

from app.models import Operation
from app.models.store import open_store
from app.services.queries.board import subtree
from app.services.queries.board_cells import board_cells, cohorts_plain
from app.views import board_view as board_module
from app.views.board_view import BoardView
from app.views.models.board import CELL_ROLE, MATCH_ROLE, REASON_ROLE
from app.views.worker import DbWorker

NOW = datetime(2026, 9, 10, 15, 0, tzinfo=UTC)
JOINED = "2026-09-02T10:00"

PROGRAM = """
[program]
name = "Board"
timezone = "America/Chicago"

[[gates]]
key = "intake"
name = "Intake"
[[gates]]
key = "launch"
name = "Launch"

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
key = "plan"
title = "Academic plan"
cohorts = ["fall"]
step = 3
gate = "launch"
after = ["welcome"]
bypass_roles = ["admin"]

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall", "spring"]
step = 1
gate = "intake"
labels = ["calls"]
due = { date = "2026-09-01" }
expected = "5d"
bypass_roles = ["admin"]

[[milestones]]
key = "forms"
title = "Paperwork"
cohorts = ["fall"]
step = 2
gate = "intake"
labels = ["records"]
due = { date = "2026-09-20" }
expected = "10d"
bypass_roles = ["admin"]
"""

PEOPLE = """id,name,email,cohort
p1,Ada Lovelace,ada@example.edu,fall
p2,Ben Okri,ben@example.edu,fall
p3,Cy Young,cy@example.edu,fall
p4,Di Prince,di@example.edu,fall
p5,Ed Sheeran,ed@example.edu,spring
"""


def setup_program(wp: Waypoint) -> None:
    wp.apply(PROGRAM)
    wp.people(PEOPLE, "--at", JOINED)
    for person in ("p1", "p2"):
        wp.json("complete", person, "welcome", "--at", "2026-09-03T15:00",
                "--note", "Called, all good")


@pytest.fixture
def board_on(wp: Waypoint, qtbot: Any) -> Iterator[Callable[..., BoardView]]:
    opened: list[DbWorker] = []

    def open_board(cohort: str = "onboarding", user: str = ADMIN) -> BoardView:
        worker = DbWorker(open_store(wp.db))
        opened.append(worker)
        view = BoardView(worker, user, now=lambda: NOW)
        qtbot.addWidget(view)
        view.resize(1400, 800)
        view.show()
        with qtbot.waitSignal(view.sig_loaded, timeout=10_000):
            view.show_cohort(cohort)
        return view

    yield open_board
    for worker in opened:
        worker.stop()
        worker.store.close()


def column_titles(view: BoardView) -> list[str]:
    return [column.title.text() for column in view.columns.columns]


def cards_in(view: BoardView, title: str) -> list[str]:
    column = next(c for c in view.columns.columns if c.title.text() == title)
    return [column.proxy.index(r, 0).data(Qt.ItemDataRole.ToolTipRole).split(" — ")[0]
            for r in range(column.proxy.rowCount())]


def grid_names(view: BoardView) -> list[str]:
    proxy = view.grid_proxy
    return [proxy.headerData(r, Qt.Orientation.Vertical) for r in range(proxy.rowCount())]


def state_in_store(wp: Waypoint, person: str, milestone: str) -> str | None:
    return wp.state(person, milestone)


def wait_done(qtbot: Any, view: BoardView) -> None:
    """Until the command ran and the board read again what it touched."""
    qtbot.waitUntil(lambda: view.actions.running == 0 and view.worker.pending == 0,
                    timeout=10_000)


# -- filling the board --------------------------------------------------------------------


def test_selecting_a_cohort_fills_the_board_with_a_column_per_milestone_in_step_order(
        wp, board_on, qtmodeltester):
    setup_program(wp)
    view = board_on("onboarding")
    assert view.mode() == "board"
    assert view.heading.text() == "Onboarding"
    assert column_titles(view) == ["Welcome call", "Paperwork", "Academic plan"]
    # the spring member holds only the shared milestone; cards come in name order
    assert cards_in(view, "Welcome call") == ["Ada Lovelace", "Ben Okri", "Cy Young",
                                              "Di Prince", "Ed Sheeran"]
    assert cards_in(view, "Paperwork") == ["Ada Lovelace", "Ben Okri", "Cy Young", "Di Prince"]
    plan = next(c for c in view.columns.columns if c.title.text() == "Academic plan")
    states = [plan.proxy.index(r, 0).data(CELL_ROLE).state for r in range(plan.proxy.rowCount())]
    assert states == ["open", "open", "locked", "locked"]  # opened for those who called
    welcome = view.model.cell(view.model.row_of("p3"), 0)
    assert (welcome.state, welcome.past_due, welcome.scale) == ("open", True, "stuck")
    assert view.count.text().startswith("13 cards · 5 participants")
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.grid_proxy)
    for column in view.columns.columns:
        qtmodeltester.check(column.proxy)


def test_grid_mode_shows_participants_by_milestones(wp, board_on, qtbot, qtmodeltester):
    setup_program(wp)
    view = board_on("onboarding")
    qtbot.keyClick(view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert view.mode() == "grid"
    assert view.stack.currentWidget() is view.grid
    proxy = view.grid_proxy
    assert [proxy.headerData(c, Qt.Orientation.Horizontal) for c in range(proxy.columnCount())
            ] == ["Welcome call", "Paperwork", "Academic plan"]
    assert grid_names(view) == ["Ada Lovelace", "Ben Okri", "Cy Young", "Di Prince",
                                "Ed Sheeran"]
    rows = [[proxy.index(r, c).data() for c in range(3)] for r in range(proxy.rowCount())]
    assert rows == [["Complete", "Open", "Open"], ["Complete", "Open", "Open"],
                    ["Open", "Open", "Locked"], ["Open", "Open", "Locked"],
                    ["Open", "", ""]]  # Ed (spring) has no paperwork nor plan
    assert view.count.text().startswith("5 of 5 participants")
    qtmodeltester.check(proxy)


def test_a_large_cohort_opens_in_the_grid(wp, board_on, monkeypatch):
    setup_program(wp)
    monkeypatch.setattr(board_module, "AUTO_GRID_ABOVE", 3)
    monkeypatch.setattr(board_module, "FIRST_ROWS", 2)  # and loads in pieces
    monkeypatch.setattr(board_module, "CHUNK_ROWS", 2)
    view = board_on("onboarding")
    assert view.mode() == "grid"
    assert view.model.fully_loaded()
    assert view.model.cell(view.model.row_of("p5"), 0).state == "open"


# -- filters ----------------------------------------------------------------------------


def test_the_at_risk_filter_keeps_only_past_due_or_behind_participants(wp, board_on,
                                                                       qtmodeltester):
    setup_program(wp)
    view = board_on("onboarding")
    view.filter_bar.choose(at_risk=True)
    # the welcome call was due on 1 September: those who have not called are past due
    assert cards_in(view, "Welcome call") == ["Cy Young", "Di Prince", "Ed Sheeran"]
    assert cards_in(view, "Paperwork") == []
    view.set_mode("grid")
    assert grid_names(view) == ["Cy Young", "Di Prince", "Ed Sheeran"]
    faded = view.grid_proxy.index(0, 1).data(MATCH_ROLE)
    assert faded is False  # Cy's paperwork is not at risk: shown faded beside his welcome
    view.filter_bar.choose(search="di")
    assert grid_names(view) == ["Di Prince"]
    qtmodeltester.check(view.grid_proxy)


def test_gate_label_and_state_filters_narrow_columns_and_cards(wp, board_on):
    setup_program(wp)
    view = board_on("onboarding")
    view.filter_bar.choose(gate="intake")
    assert [c.title.text() for c in view.columns.columns if not c.isHidden()] == [
        "Welcome call", "Paperwork"]
    view.filter_bar.choose(label="records")
    assert [c.title.text() for c in view.columns.columns if not c.isHidden()] == ["Paperwork"]
    view.filter_bar.choose(gate="", label="")
    view.filter_bar.gate.setCurrentIndex(0)
    view.filter_bar.label.setCurrentIndex(0)
    view.filter_bar.choose(state="locked")
    assert cards_in(view, "Academic plan") == ["Cy Young", "Di Prince"]
    assert cards_in(view, "Welcome call") == []
    view.set_mode("grid")
    assert grid_names(view) == ["Cy Young", "Di Prince"]


# -- acting -----------------------------------------------------------------------------


def test_completing_a_card_from_the_context_menu_completes_it_and_undo_reopens_it(
        wp, board_on, qtbot):
    setup_program(wp)
    view = board_on("onboarding")
    assert view.select_card("p3", "welcome")
    menu = view.card_menu()
    complete = next(a for a in menu.actions() if a.text() == "&Complete")
    assert complete.isEnabled()
    with qtbot.waitSignal(view.changed, timeout=10_000) as changed:
        complete.trigger()
    assert changed.args[0].ok
    wait_done(qtbot, view)
    assert state_in_store(wp, "p3", "welcome") == "complete"
    row = view.model.row_of("p3")
    assert view.model.cell(row, 0).state == "complete"
    assert view.model.cell(row, 2).state == "open"  # the plan it unlocked, read again
    assert view.undo_stack.canUndo()
    assert view.undo_action.text() == "&Undo Complete 'Welcome call' for Cy Young"

    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.undo_action.trigger()
    wait_done(qtbot, view)
    assert state_in_store(wp, "p3", "welcome") == "open"
    assert view.model.cell(row, 0).state == "open"
    assert view.model.cell(row, 2).state == "locked"

    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.redo_action.trigger()  # and redo completes it again
    wait_done(qtbot, view)
    assert state_in_store(wp, "p3", "welcome") == "complete"


def test_bulk_skip_with_a_reason_skips_every_selected_card_at_once(wp, board_on, qtbot,
                                                                   monkeypatch):
    setup_program(wp)
    view = board_on("onboarding")
    view.set_mode("grid")
    for person in ("p2", "p3", "p4"):
        index = view.grid_proxy.index(view.model.row_of(person), 1)  # Paperwork
        view.grid.selectionModel().select(index, view.grid.selectionModel().SelectionFlag.Select)
    assert view.selection_size() == 3
    monkeypatch.setattr(QInputDialog, "getText",
                        lambda *_args, **_kw: ("Credit from a transfer", True))
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.skip_action.trigger()
    wait_done(qtbot, view)
    assert [state_in_store(wp, p, "forms") for p in ("p1", "p2", "p3", "p4")] == [
        "open", "skipped", "skipped", "skipped"]
    store = open_store(wp.db)
    with store.session() as session:
        names = list(session.scalars(select(Operation.name).where(
            Operation.name.in_(("BypassMany", "BypassProgress")))))
    store.close()
    assert names == ["BypassMany"]  # one command for the selection
    assert view.message.text().startswith("Skip 3 cards: done.")
    assert view.model.cell(view.model.row_of("p4"), 1).state == "skipped"


def test_a_refused_bulk_action_changes_nothing_and_says_why(wp, board_on, qtbot):
    setup_program(wp)
    wp.apply(PROGRAM.replace('key = "forms"\ntitle = "Paperwork"',
                             'key = "forms"\ntitle = "Paperwork"\nupload = "mandatory"'))
    view = board_on("onboarding")
    view.set_mode("grid")
    for person in ("p3", "p4"):
        for column in (0, 1):  # welcome can be completed; paperwork waits for a file
            index = view.grid_proxy.index(view.model.row_of(person), column)
            view.grid.selectionModel().select(
                index, view.grid.selectionModel().SelectionFlag.Select)
    view.complete_selected()
    qtbot.waitUntil(lambda: view.message.property("kind") == "error", timeout=10_000)
    wait_done(qtbot, view)
    assert view.message.text().startswith("Nothing was completed: 2 of the 4 selected")
    assert "it waits for an uploaded file" in view.message.text()
    assert state_in_store(wp, "p3", "welcome") == "open"  # all or nothing
    assert not view.undo_stack.canUndo()
    assert view.offer_button.isVisible()  # the others may still go, in one click
    assert view.offer_button.text() == "Complete the other 2"
    with qtbot.waitSignal(view.changed, timeout=10_000):
        qtbot.mouseClick(view.offer_button, Qt.MouseButton.LeftButton)
    wait_done(qtbot, view)
    assert [state_in_store(wp, p, "welcome") for p in ("p3", "p4")] == ["complete", "complete"]
    assert state_in_store(wp, "p3", "forms") == "open"


def test_dropping_cards_on_the_complete_zone_completes_them(wp, board_on, qtbot):
    setup_program(wp)
    view = board_on("onboarding")
    zone = next(z for z in view.drops.findChildren(board_module.DropZone)
                if "Complete" in z.text())
    cards = [[view.model.row_of(p), 0] for p in ("p3", "p4")]
    with qtbot.waitSignal(view.changed, timeout=10_000):
        zone.sig_dropped.emit(cards)
    wait_done(qtbot, view)
    assert [state_in_store(wp, p, "welcome") for p in ("p3", "p4")] == ["complete", "complete"]
    assert view.undo_stack.count() == 1


def test_remind_queues_one_mail_per_participant(wp, board_on, qtbot):
    setup_program(wp)
    view = board_on("onboarding")
    view.set_mode("grid")
    for column in (0, 1):
        index = view.grid_proxy.index(view.model.row_of("p3"), column)
        view.grid.selectionModel().select(index, view.grid.selectionModel().SelectionFlag.Select)
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.remind_action.trigger()
    wait_done(qtbot, view)
    mails = wp.json("outbox")["messages"]
    assert [(m["to"], m["kind"], m["subject"]) for m in mails] == [
        ("cy@example.edu", "reminder", "Reminder: 2 milestones need your attention")]
    assert not view.undo_stack.canUndo()  # a mail cannot be taken back
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.remind_action.trigger()  # a second one the same day is left out, not refused
    wait_done(qtbot, view)
    assert len(wp.json("outbox")["messages"]) == 1
    assert "already had a reminder today" in view.message.text()


def test_moving_participants_to_another_cohort_and_undoing_it(wp, board_on, qtbot):
    setup_program(wp)
    view = board_on("fall")
    assert view.select_card("p4", "welcome")
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.move_selected("spring")
    qtbot.waitUntil(lambda: not view.loading and view.worker.pending == 0, timeout=10_000)
    assert wp.json("show", "p4")["person"]["cohorts"] == ["spring"]
    assert view.model.row_of("p4") is None  # gone from the fall board
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.undo_action.trigger()
    qtbot.waitUntil(lambda: not view.loading and view.worker.pending == 0, timeout=10_000)
    assert wp.json("show", "p4")["person"]["cohorts"] == ["fall"]
    assert view.model.row_of("p4") is not None


# -- why is this locked, and the participant panel ---------------------------------------


def test_a_locked_card_says_why_it_is_locked(wp, board_on, qtbot):
    setup_program(wp)
    view = board_on("onboarding")
    assert view.select_card("p3", "plan")
    assert view.why_action.isEnabled()
    qtbot.keyClick(view.columns.columns[2].cards, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: "Waiting for" in view.message.text(), timeout=10_000)
    assert view.message.text() == ("Cy Young · Academic plan is locked. Waiting for "
                                   "'Welcome call', which is not complete yet.")
    index = view.model.index(view.model.row_of("p3"), 2)
    assert index.data(REASON_ROLE) == "Waiting for 'Welcome call', which is not complete yet."
    assert "Waiting for 'Welcome call'" in index.data(Qt.ItemDataRole.ToolTipRole)


def test_the_participant_panel_shows_a_milestones_history(wp, board_on, qtbot, qtmodeltester):
    setup_program(wp)
    view = board_on("onboarding")
    assert view.select_card("p1", "welcome")
    qtbot.waitUntil(lambda: view.panel.detail is not None
                    and view.panel.detail.milestone == "welcome", timeout=10_000)
    panel = view.panel
    assert panel.heading.text().startswith("Ada Lovelace (p1)")
    history = [[panel.history_model.index(r, c).data() for c in (1, 2, 4)]
               for r in range(panel.history_model.rowCount())]
    assert history == [["Assigned", "— → Open", ""],
                       ["Completed", "Open → Complete", "Called, all good"]]
    assert panel.history_model.index(1, 3).data() == ADMIN
    assert [panel.milestones_model.index(r, 0).data()
            for r in range(panel.milestones_model.rowCount())] == [
        "Welcome call", "Paperwork", "Academic plan"]
    panel.milestones.selectRow(2)  # another milestone of hers: its history
    qtbot.waitUntil(lambda: panel.detail.milestone == "plan", timeout=10_000)
    assert [panel.history_model.index(r, 1).data()
            for r in range(panel.history_model.rowCount())] == ["Assigned", "Opened"]
    assert not panel.open_button.isEnabled()  # no files handed in
    for model in (panel.milestones_model, panel.history_model, panel.files_model,
                  panel.answers_model):
        qtmodeltester.check(model)


# -- the board's query --------------------------------------------------------------------

DEADLINES = """
[[milestones]]
key = "essay"
title = "Personal essay"
cohorts = ["fall"]
step = 2
complete_by = ["request"]
due = { after_start = "7d" }
[milestones.approval]
ready_deadline = "3d"
approval_deadline = "2d"
"""


def test_the_board_query_agrees_with_show_on_every_card(wp):
    """Past due (due dates, ready and approval deadlines), the progress scale and the due
    label are computed in SQL for the whole cohort: they must say what `show` says."""
    wp.apply(PROGRAM + DEADLINES)
    wp.people(PEOPLE, "--at", JOINED)
    wp.json("complete", "p1", "welcome", "--at", "2026-09-03T15:00")
    wp.json("submit", "p1", "essay", "--by", "p1", "--at", "2026-09-04T15:00")
    wp.json("submit", "p2", "essay", "--by", "p2", "--at", "2026-09-09T15:00")
    wp.json("start", "p3", "essay", "--by", "p3", "--at", "2026-09-05T15:00")
    store = open_store(wp.db)
    with store.session() as session:
        tree = cohorts_plain(session)
        onboarding = next(r for r in tree if r.key == "onboarding")
        board = board_cells(session, subtree(tree, onboarding.id), NOW)
    store.close()
    seen = 0
    for row, person in enumerate(board.people):
        shown = wp.show(person.external_id, "--at", NOW.isoformat())
        for column, milestone in enumerate(board.milestones):
            cell = board.cells[row][column]
            expected = shown.get(milestone.key)
            if expected is None:
                assert cell is None
                continue
            seen += 1
            assert (cell.state, cell.due.isoformat() if cell.due else None, cell.due_label,
                    cell.past_due, cell.scale) == (
                expected["state"], expected["due"], expected["due_label"],
                expected["past_due"], expected["progress"]), (person.name, milestone.key)
    assert seen == 4 * 4 + 1
    column = [m.key for m in board.milestones].index("essay")
    essay = [board.cells[r][column] for r in range(4)]
    assert [c.past_due for c in essay] == [True, False, True, True]  # p2's approval is not late
