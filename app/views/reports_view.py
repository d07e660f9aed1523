"""The reports view: pick one of the reports of app/services/reports, narrow it to a cohort
(chosen in the tree) and a time window, read it as a table and, where it has one, a chart,
and export what is shown to CSV, XLSX or PDF.

Every report runs on the serial database worker, as `waypoint report` does on the command
line; a report that comes back after the user asked for another is dropped. A view nobody
looks at does not run its report until it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.models.store import Store
from app.services.clock import utcnow
from app.services.errors import Refused
from app.services.reports import REPORTS, Table
from app.services.reports.export import write
from app.services.write import Result
from app.views.models.report_table import SORT_ROLE, ReportModel
from app.views.permissions import require
from app.views.report_chart import ReportChart
from app.views.report_jobs import FILTERS, Ask, bound, export_path, in_words, run_asked
from app.views.report_plots import chart_data
from app.views.tables import read_only_table
from app.views.worker import DbWorker

TITLES = {
    "activity": "Activity by milestone", "cycle-time": "Cycle time by milestone",
    "impact": "Impact by milestone", "time-in-milestone": "Time in milestone",
    "sla": "SLA exceptions", "funnel": "Gate funnel", "time-to-complete": "Time to complete",
    "at-risk": "At-risk participants", "access": "Access review",
}
# The change flags (Result.flags) that can move a report's numbers.
SHOWN_FLAGS = frozenset({"progress", "people", "definitions", "cohorts", "gates", "approvals",
                         "staff"})
EXPORT_TIP = "Write the report shown to a CSV, XLSX or PDF file"


class ReportsView(QWidget):
    sig_report_shown = Signal(object)
    """A report's table is shown (the Table); tests wait on it."""
    sig_report_exported = Signal(str)
    """A report was written to a file (its path)."""

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None, *,
                 now: Callable[[], datetime] = utcnow) -> None:
        super().__init__(parent)
        self.worker, self.user, self.now = worker, user, now
        self.tree_key: str | None = None  # the cohort last chosen in the tree
        self.shown: Ask | None = None
        self._asked = 0  # the number of the latest run: older answers are dropped
        self._stale = True  # to run when next shown
        self.export_refused: str | None = None  # why the user may not export (None: they may)
        self._build()

    def _build(self) -> None:
        self.picker = QComboBox()
        self.picker.setAccessibleName("Report")
        self.picker.setMinimumWidth(220)
        for name in REPORTS:
            self.picker.addItem(TITLES.get(name, name), name)
        self.picker.currentIndexChanged.connect(lambda _n: self.refresh())
        self.start = QLineEdit()
        self.end = QLineEdit()
        for box, name in ((self.start, "From"), (self.end, "To")):
            box.setPlaceholderText("any")
            box.setAccessibleName(name)
            box.setToolTip("A date (2026-09-15) or a time (2026-09-15T09:00); empty for any. "
                           "To a date counts to the end of that day.")
            box.setMaximumWidth(150)
            box.returnPressed.connect(self.refresh)
        self.run_button = QPushButton("R&un")
        self.run_button.setToolTip("Run the report again (F5 reads every view again)")
        self.run_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("E&xport…")
        self.export_button.setToolTip(EXPORT_TIP)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export)
        self.only = QCheckBox()
        self.only.setToolTip("Clear to report on every cohort")
        self.only.toggled.connect(lambda _on: self.refresh())
        self.only.hide()
        controls = QHBoxLayout()
        controls.setContentsMargins(6, 4, 6, 0)
        controls.addWidget(self.picker)
        controls.addStretch(1)
        start_label, end_label = QLabel("Fro&m"), QLabel("to")
        start_label.setBuddy(self.start)
        end_label.setBuddy(self.end)
        for widget in (start_label, self.start, end_label, self.end, self.run_button,
                       self.export_button):
            controls.addWidget(widget)
        self.heading = QLabel()
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        header = QHBoxLayout()
        header.setContentsMargins(6, 2, 6, 0)
        header.addWidget(self.heading, 1)
        header.addWidget(self.only)
        self.model = ReportModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = read_only_table(self.proxy, "Report", 0)
        self.table.setSortingEnabled(True)
        self.chart = ReportChart()
        self.split = QSplitter()
        self.split.addWidget(self.table)
        self.split.addWidget(self.chart)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addLayout(header)
        layout.addWidget(self.split, 1)
        for label in (self.notes, self.status):
            label.setContentsMargins(6, 0, 6, 4)
            layout.addWidget(label)
        self.setFocusProxy(self.picker)
        self._show(Table("Choose a report", [], []), None)

    # -- what is shown --------------------------------------------------------------------

    def name(self) -> str:
        return str(self.picker.currentData())

    def choose(self, name: str) -> None:
        """Show the report named as the command line names it (`cycle-time`)."""
        self.picker.setCurrentIndex(self.picker.findData(name))

    @property
    def cohort(self) -> str | None:
        return self.tree_key if self.only.isChecked() else None

    def show_cohort(self, key: str) -> None:
        """A cohort chosen in the tree: narrow to it and those below it. The tree saying
        the same cohort again (it does on every reload) runs the report again as it is,
        "every cohort" kept if chosen."""
        if key == self.tree_key:
            self.refresh()
            return
        self.tree_key = key
        self.only.setText(f"O&nly cohort {key} and those below it")
        self.only.show()
        if self.only.isChecked():
            self.refresh()
        else:
            self.only.setChecked(True)  # runs the report

    def on_changed(self, result: Result) -> None:
        """Another view's command: run again only if it can move the numbers."""
        if result.ok and (not result.flags or result.flags & SHOWN_FLAGS):
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Run the report asked for with the boxes as they are; a bad date is said and
        nothing runs. Hidden, it waits until shown."""
        if not self.isVisible():
            self._stale = True
            return
        try:
            start_text, end_text = self.start.text().strip(), self.end.text().strip()
            ask = Ask(self.name(), self.cohort, bound("From", start_text, end=False),
                      bound("To", end_text, end=True), start_text, end_text)
        except Refused as refused:
            self._asked += 1  # a run still under way would hide the message
            self.say(str(refused), "error")
            return
        self._stale = False
        self._asked += 1
        number, at = self._asked, self.now()
        self.say("Running…")
        self.worker.submit(lambda store: run_asked(store, ask, at),
                           lambda table, error: self._ran(number, ask, table, error))

    def _ran(self, number: int, ask: Ask, table: Table | None,
             error: BaseException | None) -> None:
        if not isValid(self) or number != self._asked:
            return  # closed meanwhile, or the user has since asked for something else
        if error is not None or table is None:
            self.say(f"The report could not be run: {error}", "error")
            return
        self._show(table, ask)
        rows = len(table.rows)
        self.say(f"{rows} {'row' if rows == 1 else 'rows'}.")
        self.sig_report_shown.emit(table)

    def _show(self, table: Table, ask: Ask | None) -> None:
        self.shown = ask
        self.model.set_table(table)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the report's own order
        scope = ["all cohorts" if ask is None or not ask.cohort
                 else f"cohort {ask.cohort} and those below it"]
        if ask is not None and (ask.start_text or ask.end_text):
            scope.append(f"from {ask.start_text or 'any time'} to {ask.end_text or 'any time'}")
        self.heading.setText(f"{table.title} — {', '.join(scope)}" if ask else table.title)
        self.notes.setText("\n".join(in_words(n) for n in table.notes))
        self.notes.setVisible(bool(table.notes))
        data = chart_data(ask.name, table) if ask is not None else None
        self.chart.setVisible(data is not None)
        if data is not None:
            self.chart.set_data(data)
        self._enable_export()

    def refuse_export(self, reason: str | None) -> None:
        """The user's roles do not allow exporting (why, in words), or, None, they do."""
        self.export_refused = reason
        self._enable_export()

    def _enable_export(self) -> None:
        self.export_button.setEnabled(self.shown is not None and self.export_refused is None)
        self.export_button.setToolTip(self.export_refused or EXPORT_TIP)

    def say(self, text: str, kind: str = "info") -> None:
        colour = {"error": "#c62828", "done": "#2e7d32"}.get(kind)
        self.status.setStyleSheet(f"color: {colour};" if colour else "")
        self.status.setText(text)

    # -- export ---------------------------------------------------------------------------

    def export(self) -> None:
        """Write the report shown (in its own order) to a file the user names, on the worker."""
        if self.shown is None:
            return
        if self.export_refused is not None:
            self.say(self.export_refused, "error")
            return
        table = self.model.table
        path_text, chosen = QFileDialog.getSaveFileName(
            self, "Export the report", f"{self.shown.name}.csv", FILTERS)
        if not path_text:
            return
        path = export_path(path_text, chosen or "")
        self.say(f"Writing {path.name}…")

        def written(_result: Any, error: BaseException | None) -> None:
            if not isValid(self):
                return
            if isinstance(error, OSError):
                self.say(f"Could not write {path}: {error.strerror or error}.", "error")
            elif error is not None:
                self.say(str(error), "error")
            else:
                rows = len(table.rows)
                self.say(f"{table.title}: {rows} {'row' if rows == 1 else 'rows'} written to "
                         f"{path}.", "done")
                self.sig_report_exported.emit(str(path))

        def job(store: Store) -> None:
            require(store, self.user, "export")
            write(table, path)

        self.worker.submit(job, written)
