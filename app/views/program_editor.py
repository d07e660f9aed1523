"""Program editing: the program's milestones, cohorts and staff, listed and edited in dialogs.

`ProgramPanel(worker, user)` lists each kind of definition (an item model over one grouped
query, read on the database worker) with New… and Edit… (also a double click or Enter on a
row). The dialogs (`MilestoneDialog`, `CohortDialog`, `StaffDialog`, opened as
`Dialog(worker, user, key=None, parent)`) edit one definition as its program-file block,
checked as the program file is, and save it as a program of that one definition: it is
created or updated by key, and nothing else is touched. Importing and exporting whole
program files stays in the main window's File menu.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.queries.program_view import ProgramLists, program_lists
from app.services.write import Result
from app.views.models.program_items import (
    SORT_ROLE,
    DefinitionsModel,
    cohorts_model,
    milestones_model,
    staff_model,
)
from app.views.program_dialogs import CohortDialog, MilestoneDialog, StaffDialog
from app.views.program_form import DefinitionDialog
from app.views.program_history import HistoryView
from app.views.worker import DbWorker

__all__ = ["CohortDialog", "MilestoneDialog", "ProgramPanel", "StaffDialog"]

SHOWN = frozenset({"definitions", "membership", "people"})  # the flags of what it lists
DIALOGS: dict[str, type[DefinitionDialog]] = {
    "milestones": MilestoneDialog, "cohorts": CohortDialog, "staff": StaffDialog,
}


class DefinitionList(QWidget):
    """One kind of definition: a filter, the table, New… and Edit…."""

    def __init__(self, noun: str, model: DefinitionsModel, main: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit(placeholderText=f"Filter {noun}")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName(f"Filter {noun}")
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(noun.capitalize())
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the program's own order
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._main = main  # the column that says what the row is: given the most room
        self.new = QPushButton("&New…")
        self.new.setAccessibleName(f"New {noun[:-1] if noun.endswith('s') else noun}")
        self.edit = QPushButton("&Edit…")
        self.edit.setAccessibleName("Edit the selected one")
        self.edit.setEnabled(False)
        self._sized = False
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 1)
        bar.addWidget(self.new)
        bar.addWidget(self.edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.edit.setEnabled(current.isValid()))
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.edit.click)
        self.table.doubleClicked.connect(lambda _index: self.edit.click())

    def current_key(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.key_of(self.model.row(self.proxy.mapToSource(index).row()))

    def set_rows(self, rows: list[Any], keep: str | None) -> None:
        self.model.set_rows(rows)
        if not self._sized and rows:  # once: the widths the program's own words need
            self._sized = True
            self.table.resizeColumnsToContents()
            header = self.table.horizontalHeader()
            for column in range(header.count()):
                widest = 360 if column == self._main else 200
                header.resizeSection(column, min(header.sectionSize(column), widest))
        self.select(keep)

    def select(self, key: str | None) -> None:
        row = self.model.row_of(key) if key else -1
        if row < 0:
            self.edit.setEnabled(False)
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)


class ProgramPanel(QWidget):
    """The program's definitions, for the main window to show as a tab."""

    changed = Signal(object)
    """A definition was saved: the ApplyProgram Result, for the other views to refresh."""

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user = worker, user
        self.dialog: DefinitionDialog | None = None  # the one open, if any
        self._mine: set[Any] = set()  # op ids of the saves this panel announced itself
        self._select_after: tuple[str, str] | None = None
        self.lists: dict[str, DefinitionList] = {
            "milestones": DefinitionList("milestones", milestones_model(self), 1),
            "cohorts": DefinitionList("cohorts", cohorts_model(self), 0),
            "staff": DefinitionList("staff", staff_model(self), 2),
        }
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Definitions of the program")
        for section, title in (("milestones", "&Milestones"), ("cohorts", "C&ohorts"),
                               ("staff", "S&taff")):
            listing = self.lists[section]
            listing.new.clicked.connect(lambda _=False, s=section: self.open_editor(s))
            listing.edit.clicked.connect(lambda _=False, s=section: self.edit_current(s))
            self.tabs.addTab(listing, title)
        self.history = HistoryView(worker, user)
        self.history.changed.connect(self._restored)
        self.tabs.addTab(self.history, "&History")
        intro = QLabel("The program's definitions, edited one at a time and checked as a "
                       "program file is. Whole program files are applied and exported from the "
                       "File menu.")
        intro.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAccessibleName("What the last save did")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)

    # -- reading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        self.worker.submit(_lists, self._loaded)
        self.history.refresh()

    def on_changed(self, result: Result) -> None:
        """Read again only when definitions (or cohorts' members, which the cohorts list
        counts) changed, and not for a save made here, which has been read again already."""
        if result.op_id in self._mine:
            self._mine.discard(result.op_id)
            return
        if result.flags & SHOWN or not result.flags:
            self.refresh()

    def _loaded(self, lists: ProgramLists | None, error: BaseException | None) -> None:
        if lists is None:
            self.status.setText(f"The program could not be read: {error}")
            return
        chosen = self._select_after
        self._select_after = None
        for section, rows in (("milestones", lists.milestones), ("cohorts", lists.cohorts),
                              ("staff", lists.staff)):
            listing = self.lists[section]
            keep = chosen[1] if chosen and chosen[0] == section else listing.current_key()
            listing.set_rows(rows, keep)
            number = self.tabs.indexOf(listing)
            title = self.tabs.tabText(number).split(" (")[0]
            self.tabs.setTabText(number, f"{title} ({len(rows)})")

    # -- editing ----------------------------------------------------------------------------

    def edit_current(self, section: str) -> DefinitionDialog | None:
        key = self.lists[section].current_key()
        return self.open_editor(section, key) if key else None

    def open_editor(self, section: str, key: str | None = None) -> DefinitionDialog:
        dialog = DIALOGS[section](self.worker, self.user, key, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(lambda result, d=dialog: self._saved(section, d, result))
        dialog.destroyed.connect(lambda _=None, d=dialog: self._closed(d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _closed(self, dialog: DefinitionDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _restored(self, result: Result) -> None:
        self._mine.add(result.op_id)
        self.worker.submit(_lists, self._loaded)
        self.changed.emit(result)

    def _saved(self, section: str, dialog: DefinitionDialog, result: Result) -> None:
        self.status.setText(dialog.outcome)
        item = dialog.item
        ident = getattr(item, "email" if section == "staff" else "key", None)
        self._select_after = (section, ident) if ident else None
        self._mine.add(result.op_id)
        self.refresh()
        self.changed.emit(result)


def _lists(store: Store) -> ProgramLists:
    with store.session() as session:
        return program_lists(session)

