"""What the main window reads when: at start and on Refresh the tree and the chosen cohort
first, the other tabs and docks behind; a cohort chosen in the tree, the tab in front first;
after a change, only the views it concerns. A mixin of MainWindow (as main_syncing is), kept
apart so the window's module holds its layout and wiring."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget
from sqlalchemy import func, select

from app.models import OutboxMessage
from app.models.store import Store
from app.services.queries.board import subtree
from app.services.write import Result

# Flags a command's result carries (Work.record) → what to read again.
PEOPLE_FLAGS = {"progress", "membership", "person", "people", "sessions", "signatures",
                "content", "approvals", "definitions", "steps"}
TREE_FLAGS = {"people", "cohorts", "definitions"}  # members or cohorts themselves changed
ALLOWED_FLAGS = {"definitions", "staff"}  # what the user's roles allow may have changed


class ReadingViews:
    """Needs the window's store, worker, tree, people, timeline, tabs, alerts, outbox,
    conflicts, sync_clock, its checkpoint thread and mail counter, and read_allowed."""

    store: Store
    worker: Any
    tree: Any
    people: Any
    timeline: Any
    tabs: Any
    alerts: Any
    outbox: Any
    conflicts: Any
    sync_clock: Any
    _checkpoints: Any
    _chosen: int
    read_allowed: Any
    _mail_counted: Any

    def refresh(self) -> None:
        self.read_allowed()
        self.tree.refresh()
        # The rest once the tree is in and has set off the chosen cohort's reads: on one
        # worker, what the user looks at first is read first (on a large store the other
        # tabs and docks take seconds).
        self.worker.submit(lambda _store: None, lambda _result, _error: self._refresh_rest())

    def _refresh_rest(self) -> None:
        self.alerts.refresh()
        self.outbox.refresh()
        self.conflicts.refresh()
        self.sync_clock.refresh()
        self._refresh_views()
        self.worker.submit(mail_waiting, self._mail_counted)

    def _refresh_views(self) -> None:
        for number in range(self.tabs.count()):
            view = self.tabs.widget(number)
            if view is not self.people and not self._follows_tree(view) \
                    and hasattr(view, "refresh"):
                view.refresh()

    def _follows_tree(self, view: QWidget) -> bool:
        """A view showing the tree's cohort, which a reload of the tree chooses again and so
        reads again: reading it besides would read it twice (seconds, on a large store)."""
        return hasattr(view, "show_cohort") and bool(self.tree.rows)

    def _person_chosen(self, person: str) -> None:
        self.timeline.show_person(person)

    def _cohort_chosen(self, cohort_id: Any, key: str) -> None:
        """Each view shows the cohort, the tab in front first, the others once its first
        answer is in: the worker reading for them while the window draws it would slow both
        (one interpreter), and a program cohort's list or board takes a while."""
        self._chosen += 1
        chosen, front = self._chosen, self.tabs.currentWidget()
        self._show_cohort(front, cohort_id, key)

        def the_others(_result: Any, _error: BaseException | None) -> None:
            if chosen == self._chosen:  # not another cohort chosen since
                for number in range(self.tabs.count()):
                    if self.tabs.widget(number) is not front:
                        self._show_cohort(self.tabs.widget(number), cohort_id, key)

        self.worker.submit(lambda _store: None, the_others)

    def _show_cohort(self, view: QWidget, cohort_id: Any, key: str) -> None:
        if view is self.people:
            self.people.show_cohorts(subtree(self.tree.rows, cohort_id))
        elif (show := getattr(view, "show_cohort", None)) is not None:
            show(key)

    def on_changed(self, result: Result) -> None:
        """Read again only what the change touched."""
        self._checkpoints.submit(self.store.checkpoint)  # quick when a run left nothing
        flags = set(result.flags)
        if flags & ALLOWED_FLAGS or not flags:
            self.read_allowed()  # roles or the [permissions] table may have changed
        concerns_people = bool(flags & PEOPLE_FLAGS) or not flags
        tree_reloads = bool(flags & TREE_FLAGS) or not flags
        if tree_reloads:
            self.tree.refresh()
        elif concerns_people:
            self.tree.refresh_badges()
        if concerns_people and not tree_reloads:
            self.people.refresh()
        for number in range(self.tabs.count()):
            view = self.tabs.widget(number)
            if tree_reloads and self._follows_tree(view):
                continue
            selective = (getattr(view, "on_change", None) or getattr(view, "on_changed", None)
                         or getattr(view, "apply_change", None))
            if selective is not None:
                selective(result)  # the view knows which changes concern it
            elif view is not self.people and concerns_people and hasattr(view, "refresh"):
                view.refresh()
        if "alerts" in flags or not flags:
            self.alerts.refresh()
        if "outbox" in flags or not flags:
            self.outbox.refresh()
            self.worker.submit(mail_waiting, self._mail_counted)
        self.sync_clock.refresh()  # every command made here waits to be sent


def mail_waiting(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "queued")) or 0


