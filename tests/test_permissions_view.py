"""The desktop app as a user whose roles leave some milestones hidden from them, and as one
whose roles do not allow exporting.

The store holds a program whose "Financial aid review" milestone is visible to the finance
role only, beside ordinary ones, with participants who have progress, requests, a file handed
in, a session, an alert and a mail on both. The registrar (cohort staff, no finance role)
opens the app and walks every view a user would; nothing they are shown, in any model or
label, names the hidden milestone. The same walk as the admin shows it, so the walk does look
where it would be. The History tab says why it lists no versions; exports are offered disabled,
saying why, to a user whose roles lack `export`; and the mail the user is not shown still goes
out from their laptop.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ADMIN, Waypoint
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QModelIndex,
    QSettings,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsView,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from app.models.store import open_store
from app.services.profile_store import open_profile_store
from app.services.reports import REPORTS
from app.services.settings import USER, put_setting
from app.services.write import Result
from app.views.main_window import MainWindow

REGISTRAR, FINANCE = "reg@example.edu", "fin@example.edu"
TITLE, KEY = "Financial aid review", "financial-aid"

PROGRAM = """\
[program]
name = "Student Success"
timezone = "UTC"

[[staff]]
email = "reg@example.edu"
name = "Reg Registrar"
roles = ["registrar"]

[[staff]]
email = "fin@example.edu"
name = "Fin Finance"
roles = ["finance"]

[[gates]]
key = "intake"
name = "Intake"

[[cohorts]]
key = "fall"
name = "Fall 2026"
staff = ["reg@example.edu"]

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall"]
complete_by = ["request"]
upload = "optional"
gate = "intake"

[[milestones]]
key = "financial-aid"
title = "Financial aid review"
cohorts = ["fall"]
complete_by = ["request"]
visible_to = ["finance"]
upload = "optional"
gate = "intake"
due = { date = "2026-01-15" }
[milestones.approval]
approvers = { roles = ["finance"] }

[[milestones]]
key = "plan"
title = "Academic plan"
cohorts = ["fall"]
complete_by = ["staff"]
after = ["welcome", "financial-aid"]
"""

PEOPLE = """id,name,email,cohort
p1,Pat Lee,pat@example.edu,fall
p2,Sam Roe,sam@example.edu,fall
p3,Kim Kay,kim@example.edu,fall
"""


def history(wp: Waypoint, program: str = PROGRAM) -> None:
    """Progress on both milestones: requests waiting in the inbox, files handed in, a session
    each; a past-due alert, a mail and a refused approval about the hidden one."""
    wp.apply(program, "--at", "2026-09-01T09:00")
    wp.people(PEOPLE, "--at", "2026-09-01T09:00")
    wp.json("attach", "p1", KEY, str(wp.file("aid", ".txt")), "--by", "p1",
            "--note", "Financial aid review form")
    wp.json("attach", "p1", "welcome", str(wp.file("hello", ".txt")), "--by", "p1")
    for person in ("p1", "p2"):
        for milestone in ("welcome", KEY):
            wp.json("submit", person, milestone, "--by", person, "--at", "2026-09-02T09:00")
    wp.json("schedule", "aid-session", "--title", "Financial aid review session",
            "--milestone", KEY, "--start", "2026-12-02T10:00", "--end", "2026-12-02T11:00",
            "--no-trainers")
    wp.json("schedule", "welcome-session", "--title", "Welcome session",
            "--milestone", "welcome", "--start", "2026-12-03T10:00",
            "--end", "2026-12-03T11:00", "--no-trainers")
    wp.json("register", "p1", "aid-session")
    wp.json("register", "p1", "welcome-session")
    wp.json("assign", "p1", KEY, "--to", FINANCE)
    wp.refused("approve", "p2", KEY, "--by", REGISTRAR)  # in the audit trail, with its reason
    wp.json("tick")


def profile_user(db: Path, email: str) -> None:
    """The app's user: whom the profile opens as."""
    store = open_store(db)
    with store.session() as session:
        put_setting(session, USER, email)
        session.commit()
    store.close()


# -- walking the window ---------------------------------------------------------------------

ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
         Qt.ItemDataRole.StatusTipRole, Qt.ItemDataRole.AccessibleTextRole,
         Qt.ItemDataRole.UserRole)


def columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    """A list model keeps its columnCount to itself (PySide6): it has one."""
    return 1 if isinstance(model, QAbstractListModel) else model.columnCount(parent)


def model_texts(model: QAbstractItemModel) -> Iterator[str]:
    """Every cell (tree rows too) and header of a model, in the roles a view shows or keeps."""
    for orientation in (Qt.Orientation.Horizontal, Qt.Orientation.Vertical):
        count = (columns(model, QModelIndex()) if orientation == Qt.Orientation.Horizontal
                 else model.rowCount(QModelIndex()))
        for section in range(count):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                value = model.headerData(section, orientation, role)
                if value is not None:
                    yield str(value)

    def walk(parent: QModelIndex) -> Iterator[str]:
        for row in range(model.rowCount(parent)):
            for column in range(columns(model, parent)):
                index = model.index(row, column, parent)
                for role in ROLES:
                    value = model.data(index, role)
                    if value is not None:
                        yield str(value)
                if column == 0 and not isinstance(model, QAbstractListModel) and (
                        model.rowCount(index) > 0):
                    yield from walk(index)

    yield from walk(QModelIndex())


def widget_texts(root: QWidget) -> Iterator[str]:
    """What a window says outside its models: labels, buttons, text boxes, tabs, drawings and
    tooltips, and the actions of its menus."""
    yield root.windowTitle()
    for widget in [root, *root.findChildren(QWidget)]:
        yield widget.toolTip()
        yield widget.accessibleName()
        if isinstance(widget, (QLabel, QAbstractButton)):
            yield widget.text()
        elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
            yield widget.toPlainText()
        elif isinstance(widget, QTabWidget):
            yield from (widget.tabText(n) for n in range(widget.count()))
        elif isinstance(widget, QGraphicsView) and widget.scene() is not None:
            for item in widget.scene().items():
                yield item.toolTip()
                if isinstance(item, (QGraphicsSimpleTextItem, QGraphicsTextItem)):
                    yield (item.text() if isinstance(item, QGraphicsSimpleTextItem)
                           else item.toPlainText())
        for action in QWidget.actions(widget):  # the board has an `actions` of its own
            yield action.text()
            yield action.toolTip()


def shown_in(widget: QWidget) -> str:
    """All a widget (and what it holds) shows: its texts and every model's cells."""
    found = list(widget_texts(widget))
    for model in widget.findChildren(QAbstractItemModel):
        found.extend(model_texts(model))
    return "\n".join(text for text in found if text)


def settle(window: MainWindow, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: window.worker.pending == 0, timeout=30_000)


def open_window(db: Path, qtbot: Any) -> MainWindow:
    QSettings().clear()  # no layout remembered from another test
    window = MainWindow(open_profile_store(db), run_scheduler=False)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    settle(window, qtbot)
    return window


def walk(window: MainWindow, qtbot: Any) -> dict[str, str]:
    """Look at every view as a user would: what each showed on the way, by where it was."""
    shown: dict[str, str] = {}

    def look(where: str, widget: QWidget, *held: object) -> None:
        settle(window, qtbot)
        shown[where] = "\n".join([shown.get(where, ""), shown_in(widget), *map(repr, held)])

    window.tree.select_key("fall")
    settle(window, qtbot)
    look("cohort tree", window.tree)
    people = window.people
    people.people.selectRow(next(r for r in range(people.proxy.rowCount())
                                 if people.proxy.index(r, 1).data() == "p1"))
    look("participants", people)
    window.timeline.show_person("p1")
    for number in range(window.tabs.count()):  # each view shown once (some read when shown)
        window.tabs.setCurrentIndex(number)
        settle(window, qtbot)
    board = window.board  # its columns of cards, and the grid's model (the board's own)
    look("board", board.columns, *model_texts(board.model), *model_texts(board.grid_proxy))
    for milestone in ("welcome", KEY, "plan"):  # one hidden falls back to the first
        window.board.panel.show_person("p1", milestone)
        settle(window, qtbot)
        for tab in range(window.board.panel.tabs.count()):
            window.board.panel.tabs.setCurrentIndex(tab)
            look("participant panel", window.board.panel, window.board.panel.view,
                 window.board.panel.detail)
    look("timeline", window.timeline, window.timeline.timeline)
    attendance = window.attendance
    window.tabs.setCurrentWidget(attendance)
    for row in range(attendance.sessions_model.rowCount()):  # each session's roster
        if attendance.sessions_model.session_at(row) is not None:
            attendance.sessions.setCurrentIndex(attendance.sessions_model.index(row, 0))
            look("attendance", attendance, attendance.picks)
    look("attendance", attendance, attendance.picks)
    window.tabs.setCurrentWidget(window.inbox)
    look("inbox", window.inbox)
    reports = window.reports
    window.tabs.setCurrentWidget(reports)
    for name in REPORTS:
        with qtbot.waitSignal(reports.sig_report_shown, timeout=10_000):
            reports.refresh() if reports.name() == name else reports.choose(name)
        look(f"report {name}", reports, reports.model.table)
    panel = window.program_panel
    window.tabs.setCurrentWidget(panel)
    for number in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(number)
        look(f"program {panel.tabs.tabText(number).split(' (')[0].replace('&', '')}", panel)
    for key, dock in window.docks.items():
        dock.show()
        dock.raise_()
        look(key, dock)
    window.open_inbox_window()
    settle(window, qtbot)
    inbox = window.inbox_window.view
    for row in range(inbox.proxy.rowCount()):
        inbox.table.setCurrentIndex(inbox.proxy.index(row, 0))
        qtbot.waitUntil(lambda: inbox.worker.pending == 0
                        and not inbox._evidence_timer.isActive(), timeout=10_000)
        look("inbox window", window.inbox_window)
    look("inbox window", window.inbox_window)
    window.inbox_window.close()
    look("main window", window)  # menus, status bar, and everything above once more
    return shown


@pytest.fixture
def store_of(wp: Waypoint) -> Callable[..., Path]:
    """The scripted store, its profile opening as `user`."""
    def make(user: str, program: str = PROGRAM) -> Path:
        history(wp, program)
        profile_user(wp.db, user)
        return wp.db

    return make


# -- restricted milestones ------------------------------------------------------------------

# Where the admin is shown the restricted milestone, by title or (the reports) by key: the
# walk does look where it would be.
WHERE_IT_SHOWS = ("participants", "board", "participant panel", "timeline", "attendance",
                  "inbox", "report activity", "report cycle-time", "report at-risk",
                  "program Milestones", "program History", "alerts", "outbox", "audit",
                  "inbox window", "main window")


def test_a_restricted_milestone_is_absent_from_every_view_for_a_user_without_the_role(
        store_of, qtbot):
    window = open_window(store_of(REGISTRAR), qtbot)
    shown = walk(window, qtbot)
    assert "Welcome call" in shown["board"] and "Pat Lee" in shown["participants"]
    assert window.inbox.model.rowCount() == 2  # the two welcome requests, cohort staff's
    assert "Welcome session" in shown["attendance"]
    leaks = {where for where, text in shown.items() if TITLE in text or KEY in text}
    assert not leaks


def test_the_admin_sees_the_restricted_milestone_in_the_same_views(store_of, qtbot):
    window = open_window(store_of(ADMIN), qtbot)
    shown = walk(window, qtbot)
    missing = {where for where in WHERE_IT_SHOWS
               if TITLE not in shown[where] and KEY not in shown[where]}
    assert not missing
    assert window.program_panel.history.pages.currentWidget() is (
        window.program_panel.history.listing)
    assert window.program_panel.history.model.rowCount() >= 1


def test_the_history_tab_says_why_it_lists_no_versions_to_a_user_without_the_role(
        store_of, qtbot):
    window = open_window(store_of(REGISTRAR), qtbot)
    history_tab = window.program_panel.history
    window.tabs.setCurrentWidget(window.program_panel)
    window.program_panel.tabs.setCurrentWidget(history_tab)
    settle(window, qtbot)
    assert history_tab.pages.currentWidget() is history_tab.refusal
    assert history_tab.model.rowCount() == 0
    assert history_tab.refusal.text() == (
        "The program's history is not shown to you.\n\nProgram versions name every milestone, "
        "restricted ones too: that takes an admin.")
    if os.environ.get("WAYPOINT_SHOTS"):  # to look at it: WAYPOINT_SHOTS=/tmp/w pytest …
        shots = Path(os.environ["WAYPOINT_SHOTS"])
        shots.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(shots / "history_restricted.png"))


# -- exporting ------------------------------------------------------------------------------

EXPORT_FOR_FINANCE = PROGRAM.replace('[[staff]]\nemail = "reg', (
    '[permissions]\nexport = ["finance"]\n\n[[staff]]\nemail = "reg'), 1)


def test_exporting_is_offered_disabled_saying_why_to_a_user_whose_roles_lack_export(
        store_of, qtbot):
    window = open_window(store_of(REGISTRAR, EXPORT_FOR_FINANCE), qtbot)
    window.tabs.setCurrentWidget(window.reports)
    qtbot.waitUntil(lambda: window.reports.shown is not None, timeout=10_000)
    settle(window, qtbot)
    why = ("Exporting takes the export permission; your roles (registrar) do not hold it. "
           "It is held by an admin or an exporter (role finance).")
    button = window.reports.export_button
    assert not button.isEnabled()
    assert button.toolTip() == why
    assert not window.export_action.isEnabled()
    assert window.export_action.toolTip() == why
    window.board.panel.show_person("p1", "welcome")
    settle(window, qtbot)
    assert window.board.panel.open_button.isEnabled()  # reading a file is not exporting it
    assert not window.board.panel.save_button.isEnabled()
    assert window.board.panel.save_button.toolTip().startswith(
        "Saving a copy of a file takes the export permission")
    assert not window.inbox.evidence_panel.save_button.isEnabled()
    window.open_inbox_window()
    settle(window, qtbot)
    assert not window.inbox_window.view.evidence_panel.save_button.isEnabled()
    window.inbox_window.close()


def test_the_admin_may_export_whatever_the_permissions_table_says(store_of, qtbot):
    window = open_window(store_of(ADMIN, EXPORT_FOR_FINANCE), qtbot)
    window.tabs.setCurrentWidget(window.reports)
    qtbot.waitUntil(lambda: window.reports.shown is not None, timeout=10_000)
    settle(window, qtbot)
    assert window.reports.export_button.isEnabled()
    assert window.reports.export_button.toolTip() == (
        "Write the report shown to a CSV, XLSX or PDF file")
    assert window.export_action.isEnabled()
    window.board.panel.show_person("p1", "welcome")
    settle(window, qtbot)
    assert window.board.panel.save_button.isEnabled()


def test_exporting_is_allowed_again_once_a_program_gives_the_users_role_the_permission(
        store_of, wp, qtbot):
    window = open_window(store_of(REGISTRAR, EXPORT_FOR_FINANCE), qtbot)
    assert not window.export_action.isEnabled()
    wp.apply(EXPORT_FOR_FINANCE.replace('export = ["finance"]', 'export = ["registrar"]'),
             "--by", "system")
    window.on_changed(Result(ok=True, flags=frozenset({"definitions"})))  # as an apply says
    settle(window, qtbot)
    assert window.export_action.isEnabled()
    window.tabs.setCurrentWidget(window.reports)
    qtbot.waitUntil(lambda: window.reports.shown is not None, timeout=10_000)
    settle(window, qtbot)
    assert window.reports.export_button.isEnabled()



# -- what the app does for the whole store --------------------------------------------------


def test_mail_about_a_restricted_milestone_still_goes_out_from_the_app_of_a_user_without_it(
        wp, qtbot):
    """The scheduler sends the store's outbox whoever uses the app: the registrar's laptop
    delivers the finance mail it does not show them."""
    from test_delivery import SENDER, SmtpServer

    server = SmtpServer()
    server.start()
    try:
        history(wp)
        wp.json("mail-setup", "--host", "127.0.0.1", "--port", str(server.port),
                "--security", "none", "--from", SENDER)
        profile_user(wp.db, REGISTRAR)
        window = open_window(wp.db, qtbot)
        with qtbot.waitSignal(window.scheduler.mail_report, timeout=30_000) as sent:
            window.scheduler.tick()
        settle(window, qtbot)
    finally:
        server.stop()
    report = sent.args[0]
    assert report.configured and not report.failed and report.waiting == 0
    subjects = [str(message["Subject"]) for message in server.room.received]
    assert any(TITLE in subject for subject in subjects), subjects
    assert TITLE not in shown_in(window.outbox)  # still not shown to them
    assert window.mail_state.text() == "Mail: all sent"
