"""The stage-gate timeline: the read model behind it, and the view as a coordinator uses it —
gates as bands, milestones at their dates, today's line, zoom, and gate reviews recorded from
the timeline.

Each test sets up a real store through the command line, opens the view on it with the app's
serial DbWorker and a fixed clock, and reads back what the user sees and what the store says.

To look at it on demo data: `python -m tests.test_timeline_view` saves
/tmp/timeline_person.png and /tmp/timeline_cohort.png.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from sqlalchemy import event, select

from app.models import GateReview, Person
from app.models.store import open_store
from app.services.queries.timeline import cohort_timeline, person_timeline
from app.services.write import Result
from app.views import theme
from app.views.timeline_items import GateBand
from app.views.timeline_view import TimelineView
from app.views.worker import DbWorker

NOW = datetime(2026, 9, 20, 15, 0, tzinfo=UTC)
TODAY = date(2026, 9, 20)  # NOW in the program's zone
MANAGER = "hana@example.edu"
TRAINER = "tess@example.edu"

PROGRAM = """
[program]
name = "Student Success"
timezone = "America/Chicago"

[[staff]]
email = "hana@example.edu"
name = "Hana Manager"
roles = ["manager"]
[[staff]]
email = "tess@example.edu"
name = "Tess Trainer"
roles = ["trainer"]

[[cohorts]]
key = "onboarding"
name = "New Student Onboarding"
[[cohorts]]
key = "fall"
name = "Fall 2026"
parent = "onboarding"
[[cohorts]]
key = "spring"
name = "Spring 2027"
parent = "onboarding"

[[gates]]
key = "intake"
name = "Intake"
reviewers = ["manager"]
[[gates]]
key = "launch"
name = "Launch"
reviewers = ["manager"]

[[milestones]]
key = "welcome"
title = "Welcome call"
cohorts = ["fall", "spring"]
gate = "intake"
due = { date = "2026-09-05" }

[[milestones]]
key = "forms"
title = "Orientation forms"
cohorts = ["fall", "spring"]
gate = "intake"
due = { date = "2026-09-12" }

[[milestones]]
key = "plan"
title = "Degree plan"
cohorts = ["fall", "spring"]
gate = "launch"
after = ["forms"]
due = { date = "2026-10-15" }

[[milestones]]
key = "photo"
title = "ID card photo"
cohorts = ["fall"]
"""


def program(wp: Any, extra_people: int = 0) -> None:
    """Ana (fall) has finished the welcome call, late, and her forms are past due: Intake is
    active, Launch not started. Ben (spring) has finished Intake and Launch is under way."""
    wp.apply(PROGRAM)
    rows = ["id,name,email,cohort", "p1,Ana Diaz,ana@example.edu,fall",
            "p2,Ben Cho,ben@example.edu,spring"]
    rows += [f"x{n},Extra {n},x{n}@example.edu,spring" for n in range(extra_people)]
    wp.people("\n".join(rows) + "\n", "--at", "2026-09-01T15:00Z")
    wp.json("complete", "p1", "welcome", "--at", "2026-09-08T15:00Z")
    wp.json("complete", "p2", "welcome", "--at", "2026-09-03T15:00Z")
    wp.json("complete", "p2", "forms", "--at", "2026-09-10T15:00Z")


# -- the read model -------------------------------------------------------------------------


def test_a_participants_timeline_lists_their_gates_in_order_with_status_and_span(wp):
    program(wp)
    with open_store(wp.db).session() as session:
        timeline = person_timeline(session, "p1", NOW)
    assert (timeline.title, timeline.today) == ("Ana Diaz", TODAY)
    assert [(g.key, g.status) for g in timeline.gates] == [("intake", "active"),
                                                           ("launch", "not_started")]
    intake, launch = timeline.gates
    # From the first opening to the latest due or completion, reaching today while active.
    assert (intake.start, intake.end) == (date(2026, 9, 1), TODAY)
    assert (launch.start, launch.end) == (date(2026, 10, 15), date(2026, 10, 15))


def test_a_participants_milestones_carry_due_and_completion_dates_and_past_due(wp):
    program(wp)
    with open_store(wp.db).session() as session:
        marks = {m.key: m for m in person_timeline(session, "p1", NOW).milestones}
    welcome, forms, plan, photo = (marks[k] for k in ("welcome", "forms", "plan", "photo"))
    assert (welcome.state, welcome.due, welcome.completed, welcome.past_due) == (
        "complete", date(2026, 9, 5), date(2026, 9, 8), False)
    assert (forms.state, forms.due, forms.completed, forms.past_due) == (
        "open", date(2026, 9, 12), None, True)
    assert (plan.state, plan.past_due, plan.gate) == ("locked", False, "launch")
    assert photo.gate is None


def test_a_participants_timeline_carries_each_gates_latest_review(wp):
    program(wp)
    wp.json("review", "p1", "intake", "--decision", "hold", "--at", "2026-09-14T15:00Z")
    wp.json("review", "p1", "intake", "--decision", "go", "--note", "Forms on the way",
            "--at", "2026-09-15T15:00Z")
    with open_store(wp.db).session() as session:
        intake = person_timeline(session, "p1", NOW).gates[0]
    assert intake.review is not None
    assert (intake.review.decision, intake.review.note) == ("go", "Forms on the way")


def test_a_cohorts_timeline_aggregates_its_members_and_sub_cohorts(wp):
    program(wp)
    wp.json("review", "p1", "intake", "--decision", "hold", "--at", "2026-09-14T15:00Z")
    wp.json("review", "p1", "intake", "--decision", "go", "--at", "2026-09-15T15:00Z")
    wp.json("review", "p2", "intake", "--decision", "stop", "--at", "2026-09-15T16:00Z")
    with open_store(wp.db).session() as session:
        timeline = cohort_timeline(session, "onboarding", NOW)
    assert timeline.members == 2
    gates = {g.key: g for g in timeline.gates}
    assert gates["intake"].counts == {"not_started": 0, "active": 1, "complete": 1}
    assert gates["launch"].counts == {"not_started": 1, "active": 1, "complete": 0}
    assert gates["intake"].decisions == {"go": 1, "stop": 1}  # each member's latest only
    assert (gates["intake"].start, gates["intake"].end) == (date(2026, 9, 1), TODAY)
    marks = {m.key: m for m in timeline.milestones}
    assert (marks["welcome"].holders, marks["welcome"].done) == (2, 2)
    assert marks["welcome"].share_complete == 1.0
    assert marks["welcome"].completed == date(2026, 9, 8)  # the latest completion
    assert (marks["forms"].done, marks["forms"].past_due_count) == (1, 1)
    assert marks["forms"].past_due
    assert (marks["plan"].done, marks["plan"].past_due_count) == (0, 0)
    assert marks["photo"].holders == 1  # only the fall cohort has it


def test_a_cohorts_timeline_costs_the_same_queries_whatever_its_size(wp):
    program(wp, extra_people=12)
    store = open_store(wp.db)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    with store.session() as session:
        cohort_timeline(session, "fall", NOW)  # one member
        small = len(statements)
        statements.clear()
        timeline = cohort_timeline(session, "onboarding", NOW)  # fourteen members
    assert timeline.members == 14
    assert len(statements) == small <= 10


def test_an_unknown_participant_or_cohort_is_refused_in_words(wp):
    program(wp)
    with open_store(wp.db).session() as session, pytest.raises(Exception, match="nobody"):
        person_timeline(session, "nobody", NOW)
    with open_store(wp.db).session() as session, pytest.raises(Exception, match="no cohort"):
        cohort_timeline(session, "nowhere", NOW)


# -- the view -------------------------------------------------------------------------------


@pytest.fixture
def timeline_on(wp: Any, qtbot: Any) -> Iterator[Callable[..., TimelineView]]:
    workers: list[DbWorker] = []

    def open_as(user: str = MANAGER) -> TimelineView:
        worker = DbWorker(open_store(wp.db))
        workers.append(worker)
        view = TimelineView(worker, user, clock=lambda: NOW)
        qtbot.addWidget(view)
        view.resize(1100, 600)
        view.show()
        return view

    yield open_as
    for worker in workers:
        worker.stop()
        worker.store.close()


def shown(qtbot: Any, view: TimelineView, show: Callable[[], None]) -> None:
    with qtbot.waitSignal(view.sig_timeline_loaded, timeout=10_000):
        show()


def band(view: TimelineView, key: str) -> GateBand:
    return next(b for b in view.canvas.bands if b.gate.key == key)


def test_a_participants_timeline_shows_each_gate_as_a_band_with_its_status(wp, qtbot,
                                                                           timeline_on):
    program(wp)
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_person("p1"))
    assert view.title.text() == "Ana Diaz"
    assert "Fall 2026" in view.subtitle.text()
    bands = view.canvas.bands
    assert [(b.gate.key, b.status) for b in bands] == [("intake", "active"),
                                                       ("launch", "not_started")]
    assert [b.label.text() for b in bands if b.label] == ["Intake — Active",
                                                          "Launch — Not started"]
    canvas = view.canvas
    intake = band(view, "intake").rect()
    assert intake.left() == pytest.approx(canvas.x_of(date(2026, 9, 1)) - canvas.ppd / 2)
    assert intake.right() == pytest.approx(canvas.x_of(TODAY) + canvas.ppd / 2)
    assert "Intake" in canvas.accessibleDescription()
    assert "1 milestone past due" in view.status.text()


def test_milestones_appear_at_their_due_and_completion_dates_past_due_ones_highlighted(
        wp, qtbot, timeline_on):
    program(wp)
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_person("p1"))
    canvas = view.canvas
    markers = {(m.mark.key, m.kind): m for m in canvas.markers}
    due, done = markers[("welcome", "due")], markers[("welcome", "done")]
    assert due.centre.x() == pytest.approx(canvas.x_of(date(2026, 9, 5)))
    assert done.centre.x() == pytest.approx(canvas.x_of(date(2026, 9, 8)))
    assert not due.past_due
    late = markers[("forms", "due")]
    assert late.past_due and late.centre.x() == pytest.approx(canvas.x_of(date(2026, 9, 12)))
    assert late.brush().color() == canvas.colours.late
    assert due.brush().color() != canvas.colours.late
    assert ("forms", "done") not in markers
    assert not markers[("plan", "due")].past_due
    assert "past due" in late.toolTip() and "Orientation forms" in late.toolTip()


def test_todays_line_is_drawn_at_today(wp, qtbot, timeline_on):
    program(wp)
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_person("p1"))
    line = view.canvas.today_line
    assert line is not None
    assert line.line().x1() == line.line().x2() == pytest.approx(view.canvas.x_of(TODAY))
    assert line.line().y2() > band(view, "launch").rect().bottom()


def test_zooming_in_widens_the_time_axis(wp, qtbot, timeline_on):
    program(wp)
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_person("p1"))
    canvas = view.canvas
    fitted = canvas.axis_width()
    assert fitted <= canvas.viewport().width()  # fitted: the whole span in view
    view.zoom_in.click()
    by_button = canvas.axis_width()
    assert by_button > fitted
    qtbot.keyClick(canvas, Qt.Key.Key_Plus)
    by_key = canvas.axis_width()
    assert by_key > by_button
    middle = QPointF(canvas.viewport().width() / 2, 100)
    wheel = QWheelEvent(middle, canvas.viewport().mapToGlobal(middle), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    canvas.wheelEvent(wheel)
    assert canvas.axis_width() > by_key
    assert canvas.horizontalScrollBar().maximum() > 0  # wider than the view: it scrolls
    # The markers moved with the axis: still on their dates.
    due = next(m for m in canvas.markers if (m.mark.key, m.kind) == ("welcome", "due"))
    assert due.centre.x() == pytest.approx(canvas.x_of(date(2026, 9, 5)))
    qtbot.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.axis_width() < by_key * 1.25 ** 2
    view.fit.click()
    assert canvas.axis_width() == pytest.approx(fitted)


def test_recording_a_go_review_from_the_timeline_stores_it_and_shows_it_on_the_band(
        wp, qtbot, timeline_on):
    program(wp)
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_person("p1"))
    assert not view.review.isEnabled()  # nothing chosen yet
    view.canvas.setFocus()
    qtbot.keyClick(view.canvas, Qt.Key.Key_Down)  # the first gate
    assert view.canvas.selected_band() is band(view, "intake")
    assert view.review.isEnabled()
    view.review.click()
    dialog = view.review_dialog
    assert dialog is not None and dialog.isVisible()
    # The readiness checklist: the gate's milestones and their states.
    rows = [(dialog.checklist.row(r).title, dialog.checklist.index(r, 1).data())
            for r in range(dialog.checklist.rowCount())]
    assert rows == [("Welcome call", "Complete"), ("Orientation forms", "Open")]
    assert not dialog.record.isEnabled()  # no decision yet
    dialog.choose("go")
    dialog.note.setPlainText("Forms promised by Friday")
    with qtbot.waitSignal(view.changed, timeout=10_000) as changed:
        dialog.record.click()
    result = changed.args[0]
    assert isinstance(result, Result) and result.ok and "gates" in result.flags
    qtbot.waitUntil(lambda: view.review_dialog is None, timeout=5_000)  # closed
    qtbot.waitUntil(lambda: "Go" in (band(view, "intake").label.text()), timeout=10_000)
    assert band(view, "intake").isSelected()  # the refresh kept the choice
    assert "Forms promised by Friday" in band(view, "intake").toolTip()
    with open_store(wp.db).session() as session:
        review = session.scalars(select(GateReview).join(Person).where(
            Person.external_id == "p1")).one()
    assert (review.decision, review.note, review.actor) == ("go", "Forms promised by Friday",
                                                            MANAGER)
    assert [item["milestone"] for item in review.checklist] == ["welcome", "forms"]


def test_the_review_checklist_passes_the_model_tester(wp, qtbot, qtmodeltester, timeline_on):
    program(wp)
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_person("p1"))
    view.canvas.select_gate("intake")
    view.record_review()
    assert view.review_dialog is not None
    qtmodeltester.check(view.review_dialog.checklist)


def test_a_review_refused_says_why_in_the_dialog_and_keeps_what_was_typed(wp, qtbot,
                                                                         timeline_on):
    program(wp)
    view = timeline_on(TRAINER)
    shown(qtbot, view, lambda: view.show_person("p1"))
    view.canvas.select_gate("intake")
    qtbot.keyClick(view.canvas, Qt.Key.Key_Return)  # Enter records the selected gate
    dialog = view.review_dialog
    assert dialog is not None
    dialog.choose("stop")
    dialog.note.setPlainText("Not ready")
    dialog.record.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "Only manager" in dialog.error.text()
    assert dialog.isVisible() and dialog.note.toPlainText() == "Not ready"
    assert dialog.record.isEnabled()  # may try again
    dialog.reject()


def test_a_cohorts_timeline_aggregates_its_members(wp, qtbot, timeline_on):
    program(wp)
    wp.json("review", "p2", "intake", "--decision", "go", "--at", "2026-09-15T15:00Z")
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_cohort("onboarding"))
    assert view.title.text() == "New Student Onboarding"
    assert view.subtitle.text() == "2 members"
    labels = {b.gate.key: b.label.text() for b in view.canvas.bands if b.label}
    assert labels["intake"] == "Intake — 1 complete, 1 active · 1 go"
    assert labels["launch"] == "Launch — 1 active, 1 not started"
    assert band(view, "intake").status == "active"
    forms = next(m for m in view.canvas.markers if (m.mark.key, m.kind) == ("forms", "due"))
    assert forms.past_due  # one of its holders is past due
    assert "1 of 2 complete (50%), 1 past due" in forms.toolTip()
    view.canvas.select_gate("intake")
    assert not view.review.isEnabled()  # reviews are per participant
    assert "across 2 members" in view.status.text()


def test_a_late_answer_for_an_earlier_choice_is_not_drawn(wp, qtbot, timeline_on):
    program(wp)
    view = timeline_on()
    view.show_person("p1")
    shown(qtbot, view, lambda: view.show_person("p2"))
    qtbot.wait(50)
    assert view.title.text() == "Ben Cho"


def test_a_change_elsewhere_refreshes_the_timeline_only_if_it_touches_it(wp, qtbot,
                                                                        timeline_on):
    program(wp)
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_person("p1"))
    with qtbot.assertNotEmitted(view.sig_timeline_loaded, wait=200):
        view.on_change(Result(ok=True, flags=frozenset({"outbox"})))
    wp.json("complete", "p1", "forms", "--at", "2026-09-19T15:00Z")
    with qtbot.waitSignal(view.sig_timeline_loaded, timeout=10_000):
        view.on_change(Result(ok=True, flags=frozenset({"progress"})))
    assert band(view, "intake").status == "complete"


def test_a_participant_who_is_unknown_is_said_so(wp, qtbot, timeline_on):
    program(wp)
    view = timeline_on()
    view.show_person("nobody")
    qtbot.waitUntil(lambda: "nobody" in view.canvas.message, timeout=10_000)
    assert view.canvas.bands == [] and not view.review.isEnabled()


def test_switching_to_the_dark_theme_draws_again_in_its_colours(wp, qtbot, timeline_on):
    program(wp)
    view = timeline_on()
    shown(qtbot, view, lambda: view.show_person("p1"))
    light = view.canvas.colours.base
    view.canvas.setPalette(theme.dark_palette())
    assert view.canvas.colours.base != light
    assert view.canvas.colours.base.lightness() < 128
    late = next(m for m in view.canvas.markers if m.past_due)
    assert late.brush().color() == view.canvas.colours.late


def _preview() -> None:  # pragma: no cover - a look at it on demo data, by hand
    import subprocess
    import sys
    import tempfile

    from PySide6.QtWidgets import QApplication
    from sqlalchemy import case, func

    from app.models import Progress

    folder = Path(tempfile.mkdtemp())
    db = str(folder / "demo.sqlite3")
    tool = [sys.executable, "-m", "app", "--db", db]
    subprocess.run([*tool, "init", "--user", "coord@example.edu", "--name", "C"], check=True)
    subprocess.run([*tool, "demo", "--size", "S"], check=True)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    if "--dark" in sys.argv:
        app.setPalette(theme.dark_palette())
    worker = DbWorker(open_store(db))
    view = TimelineView(worker, "coord@example.edu")
    view.resize(1300, 760)
    view.show()
    with worker.store.session() as session:  # someone with something under way and late
        late = func.count(case((Progress.state.not_in(("complete", "skipped")), 1)))
        person = session.scalars(
            select(Person.external_id).join(Progress, Progress.person_id == Person.id)
            .where(Progress.due_on < datetime.now(UTC).date())
            .group_by(Person.id).order_by(late.desc(), Person.name)).first()
    for name, show in (("person", lambda: view.show_person(str(person))),
                       ("cohort", lambda: view.show_cohort("fall-2026"))):
        loaded: list[Any] = []
        view.sig_timeline_loaded.connect(loaded.append)
        show()
        while not loaded:
            app.processEvents()
        view.sig_timeline_loaded.disconnect(loaded.append)
        app.processEvents()
        view.grab().save(f"/tmp/timeline_{name}.png")
        print(f"/tmp/timeline_{name}.png")
    worker.stop()
    view.close()
    view.deleteLater()
    app.processEvents()


if __name__ == "__main__":
    _preview()
