"""The board's selection and what is done to it: complete, skip, reopen, remind, move, why a
card is locked, dropped cards, the context menu and tooltips. Part of BoardView
(app/views/board_view.py), kept apart from how the board is built, loaded and filtered.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QInputDialog,
    QMenu,
    QToolTip,
)

from app.models.store import Store
from app.services.queries.board_cells import (
    locked_reason_of,
)
from app.views.board_actions import Card, plural
from app.views.models.board import (
    POSITION_ROLE,
    REASON_ROLE,
    card_summary,
)

INSPECT_UP_TO = 2000  # selected cards looked at to enable the actions that fit them


class BoardActing:
    """Mixed into BoardView, whose attributes (model, grid, columns, actions, panel) it uses."""

    # -- selection -----------------------------------------------------------------------

    def selection_size(self) -> int:
        """How many cells or cards are selected, counted from the selection's ranges."""
        if self.mode() == "grid":
            return sum(r.width() * r.height() for r in self.grid.selectionModel().selection())
        return self.columns.selection_size()

    def selected_positions(self) -> list[tuple[int, int]]:
        """The selected cards as (row, column) of the board model, holding a card."""
        if self.mode() == "grid":
            found = sorted({index.data(POSITION_ROLE)
                            for index in self.grid.selectionModel().selectedIndexes()})
        else:
            found = self.columns.selected()
        return [(r, c) for r, c in found if self.model.cell(r, c) is not None]

    def selected_cards(self) -> list[Card]:
        return [self._card(r, c) for r, c in self.selected_positions()]

    def _card(self, row: int, column: int) -> Card:
        person, milestone = self.model.people[row], self.model.milestones[column]
        cell = self.model.cell(row, column)
        return Card(row=row, column=column, person=person.external_id, name=person.name,
                    milestone=milestone.key, title=milestone.title,
                    state=cell.state if cell else "", bypassable=milestone.bypassable)

    def current_position(self) -> tuple[int, int] | None:
        if self.mode() == "grid":
            index = self.grid.currentIndex()
            return index.data(POSITION_ROLE) if index.isValid() else None
        found = self.columns.current()
        if found is None:
            chosen = self.columns.selected()
            return chosen[0] if chosen else None
        return found

    def select_card(self, person: str, milestone: str, focus: bool = True) -> bool:
        """Make one card (by participant id and milestone key) the selection."""
        row = self.model.row_of(person)
        column = next((c for c, m in enumerate(self.model.milestones) if m.key == milestone),
                      None)
        if row is None or column is None:
            return False
        if self.mode() == "board":
            return self.columns.select(row, column, focus)
        index = self.grid_proxy.mapFromSource(self.model.index(row, column))
        if not index.isValid():
            return False
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index)
        if focus:
            self.grid.setFocus()
        return True

    def select_all(self) -> None:
        if self.mode() == "grid":
            self.grid.selectAll()
        else:
            self.columns.select_all()
        self._update_actions()

    def _current_keys(self) -> tuple[str, str] | None:
        position = self.current_position()
        if position is None:
            return None
        card = self._card(*position)
        return card.person, card.milestone

    def _select_kept(self) -> None:
        """After a reload, the card that was current is again (focus stays where it is)."""
        if self._keep and self.select_card(*self._keep, focus=False):
            self._keep = None

    def _grid_current(self, current: Any, _previous: Any) -> None:
        position = current.data(POSITION_ROLE) if current.isValid() else None
        if position is not None:
            self._current(*position)

    def _current(self, row: int, column: int) -> None:
        self._pending_panel = (row, column)
        self._panel_timer.start()
        self._update_actions()

    def _show_in_panel(self) -> None:
        if self._pending_panel is None:
            return
        row, column = self._pending_panel
        if row >= len(self.model.people) or column >= len(self.model.milestones):
            return
        self.panel.show_person(self.model.people[row].external_id,
                               self.model.milestones[column].key)

    def _to_panel(self) -> None:
        position = self.current_position()
        if position is not None:
            self._current(*position)
            self._panel_timer.stop()
            self._show_in_panel()
            self.panel.milestones.setFocus()

    def _update_actions(self) -> None:
        size = self.selection_size() if self.frame else 0
        skippable = True
        if size > INSPECT_UP_TO:  # too many to look at on each click: let the action sort
            states = {"open", "complete", "skipped"}
        else:
            cards = self.selected_cards() if size else []
            states = {c.state for c in cards}
            skippable = any(c.bypassable and c.state not in ("complete", "skipped")
                            for c in cards)
        self.complete_action.setEnabled(bool(states - {"complete", "skipped", "locked"}))
        self.skip_action.setEnabled(skippable and bool(states - {"complete", "skipped"}))
        self.reopen_action.setEnabled(bool(states & {"complete", "skipped"}))
        self.remind_action.setEnabled(bool(states & {"open", "started", "denied"}))
        self.move_action.setEnabled(bool(states))
        position = self.current_position() if self.frame else None
        cell = self.model.cell(*position) if position else None
        self.why_action.setEnabled(cell is not None and cell.state == "locked")
        self._counts()

    # -- acting --------------------------------------------------------------------------

    def complete_selected(self) -> None:
        self.actions.complete(self.selected_cards())

    def skip_selected(self, reason: str | None = None) -> None:
        cards = self.selected_cards()
        if not cards:
            return
        if reason is None:
            reason, ok = QInputDialog.getText(
                self, "Skip with a reason",
                f"Why are {plural(len(cards), 'card')} skipped? (kept in their history)")
            if not ok:
                return
        if not reason.strip():
            self.say("Nothing was skipped: a skip needs a reason.", "error")
            return
        self.actions.skip(cards, reason.strip())

    def reopen_selected(self) -> None:
        self.actions.reopen(self.selected_cards())

    def remind_selected(self) -> None:
        self.actions.remind(self.selected_cards())

    def move_selected(self, target: str | None = None) -> None:
        """Move the participants of the selected cards to another cohort (asked for)."""
        people = list(dict.fromkeys(c.person for c in self.selected_cards()))
        if not people:
            return
        choices = [r for r in self.tree if not (self.cohort and r.id == self.cohort.id)]
        if target is None:
            names = [r.name for r in choices]
            name, ok = QInputDialog.getItem(
                self, "Move to another cohort",
                f"Move {plural(len(people), 'participant')} to:", names, 0, False)
            if not ok:
                return
            target = next(r.key for r in choices if r.name == name)
        found = next((r for r in self.tree if r.key == target), None)
        if found is None:
            self.say(f"There is no cohort '{target}'.", "error")
            return
        self.actions.move(people, self.cohort_ids, found.key, found.name)

    def why_locked(self, position: tuple[int, int] | None = None) -> None:
        """Ask why the current (or given) card is locked, and say it."""
        position = position or self.current_position()
        if position is None:
            return
        row, column = position
        cell = self.model.cell(row, column)
        if cell is None or cell.state != "locked":
            self.say("This card is not locked.", "info")
            return
        self._ask_reason(row, column, show=True)

    def _ask_reason(self, row: int, column: int, *, show: bool = False,
                    at: QPoint | None = None) -> None:
        person, milestone = self.model.people[row], self.model.milestones[column]
        load_id = self._load_id

        def job(store: Store) -> str | None:
            with store.session() as session:
                return locked_reason_of(session, person.external_id, milestone.key)

        def done(reason: Any, error: BaseException | None) -> None:
            if load_id != self._load_id:
                return
            text = reason or (str(error) if error else "It is not locked any more.")
            self.model.set_reason(row, column, text)
            if show:
                self.say(f"{person.name} · {milestone.title} is locked. {text}", "info")
            if at is not None:
                QToolTip.showText(at, card_summary(person, milestone,
                                                   self.model.cell(row, column), text))

        self.worker.submit(job, done)

    def _cards_at(self, pairs: list[list[int]]) -> list[Card]:
        return [self._card(r, c) for r, c in pairs
                if r < len(self.model.people) and c < len(self.model.milestones)
                and self.model.cell(r, c) is not None]

    def _dropped_complete(self, pairs: list[list[int]]) -> None:
        self.actions.complete(self._cards_at(pairs))

    def _dropped_skip(self, pairs: list[list[int]]) -> None:
        self._select_pairs(pairs)
        self.skip_selected()

    def _dropped_remind(self, pairs: list[list[int]]) -> None:
        self.actions.remind(self._cards_at(pairs))

    def _dropped_move(self, pairs: list[list[int]]) -> None:
        self._select_pairs(pairs)
        self.move_selected()

    def _select_pairs(self, pairs: list[list[int]]) -> None:
        """Dropped cards are the selection already (a drag takes the selection); make sure."""
        if sorted(map(tuple, pairs)) != sorted(self.selected_positions()) and pairs:
            self.select_card(self.model.people[pairs[0][0]].external_id,
                             self.model.milestones[pairs[0][1]].key)

    # -- the context menu and tooltips ------------------------------------------------------

    def card_menu(self) -> QMenu:
        """The context menu for the selection (built fresh, so tests can drive it)."""
        self._update_actions()
        menu = QMenu(self)
        cards = self.selected_cards()
        if cards:
            menu.setTitle(plural(len(cards), "card"))
        for action in (self.show_action, None, self.complete_action, self.skip_action,
                       self.reopen_action, self.remind_action, self.move_action, None,
                       self.why_action, None, self.select_all_action, self.undo_action,
                       self.redo_action):
            menu.addSeparator() if action is None else menu.addAction(action)
        return menu

    def _menu(self, at: QPoint) -> None:
        self.card_menu().exec(at)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        """A tooltip on a locked card asks why it is locked (once) and shows it when known."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            view = watched.parent()
            if isinstance(view, QAbstractItemView):
                index = view.indexAt(event.pos())
                position = index.data(POSITION_ROLE) if index.isValid() else None
                if position is not None:
                    row, column = position
                    cell = self.model.cell(row, column)
                    known = self.model.data(self.model.index(row, column), REASON_ROLE)
                    if cell is not None and cell.state == "locked" and known is None:
                        self._ask_reason(row, column, at=event.globalPos())
        return super().eventFilter(watched, event)
