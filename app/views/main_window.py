"""The coordinator's window: the cohort tree, a cohort's participants, one participant's
milestones; program files, imports and demo data from the File menu."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import func, select

from app.models import Person
from app.models.store import Store
from app.services.activity_files import with_activity_files, write_activity_files
from app.services.clock import utcnow
from app.services.commands import ApplyProgram, ImportPeople
from app.services.demo import GenerateDemo
from app.services.importer import ImportInvalid, read_people
from app.services.profile_store import default_db, open_profile_store
from app.services.programs import ProgramInvalid, dump_program, parse_program
from app.services.programs.export import existing_keys, export_spec
from app.services.queries.board import CohortRow, cohort_tree, participants, subtree
from app.services.queries.person_view import person_view
from app.services.settings import PROGRAM_NAME, USER, get_setting
from app.services.write import Result, execute
from app.views.tasks import Task, run_with_progress

STATE_LABELS = {"locked": "Locked", "open": "Open", "started": "Started",
                "submitted": "Submitted", "complete": "Complete", "denied": "Denied",
                "skipped": "Skipped"}
SCALE_LABELS = {"on_track": "On track", "behind": "Behind", "stuck": "Stuck"}


def _table(headers: list[str], first_width: int, sortable: bool = True) -> QTableWidget:
    """Read-only rows; the first column is as wide as `first_width`, the last takes the rest."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    table.setColumnWidth(0, first_width)
    table.setProperty("sortable", sortable)
    if sortable:
        table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    return table


def _fill(table: QTableWidget, rows: list[list[Any]]) -> None:
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem()
            item.setData(Qt.ItemDataRole.DisplayRole, "" if value is None else value)
            if isinstance(value, str):
                item.setToolTip(value)
            table.setItem(r, c, item)
    table.setSortingEnabled(bool(table.property("sortable")))


class MainWindow(QMainWindow):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.tasks: list[Task] = []
        self.tree_rows: list[CohortRow] = []
        self.resize(1320, 780)
        self.cohorts = QTreeWidget()
        self.cohorts.setHeaderLabels(["Cohort", "Members"])
        self.cohorts.header().setStretchLastSection(False)
        self.cohorts.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.cohorts.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.cohorts.currentItemChanged.connect(self._cohort_chosen)
        self.filter = QLineEdit(placeholderText="Filter participants by name, id or status")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.people = _table(["Participant", "Id", "Status", "Done", "Open", "Past due"],
                             first_width=170)
        self.people.currentCellChanged.connect(lambda row, *_: self._person_chosen(row))
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.milestones = _table(["Milestone", "State", "Due", "Progress", "Why it waits"],
                                 first_width=220, sortable=False)
        self._build_layout()
        self._build_menu()
        self.refresh()

    # -- layout ---------------------------------------------------------------------------

    def _build_layout(self) -> None:
        middle = QWidget()
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.filter)
        column.addWidget(self.people)
        right = QWidget()
        detail = QVBoxLayout(right)
        detail.setContentsMargins(0, 0, 0, 0)
        detail.addWidget(self.heading)
        detail.addWidget(self.milestones)
        split = QSplitter()
        split.addWidget(self.cohorts)
        split.addWidget(middle)
        split.addWidget(right)
        split.setSizes([260, 500, 560])
        self.setCentralWidget(split)

    def _build_menu(self) -> None:
        file = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("&Apply program file…", "Ctrl+Shift+A", self.apply_program),
            ("&Export program file…", "Ctrl+E", self.export_program),
            ("&Import participants…", "Ctrl+I", self.import_people),
            ("Fill with &demo data…", None, self.offer_demo),
            ("&Refresh", QKeySequence.StandardKey.Refresh, self.refresh),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            file.addAction(action)

    # -- reading --------------------------------------------------------------------------

    def refresh(self) -> None:
        chosen = self.cohorts.currentItem()
        chosen_id = chosen.data(0, Qt.ItemDataRole.UserRole) if chosen else None
        with self.store.session() as session:
            name = get_setting(session, PROGRAM_NAME) or "No program yet"
            user = get_setting(session, USER) or ""
            rows = cohort_tree(session)
        self.tree_rows = rows
        self.setWindowTitle(f"Waypoint — {name}")
        self.statusBar().showMessage(f"{self.store.path} · signed in as {user}")
        self.cohorts.clear()
        items: dict[Any, QTreeWidgetItem] = {}
        totals = {row.id: sum(r.members for r in rows if r.id in subtree(rows, row.id))
                  for row in rows}
        for row in rows:
            parent = items.get(row.parent_id)
            item = QTreeWidgetItem([row.name, str(totals[row.id])])
            item.setData(0, Qt.ItemDataRole.UserRole, row.id)
            item.setToolTip(0, row.key)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            (parent.addChild(item) if parent else self.cohorts.addTopLevelItem(item))
            items[row.id] = item
        self.cohorts.expandAll()
        target = items.get(chosen_id) or (items[rows[0].id] if rows else None)
        if target is not None:
            self.cohorts.setCurrentItem(target)
        else:
            _fill(self.people, [])
            self._person_chosen(-1)

    def _cohort_chosen(self, item: QTreeWidgetItem | None, _previous: Any = None) -> None:
        if item is None:
            return
        cohort_id = item.data(0, Qt.ItemDataRole.UserRole)
        with self.store.session() as session:
            rows = participants(session, subtree(self.tree_rows, cohort_id), utcnow())
        _fill(self.people, [
            [r.name, r.person, r.status, f"{r.complete} of {r.total}", r.open, r.past_due]
            for r in rows
        ])
        self._apply_filter(self.filter.text())
        if self.people.rowCount():
            self.people.selectRow(0)
        self._person_chosen(self.people.currentRow())

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.people.rowCount()):
            cells = (self.people.item(row, c) for c in range(3))
            words = " ".join(cell.text().lower() for cell in cells if cell)
            self.people.setRowHidden(row, bool(needle) and needle not in words)

    def _person_chosen(self, row: int) -> None:
        item = self.people.item(row, 1) if row >= 0 else None
        if item is None:
            self.heading.setText("Choose a participant to see their milestones.")
            _fill(self.milestones, [])
            return
        with self.store.session() as session:
            view = person_view(session, item.text(), utcnow())
            cohorts = ", ".join(c.name for c in view.cohorts)
            name, status = view.person.name, view.person.status
        self.heading.setText(f"{name} · {status or 'no status'} · {cohorts}")
        _fill(self.milestones, [
            [m.title, STATE_LABELS.get(m.state, m.state),
             m.due_label or (m.due.isoformat() if m.due else None),
             SCALE_LABELS.get(m.progress or ""), m.locked_reason or _waiting(m.content)]
            for m in view.milestones
        ])

    # -- acting ---------------------------------------------------------------------------

    def _run(self, label: str, command: Any) -> None:
        def finished(result: Result | None, error: BaseException | None) -> None:
            if error is not None:
                QMessageBox.critical(self, "Waypoint", f"{label} failed: {error}")
            elif result is not None and not result.ok:
                QMessageBox.warning(self, "Waypoint", result.error or "Refused.")
            else:
                self.statusBar().showMessage(f"{label}: done.", 5000)
            self.refresh()

        self.tasks.append(run_with_progress(self, f"{label}…",
                                            lambda: execute(self.store, command), finished))

    def apply_program(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Apply a program file", "",
                                              "Program files (*.toml)")
        if not path:
            return
        try:
            spec = with_activity_files(
                parse_program(Path(path).read_text(encoding="utf-8"), path,
                              self._existing_keys()), Path(path), self.store)
        except (OSError, ProgramInvalid) as problem:
            QMessageBox.warning(self, "This program file cannot be applied", str(problem))
            return
        self._run("Applying the program", ApplyProgram(at=utcnow(), spec=spec,
                                                       source=Path(path).name))

    def _existing_keys(self) -> dict[str, set[str]]:
        with self.store.session() as session:
            return existing_keys(session)

    def export_program(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the program", "program.toml",
                                              "Program files (*.toml)")
        if not path:
            return
        with self.store.session() as session:
            spec = export_spec(session)
        try:
            Path(path).write_text(dump_program(spec), encoding="utf-8")
            files = write_activity_files(spec, Path(path), self.store)
        except OSError as problem:
            QMessageBox.warning(self, "The program was not exported", str(problem))
            return
        beside = f" and {len(files)} activity files beside it" if files else ""
        self.statusBar().showMessage(f"Wrote {path}{beside}.", 5000)

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
        self._run("Importing participants",
                  ImportPeople(at=utcnow(), rows=tuple(rows), source=Path(path).name))

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
            "training plan and a hiring pipeline, with about 60 participants) to look around?")
        if answer == QMessageBox.StandardButton.Yes:
            self._run("Generating demo data", GenerateDemo(at=utcnow(), size="S"))


def _waiting(content: dict[str, Any]) -> str | None:
    """What a milestone still needs handed in before it can complete."""
    if not content["waits_for"]:
        return None
    return "Completes once it has " + " and ".join(content["waits_for"]) + "."


def run(db: str | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Waypoint")
    path = Path(db).expanduser() if db else default_db()
    store = open_profile_store(path)
    window = MainWindow(store)
    window.show()
    if window.is_empty():
        window.offer_demo()
    code = app.exec()
    store.close()
    return code
