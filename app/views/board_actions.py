"""What the board does to a selection of cards: complete, skip with a reason, reopen, remind,
move to another cohort. Each is one command for the whole selection (all of it or none),
run on the DbWorker, with a busy dialog for a large selection, and pushed on an undo stack
where the domain has an inverse:

- complete → undone by reopening the same cards (ReopenMany);
- skip with a reason → undone by reopening them;
- reopen → undone by completing them again, when every one of them was complete;
- move to a cohort → undone by moving each participant back;
- remind → not undoable: the mail is queued (and may already be sent).

Undo and redo run the inverse or the action again as a new command, with a new time; if the
store refuses (someone else changed those cards since), the undo history is cleared and the
reason is said.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.models.store import Store
from app.services.commands import (
    BypassMany,
    Command,
    CompleteMany,
    MoveMany,
    RemindMany,
    ReopenMany,
)
from app.services.queries.board_cells import board_cohort_of
from app.services.write import Result, execute
from app.views.worker import DbWorker

DONE = ("complete", "skipped")
REMINDABLE = ("open", "started", "denied")
BUSY_ABOVE = 100  # cards: a larger selection shows a busy dialog while it runs

Items = tuple[tuple[str, str], ...]
Factory = Callable[[datetime], Command]
Retry = tuple[str, list["Card"], Callable[[list["Card"]], None]]  # verb, cards, run again


@dataclass(frozen=True)
class Card:
    """A selected card, as the actions need it."""

    row: int
    column: int
    person: str  # participant id
    name: str
    milestone: str  # milestone key
    title: str
    state: str
    bypassable: bool = True  # the milestone may be skipped with a reason (by some roles)


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class _Undoable(QUndoCommand):
    """An action already done: redo runs it again, undo runs its inverse."""

    def __init__(self, actions: BoardActions, text: str, forward: Factory,
                 backward: Factory) -> None:
        super().__init__(text)
        self._actions, self._forward, self._backward = actions, forward, backward
        self._done_once = True  # pushed after the first run succeeded

    def redo(self) -> None:
        if self._done_once:
            self._done_once = False
            return
        self._actions.run(f"Redo: {self.text()}", self._forward, undoable=False)

    def undo(self) -> None:
        self._actions.run(f"Undo: {self.text()}", self._backward, undoable=False)


class BoardActions(QObject):
    """Runs the board's commands; `sig_result_done` carries each successful Result, and
    `sig_message` what to tell the user (text, kind: done | error | info)."""

    sig_result_done = Signal(object)
    """A command succeeded: the Result, for the board to refresh what it touched."""
    sig_message = Signal(str, str)
    """Something to say in the board's message bar: the text and its kind."""
    sig_offer = Signal(str, object)
    """A selection was refused for some of its cards: the button's text ("Complete the
    other 28") and what it does (a callable), offered beside the reason."""

    def __init__(self, worker: DbWorker, user: str, now: Callable[[], datetime],
                 host: QWidget) -> None:
        super().__init__(host)
        self.worker, self.user, self.now, self.host = worker, user, now, host
        self.stack = QUndoStack(self)
        self.running = 0

    # -- the actions ---------------------------------------------------------------------

    def complete(self, cards: Sequence[Card]) -> None:
        chosen = [c for c in cards if c.state not in DONE and c.state != "locked"]
        skipped = _left_out(cards, chosen, "already done or locked")
        items = _items(chosen)
        if not items:
            self.sig_message.emit("Nothing to complete: " + (skipped or "no card chosen."),
                                  "info")
            return
        text = f"Complete {_what(chosen)}"
        self._act(text, lambda at: CompleteMany(at=at, by=self.user, items=items),
                  lambda at: ReopenMany(at=at, by=self.user, items=items,
                                        note="undone on the board"), skipped, len(items),
                  retry=("Complete", chosen, self.complete))

    def skip(self, cards: Sequence[Card], reason: str) -> None:
        chosen = [c for c in cards if c.state not in DONE and c.bypassable]
        skipped = _left_out(cards, chosen, "already done, or mandatory")
        items = _items(chosen)
        if not items:
            self.sig_message.emit("Nothing to skip: " + (skipped or "no card chosen."), "info")
            return
        text = f"Skip {_what(chosen)}"
        self._act(text, lambda at: BypassMany(at=at, by=self.user, items=items, note=reason),
                  lambda at: ReopenMany(at=at, by=self.user, items=items,
                                        note="undone on the board"), skipped, len(items),
                  retry=("Skip", chosen, lambda rest: self.skip(rest, reason)))

    def reopen(self, cards: Sequence[Card]) -> None:
        chosen = [c for c in cards if c.state in DONE]
        skipped = _left_out(cards, chosen, "not complete or skipped")
        items = _items(chosen)
        if not items:
            self.sig_message.emit("Nothing to reopen: " + (skipped or "no card chosen."),
                                  "info")
            return
        text = f"Reopen {_what(chosen)}"
        undo: Factory | None = None
        if all(c.state == "complete" for c in chosen):
            def undo(at: datetime) -> Command:
                return CompleteMany(at=at, by=self.user, items=items)
        self._act(text, lambda at: ReopenMany(at=at, by=self.user, items=items), undo,
                  skipped, len(items), retry=("Reopen", chosen, self.reopen))

    def remind(self, cards: Sequence[Card]) -> None:
        chosen = [c for c in cards if c.state in REMINDABLE]
        skipped = _left_out(cards, chosen, "not open, started or denied")
        items = _items(chosen)
        if not items:
            self.sig_message.emit("Nobody to remind: " + (skipped or "no card chosen."), "info")
            return
        people = len({c.person for c in chosen})
        self._act(f"Remind {plural(people, 'participant')}",
                  lambda at: RemindMany(at=at, by=self.user, items=items), None, skipped,
                  len(items))

    def move(self, people: Sequence[str], cohort_ids: Sequence[uuid.UUID], target: str,
             target_name: str) -> None:
        """Move participants out of the board's cohort they are in, into `target`."""
        wanted, board, user = list(dict.fromkeys(people)), list(cohort_ids), self.user
        if not wanted:
            self.sig_message.emit("Nobody to move: no card chosen.", "info")
            return
        text = f"Move {plural(len(wanted), 'participant')} to {target_name}"

        def job(store: Store) -> tuple[Result, tuple[tuple[str, str, str], ...]]:
            with store.session() as session:
                origin = board_cohort_of(session, wanted, board)
            moves = tuple((p, origin.get(p, ""), target) for p in wanted)
            return execute(store, MoveMany(at=self.now(), by=user, moves=moves)), moves

        def done(found: Any, error: BaseException | None) -> None:
            if found is None:
                self._finished(text, None, error, None)
                return
            result, moves = found
            back = tuple((p, to, source) for p, source, to in moves)
            self._finished(text, result, None, _Undoable(
                self, text, lambda at: MoveMany(at=at, by=user, moves=moves),
                lambda at: MoveMany(at=at, by=user, moves=back)))

        self._submit(text, job, done, len(wanted))

    # -- running -------------------------------------------------------------------------

    def _act(self, text: str, forward: Factory, backward: Factory | None, skipped: str,
             count: int, retry: Retry | None = None) -> None:
        undo = _Undoable(self, text, forward, backward) if backward else None
        self.run(text, forward, undoable=True, undo=undo, note=skipped, count=count,
                 retry=retry)

    def run(self, text: str, make: Factory, *, undoable: bool = False,
            undo: QUndoCommand | None = None, note: str = "", count: int = 1,
            retry: Retry | None = None) -> None:
        """Run one command on the worker; on success push `undo` (if any) on the stack."""
        command = make(self.now())

        def done(result: Any, error: BaseException | None) -> None:
            self._finished(text, result, error, undo if undoable else None, note,
                           from_stack=not undoable)
            if result is not None and not result.ok and retry is not None:
                self._offer_rest(result.error or "", retry)

        self._submit(text, lambda store: execute(store, command), done, count)

    def _offer_rest(self, reason: str, retry: Retry) -> None:
        """The cards the refusal does not name may still be done: offer it (one click)."""
        verb, cards, again = retry
        named = {(c.person, c.milestone) for c in cards
                 if f"{c.person} · {c.milestone}:" in reason}
        rest = [c for c in cards if (c.person, c.milestone) not in named]
        if named and rest:
            self.sig_offer.emit(f"{verb} the other {len(rest)}", lambda: again(rest))

    def _submit(self, text: str, job: Callable[[Store], Any],
                done: Callable[[Any, BaseException | None], None], count: int) -> None:
        busy = None
        if count > BUSY_ABOVE:
            busy = QProgressDialog(f"{text}…", "", 0, 0, self.host)
            busy.setWindowTitle("Waypoint")
            busy.setCancelButton(None)
            busy.setWindowModality(Qt.WindowModality.WindowModal)
            busy.setMinimumDuration(300)
        self.running += 1

        def finish(result: Any, error: BaseException | None) -> None:
            self.running -= 1
            if busy is not None:
                busy.close()
                busy.deleteLater()
            done(result, error)

        self.worker.submit(job, finish)

    def _finished(self, text: str, result: Result | None, error: BaseException | None,
                  undo: QUndoCommand | None, note: str = "", from_stack: bool = False) -> None:
        if error is not None or result is None:
            self.sig_message.emit(f"{text} failed: {error}", "error")
            if from_stack:
                self.stack.clear()
            return
        if not result.ok:
            reason = result.error or "Refused."
            if from_stack:
                self.stack.clear()
                reason += "\nThe undo history was cleared: the board shows the cards as now."
            self.sig_message.emit(reason, "error")
            if from_stack:
                self.sig_result_done.emit(result)  # the board reloads what is there now
            return
        if undo is not None:
            self.stack.push(undo)
        said = f"{text}: done."
        skipped = [c for c in result.changes if c.get("skipped")]
        if skipped:
            said += f" {plural(len(skipped), 'participant')} already had a reminder today."
        self.sig_message.emit(said + (f" {note}" if note else ""), "done")
        self.sig_result_done.emit(result)


def _items(cards: Sequence[Card]) -> Items:
    """(person, milestone) in step order, then by name: a milestone before the ones it
    unlocks, so one command completes both."""
    ordered = sorted(cards, key=lambda c: (c.column, c.row))
    return tuple(dict.fromkeys((c.person, c.milestone) for c in ordered))


def _what(cards: Sequence[Card]) -> str:
    if len(cards) == 1:
        return f"'{cards[0].title}' for {cards[0].name}"
    return plural(len(cards), "card")


def _left_out(cards: Sequence[Card], chosen: Sequence[Card], why: str) -> str:
    missing = len(cards) - len(chosen)
    if not missing:
        return ""
    return f"{plural(missing, 'card')} left out ({why})."
