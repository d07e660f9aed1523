"""The milestone board of a cohort: its milestones in step order as columns with the
participants as cards (board mode), or participants × milestones (grid mode, the default
above AUTO_GRID_ABOVE participants), with filters, multi-selection, bulk actions from the
toolbar, the context menu or by dragging cards onto a drop zone, undo, "why is this
locked?", and the participant panel beside it.

Loading is staged so a large cohort shows at once: the frame (columns and rows) with the
cards of a first screenful of participants (all of them on a board-sized cohort) in one
job, then the rest CHUNK_ROWS at a time, each its own job on the serial worker (a
coordinator's command slips in between), with a progress bar. After a command, only the
participants it touched are read again.

Keys (while the board has focus): Ctrl+F search, Ctrl+G board/grid, Ctrl+A select all shown,
Ctrl+Return complete, Ctrl+Shift+K skip with a reason, Ctrl+Shift+R remind,
Ctrl+Shift+M move to a cohort, Ctrl+Shift+O reopen, F1 why is this locked, Ctrl+Z / Ctrl+Shift+Z
undo / redo, F5 reload, Enter to the participant panel, Menu or Shift+F10 the context menu.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.clock import utcnow
from app.services.errors import Refused
from app.services.queries.board import CohortRow, subtree
from app.services.queries.board_cells import (
    BoardFrame,
    board_frame,
    cells_for,
    cohorts_plain,
)
from app.services.write import Result
from app.views.board_acting import BoardActing
from app.views.board_actions import BoardActions, plural
from app.views.board_columns import BoardColumns, DropZone
from app.views.board_delegates import CELL_SIZE, CellDelegate
from app.views.board_filterbar import FilterBar
from app.views.models.board import (
    BoardModel,
    Criteria,
    Filters,
    GridFilter,
)
from app.views.participant_panel import ParticipantPanel
from app.views.worker import DbWorker

AUTO_GRID_ABOVE = 300  # participants: above this the grid is the default mode
FIRST_ROWS = 100  # participants whose cards come with the frame in the grid (a screenful)
CHUNK_ROWS = 2500  # participants per later job
PARTIAL_ABOVE = 2000  # a change touching more participants reloads the whole board
SHOWN_LINES = 4  # of a message (a refusal names each card): the rest on hover


def first_rows(people: int) -> int:
    """How many participants' cards come with the frame: all of a board small enough for
    the board mode, else a screenful of the grid."""
    return people if people <= AUTO_GRID_ABOVE else min(FIRST_ROWS, people)


class BoardView(BoardActing, QWidget):
    changed = Signal(object)
    """A command from the board succeeded: its Result (for the other views to refresh)."""
    sig_loaded = Signal()
    """Every card of the chosen cohort is on the board."""

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None, *,
                 now: Callable[[], datetime] = utcnow) -> None:
        super().__init__(parent)
        self.worker, self.user, self.now = worker, user, now
        self.setAccessibleName("Milestone board")
        self.cohort: CohortRow | None = None
        self.cohort_ids: list[uuid.UUID] = []
        self.tree: list[CohortRow] = []
        self.frame: BoardFrame | None = None
        self.loading = False
        self._load_id = 0
        self._mode_choice = "auto"  # auto | board | grid
        self._built_for = -1  # the load whose columns the board mode shows
        self._keep: tuple[str, str] | None = None  # (person, milestone) to select again
        self._pending_panel: tuple[int, int] | None = None  # the card the panel will show

        self.model = BoardModel(self)
        self.filters = Filters(self)
        self.grid_proxy = GridFilter(self.model, self.filters, self)
        self.actions = BoardActions(worker, user, now, self)
        self.undo_stack = self.actions.stack
        self.actions.sig_result_done.connect(self._result_done)
        self.actions.sig_message.connect(self.say)
        self.actions.sig_offer.connect(self._offer)

        self.filter_bar = FilterBar()
        self.filter_bar.sig_criteria.connect(self._criteria)
        self.heading = QLabel("Choose a cohort to see its board.")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() + 1.5)
        self.heading.setFont(font)
        self.count = QLabel()
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        self.columns = BoardColumns()
        self.columns.sig_current.connect(self._current)
        self.columns.sig_menu.connect(self._menu)
        self.columns.sig_activated.connect(lambda _r, _c: self.panel.milestones.setFocus())
        self.grid = self._make_grid()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.columns)
        self.stack.addWidget(self.grid)
        self.panel = ParticipantPanel(worker, user, now=now)
        self.panel.setMinimumWidth(300)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName("Board messages")
        self.offer_button = QPushButton()
        self.offer_button.hide()
        self.offer_button.clicked.connect(self._take_offer)
        self._offered: Callable[[], None] | None = None
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self._panel_timer = QTimer(self)
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(120)
        self._panel_timer.timeout.connect(self._show_in_panel)
        self._make_actions()
        self._layout()
        self.grid.viewport().installEventFilter(self)  # tooltips: why a card is locked

    # -- building --------------------------------------------------------------------------

    def _make_grid(self) -> QTableView:
        grid = QTableView()
        grid.setModel(self.grid_proxy)
        grid.setAccessibleName("Participants by milestones")
        grid.setItemDelegate(CellDelegate(grid))
        grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        grid.setDragEnabled(True)
        grid.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        grid.setDefaultDropAction(Qt.DropAction.CopyAction)
        grid.setShowGrid(True)
        grid.setWordWrap(False)
        grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        grid.customContextMenuRequested.connect(
            lambda pos: self._menu(grid.viewport().mapToGlobal(pos)))
        across = grid.horizontalHeader()
        across.setDefaultSectionSize(CELL_SIZE.width())
        across.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        across.setTextElideMode(Qt.TextElideMode.ElideRight)
        down = grid.verticalHeader()
        down.setDefaultSectionSize(CELL_SIZE.height())
        down.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        down.setMinimumWidth(180)
        grid.selectionModel().currentChanged.connect(self._grid_current)
        grid.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        grid.activated.connect(lambda _index: self.panel.milestones.setFocus())
        return grid

    def _action(self, text: str, shortcut: Any, slot: Callable[[], None], tip: str) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        self.complete_action = self._action("&Complete", "Ctrl+Return", self.complete_selected,
                                            "Complete the selected cards")
        self.skip_action = self._action("&Skip with a reason…", "Ctrl+Shift+K",
                                        self.skip_selected,
                                        "Skip (bypass) the selected cards, saying why")
        self.reopen_action = self._action("Re&open", "Ctrl+Shift+O", self.reopen_selected,
                                          "Reopen the selected complete or skipped cards")
        self.remind_action = self._action("&Remind now", "Ctrl+Shift+R", self.remind_selected,
                                          "Queue a reminder mail to the selected participants")
        self.move_action = self._action("&Move to cohort…", "Ctrl+Shift+M", self.move_selected,
                                        "Move the selected participants to another cohort")
        self.why_action = self._action("&Why is this locked?", "F1", self.why_locked,
                                       "Say why the current card is locked")
        self.show_action = self._action("Show the &participant", None, self._to_panel,
                                        "Show the participant of the current card")
        self.select_all_action = self._action("Select &all shown", None, self.select_all,
                                              "Select every card shown")
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self._action("Search", "Ctrl+F", lambda: self.filter_bar.search.setFocus(),
                     "Search participants")
        self.reload_action = self._action("Re&load", QKeySequence.StandardKey.Refresh,
                                          self.refresh, "Read the board again")
        self.toggle_action = self._action("Board or grid", "Ctrl+G", self.toggle_mode,
                                          "Switch between the board and the grid")

    def _layout(self) -> None:
        self.board_button = QToolButton(text="&Board", checkable=True)
        self.board_button.setAccessibleName("Board mode: milestones as columns of cards")
        self.grid_button = QToolButton(text="G&rid", checkable=True)
        self.grid_button.setAccessibleName("Grid mode: participants by milestones")
        group = QButtonGroup(self)
        group.setExclusive(True)
        for button, mode in ((self.board_button, "board"), (self.grid_button, "grid")):
            group.addButton(button)
            button.clicked.connect(lambda _checked=False, m=mode: self.set_mode(m))
        toolbar = QToolBar()
        toolbar.setAccessibleName("Board actions")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.complete_action, self.skip_action, self.reopen_action,
                       self.remind_action, self.move_action, None, self.why_action, None,
                       self.undo_action, self.redo_action, None, self.reload_action):
            toolbar.addSeparator() if action is None else toolbar.addAction(action)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch(1)
        top.addWidget(self.count)
        top.addWidget(self.board_button)
        top.addWidget(self.grid_button)
        self.drops = QWidget()
        drops = QHBoxLayout(self.drops)
        drops.setContentsMargins(0, 0, 0, 0)
        drops.addWidget(QLabel("Drag cards here:"))
        for text, tip, slot in (
            ("✓ Complete", "Drop cards to complete them", self._dropped_complete),
            ("⤼ Skip…", "Drop cards to skip them with a reason", self._dropped_skip),
            ("✉ Remind", "Drop cards to remind their participants", self._dropped_remind),
            ("⇄ Move to cohort…", "Drop cards to move their participants", self._dropped_move),
        ):
            zone = DropZone(text, tip)
            zone.sig_dropped.connect(slot)
            drops.addWidget(zone, 1)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.drops)
        column.addWidget(self.stack, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([900, 380])
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.offer_button)
        bottom.addWidget(self.progress)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.filter_bar)
        layout.addWidget(toolbar)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)
        self._update_actions()

    # -- choosing a cohort and loading -----------------------------------------------------

    def show_cohort(self, cohort: uuid.UUID | str) -> None:
        """Show a cohort's board (and the cohorts below it): by id or by key."""
        self._keep = None
        self._load(cohort)

    def refresh(self) -> None:
        """Read the whole board again, keeping the current card where it still is."""
        if self.cohort is None:
            return
        self._keep = self._current_keys()
        self._load(self.cohort.id)

    def _load(self, cohort: uuid.UUID | str) -> None:
        self._load_id += 1
        load_id, now = self._load_id, self.now()
        self.loading = True
        self._progress(0, 1)

        def job(store: Store) -> tuple[list[CohortRow], CohortRow, BoardFrame, list[Any]]:
            with store.session() as session:
                tree = cohorts_plain(session)
                found = next((r for r in tree if r.id == cohort or r.key == cohort), None)
                if found is None:
                    raise Refused(f"There is no cohort '{cohort}'.")
                frame = board_frame(session, subtree(tree, found.id), now)
                first = cells_for(session, frame, range(first_rows(len(frame.people))))
            return tree, found, frame, first

        self.worker.submit(job, lambda got, error: self._framed(load_id, got, error))

    def _framed(self, load_id: int, got: Any, error: BaseException | None) -> None:
        if load_id != self._load_id:
            return
        if got is None:
            self.loading = False
            self.progress.hide()
            self.say(error.message if isinstance(error, Refused) else
                     f"The board could not be read: {error}", "error")
            return
        tree, cohort, frame, first_cards = got
        self.tree, self.cohort, self.frame = tree, cohort, frame
        self.cohort_ids = list(frame.cohort_ids)
        first = first_rows(len(frame.people))
        self.columns.clear()
        self.model.set_frame(frame, first_cards, range(first))
        self.filter_bar.offer(frame.milestones)
        self.heading.setText(cohort.name)
        self._apply_mode()
        if not frame.milestones:
            self.say(f"{cohort.name} has no milestones yet.", "info")
        elif not frame.people:
            self.say(f"Nobody is in {cohort.name} yet.", "info")
        self._select_kept()
        self._next_chunk(load_id, first)

    def _next_chunk(self, load_id: int, start: int) -> None:
        assert self.frame is not None
        total = len(self.frame.people)
        self._progress(start, total)
        if start >= total:
            self._keep = None
            self.loading = False
            self.progress.hide()
            self._counts()
            self.sig_loaded.emit()
            return
        frame, rows = self.frame, list(range(start, min(start + CHUNK_ROWS, total)))

        def job(store: Store) -> list[Any]:
            with store.session() as session:
                return cells_for(session, frame, rows)

        def done(placed: Any, error: BaseException | None) -> None:
            if load_id != self._load_id:
                return
            if placed is None:
                self.loading = False
                self.progress.hide()
                self.say(f"The board could not be read: {error}", "error")
                return
            self.model.place(rows, placed)
            self.columns.show_columns(self.filters)
            self._select_kept()
            self._next_chunk(load_id, rows[-1] + 1)

        self.worker.submit(job, done)

    def _progress(self, done: int, total: int) -> None:
        if total <= first_rows(total):
            self.progress.hide()
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"Loading %v of {total:,} participants")
        self.progress.show()

    def apply_change(self, result: Result) -> None:
        """Another view changed something: read again what it touched, if the board shows
        it (the participants named in a progress change), or all of it (memberships,
        definitions)."""
        if self.frame is None or not result.ok:
            return
        if result.flags & {"cohorts", "definitions", "people"}:
            self.refresh()
            return
        if "progress" not in result.flags:
            return
        touched = {c.get("person") for c in result.changes if c.get("kind") == "progress"}
        rows = sorted(r for r in (self.model.row_of(p) for p in touched if p) if r is not None)
        if not rows:
            return
        if len(rows) > PARTIAL_ABOVE or any(c.get("kind") == "membership"
                                           for c in result.changes):
            self.refresh()
            return
        frame = dataclasses.replace(self.frame, at=self.now())
        load_id = self._load_id

        def job(store: Store) -> list[Any]:
            with store.session() as session:
                return cells_for(session, frame, rows)

        def done(placed: Any, error: BaseException | None) -> None:
            if placed is not None and load_id == self._load_id:
                self.model.place(rows, placed)
                self.columns.show_columns(self.filters)
                self._counts()
                self._update_actions()
                self.panel.refresh()

        self.worker.submit(job, done)

    def _result_done(self, result: Result) -> None:
        """A command of the board's own ran: read again what it touched (all of it after
        a refused undo, since the cards are not what the board thought), and tell the
        other views."""
        if not result.ok:
            self.refresh()
            return
        self.apply_change(result)
        self.changed.emit(result)

    # -- modes and filters -----------------------------------------------------------------

    def mode(self) -> str:
        """The mode shown: "board" or "grid"."""
        if self._mode_choice != "auto":
            return self._mode_choice
        people = len(self.frame.people) if self.frame else 0
        return "grid" if people > AUTO_GRID_ABOVE else "board"

    def set_mode(self, mode: str) -> None:
        """Board or grid; the current card stays the current card."""
        kept = self._current_keys() if self.frame else None
        self._mode_choice = mode
        self._apply_mode()
        if kept:
            self.select_card(*kept, focus=False)

    def toggle_mode(self) -> None:
        self.set_mode("grid" if self.mode() == "board" else "board")

    def _apply_mode(self) -> None:
        mode = self.mode()
        if mode == "board" and self._built_for != self._load_id:
            self.columns.build(self.model, self.filters)
            for column in self.columns.columns:
                column.cards.viewport().installEventFilter(self)
                column.cards.selectionModel().selectionChanged.connect(
                    lambda *_: self._update_actions())
            self._built_for = self._load_id
        self.stack.setCurrentWidget(self.columns if mode == "board" else self.grid)
        self.board_button.setChecked(mode == "board")
        self.grid_button.setChecked(mode == "grid")
        self._counts()
        self._update_actions()

    def _criteria(self, criteria: Criteria) -> None:
        self.filters.set(criteria)
        self.columns.show_columns(self.filters)
        self._counts()

    def _counts(self) -> None:
        if self.frame is None:
            self.count.setText("")
            return
        total = len(self.frame.people)
        if self.mode() == "grid":
            text = f"{self.grid_proxy.rowCount():,} of {plural(total, 'participant')}"
        else:
            text = f"{plural(self.columns.cards_shown(), 'card')} · {plural(total, 'participant')}"
        selected = self.selection_size()
        if selected:
            text += f" · {selected:,} selected"
        self.count.setText(text)

    # -- messages --------------------------------------------------------------------------

    def _offer(self, text: str, then: Callable[[], None]) -> None:
        self._offered = then
        self.offer_button.setText(text)
        self.offer_button.setAccessibleName(text)
        self.offer_button.show()

    def _take_offer(self) -> None:
        then, self._offered = self._offered, None
        self.offer_button.hide()
        if then is not None:
            then()

    def say(self, text: str, kind: str = "info") -> None:
        """Tell the user, in the message bar (the first line; all of it on hover)."""
        self.offer_button.hide()
        lines = text.splitlines()
        shown = "\n".join(lines[:SHOWN_LINES])
        more = len(lines) - SHOWN_LINES
        self.message.setText(shown + (f"\n… and {more} more (hover to read them all)"
                                      if more > 0 else ""))
        self.message.setToolTip(text)
        colour = {"error": "#c62828", "done": "#2e7d32"}.get(kind)
        self.message.setStyleSheet(f"color: {colour};" if colour else "")
        self.message.setProperty("kind", kind)
