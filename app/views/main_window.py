"""The main window: the cohort tree on the left, the views in the middle (participants, board,
inbox, timeline, attendance), alerts and the outbox below, and a status bar saying what the
scheduler, the mail and the database worker are doing.

Every read and command goes through one serial worker off the UI thread; a view that acts
announces the result, and the window refreshes only the views the change concerns. The worker
reads as the app's user: milestones restricted to roles they lack are left out of every view
(app/services/access.py), and what their roles do not allow (exporting) is offered disabled,
saying why. Sync and sending mail work on the whole store.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QSystemTrayIcon,
    QTabWidget,
    QWidget,
)
from sqlalchemy import func, select

from app.models import Person
from app.models.store import Store, open_store
from app.services.activity_files import with_activity_files
from app.services.clock import utcnow
from app.services.commands import ApplyProgram, ImportPeople, SetupProfile
from app.services.delivery import SendReport
from app.services.demo import GenerateDemo
from app.services.importer import ImportInvalid, read_people
from app.services.profile_store import default_db, default_user
from app.services.programs import ProgramInvalid, parse_program
from app.services.programs.export import existing_keys
from app.services.settings import PROGRAM_NAME, USER, get_setting
from app.services.write import SYSTEM, Result, execute
from app.views import theme
from app.views.alerts_panel import AlertsPanel
from app.views.attendance_view import AttendanceView
from app.views.audit_panel import AuditPanel
from app.views.board_view import BoardView
from app.views.cohort_tree import CohortTreePanel
from app.views.conflicts_panel import ConflictsPanel
from app.views.first_start import ProfileDialog
from app.views.inbox_view import InboxView
from app.views.inbox_window import InboxWindow
from app.views.main_allowing import AllowedActions
from app.views.main_reading import ReadingViews, mail_waiting
from app.views.main_syncing import SyncActions
from app.views.outbox_panel import OutboxPanel
from app.views.people_panel import PeoplePanel
from app.views.permissions import Allowed
from app.views.program_editor import ProgramPanel
from app.views.reports_view import ReportsView
from app.views.scheduler_clock import SchedulerClock
from app.views.sync_panel import SyncClock, SyncStatusButton
from app.views.timeline_view import TimelineView
from app.views.worker import DbWorker

ICON = Path(__file__).resolve().parents[2] / "resources" / "icons" / "waypoint.svg"

class MainWindow(ReadingViews, SyncActions, AllowedActions, QMainWindow):
    def __init__(self, store: Store, *, run_scheduler: bool = True) -> None:
        super().__init__()
        self.store = store
        self._chosen = 0  # cohorts chosen in the tree so far: a later choice drops an earlier
        # Changes reach the database file on a thread of their own, after each command
        # (Store.checkpoint), so that no command waits for it; one at a time, in order.
        self._checkpoints = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint")
        with store.session() as session:  # two settings, before the first paint
            self.user = get_setting(session, USER) or ""
            self.program = get_setting(session, PROGRAM_NAME) or "No program yet"
        self.worker = DbWorker(store.as_reader(self.user), self)  # the views see what they may
        self.allowed = Allowed()  # until read on the worker (the first job it runs)
        self._mail_configured = True  # as the last send found the mail server
        self.resize(1320, 800)
        self.setWindowTitle(f"Waypoint — {self.program}")
        self.tree = CohortTreePanel(self.worker)
        self.tree.chosen.connect(self._cohort_chosen)
        self.people = PeoplePanel(self.worker)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Views")
        self.tabs.addTab(self.people, "&Participants")
        self.people.person_chosen.connect(self._person_chosen)
        self.alerts = AlertsPanel(self.worker, self.user)
        self.alerts.changed.connect(self.on_changed)
        self.alerts.new_alerts.connect(self._notify)
        self.outbox = OutboxPanel(self.worker, self.user)
        self.scheduler = SchedulerClock(self.worker, self.user, store=store, parent=self)
        self.scheduler.ticked.connect(self.on_changed)
        self.scheduler.mail_report.connect(self._mail_reported)
        self.conflicts = ConflictsPanel(self.worker, self.user)
        self.audit = AuditPanel(self.worker, self.user)
        self.conflicts.outbox_changed.connect(self._outbox_changed)
        self.network = DbWorker(store, self, name="waypoint-sync")  # the whole store
        self.sync_clock = SyncClock(self.worker, self.user, network=self.network, parent=self)
        self.sync_clock.synced.connect(self._synced)
        self.sync_clock.new_conflicts.connect(self._new_conflicts)
        self._sync_asked = False  # the next sync's outcome goes to the status bar
        self.board = BoardView(self.worker, self.user)
        self.add_view(self.board, "&Board")
        self.inbox = InboxView(self.worker, self.user)
        self.inbox.sig_count_changed.connect(self._inbox_counted)
        self.add_view(self.inbox, "&Inbox")
        self.timeline = TimelineView(self.worker, self.user)
        self.add_view(self.timeline, "Time&line")
        self.attendance = AttendanceView(self.worker, self.user)
        self.add_view(self.attendance, "&Attendance")
        self.program_panel = ProgramPanel(self.worker, self.user)
        self.add_view(self.program_panel, "P&rogram")
        self.reports = ReportsView(self.worker, self.user)
        self.add_view(self.reports, "Rep&orts")  # Alt+R is the program's
        self._build_layout()
        self._build_status()
        self._build_menu()
        self._restore_layout()
        self.refresh()
        if run_scheduler:
            self.scheduler.start()
            self.sync_clock.start()

    # -- layout ---------------------------------------------------------------------------

    def _build_layout(self) -> None:
        split = QSplitter()
        split.addWidget(self.tree)
        split.addWidget(self.tabs)
        split.setSizes([280, 1040])
        split.setStretchFactor(1, 1)
        self.setCentralWidget(split)
        self.docks: dict[str, QDockWidget] = {}
        for key, title, widget in (("alerts", "Alerts", self.alerts),
                                   ("outbox", "Outbox", self.outbox),
                                   ("conflicts", "Conflicts", self.conflicts),
                                   ("audit", "Audit trail", self.audit)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{key}")
            dock.setWidget(widget)
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            self.docks[key] = dock
        self.tabifyDockWidget(self.docks["alerts"], self.docks["outbox"])
        self.tabifyDockWidget(self.docks["outbox"], self.docks["conflicts"])
        self.tabifyDockWidget(self.docks["conflicts"], self.docks["audit"])
        self.docks["audit"].visibilityChanged.connect(
            lambda shown: shown and self.audit.refresh())  # read when looked at
        self.docks["alerts"].raise_()

    def _build_status(self) -> None:
        bar = self.statusBar()
        self.where = QLabel(f"{self.store.path} · {self.user}")
        self.scheduler_state = QLabel("Scheduler: not run yet")
        self.scheduler.status_changed.connect(self.scheduler_state.setText)
        self.mail_state = QLabel("Mail: —")
        self.sync_state = SyncStatusButton(self.sync_clock)
        self.sync_state.conflicts_wanted.connect(self.show_conflicts)
        self.sync_state.sign_in_wanted.connect(self.sign_in)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setAccessibleName("Working")
        self.busy.hide()
        self.worker.busy_changed.connect(self.busy.setVisible)
        bar.addWidget(self.where, 1)
        for widget in (self.scheduler_state, self.mail_state, self.sync_state, self.busy):
            bar.addPermanentWidget(widget)

    def _build_menu(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        file.setToolTipsVisible(True)  # a disabled export says why
        self._actions(file, (
            ("&Apply program file…", "Ctrl+Shift+A", self.apply_program),
            ("&Export program file…", "Ctrl+E", self.export_program),
            ("&Import participants…", "Ctrl+I", self.import_people),
            ("Fill with &demo data…", None, self.offer_demo),
            (None, None, None),
            ("Sign in to a &server…", None, self.sign_in),
            ("Sign &out of the server", None, self.sign_out),
            (None, None, None),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ))
        self.export_action = next(a for a in file.actions()
                                  if a.text() == "&Export program file…")
        edit = menus.addMenu("&Edit")  # what the domain can undo: the board's actions
        edit.addAction(self.board.undo_action)
        edit.addAction(self.board.redo_action)
        view = menus.addMenu("&View")
        self._actions(view, (
            ("&Refresh", QKeySequence.StandardKey.Refresh, self.refresh),
            (None, None, None),
        ))
        self.view_menu = view
        for number in range(self.tabs.count()):
            self._tab_action(number)
        view.addSeparator()
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        themes = view.addMenu("&Theme")
        group = QActionGroup(self)
        for choice in theme.CHOICES:
            action = QAction(choice.title(), self, checkable=True)
            action.setChecked(theme.chosen() == choice)
            action.triggered.connect(lambda _checked, c=choice: theme.choose(_app(), c))
            group.addAction(action)
            themes.addAction(action)
        self._actions(menus.addMenu("&Tools"), (
            ("Open the &inbox in its own window", "Ctrl+Shift+I", self.open_inbox_window),
            ("Run the &scheduler now", "Ctrl+Shift+T", self.scheduler.tick),
            ("S&ync now", "Ctrl+Shift+S", self.sync_now),
        ))

    def _tab_action(self, number: int) -> None:
        label = self.tabs.tabText(number).replace("&", "")
        action = QAction(f"&{label}", self)
        action.setShortcut(f"Ctrl+{number + 1}")
        action.triggered.connect(lambda: self.tabs.setCurrentIndex(number))
        self.view_menu.addAction(action)

    def _actions(self, menu: Any, entries: tuple[tuple[Any, Any, Any], ...]) -> None:
        for text, shortcut, slot in entries:
            if text is None:
                menu.addSeparator()
                continue
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            menu.addAction(action)

    def add_view(self, widget: QWidget, title: str) -> None:
        """A view in the middle, with its Ctrl+N shortcut; one that acts refreshes the rest."""
        number = self.tabs.addTab(widget, title)
        if hasattr(self, "view_menu"):
            self._tab_action(number)
        changed = getattr(widget, "changed", None)
        if changed is not None:
            changed.connect(self.on_changed)

    # -- layout remembered ------------------------------------------------------------------

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.tabs.setCurrentIndex(int(settings.value("window/tab", 0) or 0))

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/tab", self.tabs.currentIndex())
        self.scheduler.stop()
        self.sync_clock.stop()
        self.network.stop()  # a sync under way lands whole or not at all
        self.worker.stop()
        self._checkpoints.shutdown(wait=True)
        super().closeEvent(event)

    def open_inbox_window(self) -> None:
        """The approver's inbox on its own, to keep beside the main window or on a second
        screen; its decisions refresh this window too."""
        window = getattr(self, "inbox_window", None)
        if window is None:
            window = self.inbox_window = InboxWindow(self.worker, self.user)
            window.changed.connect(self.on_changed)
            window.view.refuse_saving(self.allowed.refusal("export", "Saving a copy of a file"))
        window.show()
        window.raise_()
        window.activateWindow()

    def _inbox_counted(self, count: int) -> None:
        number = self.tabs.indexOf(self.inbox)
        self.tabs.setTabText(number, f"&Inbox ({count})" if count else "&Inbox")

    def _mail_reported(self, report: SendReport) -> None:
        """After a send: the mail waiting counted as the outbox dock lists it (the user's view;
        the report counts the whole store's)."""
        if report.sent or report.failed or report.retry:
            self.outbox.refresh()
        self._mail_configured = report.configured
        self.worker.submit(mail_waiting, self._mail_counted)

    def _mail_counted(self, waiting: int | None, _error: BaseException | None) -> None:
        if waiting is None:
            return
        if not self._mail_configured:
            self.mail_state.setText(f"Mail: {waiting} waiting (no mail server set up)"
                                    if waiting else "Mail: no mail server set up")
        else:
            self.mail_state.setText(f"Mail: {waiting} waiting" if waiting else "Mail: all sent")

    def _notify(self, fresh: list[dict[str, Any]]) -> None:
        """New alerts: a desktop notification where the system has a tray."""
        if not QSystemTrayIcon.isSystemTrayAvailable():
            self.statusBar().showMessage(f"{len(fresh)} new alert(s): {fresh[0]['message']}",
                                         8000)
            return
        if not hasattr(self, "tray"):
            self.tray = QSystemTrayIcon(self.windowIcon(), self)
            self.tray.show()
        title = "New alert" if len(fresh) == 1 else f"{len(fresh)} new alerts"
        self.tray.showMessage(title, fresh[0]["message"])

    # -- acting -----------------------------------------------------------------------------

    def run_command(self, label: str, command: Any) -> None:
        def done(result: Result | None, error: BaseException | None) -> None:
            if error is not None:
                QMessageBox.critical(self, "Waypoint", f"{label} failed: {error}")
            elif result is not None and not result.ok:
                QMessageBox.warning(self, "Waypoint", result.error or "Refused.")
            elif result is not None:
                self.statusBar().showMessage(f"{label}: done.", 5000)
                self.on_changed(result)

        self.statusBar().showMessage(f"{label}…")
        self.worker.submit(lambda store: execute(store, command), done)

    def apply_program(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Apply a program file", "",
                                              "Program files (*.toml)")
        if path:
            self.apply_program_file(Path(path))

    def apply_program_file(self, path: Path) -> None:
        """Read and check the file on the worker (it needs the store's keys), then apply."""
        def prepare(store: Store) -> Any:
            with store.session() as session:
                keys = existing_keys(session)
            spec = parse_program(path.read_text(encoding="utf-8"), str(path), keys)
            return with_activity_files(spec, path, store)

        def prepared(spec: Any, error: BaseException | None) -> None:
            if isinstance(error, (OSError, ProgramInvalid)):
                QMessageBox.warning(self, "This program file cannot be applied", str(error))
            elif error is not None:
                QMessageBox.critical(self, "Waypoint", str(error))
            else:
                self.run_command("Applying the program",
                                 ApplyProgram(at=utcnow(), by=self.user, spec=spec,
                                              source=path.name))

        self.worker.submit(prepare, prepared)

    def import_people(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import participants", "",
                                              "Participants (*.csv *.xlsx)")
        if not path:
            return
        try:
            rows = read_people(Path(path))
        except ImportInvalid as invalid:
            QMessageBox.warning(self, "Nothing was imported", "\n".join(invalid.errors))
            return
        self.run_command("Importing participants", ImportPeople(
            at=utcnow(), by=self.user, rows=tuple(rows), source=Path(path).name))

    def is_empty(self) -> bool:
        with self.store.session() as session:
            return not session.scalar(select(func.count()).select_from(Person))

    def offer_demo(self) -> None:
        if not self.is_empty():
            QMessageBox.information(self, "Waypoint", "Demo data only fills an empty store.")
            return
        answer = QMessageBox.question(
            self, "Fill this store with demo data?",
            "This store is empty. Fill it with demo data (three programs: onboarding, a "
            "training plan and a hiring pipeline, with about 60 participants) to look around? "
            "Or choose No and import your own participants from the File menu.")
        if answer == QMessageBox.StandardButton.Yes:
            self.run_command("Generating demo data", GenerateDemo(at=utcnow(), size="S"))


def _app() -> QApplication:
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    return instance


def first_profile(store: Store, parent: QWidget | None = None) -> None:
    """A store without a user asks who this is; cancelling uses the login name."""
    with store.session() as session:
        if get_setting(session, USER):
            return
    email, name = default_user()
    dialog = ProfileDialog(name=name, email="" if email.endswith("@localhost") else email,
                           parent=parent)
    roles: tuple[str, ...] = ()
    if dialog.exec():
        email, name, roles = dialog.profile()
    result = execute(store, SetupProfile(at=utcnow(), by=SYSTEM, email=email, name=name,
                                         roles=roles))
    if not result.ok:
        raise RuntimeError(result.error)


def run(db: str | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Waypoint")
    app.setOrganizationName("Waypoint")
    app.setWindowIcon(QIcon(str(ICON)))  # an SVG: sharp at every scale
    theme.apply(app)
    theme.follow_system(app)
    path = Path(db).expanduser() if db else default_db()
    splash = QLabel(f"Opening {path.name}…")
    splash.setWindowFlags(Qt.WindowType.SplashScreen)
    splash.setMargin(24)
    splash.show()
    app.processEvents()
    store = open_store(path)  # migrations run here, behind the splash
    splash.close()
    first_profile(store)
    window = MainWindow(store)
    window.show()
    if window.is_empty():
        window.offer_demo()
    code = app.exec()
    store.close()
    return code
