"""The approval inbox as an approver uses it: keyboard first, the evidence beside each request,
decisions that move on to the next request, notes where the milestone requires them, bulk
approval, handing a request to a colleague, refusals that say why, follow-ups after a decision.

Each test sets up a real store through the command line (a program file, participants,
submissions), opens the inbox on it with the app's serial DbWorker, drives it with keys and
reads back what the user sees and what the store says.

To look at it: `pytest tests/test_inbox_view.py -k preview` saves /tmp/inbox_view.png.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN, Waypoint
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from app.models.store import open_store
from app.services.queries.inbox import InboxItem
from app.views.inbox_dialogs import NoteDialog, ReminderDialog
from app.views.inbox_view import InboxView
from app.views.inbox_window import InboxWindow
from app.views.models.inbox_items import InboxFilter, InboxModel
from app.views.personal_reminders import ReminderBook
from app.views.worker import DbWorker

ADVISOR = "avery@example.edu"  # advisor, staff of the fall cohort: our approver
COLLEAGUE = "bea@example.edu"  # advisor, staff of the fall cohort too
NOW = datetime(2026, 9, 2, 15, 0, tzinfo=UTC)

PROGRAM = """
[program]
name = "Approvals"
timezone = "America/Chicago"

[[staff]]
email = "avery@example.edu"
name = "Avery Advisor"
roles = ["advisor"]
[[staff]]
email = "bea@example.edu"
name = "Bea Advisor"
roles = ["advisor"]
[[staff]]
email = "lee@example.edu"
name = "Lee Finance"
roles = ["finance"]

[[cohorts]]
key = "fall"
name = "Fall 2026"
staff = ["avery@example.edu", "bea@example.edu"]

[[milestones]]
key = "deposit"
title = "Pay the deposit"
cohorts = ["fall"]
complete_by = ["request"]
steps = [{ title = "Upload the receipt" }, { title = "Confirm the amount", required = false }]
form = [{ kind = "text", text = "Amount paid" }]
upload = "optional"
[milestones.approval]
approval_deadline = "10d"

[[milestones]]
key = "essay"
title = "Personal essay"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
note_required = ["deny"]
approval_deadline = "3d"

[[milestones]]
key = "transcript"
title = "Final transcript"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.on_complete]
pipeline_status = "Enrolled"

[[milestones]]
key = "aid"
title = "Financial aid"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
approvers = { roles = ["finance"] }

[[milestones]]
key = "plan"
title = "Budget plan"
cohorts = ["fall"]
complete_by = ["request"]
[milestones.approval]
levels = [{ roles = ["finance"] }, { cohort_staff = true }]
"""

# What Avery may act on now, soonest deadline first: the essay is due in three days, the
# deposits in ten (Sam's submitted first), the transcript has no deadline. Not the aid
# (finance decides) nor the plan (finance's level comes first).
AVERY_SEES = [("s2", "essay"), ("s1", "deposit"), ("s2", "deposit"), ("s3", "transcript")]


def setup(wp: Waypoint) -> None:
    wp.apply(PROGRAM)
    wp.people("id,name,email,cohort,status\n"
              "s1,Sam Student,sam@example.edu,fall,Applied\n"
              "s2,Robin Roe,robin@example.edu,fall,Applied\n"
              "s3,Kim Kay,kim@example.edu,fall,Applied\n", "--at", "2026-08-20T09:00")
    receipt = wp.file("Receipt no. 4411: 250.00 paid\n", ".txt")
    wp.json("step", "s1", "deposit", "1", "--by", "s1", "--at", "2026-08-31T09:00")
    wp.json("attach", "s1", "deposit", str(receipt), "--note", "bank receipt", "--by", "s1",
            "--at", "2026-08-31T09:30")
    for person, milestone, at, extra in (
        ("s1", "deposit", "2026-09-01T10:00", ("--answer", "1=250")),
        ("s2", "deposit", "2026-09-01T12:00", ("--answer", "1=200")),
        ("s2", "essay", "2026-09-01T11:00", ()),
        ("s3", "transcript", "2026-09-01T09:00", ()),
        ("s1", "aid", "2026-09-01T09:00", ()),
        ("s1", "plan", "2026-09-01T09:00", ()),
    ):
        wp.json("submit", person, milestone, "--by", person, "--at", at, *extra)


@pytest.fixture
def inbox_on(wp: Waypoint, qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., InboxView]]:
    opened: list[tuple[DbWorker, Any]] = []

    def open_as(user: str = ADVISOR) -> InboxView:
        store = open_store(wp.db)
        worker = DbWorker(store)
        opened.append((worker, store))
        book = ReminderBook(user, QSettings(str(tmp_path / "reminders.ini"),
                                            QSettings.Format.IniFormat))
        view = InboxView(worker, user, clock=lambda: NOW, reminders=book)
        qtbot.addWidget(view)
        view.resize(1200, 700)
        view.show()
        view.activateWindow()
        qtbot.waitUntil(lambda: view._loaded_once and not worker.pending)
        qtbot.waitUntil(view.isActiveWindow)
        view.table.setFocus()
        return view

    yield open_as
    for worker, store in opened:
        worker.stop()
        store.close()


def listed(view: InboxView) -> list[tuple[str, str]]:
    return [(i.person, i.milestone) for i in (
        view.model.item(view.proxy.mapToSource(view.proxy.index(r, 0)).row())
        for r in range(view.proxy.rowCount()))]


def current(view: InboxView) -> tuple[str, str] | None:
    item = view.current_item()
    return (item.person, item.milestone) if item else None


def press(qtbot: Any, view: InboxView, key: Qt.Key,
          modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(view.table, key, modifier)


def settle(qtbot: Any, view: InboxView) -> None:
    """Wait until the worker has done what was asked, and its answers are shown."""
    qtbot.waitUntil(lambda: not view.worker.pending and not view._evidence_timer.isActive())
    qtbot.waitUntil(lambda: not view.worker.pending)


def test_the_inbox_lists_only_what_the_user_can_act_on_now_soonest_deadline_first(
        wp, qtbot, inbox_on):
    setup(wp)
    view = inbox_on(ADVISOR)
    assert listed(view) == AVERY_SEES
    assert view.model.data(view.model.index(0, 0)) == "2026-09-04 · in 2 days"
    assert view.model.data(view.model.index(3, 0)) == "No deadline"
    assert view.model.data(view.model.index(0, 3)) == "1 of 1"
    assert view.summary.text() == "4 requests waiting for you"
    assert current(view) == ("s2", "essay")  # the most urgent is ready to decide

    finance = inbox_on("lee@example.edu")
    assert listed(finance) == [("s1", "aid"), ("s1", "plan")]

    # Once finance has approved the plan's first level, it is Avery's turn.
    wp.json("approve", "s1", "plan", "--by", "lee@example.edu", "--at", "2026-09-02T08:00")
    view.refresh()
    settle(qtbot, view)
    assert listed(view) == [*AVERY_SEES[:3], ("s1", "plan"), AVERY_SEES[3]]  # same time: by id
    assert view.model.data(view.model.index(3, 3)) == "2 of 2"
    assert current(view) == ("s2", "essay")  # a reload keeps the user where they were


def test_j_and_k_move_between_requests_and_the_evidence_follows(wp, qtbot, inbox_on):
    setup(wp)
    view = inbox_on()
    panel = view.evidence_panel
    press(qtbot, view, Qt.Key.Key_J)
    settle(qtbot, view)
    assert current(view) == ("s1", "deposit")
    assert "Sam Student" in panel.heading.text() and "Pay the deposit" in panel.heading.text()
    text = panel.details.toPlainText()
    assert "Steps: 1 of 2 done" in text
    assert "Upload the receipt" in text and "Amount paid" in text and "250" in text
    assert panel.files_model.rowCount() == 1
    assert panel.files_model.row(0)["name"].endswith(".txt")
    assert panel.history_model.rowCount() >= 3  # opened, step ticked, file, submitted
    assert panel.history_model.data(panel.history_model.index(0, 1)) == "Submitted"

    press(qtbot, view, Qt.Key.Key_J)
    press(qtbot, view, Qt.Key.Key_J)
    press(qtbot, view, Qt.Key.Key_J)  # past the end: stays on the last
    settle(qtbot, view)
    assert current(view) == ("s3", "transcript")
    assert "Kim Kay" in panel.heading.text()
    assert panel.files_model.rowCount() == 0 and panel.files_box.isHidden()

    press(qtbot, view, Qt.Key.Key_K)
    settle(qtbot, view)
    assert current(view) == ("s2", "deposit")
    assert "Robin Roe" in panel.heading.text() and "200" in panel.details.toPlainText()


def test_a_approves_and_the_next_request_is_selected(wp, qtbot, inbox_on):
    setup(wp)
    view = inbox_on()
    press(qtbot, view, Qt.Key.Key_J)
    assert current(view) == ("s1", "deposit")
    press(qtbot, view, Qt.Key.Key_A)
    assert current(view) == ("s2", "deposit")  # at once, before the worker answers
    changed: list[Any] = []
    view.changed.connect(changed.append)
    settle(qtbot, view)
    assert listed(view) == [("s2", "essay"), ("s2", "deposit"), ("s3", "transcript")]
    assert current(view) == ("s2", "deposit")
    assert wp.state("s1", "deposit") == "complete"
    assert [a["by"] for a in wp.show("s1")["deposit"]["approvals"]] == [ADVISOR]
    assert len(changed) == 1 and changed[0].ok
    assert view.follow_ups.bar.label.text().startswith(
        "Approved 'Pay the deposit' for Sam Student.")
    assert view.summary.text() == "3 requests waiting for you"


def test_a_run_of_quick_decisions_reads_the_inbox_once_when_the_keys_pause(
        wp, qtbot, inbox_on):
    """The window passes every change to the inbox; reading all of it again after each
    decision would hold the worker ahead of the next one."""
    setup(wp)
    view = inbox_on()
    changed: list[Any] = []
    view.changed.connect(changed.append)
    view.changed.connect(view.on_changed)  # as the main window passes its changes on
    loads = view._loads
    for _ in range(3):
        press(qtbot, view, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: len(changed) == 3)
    assert view._loads == loads  # nothing read again while the decisions go through
    assert listed(view) == [("s3", "transcript")]
    qtbot.waitUntil(lambda: view._loads == loads + 1 and not view.worker.pending)
    settle(qtbot, view)
    assert view._loads == loads + 1
    assert listed(view) == [("s3", "transcript")]
    assert [wp.state(p, m) for p, m in AVERY_SEES[:3]] == ["complete"] * 3


def test_d_on_a_milestone_that_requires_a_note_to_deny_opens_the_note_dialog_and_denies_with_the_note(  # noqa: E501
        wp, qtbot, inbox_on, monkeypatch):
    setup(wp)
    view = inbox_on()
    asked: list[dict[str, Any]] = []

    def answer(dialog: NoteDialog) -> int:
        asked.append({"enabled_when_empty": dialog._buttons["deny"].isEnabled(),
                      "choices": sorted(dialog._buttons)})
        dialog.note.setPlainText("Please add your references.")
        dialog._buttons["deny"].click()
        return dialog.result()

    monkeypatch.setattr(NoteDialog, "exec", answer)
    assert current(view) == ("s2", "essay")
    press(qtbot, view, Qt.Key.Key_D)
    settle(qtbot, view)
    assert asked == [{"enabled_when_empty": False, "choices": ["deny"]}]
    assert wp.state("s2", "essay") == "denied"
    assert wp.show("s2")["essay"]["approvals"][-1]["note"] == "Please add your references."
    assert ("s2", "essay") not in listed(view)
    assert current(view) == ("s1", "deposit")


def test_cancelling_the_note_dialog_decides_nothing(wp, qtbot, inbox_on, monkeypatch):
    setup(wp)
    view = inbox_on()
    monkeypatch.setattr(NoteDialog, "exec", lambda dialog: 0)
    press(qtbot, view, Qt.Key.Key_D)
    settle(qtbot, view)
    assert wp.state("s2", "essay") == "submitted"
    assert listed(view) == AVERY_SEES
    assert view.message.text() == "Nothing was decided."


def test_n_decides_with_a_note_either_way(wp, qtbot, inbox_on, monkeypatch):
    setup(wp)
    view = inbox_on()
    monkeypatch.setattr(NoteDialog, "ask", classmethod(
        lambda cls, parent, heading, decisions, required: ("approve", "Receipt checked.")))
    press(qtbot, view, Qt.Key.Key_J)
    press(qtbot, view, Qt.Key.Key_N)
    settle(qtbot, view)
    assert wp.state("s1", "deposit") == "complete"
    assert wp.show("s1")["deposit"]["approvals"][-1]["note"] == "Receipt checked."


def test_bulk_approve_approves_the_selected_requests_at_once(wp, qtbot, inbox_on, monkeypatch):
    setup(wp)
    view = inbox_on()
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    press(qtbot, view, Qt.Key.Key_J)
    press(qtbot, view, Qt.Key.Key_J, Qt.KeyboardModifier.ShiftModifier)
    press(qtbot, view, Qt.Key.Key_J, Qt.KeyboardModifier.ShiftModifier)
    assert [(i.person, i.milestone) for i in view.selected_items()] == AVERY_SEES[1:]
    press(qtbot, view, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, view)
    assert listed(view) == [("s2", "essay")]
    assert current(view) == ("s2", "essay")
    assert [wp.state(p, m) for p, m in AVERY_SEES[1:]] == ["complete"] * 3
    assert view.message.text() == "Approved 3 requests."


def test_assigning_hands_the_request_to_a_colleague_and_it_leaves_the_users_inbox(
        wp, qtbot, inbox_on, monkeypatch):
    setup(wp)
    view = inbox_on()
    offered: list[list[str]] = []

    def pick(parent, title, label, items, current=0, editable=True):  # noqa: ANN001
        offered.append(list(items))
        return next(i for i in items if COLLEAGUE in i), True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    press(qtbot, view, Qt.Key.Key_J)
    press(qtbot, view, Qt.Key.Key_H)
    settle(qtbot, view)
    assert offered == [["Bea Advisor <bea@example.edu> — cohort staff",
                        f"Casey Coordinator <{ADMIN}> — admin"]]
    assert ("s1", "deposit") not in listed(view)
    assert "Handed 'Pay the deposit' for Sam Student to Bea Advisor." in view.message.text()
    bea = wp.json("inbox", "--as", COLLEAGUE, "--at", "2026-09-02T10:00")["items"]
    assert ("s1", "deposit") in [(i["person"], i["milestone"]) for i in bea]
    avery = wp.json("inbox", "--as", ADVISOR, "--at", "2026-09-02T10:00")["items"]
    assert ("s1", "deposit") not in [(i["person"], i["milestone"]) for i in avery]


def test_a_refused_decision_shows_why_and_changes_nothing(wp, qtbot, inbox_on, monkeypatch):
    setup(wp)
    view = inbox_on(ADMIN)  # an admin sees everything, but overriding needs a reason
    row = listed(view).index(("s1", "aid"))
    view._select(row)
    press(qtbot, view, Qt.Key.Key_A)
    settle(qtbot, view)
    assert view.message.isVisible() and view.message.kind == "error"
    assert "'Financial aid' for Sam Student was not approved" in view.message.text()
    assert "an admin override needs its reason" in view.message.text()
    assert "--note" not in view.message.text()
    assert ("s1", "aid") in listed(view)
    assert current(view) == ("s1", "aid")  # back on the request that was not decided
    assert not any(view.model.is_pending(i.progress_id) for i in view.model.items())
    assert wp.state("s1", "aid") == "submitted"
    assert wp.show("s1")["aid"]["approvals"] == []

    # The bar offers the note the command asked for; with it the override goes through.
    assert view.message.action.isVisible()
    monkeypatch.setattr(NoteDialog, "ask", classmethod(
        lambda cls, parent, heading, decisions, required: ("approve", "Finance is away.")))
    view.message.action.click()
    settle(qtbot, view)
    assert wp.state("s1", "aid") == "complete"


def test_a_decision_offers_a_follow_up_where_the_milestone_sets_no_status(
        wp, qtbot, inbox_on, monkeypatch):
    setup(wp)
    view = inbox_on()
    view._select(listed(view).index(("s3", "transcript")))
    press(qtbot, view, Qt.Key.Key_A)  # completing it sets "Enrolled" by itself
    settle(qtbot, view)
    assert wp.json("show", "s3")["person"]["status"] == "Enrolled"
    assert view.follow_ups.bar.isHidden()

    view._select(listed(view).index(("s1", "deposit")))
    press(qtbot, view, Qt.Key.Key_A)
    settle(qtbot, view)
    assert view.follow_ups.bar.isVisible()
    assert "Approved 'Pay the deposit' for Sam Student" in view.follow_ups.bar.label.text()

    statuses: list[list[str]] = []

    def pick(parent, title, label, items, current=0, editable=True):  # noqa: ANN001
        statuses.append(list(items))
        return "Admitted", True

    monkeypatch.setattr(QInputDialog, "getItem", pick)
    view.follow_ups.bar.status_button.click()
    settle(qtbot, view)
    assert statuses == [["Applied", "Enrolled"]]
    assert wp.json("show", "s1")["person"]["status"] == "Admitted"
    assert view.message.text() == "Sam Student's pipeline status is now Admitted."
    assert view.follow_ups.bar.isHidden()


def test_a_follow_up_can_be_deferred_or_turned_into_a_personal_reminder(
        wp, qtbot, inbox_on, monkeypatch):
    setup(wp)
    view = inbox_on()
    due: list[str] = []
    view.sig_reminder_due.connect(due.append)
    press(qtbot, view, Qt.Key.Key_J)
    press(qtbot, view, Qt.Key.Key_A)
    settle(qtbot, view)
    view.follow_ups.bar.defer_button.click()
    assert view.follow_ups.bar.isHidden() and view.follow_ups.button.isVisible()
    assert view.follow_ups.action.text() == "Follow-ups (1)"
    view.follow_ups.action.trigger()
    assert view.follow_ups.bar.isVisible() and not view.follow_ups.deferred

    soon = datetime(2026, 9, 2, 16, 0, tzinfo=UTC)
    monkeypatch.setattr(ReminderDialog, "ask", classmethod(
        lambda cls, parent, about, now: (soon, about)))
    view.follow_ups.bar.remind_button.click()
    assert [r.text for r in view.follow_ups.reminders.all()] == [
        "Follow up 'Pay the deposit' for Sam Student"]
    view.follow_ups.check_reminders()
    assert due == []  # not yet
    view.clock = lambda: soon
    view.follow_ups.check_reminders()
    assert due == ["Follow up 'Pay the deposit' for Sam Student"]
    assert view.follow_ups.reminders.all() == []


def test_an_attachment_opens_and_saves_a_copy(wp, qtbot, inbox_on, monkeypatch, tmp_path):
    setup(wp)
    view = inbox_on()
    press(qtbot, view, Qt.Key.Key_J)
    settle(qtbot, view)
    target = tmp_path / "copy.txt"
    monkeypatch.setattr("app.views.inbox_files.QFileDialog.getSaveFileName",
                        lambda *args, **kwargs: (str(target), ""))
    view.evidence_panel.save_button.click()
    settle(qtbot, view)
    assert target.read_text() == "Receipt no. 4411: 250.00 paid\n"
    opened: list[str] = []
    monkeypatch.setattr("app.views.inbox_files.QDesktopServices.openUrl",
                        lambda url: opened.append(url.toLocalFile()) or True)
    view.evidence_panel.open_button.click()
    settle(qtbot, view)
    assert len(opened) == 1 and Path(opened[0]).read_text().startswith("Receipt no. 4411")


def test_typing_a_filter_narrows_the_requests(wp, qtbot, inbox_on):
    setup(wp)
    view = inbox_on()
    qtbot.keyClicks(view.filter, "robin")
    assert listed(view) == [("s2", "essay"), ("s2", "deposit")]
    assert view.summary.text() == "4 requests waiting for you · 2 shown"
    view.filter.clear()
    assert listed(view) == AVERY_SEES


def test_the_inbox_opens_as_its_own_window(wp, qtbot):
    setup(wp)
    store = open_store(wp.db)
    worker = DbWorker(store)
    try:
        window = InboxWindow(worker, ADVISOR)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.windowTitle().startswith("Approval inbox (4)"))
        menu = window.menuBar().actions()[0].menu()
        assert "&Approve" in [a.text() for a in menu.actions()]
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        window.view.table.setFocus()
        qtbot.keyClick(window.view.table, Qt.Key.Key_J)  # the keys work in the window too
        assert current(window.view) == ("s1", "deposit")
    finally:
        worker.stop()
        store.close()


def test_the_item_model_passes_qtmodeltester(qtmodeltester):
    from datetime import date
    from uuid import uuid4

    model = InboxModel()
    items = [InboxItem(uuid4(), f"p{n}", f"Person {n}", "m", "Milestone", 1, 2,
                       datetime(2026, 9, 1, 10, tzinfo=UTC), date(2026, 9, n + 1))
             for n in range(5)]
    model.set_items(items, date(2026, 9, 3))
    qtmodeltester.check(model)
    model.set_pending([items[1].progress_id], True)
    model.remove([items[0].progress_id, items[3].progress_id])
    qtmodeltester.check(model)
    assert [model.item(r).person for r in range(model.rowCount())] == ["p1", "p2", "p4"]
    proxy = InboxFilter()
    proxy.setSourceModel(model)
    proxy.set_text("person 2")
    assert proxy.rowCount() == 1
    qtmodeltester.check(proxy)


def test_preview_saves_a_screenshot(wp, qtbot, inbox_on):
    """Not an assertion of behaviour: leaves /tmp/inbox_view.png to look at."""
    setup(wp)
    view = inbox_on()
    press(qtbot, view, Qt.Key.Key_J)
    settle(qtbot, view)
    view.grab().save("/tmp/inbox_view.png")
    press(qtbot, view, Qt.Key.Key_A)
    settle(qtbot, view)
    view.grab().save("/tmp/inbox_view_follow_up.png")
    admin = inbox_on(ADMIN)
    admin._select(listed(admin).index(("s1", "aid")))
    press(qtbot, admin, Qt.Key.Key_A)
    settle(qtbot, admin)
    admin.grab().save("/tmp/inbox_view_refused.png")
