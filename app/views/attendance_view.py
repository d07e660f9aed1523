"""Attendance for trainers: pick a session (today's first), check people in and out of its
roster with one large toggle each, add walk-ins, record no-shows, print or read back a paper
sign-in sheet, and turn the laptop into a self check-in kiosk where the session allows it.

Everything reads and writes the local store through the serial database worker, so it works
the same with or without a network. Keys: Ctrl+F search, Space/Enter toggle the current row,
Enter in the search box checks in the only match, Ctrl+N walk-in, Ctrl+Shift+N no-show,
Ctrl+K self check-in (Ctrl+Shift+K back), Ctrl+P print the sheet, Ctrl+Shift+I import marks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.clock import utcnow
from app.services.queries.attendance import SessionPicks, pick_sessions
from app.services.queries.sessions_view import SessionLine
from app.services.signin_sheet import Roster
from app.services.signin_sheet import roster as read_roster
from app.services.write import Result
from app.views import attendance_jobs as jobs
from app.views.attendance_delegate import SessionDelegate
from app.views.attendance_kiosk import KioskPanel
from app.views.attendance_roster import RosterPanel
from app.views.attendance_time import ask_time
from app.views.models.attendance import (
    LEFT,
    OUT,
    SessionsModel,
    day_label,
    span_text,
)
from app.views.walk_in_dialog import WalkInDialog
from app.views.worker import DbWorker

EMPTY, ROSTER, KIOSK = range(3)


class AttendanceView(QWidget):
    changed = Signal(object)
    """A command of this view succeeded: its Result, for the other views to refresh."""

    RELEVANT = frozenset({"sessions", "people", "definitions"})

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None, *,
                 now: Callable[[], datetime] = utcnow) -> None:
        super().__init__(parent)
        self.worker, self.user, self._now = worker, user, now
        self.picks: SessionPicks | None = None
        self.line: SessionLine | None = None
        self.walk_in_dialog: WalkInDialog | None = None
        self._asked = 0
        self._mine: set[uuid.UUID] = set()
        self._build()

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        self.sessions_model = SessionsModel(self)
        self.sessions = QListView()
        self.sessions.setModel(self.sessions_model)
        self.sessions.setAccessibleName("Sessions: today's first, then upcoming, then past")
        self.sessions.setUniformItemSizes(False)
        self.sessions.setResizeMode(QListView.ResizeMode.Adjust)
        self.sessions.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sessions.setItemDelegate(SessionDelegate(self.sessions))
        self.sessions.selectionModel().currentChanged.connect(self._session_chosen)
        self.roster = RosterPanel()
        self.roster.sig_toggle_requested.connect(self.toggle)
        self.model = self.roster.model
        self._build_actions()
        self.kiosk = KioskPanel()
        self.kiosk.sig_check_in_requested.connect(self.self_check_in)
        self.kiosk.sig_leave_requested.connect(self.leave_kiosk)
        self.empty = QLabel("No sessions yet. Sessions come from the program file or the "
                            "`schedule` command.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        for page in (self.empty, self.roster, self.kiosk):
            self.stack.addWidget(page)
        self.left = left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(4, 4, 0, 0)
        heading = QLabel("&Sessions")
        heading.setBuddy(self.sessions)
        column.addWidget(heading)
        column.addWidget(self.sessions)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setSizes([300, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    def _action(self, text: str, shortcut: str | None, slot: Callable[[], Any],
                tip: str) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _button(self, action: QAction, name: str) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setAccessibleName(name)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    def _build_actions(self) -> None:
        self._action("Find", "Ctrl+F", self._focus_search, "Search the roster")
        self.walk_in_action = self._action("Add &walk-in…", "Ctrl+N", self.add_walk_in,
                                           "Find anyone in the store and check them in")
        self.no_show_action = self._action("Mark &no-show", "Ctrl+Shift+N", self.mark_no_show,
                                           "Record that the selected person did not come")
        self.kiosk_action = self._action("Self check-&in", "Ctrl+K", self.enter_kiosk,
                                         "Let participants check themselves in")
        self.print_action = self._action("&Print sign-in sheet…", "Ctrl+P", self.print_sheet,
                                         "Write the paper sign-in sheet to PDF")
        self.print_day_action = self._action("Print this &day's sheet…", None,
                                             partial(self.print_sheet, True),
                                             "Write the sign-in sheet of the chosen day")
        self.import_action = self._action("&Import marked sheet…", "Ctrl+Shift+I",
                                          self.import_marks,
                                          "Read back a marked sheet (CSV or XLSX)")
        sheet = QPushButton("Sign-in s&heet")
        sheet.setAccessibleName("Sign-in sheet: print or import")
        menu = QMenu(sheet)
        menu.addActions([self.print_action, self.print_day_action, self.import_action])
        sheet.setMenu(menu)
        controls = self.roster.controls
        controls.addWidget(self._button(self.walk_in_action, "Add a walk-in"))
        controls.addWidget(self._button(self.no_show_action, "Mark the selected as no-show"))
        controls.addWidget(self._button(self.kiosk_action, "Start self check-in"))
        controls.addWidget(sheet)

    # -- reading --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the sessions (their counts) and the roster shown."""
        at = self._now()

        def job(store: Store) -> SessionPicks:
            with store.session() as session:
                return pick_sessions(session, at)

        self.worker.submit(job, self._picked)

    def on_changed(self, result: Result) -> None:
        """Another view's command: reload only if it touched sessions or people."""
        if result.op_id not in self._mine and self.RELEVANT & set(result.flags):
            self.refresh()

    def _picked(self, picks: SessionPicks | None, error: BaseException | None) -> None:
        if error is not None or picks is None:
            self._say(f"The sessions could not be read: {error}", False)
            return
        self.picks = picks
        self.sessions_model.set_picks(picks)
        current = self.sessions.currentIndex()
        key = self.line.key if self.line else None
        row = self.sessions_model.row_of(key) if key else -1
        if row < 0:
            row = self.sessions_model.first_session_row()
        if row < 0:
            self.line = None
            self.stack.setCurrentIndex(EMPTY)
            return
        if current.isValid() and current.row() == row:
            self.line = self.sessions_model.session_at(row)
            self._load_roster()
        else:
            self.sessions.setCurrentIndex(self.sessions_model.index(row))

    def _session_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        line = self.sessions_model.session_at(current.row()) if current.isValid() else None
        if line is None:
            return
        if self.line is None or line.key != self.line.key:
            self.roster.search.clear()
            if self.stack.currentIndex() == KIOSK:
                self.leave_kiosk()
        self.line = line
        self._load_roster()

    def _load_roster(self) -> None:
        assert self.line is not None
        key = self.line.key
        self._asked += 1
        asked = self._asked

        def job(store: Store) -> Roster:
            with store.session() as session:
                return read_roster(session, key)

        def done(found: Roster | None, error: BaseException | None) -> None:
            if asked != self._asked:
                return  # another session was chosen since
            if error is not None or found is None:
                self._say(f"The roster could not be read: {error}", False)
                return
            self._show_roster(found)

        self.worker.submit(job, done)

    def _show_roster(self, r: Roster) -> None:
        line = self.line
        assert line is not None
        self.roster.show_roster(r, line, self.today(r))
        self.print_day_action.setVisible(len(r.days) > 1)
        self.kiosk_action.setEnabled(line.marking == "self")
        self.kiosk_action.setToolTip(
            "Let participants check themselves in (Ctrl+K)" if line.marking == "self" else
            "This session is marked by staff: participants do not check themselves in.")
        if self.stack.currentIndex() == EMPTY:
            self.stack.setCurrentIndex(ROSTER)

    def today(self, r: Roster | None = None) -> date:
        """Today in the program's zone (the roster carries it)."""
        r = r or self.model.roster
        now = self._now()
        return now.astimezone(r.zone).date() if r is not None else now.date()

    def _focus_search(self) -> None:
        if self.stack.currentIndex() == ROSTER:
            self.roster.focus_search()

    # -- checking in and out --------------------------------------------------------------

    def toggle(self, person: str | None) -> None:
        """Check the person in (not in yet) or out (in): the time is now, or, for another
        day of the session than today, the time the trainer gives."""
        number = self.model.row_of(person) if person else -1
        if number < 0 or self.model.day is None:
            return
        row = self.model.row(number)
        if self.model.is_pending(row.person):
            return  # being saved
        if row.state == LEFT:
            self._say(f"{row.name} left at {self.model.clock(row.leave)}; that is recorded.",
                      None)
            return
        kind = jobs.CHECK_IN if row.state == OUT else jobs.CHECK_OUT
        when = self._time_for(kind, row.name)
        if when is not None:
            self._mark(row.person, kind, when)

    def _time_for(self, kind: str, name: str) -> datetime | None:
        day, r, line = self.model.day, self.model.roster, self.line
        assert day is not None and r is not None and line is not None
        now = self._now()
        today = self.today()
        if day == today:
            return now
        if day > today:
            self._say(f"{day_label(day)} has not come yet: check people in on the day.", False)
            return None
        default = datetime.combine(
            day, (line.start if kind == jobs.CHECK_IN else line.end).time(), tzinfo=r.zone)
        verb = "arrived" if kind == jobs.CHECK_IN else "left"
        return ask_time(self, f"When {name} {verb}",
                        f"{day_label(day)} is not today. At what time (in {r.zone.key}) "
                        f"did {name} {'arrive' if kind == jobs.CHECK_IN else 'leave'}?",
                        default)

    def _mark(self, person: str, kind: str, when: datetime) -> None:
        """Marks go to the session whose roster is on screen (`model.roster`), which may
        still be the previous one for a moment after another session is picked."""
        r = self.model.roster
        assert r is not None and self.model.day is not None
        self.model.set_pending(person, True)
        job = partial(jobs.mark, key=r.key, person=person, day=self.model.day,
                      kind=kind, when=when, at=self._now(), by=self.user, zone=r.zone)
        self.worker.submit(job, partial(self._finished, person))

    def _finished(self, person: str | None, outcome: jobs.Outcome | None,
                  error: BaseException | None) -> None:
        if person:
            self.model.set_pending(person, False)
        if error is not None or outcome is None:
            self._say(f"That did not work: {error}", False)
            return
        self._say(outcome.message, outcome.ok)
        result = outcome.result
        if result is not None and result.ok:
            if result.op_id is not None:
                self._mine.add(result.op_id)
            self.changed.emit(result)
            self.refresh()

    def _say(self, text: str, ok: bool | None) -> None:
        self.roster.say(text, ok)

    # -- walk-ins and no-shows ------------------------------------------------------------

    def add_walk_in(self) -> None:
        if self.line is None or self.stack.currentIndex() != ROSTER:
            return
        dialog = WalkInDialog(self.worker, self.line.title, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._walk_in_chosen(dialog.chosen))
        dialog.finished.connect(lambda _code: setattr(self, "walk_in_dialog", None))
        self.walk_in_dialog = dialog
        dialog.open()

    def _walk_in_chosen(self, hit: Any) -> None:
        if hit is None:
            return
        number = self.model.row_of(hit.person)
        if number >= 0 and self.model.row(number).state != OUT:
            self._say(self.model.spoken(self.model.row(number)) + ".", None)
            return
        when = self._time_for(jobs.CHECK_IN, hit.name)
        if when is not None:
            self._mark(hit.person, jobs.CHECK_IN, when)

    def mark_no_show(self) -> None:
        person, r = self.roster.current_person(), self.model.roster
        if person is None or self.line is None or r is None:
            self._say("Choose the person who did not come first.", None)
            return
        line = next(x for x in r.lines if x.person == person)
        if any(v.join for v in line.visits.values()):
            self._say(f"{line.name} came, so they are not a no-show.", False)
            return
        if line.no_show:
            self._say(f"{line.name} is already recorded as a no-show.", None)
            return
        answer = QMessageBox.question(
            self, "Record a no-show?",
            f"Record that {line.name} did not come to {self.line.title}? Staff are alerted, "
            "and a milestone their registration completed opens again.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.model.set_pending(person, True)
        job = partial(jobs.no_show, key=r.key, person=person, at=self._now(),
                      by=self.user)
        self.worker.submit(job, partial(self._finished, person))

    # -- self check-in --------------------------------------------------------------------

    def enter_kiosk(self) -> bool:
        """Only for sessions marked by participants; staff-marked ones stay with staff."""
        line = self.line
        if line is None:
            return False
        if line.marking != "self":
            self._say(f"{line.title} is marked by staff: participants do not check "
                      "themselves in.", False)
            return False
        self.left.hide()  # the room sees the kiosk only: no other session, no roster
        self._staff_actions(False)
        self.stack.setCurrentIndex(KIOSK)
        self.kiosk.open_for(line.title, span_text(line))
        return True

    def leave_kiosk(self) -> None:
        self.kiosk.reset()
        self.left.show()
        self._staff_actions(True)
        self.stack.setCurrentIndex(ROSTER if self.line is not None else EMPTY)
        self.roster.table.setFocus()

    def _staff_actions(self, enabled: bool) -> None:
        """Off while the room uses the kiosk, so nobody at the door can open the roster's
        actions by their shortcuts."""
        for action in (self.walk_in_action, self.no_show_action, self.print_action,
                       self.print_day_action, self.import_action):
            action.setEnabled(enabled)

    def self_check_in(self, ref: str) -> None:
        """The participant who typed `ref` checks in as themselves, today, now."""
        r, line = self.model.roster, self.line
        if r is None or line is None:
            return
        now = self._now()
        job = partial(jobs.mark, key=r.key, person=ref.strip(), day=self.today(),
                      kind=jobs.CHECK_IN, when=now, at=now, by=ref.strip(), zone=r.zone,
                      self_marking=True)

        def done(outcome: jobs.Outcome | None, error: BaseException | None) -> None:
            self._finished(None, outcome, error)
            ok = outcome is not None and outcome.ok
            self.kiosk.answered(outcome.message if outcome else f"Something went wrong: "
                                f"{error}", ok)

        self.worker.submit(job, done)

    # -- the paper sheet ------------------------------------------------------------------

    def print_sheet(self, this_day: bool = False) -> None:
        r = self.model.roster
        if r is None:
            return
        day = self.model.day if this_day else None
        suffix = f"-{day.isoformat()}" if day else ""
        path, _ = QFileDialog.getSaveFileName(
            self, "Print the sign-in sheet", f"{r.key}-sign-in{suffix}.pdf", "PDF (*.pdf)")
        if not path:
            return
        target = Path(path).with_suffix(".pdf")
        job = partial(jobs.print_sheet, key=r.key, path=target,
                      days=[day] if day else None)
        self.worker.submit(job, partial(self._finished, None))

    def import_marks(self) -> None:
        r = self.model.roster
        if r is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import a marked sign-in sheet", "",
                                              "Marked sheets (*.csv *.xlsx)")
        if not path:
            return
        job = partial(jobs.import_marks, key=r.key, path=Path(path), at=self._now(),
                      by=self.user)

        def done(outcome: jobs.Outcome | None, error: BaseException | None) -> None:
            self._finished(None, outcome, error)
            if outcome is not None and not outcome.ok:
                QMessageBox.warning(self, "The sheet was not imported", outcome.message)

        self.worker.submit(job, done)
