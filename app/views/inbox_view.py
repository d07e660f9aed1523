"""The approval inbox: only what the user can act on now, soonest deadline first, with the
evidence beside it.

Keyboard first: J/K move, A approves, D denies, N decides with a note, Shift+A approves the
selected requests at once, H hands the request to a colleague, Ctrl+F filters, F5 reloads.
Where the milestone requires a note, the note dialog opens before anything is sent. After a
decision the next request is selected at once (the decided one shows in italics until the
worker confirms, then leaves); a refusal leaves everything as it was and says why in the
message bar. Where the milestone leaves what comes next to a person, a follow-up bar offers
to set the pipeline status, a personal reminder, or to defer.

All reads and commands go through the serial DbWorker; the UI thread never touches SQLite.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.clock import local_date, utcnow
from app.services.errors import Refused
from app.services.queries.decisions import (
    DecisionRules,
    decision_rules,
)
from app.services.queries.inbox import Evidence, InboxItem, evidence, inbox
from app.services.settings import program_zone
from app.services.write import Result
from app.views.inbox_bars import MessageBar
from app.views.inbox_deciding import InboxDecisions
from app.views.inbox_evidence import EvidencePanel
from app.views.inbox_files import EvidenceFiles
from app.views.inbox_follow_ups import FollowUps
from app.views.models.inbox_items import InboxFilter, InboxModel
from app.views.personal_reminders import ReminderBook
from app.views.worker import DbWorker

# What a change must touch to add or take away a request: progress (a submission, a decision
# made elsewhere), approvals, people and their cohorts, the program's levels, staff and their
# stand-ins.
INBOX_FLAGS = frozenset({"progress", "approvals", "people", "definitions", "staff",
                         "delegations"})
# A run of quick decisions is followed by one reload once the keys pause, not by one each:
# each would hold the worker for a read of the whole inbox ahead of the next decision.
RELOAD_PAUSE_MS = 600
EVIDENCE_AHEAD = 2  # requests below the current one whose evidence comes with it
EVIDENCE_KEPT = 500


@dataclass(frozen=True)
class InboxData:
    items: list[InboxItem] = field(default_factory=list)
    rules: dict[str, DecisionRules] = field(default_factory=dict)
    today: date = field(default_factory=date.today)
    problem: str | None = None  # the user is no approver here, in words


def load_inbox(store: Store, user: str, at: datetime) -> InboxData:
    """The worker's job: the user's requests and the rules of their milestones."""
    with store.session() as session:
        today = local_date(at, program_zone(session))
        try:
            items = inbox(session, user, at)
        except Refused as refusal:
            return InboxData(today=today, problem=refusal.message)
        return InboxData(items, decision_rules(session, {i.milestone for i in items}), today)


class InboxView(InboxDecisions, QWidget):
    changed = Signal(object)
    """A decision, assignment or status change went through (its command Result)."""
    sig_count_changed = Signal(int)
    """How many requests wait for the user now (for a tab's or a window's title)."""
    sig_reminder_due = Signal(str)
    """A personal reminder's time came (its text), for a desktop notification."""

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None, *,
                 clock: Callable[[], datetime] = utcnow,
                 reminders: ReminderBook | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user, self.clock = worker, user, clock
        self.rules: dict[str, DecisionRules] = {}
        self.today = clock().date()  # until the first load reads it in the program's zone
        self._evidence: dict[uuid.UUID, Evidence] = {}
        self._asked: set[uuid.UUID] = set()
        self._loads = 0
        self._loaded_once = False
        self._problem: str | None = None
        self.model = InboxModel(self)
        self.proxy = InboxFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = self._build_table()
        self.message = MessageBar()
        self.files = EvidenceFiles(self, worker, self.message, user)
        self.evidence_panel = EvidencePanel()
        self.evidence_panel.sig_file_open.connect(self.files.open)
        self.evidence_panel.sig_file_save.connect(self.files.save)
        self.follow_ups = FollowUps(self, worker, user, lambda: self.clock(), self.message,
                                    reminders or ReminderBook(user))
        self.follow_ups.sig_changed.connect(self.changed)
        self.follow_ups.sig_reminder_due.connect(self.sig_reminder_due)
        self.summary = QLabel("Loading your requests…")
        self.summary.setAccessibleName("Inbox summary")
        self.filter = QLineEdit(placeholderText="Filter by participant or milestone (Ctrl+F)")
        self.filter.setAccessibleName("Filter requests")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self._evidence_timer = QTimer(self, singleShot=True, interval=40)
        self._evidence_timer.timeout.connect(self._fetch_evidence)
        self._reload_timer = QTimer(self, singleShot=True, interval=RELOAD_PAUSE_MS)
        self._reload_timer.timeout.connect(self.refresh)
        self._build_actions()
        self._build_layout()
        self._current_changed(QModelIndex())

    # -- building ----------------------------------------------------------------------------

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setAccessibleName("Requests waiting for you")
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)
        table.verticalHeader().hide()
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # never measures
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # 10k rows
        header.setHighlightSections(False)
        for column, width in ((0, 190), (1, 160), (3, 70), (4, 130)):
            table.setColumnWidth(column, width)
        table.selectionModel().currentRowChanged.connect(self._current_changed)
        return table

    def _action(self, text: str, keys: str | QKeySequence.StandardKey, slot: Callable[[], Any],
                icon: QStyle.StandardPixmap | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shown = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text.replace('&', '').rstrip('…')} ({shown})")
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        pixmap = QStyle.StandardPixmap
        self.next_action = self._action("&Next request", "J", self.select_next,
                                        pixmap.SP_ArrowDown)
        self.previous_action = self._action("&Previous request", "K", self.select_previous,
                                            pixmap.SP_ArrowUp)
        self.extend_down_action = self._action("Select the next request too", "Shift+J",
                                               lambda: self._step(1, extend=True))
        self.extend_up_action = self._action("Select the previous request too", "Shift+K",
                                             lambda: self._step(-1, extend=True))
        self.approve_action = self._action("&Approve", "A", self.approve_current,
                                           pixmap.SP_DialogApplyButton,
                                           "Approve the current request")
        self.deny_action = self._action("&Deny", "D", self.deny_current,
                                        pixmap.SP_DialogCancelButton,
                                        "Deny the current request")
        self.note_action = self._action("Decide with a &note…", "N", self.decide_with_note,
                                        pixmap.SP_FileDialogDetailedView,
                                        "Approve or deny the current request with a note")
        self.bulk_action = self._action("Approve &selected", "Shift+A", self.approve_selected,
                                        pixmap.SP_DialogYesToAllButton,
                                        "Approve every selected request at once")
        self.assign_action = self._action("Assign to a &colleague…", "H", self.assign_current,
                                          pixmap.SP_ArrowForward,
                                          "Hand the current request to a colleague")
        self.refresh_action = self._action("&Reload", QKeySequence.StandardKey.Refresh,
                                           self.refresh, pixmap.SP_BrowserReload,
                                           "Reload the inbox")
        self.find_action = self._action("&Filter", QKeySequence.StandardKey.Find,
                                        self._focus_filter)

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAccessibleName(action.toolTip())
        return button

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        for action in (self.approve_action, self.deny_action, self.note_action,
                       self.bulk_action, self.assign_action):
            bar.addWidget(self._button(action))
        bar.addStretch(1)
        bar.addWidget(self.follow_ups.button)
        bar.addWidget(self.filter, 2)
        bar.addWidget(self._button(self.refresh_action))
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        heading = QHBoxLayout()
        heading.addWidget(self.summary, 1)
        keys = QLabel("J/K move · A approve · D deny · N note · Shift+A approve selected · "
                      "H assign")
        keys.setEnabled(False)  # a quiet reminder of the keys, not a control
        keys.setAccessibleName("Keyboard shortcuts")
        heading.addWidget(keys)
        column.addLayout(heading)
        column.addWidget(self.table, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.evidence_panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([640, 480])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.follow_ups.bar)
        layout.addWidget(split, 1)
        self.setTabOrder(self.table, self.evidence_panel)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not self._loads:
            self.refresh()
        self.table.setFocus()

    def refuse_saving(self, reason: str | None) -> None:
        """Saving a copy of a file handed in takes exporting: why the user's roles do not
        allow it, or None when they do."""
        self.files.save_refused = reason
        self.evidence_panel.refuse_saving(reason)

    # -- reading -----------------------------------------------------------------------------

    def on_changed(self, result: Result) -> None:
        """A change anywhere may add or take away requests: read the inbox again once changes
        pause. The view's own decisions have already taken their requests off the list."""
        if set(result.flags) & INBOX_FLAGS or not result.flags:
            self._reload_timer.start()

    def refresh(self) -> None:
        """Reload the inbox, keeping the current request selected if it is still there."""
        self._reload_timer.stop()
        self._loads += 1
        number, user, at = self._loads, self.user, self.clock()
        self.worker.submit(lambda store: load_inbox(store, user, at),
                           lambda data, error: self._loaded(number, data, error))
        self.follow_ups.check_reminders()

    def _loaded(self, number: int, data: InboxData | None, error: BaseException | None) -> None:
        if number != self._loads:
            return  # a newer load is on its way
        if error is not None or data is None:
            self.message.say(f"The inbox could not be read: {error}", "error")
            return
        current = self.current_item()
        row = self.table.currentIndex().row()
        self.rules, self.today, self._problem = data.rules, data.today, data.problem
        self._evidence.clear()
        self._asked.clear()
        self.model.set_items(data.items, data.today)
        self._loaded_once = True
        target = self.model.row_of(current.progress_id) if current else None
        if target is not None:
            self._select(self.proxy.mapFromSource(self.model.index(target, 0)).row())
        else:
            self._select(min(max(row, 0), self.proxy.rowCount() - 1))
        self._update_summary()
        if not self.proxy.rowCount():
            self._current_changed(QModelIndex())

    def _update_summary(self) -> None:
        count = self.model.rowCount()
        if self._problem:
            text = self._problem
        elif not count:
            text = "Nothing waits for you."
        else:
            text = f"{count} request{'s' if count != 1 else ''} waiting for you"
            overdue = self.model.overdue()
            if overdue:
                text += f" · {overdue} overdue"
            shown = self.proxy.rowCount()
            if shown != count:
                text += f" · {shown} shown"
        self.summary.setText(text)
        self.sig_count_changed.emit(count)

    def current_item(self) -> InboxItem | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        source = self.proxy.mapToSource(index)
        return self.model.item(source.row()) if source.isValid() else None

    def selected_items(self) -> list[InboxItem]:
        rows = sorted(self.proxy.mapToSource(i).row()
                      for i in self.table.selectionModel().selectedRows())
        return [self.model.item(r) for r in rows if r >= 0]

    # -- moving ------------------------------------------------------------------------------

    def select_next(self) -> None:
        self._step(1)

    def select_previous(self) -> None:
        self._step(-1)

    def _step(self, by: int, extend: bool = False) -> None:
        if not self.proxy.rowCount():
            return
        row = self.table.currentIndex().row()
        self._select(0 if row < 0 else min(max(row + by, 0), self.proxy.rowCount() - 1),
                     extend)

    def _select(self, row: int, extend: bool = False) -> None:
        """Make `row` (of the filtered view) the current request: the only one selected, or
        added to the selection (`extend`, for bulk approval)."""
        if not 0 <= row < self.proxy.rowCount():
            return
        index = self.proxy.index(row, 0)
        how = (QItemSelectionModel.SelectionFlag.Select if extend
               else QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.table.selectionModel().setCurrentIndex(
            index, how | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def _select_item(self, item: InboxItem) -> None:
        row = self.model.row_of(item.progress_id)
        if row is not None:
            mapped = self.proxy.mapFromSource(self.model.index(row, 0))
            if mapped.isValid():
                self._select(mapped.row())

    def _current_changed(self, current: QModelIndex | QPersistentModelIndex,
                         _previous: Any = None) -> None:
        item = self.current_item() if current.isValid() else None
        if item is None:
            self.evidence_panel.show_nothing(
                self._problem or ("Loading your requests…" if not self._loaded_once else
                                  "Nothing waits for you: requests appear here when it is "
                                  "your turn to decide."))
            return
        self.evidence_panel.show_item(item, self.today, self._evidence.get(item.progress_id))
        if item.progress_id not in self._evidence:
            self._evidence_timer.start()  # J held down asks once, for where it stops

    def _fetch_evidence(self) -> None:
        item = self.current_item()
        if item is None or item.progress_id in self._asked:
            return
        row = self.model.row_of(item.progress_id) or 0
        ahead = [self.model.item(r).progress_id
                 for r in range(row + 1, min(row + 1 + EVIDENCE_AHEAD, self.model.rowCount()))]
        wanted = [item.progress_id, *(p for p in ahead
                                      if p not in self._evidence and p not in self._asked)]
        self._asked.update(wanted)
        loads = self._loads

        def job(store: Store) -> dict[uuid.UUID, Evidence]:
            with store.session() as session:
                return evidence(session, wanted)

        def done(found: dict[uuid.UUID, Evidence] | None, error: BaseException | None) -> None:
            self._asked.difference_update(wanted)
            if loads != self._loads:
                return  # the inbox was reloaded meanwhile: this may be stale
            if error is not None or found is None:
                self.message.say(f"The evidence could not be read: {error}", "error")
                return
            if len(self._evidence) > EVIDENCE_KEPT:
                self._evidence.clear()
            self._evidence.update(found)
            shown = self.current_item()
            if shown is not None and shown.progress_id in found:
                self.evidence_panel.show_item(shown, self.today, found[shown.progress_id])

        self.worker.submit(job, done)

    def _filter_changed(self, text: str) -> None:
        current = self.current_item()
        self.proxy.set_text(text)
        if current is not None and (row := self.model.row_of(current.progress_id)) is not None:
            mapped = self.proxy.mapFromSource(self.model.index(row, 0))
            if mapped.isValid():
                self._select(mapped.row())
                self._update_summary()
                return
        self._select(0)
        if not self.proxy.rowCount():
            self._current_changed(QModelIndex())
        self._update_summary()

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()
