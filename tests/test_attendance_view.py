"""The trainer's attendance view on a real store, through the database worker, offscreen.

The clock is injected: "now" is Thursday 3 September 2026, 10:05 in Chicago, when the first
check-in is under way, a three-day bootcamp is on its second day and the drop-in hour (marked
by participants) is this afternoon.

Run `python -m tests.test_attendance_view` for a window on the same data, to look at.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import Waypoint
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from sqlalchemy import select

from app.models import Attendance, Person
from app.models.store import open_store
from app.views import attendance_view
from app.views.attendance_view import KIOSK, ROSTER, AttendanceView
from app.views.models.attendance import CHECK, IN, LEFT, NAME, OUT, REGISTRATION
from app.views.worker import DbWorker

TRAINER = "tess@example.edu"
ZONE = ZoneInfo("America/Chicago")

PROGRAM = """\
[program]
name = "Attendance"
timezone = "America/Chicago"

[[staff]]
email = "tess@example.edu"
name = "Tess Trainer"
roles = ["trainer"]

[[cohorts]]
key = "fall-2026"
name = "Fall 2026"

[[milestones]]
key = "checkin"
title = "First check-in"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]

[[milestones]]
key = "drop-in"
title = "Drop-in hour"
kind = "meeting"
cohorts = ["fall-2026"]
complete_by = ["attendance"]

[[sessions]]
key = "intro-talk"
title = "Intro talk"
start = "2026-08-28T10:00"
end = "2026-08-28T11:00"
trainers = ["tess@example.edu"]

[[sessions]]
key = "bootcamp"
title = "Bootcamp"
start = "2026-09-02T09:00"
end = "2026-09-04T16:00"
location = "Lab 3"
trainers = ["tess@example.edu"]

[[sessions]]
key = "checkin-1"
title = "First check-in"
milestone = "checkin"
start = "2026-09-03T10:00"
end = "2026-09-03T11:00"
location = "Room 101"
trainers = ["tess@example.edu"]

[[sessions]]
key = "drop-in-1"
title = "Drop-in hour"
milestone = "drop-in"
start = "2026-09-03T14:00"
end = "2026-09-03T15:00"
trainers = ["tess@example.edu"]
marking = "self"

[[sessions]]
key = "workshop-1"
title = "Workshop 1"
start = "2026-09-08T09:00"
end = "2026-09-08T11:00"
trainers = ["tess@example.edu"]

[[sessions]]
key = "closing"
title = "Closing event"
start = "2026-09-20T09:00"
end = "2026-09-20T11:00"
"""

PEOPLE = """\
id,name,email,cohort
p1,Pat Lee,pat@example.edu,fall-2026
p2,Rae Kim,rae@example.edu,fall-2026
p3,Quinn Walker,quinn@example.edu,fall-2026
p4,Patricia Moss,patricia@example.edu,fall-2026
"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE).astimezone(UTC)


class Clock:
    """The view's `now`, moved by the test."""

    def __init__(self, text: str) -> None:
        self.at = local(text)

    def __call__(self) -> datetime:
        return self.at


def setup(wp: Waypoint) -> None:
    wp.apply(PROGRAM, "--at", "2026-08-15T10:00")
    wp.people(PEOPLE, "--at", "2026-08-20T10:00")
    for person in ("p1", "p2", "p4"):
        wp.json("register", person, "checkin-1", "--at", "2026-08-25T10:00")
    wp.json("register", "p1", "bootcamp", "--at", "2026-08-25T10:00")


@pytest.fixture
def worker(wp: Waypoint):
    store = open_store(wp.db)
    db = DbWorker(store)
    yield db
    db.stop()
    store.close()


def open_view(qtbot, worker: DbWorker, clock: Clock) -> AttendanceView:
    view = AttendanceView(worker, TRAINER, now=clock)
    qtbot.addWidget(view)
    view.resize(1100, 600)
    view.show()
    view.refresh()
    qtbot.waitUntil(lambda: view.model.roster is not None, timeout=10_000)
    return view


def choose(qtbot, view: AttendanceView, key: str) -> None:
    view.sessions.setCurrentIndex(view.sessions_model.index(view.sessions_model.row_of(key)))
    qtbot.waitUntil(lambda: view.model.roster is not None and view.model.roster.key == key,
                    timeout=10_000)


def row(view: AttendanceView, person: str):
    number = view.model.row_of(person)
    return view.model.row(number) if number >= 0 else None


def state(view: AttendanceView, person: str) -> str | None:
    found = row(view, person)
    return found.state if found else None


def cell(view: AttendanceView, person: str, column: int) -> str:
    return view.model.index(view.model.row_of(person), column).data()


def select_person(view: AttendanceView, person: str) -> None:
    source = view.model.index(view.model.row_of(person), CHECK)
    view.roster.table.setCurrentIndex(view.roster.proxy.mapFromSource(source))


def shown(view: AttendanceView) -> list[str]:
    proxy = view.roster.proxy
    return [proxy.index(n, NAME).data() for n in range(proxy.rowCount())]


def session_list(view: AttendanceView) -> list[str]:
    model = view.sessions_model
    return [str(model.index(n).data()).split("\n")[0] for n in range(model.rowCount())]


def test_todays_sessions_come_first(wp, qtbot, worker):
    setup(wp)
    view = open_view(qtbot, worker, Clock("2026-09-03T10:05"))
    assert session_list(view) == [
        "Today", "Bootcamp", "First check-in", "Drop-in hour",
        "Upcoming", "Workshop 1", "Closing event",
        "Past", "Intro talk"]
    # the first of today's is open; headings are not selectable
    assert view.model.roster.key == "bootcamp"
    assert not view.sessions_model.flags(view.sessions_model.index(0)) & (
        Qt.ItemFlag.ItemIsSelectable)
    today = str(view.sessions_model.index(2).data())
    assert "10:00–11:00 · under way · Room 101 · 3 registered, 0 attended" in today
    # the keyboard steps over the headings, from today's last to the first upcoming
    choose(qtbot, view, "drop-in-1")
    qtbot.keyClick(view.sessions, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: view.model.roster.key == "workshop-1", timeout=10_000)


def test_checking_in_records_attendance_with_the_time_and_completes_the_meeting(
        wp, qtbot, worker):
    setup(wp)
    clock = Clock("2026-09-03T10:05")
    view = open_view(qtbot, worker, clock)
    choose(qtbot, view, "checkin-1")
    assert [r.name for r in view.model.rows()] == ["Pat Lee", "Patricia Moss", "Rae Kim"]
    assert cell(view, "p1", CHECK) == "Check in"
    select_person(view, "p1")
    with qtbot.waitSignal(view.changed, timeout=10_000) as changed:
        qtbot.keyClick(view.roster.table, Qt.Key.Key_Space)
    assert changed.args[0].ok
    qtbot.waitUntil(lambda: state(view, "p1") == IN, timeout=10_000)
    assert cell(view, "p1", CHECK) == "In 10:05"
    assert wp.state("p1", "checkin") == "complete"
    assert wp.state("p2", "checkin") == "open"
    days = wp.json("sessions", "--person", "p1")["sessions"]
    standing = next(s for s in days if s["key"] == "checkin-1")["participant"]
    assert standing["days"][0]["join"].startswith("2026-09-03T15:05")  # 10:05 in Chicago
    assert "1 checked in" in view.roster.summary.text()
    # the same toggle again, later: checked out, with the leave time
    clock.at = local("2026-09-03T10:58")
    with qtbot.waitSignal(view.changed, timeout=10_000):
        qtbot.keyClick(view.roster.table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: state(view, "p1") == LEFT, timeout=10_000)
    assert cell(view, "p1", CHECK) == "Left 10:58"
    assert (row(view, "p1").join, row(view, "p1").leave) == (
        local("2026-09-03T10:05"), local("2026-09-03T10:58"))
    # a click on the toggle does the same as the keyboard
    index = view.roster.proxy.mapFromSource(view.model.index(view.model.row_of("p2"), CHECK))
    with qtbot.waitSignal(view.changed, timeout=10_000):
        qtbot.mouseClick(view.roster.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.roster.table.visualRect(index).center())
    qtbot.waitUntil(lambda: state(view, "p2") == IN, timeout=10_000)
    assert wp.state("p2", "checkin") == "complete"


def test_search_narrows_the_roster_by_name(wp, qtbot, worker):
    setup(wp)
    view = open_view(qtbot, worker, Clock("2026-09-03T10:05"))
    choose(qtbot, view, "checkin-1")
    qtbot.keyClicks(view.roster.search, "pat")
    assert shown(view) == ["Pat Lee", "Patricia Moss"]
    assert "2 shown" in view.roster.summary.text()
    view.roster.search.clear()
    qtbot.keyClicks(view.roster.search, "KIM")
    assert shown(view) == ["Rae Kim"]
    view.roster.search.setText("p4")  # by id too
    assert view.roster.proxy.rowCount() == 1
    # one match: Enter checks them in, and the box is ready for the next name
    with qtbot.waitSignal(view.changed, timeout=10_000):
        qtbot.keyClick(view.roster.search, Qt.Key.Key_Return)
    assert view.roster.search.text() == ""
    qtbot.waitUntil(lambda: state(view, "p4") == IN, timeout=10_000)
    assert view.roster.proxy.rowCount() == 3


def test_a_walk_in_is_registered_at_the_door_and_checked_in(wp, qtbot, worker):
    setup(wp)
    view = open_view(qtbot, worker, Clock("2026-09-03T10:12"))
    choose(qtbot, view, "checkin-1")
    assert row(view, "p3") is None
    view.add_walk_in()
    dialog = view.walk_in_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.search, "quinn")
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=10_000)
    assert dialog.model.row(0).person == "p3"
    with qtbot.waitSignal(view.changed, timeout=10_000):
        qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: state(view, "p3") == IN, timeout=10_000)
    assert cell(view, "p3", REGISTRATION) == "Walk-in"
    assert cell(view, "p3", CHECK) == "In 10:12"
    assert wp.state("p3", "checkin") == "complete"
    standing = next(s for s in wp.json("sessions", "--person", "p3")["sessions"]
                    if s["key"] == "checkin-1")["participant"]
    assert standing["walk_in"] is True


def test_self_marking_checks_a_participant_in_as_themselves_only_where_allowed(
        wp, qtbot, worker):
    setup(wp)
    view = open_view(qtbot, worker, Clock("2026-09-03T14:03"))
    # a session marked by staff: no kiosk, and a participant's own check-in is refused
    choose(qtbot, view, "checkin-1")
    assert not view.kiosk_action.isEnabled()
    assert view.enter_kiosk() is False
    assert view.stack.currentIndex() == ROSTER
    view.self_check_in("p2")
    qtbot.waitUntil(lambda: "staff do" in view.roster.status.text(), timeout=10_000)
    assert wp.state("p2", "checkin") == "open"
    # the drop-in hour is marked by participants: the kiosk takes their id or email
    choose(qtbot, view, "drop-in-1")
    assert view.kiosk_action.isEnabled()
    assert view.enter_kiosk() is True
    assert view.stack.currentIndex() == KIOSK
    assert not view.left.isVisible()  # no other session, no roster, no staff actions
    assert not view.walk_in_action.isEnabled() and not view.no_show_action.isEnabled()
    qtbot.keyClicks(view.kiosk.entry, "pat@example.edu")
    with qtbot.waitSignal(view.changed, timeout=10_000):
        qtbot.keyClick(view.kiosk.entry, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Welcome, Pat Lee" in view.kiosk.message.text(), timeout=10_000)
    assert view.kiosk.entry.text() == ""
    assert wp.state("p1", "drop-in") == "complete"
    store = open_store(wp.db)
    with store.session() as session:
        actor = session.scalar(select(Attendance.actor).join(
            Person, Person.id == Attendance.person_id).where(Person.external_id == "p1"))
    store.close()
    assert actor == "p1"  # as themselves, not as the trainer signed in
    # nobody by that id: refused, and what was typed stays to be corrected
    qtbot.keyClicks(view.kiosk.entry, "nobody@example.edu")
    qtbot.keyClick(view.kiosk.entry, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Nobody has" in view.kiosk.message.text(), timeout=10_000)
    assert view.kiosk.entry.text() == "nobody@example.edu"
    view.leave_kiosk()
    assert view.stack.currentIndex() == ROSTER and view.left.isVisible()
    qtbot.waitUntil(lambda: state(view, "p1") == IN, timeout=10_000)


def test_a_several_day_session_records_each_day_separately(wp, qtbot, worker, monkeypatch):
    setup(wp)
    clock = Clock("2026-09-03T09:07")
    view = open_view(qtbot, worker, clock)
    assert view.model.roster.key == "bootcamp"
    assert view.roster.days.isVisibleTo(view) and view.roster.days.count() == 3
    assert view.roster.days.currentText() == "Day 2 of 3: Thu 3 Sep"  # today
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.toggle("p1")
    qtbot.waitUntil(lambda: state(view, "p1") == IN, timeout=10_000)
    # yesterday has nothing yet; marked late, the trainer gives the time it happened
    view.roster.days.setCurrentIndex(0)
    assert state(view, "p1") == OUT
    asked = []
    monkeypatch.setattr(attendance_view, "ask_time", lambda _parent, title, _prompt, default: (
        asked.append((title, default)) or local("2026-09-02T09:20")))
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.toggle("p1")
    qtbot.waitUntil(lambda: state(view, "p1") == IN, timeout=10_000)
    assert asked == [("When Pat Lee arrived", datetime(2026, 9, 2, 9, 0, tzinfo=ZONE))]
    assert cell(view, "p1", CHECK) == "In 09:20"
    # tomorrow has not come: nothing recorded
    view.roster.days.setCurrentIndex(2)
    view.toggle("p1")
    assert "has not come yet" in view.roster.status.text()
    assert state(view, "p1") == OUT
    standing = next(s for s in wp.json("sessions", "--person", "p1")["sessions"]
                    if s["key"] == "bootcamp")["participant"]
    assert [(d["day"], d["join"][:16]) for d in standing["days"]] == [
        ("2026-09-02", "2026-09-02T14:20"), ("2026-09-03", "2026-09-03T14:07")]
    view.roster.days.setCurrentIndex(1)
    assert cell(view, "p1", CHECK) == "In 09:07"


def test_a_no_show_is_recorded_for_the_selected_person(wp, qtbot, worker, monkeypatch):
    setup(wp)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    view = open_view(qtbot, worker, Clock("2026-09-03T11:30"))
    choose(qtbot, view, "checkin-1")
    select_person(view, "p2")
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.no_show_action.trigger()
    qtbot.waitUntil(lambda: cell(view, "p2", REGISTRATION) == "No-show", timeout=10_000)
    assert "1 no-show" in view.roster.summary.text()


def test_the_sign_in_sheet_prints_and_its_marks_come_back(wp, qtbot, worker, monkeypatch,
                                                         tmp_path: Path):
    setup(wp)
    view = open_view(qtbot, worker, Clock("2026-09-03T12:00"))
    choose(qtbot, view, "checkin-1")
    pdf = tmp_path / "sheet.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(pdf), ""))
    view.print_action.trigger()
    qtbot.waitUntil(lambda: "Wrote sheet.pdf" in view.roster.status.text(), timeout=10_000)
    assert pdf.read_bytes().startswith(b"%PDF")
    template = tmp_path / "sheet.csv"
    lines = template.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "id,name,day,join,leave,status"
    marked = [line.replace(",,,", ",10:02,10:50,present") if line.startswith("p2,") else line
              for line in lines]
    template.write_text("\n".join(marked) + "\n", encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(template), ""))
    with qtbot.waitSignal(view.changed, timeout=10_000):
        view.import_action.trigger()
    qtbot.waitUntil(lambda: state(view, "p2") == LEFT, timeout=10_000)
    assert wp.state("p2", "checkin") == "complete"


def test_the_models_pass_the_model_tester(wp, qtbot, worker, qtmodeltester):
    setup(wp)
    view = open_view(qtbot, worker, Clock("2026-09-03T10:05"))
    choose(qtbot, view, "checkin-1")
    qtmodeltester.check(view.sessions_model)
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.roster.proxy)
    view.add_walk_in()
    qtbot.keyClicks(view.walk_in_dialog.search, "pat")
    qtbot.waitUntil(lambda: view.walk_in_dialog.model.rowCount() == 2, timeout=10_000)
    qtmodeltester.check(view.walk_in_dialog.model)


def preview() -> int:  # pragma: no cover - a look at the view, by hand
    """`python tests/test_attendance_view.py [SHOT.png]`: the view on the test's data, with
    a few people checked in; with a file name, a screenshot of it instead of a window."""
    import tempfile

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    folder = Path(tempfile.mkdtemp())
    tool = Waypoint(folder / "store.sqlite3", folder)
    tool.json("init", "--user", "coord@example.edu", "--name", "Casey Coordinator")
    setup(tool)
    tool.json("attend", "p1", "bootcamp", "--join", "2026-09-03T09:02", "--at",
              "2026-09-03T09:02")
    store = open_store(tool.db)
    worker = DbWorker(store)
    view = AttendanceView(worker, "coord@example.edu", now=Clock("2026-09-03T10:05"))
    view.resize(1200, 640)
    view.show()
    view.refresh()
    if len(sys.argv) > 1:
        QTimer.singleShot(1500, lambda: (view.grab().save(sys.argv[1]), app.quit()))
    code = app.exec()
    worker.stop()
    store.close()
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(preview())
