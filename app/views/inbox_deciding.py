"""The inbox's decisions: approve, deny, decide with a note, approve a selection, hand a
request to a colleague. Part of InboxView (app/views/inbox_view.py), kept apart from how the
inbox is built, read and moved through; the next request is selected as soon as one is sent.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QInputDialog,
    QMessageBox,
)

from app.models.store import Store
from app.services.commands import (
    ApproveMany,
    ApproveProgress,
    AssignApproval,
    Command,
    DenyProgress,
)
from app.services.queries.decisions import (
    Colleague,
    colleagues,
    progress_state,
)
from app.services.queries.inbox import InboxItem
from app.services.write import Result, execute
from app.views.inbox_bars import FollowUp, in_plain_words
from app.views.inbox_dialogs import NoteDialog

PAST = {"approve": "approved", "deny": "denied"}


def decide(store: Store, command: Command, progress_id: uuid.UUID
           ) -> tuple[Result, str | None]:
    """The worker's job: run a decision, then read where the request stands after it."""
    result = execute(store, command)
    with store.session() as session:
        return result, progress_state(session, progress_id)


class InboxDecisions:
    """Mixed into InboxView, whose attributes (worker, model, proxy, table, bars) it uses."""

    # -- deciding ----------------------------------------------------------------------------

    def approve_current(self) -> None:
        self._decide_current("approve")

    def deny_current(self) -> None:
        self._decide_current("deny")

    def _decide_current(self, decision: str) -> None:
        item = self._actionable()
        if item is None:
            return
        note = None
        rules = self.rules.get(item.milestone)
        if rules is not None and decision in rules.note_required:
            answer = NoteDialog.ask(
                self, f"'{item.title}' for {item.name} needs a note to {decision}.",
                [decision], {decision})
            if answer is None:
                self.message.say("Nothing was decided.", "info")
                return
            decision, note = answer
        self._send(item, decision, note)

    def decide_with_note(self, item: InboxItem | None = None) -> None:
        item = item or self._actionable()
        if item is None:
            return
        rules = self.rules.get(item.milestone)
        answer = NoteDialog.ask(
            self, f"'{item.title}' for {item.name}, level {item.level} of {item.levels}.",
            ["approve", "deny"], set(rules.note_required) if rules else set())
        if answer is not None:
            self._send(item, *answer)

    def _actionable(self) -> InboxItem | None:
        item = self.current_item()
        if item is None:
            self.message.say("Choose a request first (J and K move through them).", "info")
            return None
        if self.model.is_pending(item.progress_id):
            return None  # a decision on it is on its way
        return item

    def _send(self, item: InboxItem, decision: str, note: str | None) -> None:
        kind = ApproveProgress if decision == "approve" else DenyProgress
        command = kind(at=self.clock(), by=self.user, person=item.person,
                       milestone=item.milestone, note=note or None)
        self.model.set_pending([item.progress_id], True)
        self._move_past([item.progress_id])
        moved_to = self.current_item()
        self.worker.submit(lambda store: decide(store, command, item.progress_id),
                           lambda outcome, error: self._decided(item, decision, note,
                                                                outcome, error, moved_to))

    def _move_past(self, leaving: list[uuid.UUID]) -> None:
        """Select the next request nothing is being done to (below, else above)."""
        current = self.table.currentIndex().row()
        busy = {self.proxy.mapFromSource(self.model.index(r, 0)).row()
                for r in (self.model.row_of(p) for p in leaving) if r is not None}

        def free(row: int) -> bool:
            item = self.model.item(self.proxy.mapToSource(self.proxy.index(row, 0)).row())
            return row not in busy and not self.model.is_pending(item.progress_id)

        start = max(busy) if busy else current
        after = next((r for r in range(start + 1, self.proxy.rowCount()) if free(r)), None)
        before = next((r for r in range(start - 1, -1, -1) if free(r)), None)
        chosen = after if after is not None else before
        if chosen is not None:
            self._select(chosen)

    def _decided(self, item: InboxItem, decision: str, note: str | None,
                 outcome: tuple[Result, str | None] | None, error: BaseException | None,
                 moved_to: InboxItem | None = None) -> None:
        self.model.set_pending([item.progress_id], False)
        failed = error is not None or outcome is None or not outcome[0].ok
        if failed and self.current_item() == moved_to:
            self._select_item(item)  # back to it, unless the user has moved on since
        if error is not None or outcome is None:
            self.message.say(f"The decision on '{item.title}' for {item.name} could not be "
                             f"recorded: {error}", "error")
            return
        result, state = outcome
        if not result.ok:
            self._refused(item, f"'{item.title}' for {item.name} was not {PAST[decision]}",
                          result.error, offer_note=not note)
            return
        self._leave([item.progress_id])
        then = (" It now waits for the next level." if state == "submitted" else "")
        self.message.say(f"{PAST[decision].capitalize()} '{item.title}' for {item.name}."
                         + then, "done")
        self.changed.emit(result)
        rules = self.rules.get(item.milestone)
        if state in ("complete", "denied") and rules is not None and rules.follow_up:
            self.message.hide()  # the follow-up bar says what was decided
            self.follow_ups.offer(FollowUp(item.person, item.name, item.milestone, item.title,
                                 PAST[decision]))

    def _refused(self, item: InboxItem, what: str, error: str | None,
                 offer_note: bool) -> None:
        """Say why, in the command's words; where a note was missing, offer the dialog."""
        action = None
        if offer_note and "note" in (error or "").lower():
            action = ("Decide with a &note…", lambda: self.decide_with_note(item))
        self.message.say(f"{what}: {in_plain_words(error)}", "error", action)

    def _leave(self, progress_ids: list[uuid.UUID]) -> None:
        """Decided requests leave the list; the selection stays on (or moves to) a neighbour."""
        row = self.table.currentIndex().row()
        self.model.remove(progress_ids)
        for progress_id in progress_ids:
            self._evidence.pop(progress_id, None)
        if not self.table.currentIndex().isValid():
            self._select(min(max(row, 0), self.proxy.rowCount() - 1))
        if not self.proxy.rowCount():
            self._current_changed(QModelIndex())
        self._update_summary()

    def approve_selected(self) -> None:
        items = [i for i in self.selected_items() if not self.model.is_pending(i.progress_id)]
        if not items:
            self.message.say("Select the requests to approve first (Shift+J/K or Ctrl+click "
                             "to select several, Ctrl+A for all shown).", "info")
            return
        if len(items) == 1:
            self._decide_one(items[0], "approve")
            return
        answer = QMessageBox.question(self, "Approve these requests?",
                                      f"Approve all {len(items)} selected requests? Either "
                                      "every one of them is approved, or none is.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        needing = [i for i in items if "approve" in self._note_rules(i)]
        note = None
        if needing:
            asked = NoteDialog.ask(self, f"{len(needing)} of the {len(items)} requests need a "
                                   "note to approve; the note goes with all of them.",
                                   ["approve"], {"approve"})
            if asked is None:
                self.message.say("Nothing was approved.", "info")
                return
            note = asked[1]
        command = ApproveMany(at=self.clock(), by=self.user, note=note,
                              items=tuple((i.person, i.milestone) for i in items))
        ids = [i.progress_id for i in items]
        self.model.set_pending(ids, True)
        self._move_past(ids)

        def done(result: Result | None, error: BaseException | None) -> None:
            self.model.set_pending(ids, False)
            if error is not None or result is None:
                self.message.say(f"The approvals could not be recorded: {error}", "error")
            elif not result.ok:
                self._refused(items[0], f"None of the {len(items)} requests was approved",
                              result.error, offer_note=False)
            else:
                self._leave(ids)
                self.message.say(f"Approved {len(items)} requests.", "done")
                self.changed.emit(result)

        self.worker.submit(lambda store: execute(store, command), done)

    def _decide_one(self, item: InboxItem, decision: str) -> None:
        self._select_item(item)
        self._decide_current(decision)

    def _note_rules(self, item: InboxItem) -> frozenset[str]:
        rules = self.rules.get(item.milestone)
        return rules.note_required if rules else frozenset()

    # -- assigning ---------------------------------------------------------------------------

    def assign_current(self) -> None:
        item = self._actionable()
        if item is None:
            return
        user = self.user

        def job(store: Store) -> list[Colleague]:
            with store.session() as session:
                return colleagues(session, item.progress_id, user)

        self.worker.submit(job, lambda found, error: self._choose_colleague(item, found, error))

    def _choose_colleague(self, item: InboxItem, found: list[Colleague] | None,
                          error: BaseException | None) -> None:
        if error is not None or found is None:
            self.message.say(f"Who may decide could not be read: {error}", "error")
            return
        if not found:
            self.message.say(f"Nobody else may decide level {item.level} of '{item.title}' "
                             f"for {item.name}.", "info")
            return
        labels = [f"{c.name} <{c.email}> — {c.why}" for c in found]
        chosen, ok = QInputDialog.getItem(
            self, "Assign to a colleague",
            f"Who should decide '{item.title}' for {item.name} (level {item.level} of "
            f"{item.levels})? They are told by mail.", labels, 0, False)
        if not ok or chosen not in labels:
            return
        colleague = found[labels.index(chosen)]
        command = AssignApproval(at=self.clock(), by=self.user, person=item.person,
                                 milestone=item.milestone, to=colleague.email)
        self.model.set_pending([item.progress_id], True)

        def done(result: Result | None, error: BaseException | None) -> None:
            self.model.set_pending([item.progress_id], False)
            if error is not None or result is None:
                self.message.say(f"The request could not be handed on: {error}", "error")
            elif not result.ok:
                self._refused(item, f"'{item.title}' for {item.name} was not handed on",
                              result.error, offer_note=False)
            else:
                self._leave([item.progress_id])
                self.message.say(f"Handed '{item.title}' for {item.name} to {colleague.name}.",
                                 "done")
                self.changed.emit(result)

        self.worker.submit(lambda store: execute(store, command), done)

