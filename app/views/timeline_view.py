"""The stage-gate timeline view: one participant's or one cohort's gates over time.

Gates are bands from their first opening to their last due or completion date, coloured by
status; each gate's milestones sit in lanes beneath it with a diamond at the due date (red
when past due), a dot at the completion date, and a faint track from opening to completion.
A blue line marks today. Ctrl+wheel or +/- zooms about the pointer or the middle, 0 or F
fits the whole span, T scrolls to today, Up/Down pick a gate, Enter records its review.

Reads and the review command both go through the serial `DbWorker`; a load that comes back
after the user already asked for something else is dropped, so fast clicking through
participants never shows a stale timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget
from shiboken6 import isValid

from app.models.store import Store
from app.services.clock import utcnow
from app.services.commands import ReviewGate
from app.services.queries.timeline import Kind, Timeline, cohort_timeline, person_timeline
from app.services.write import Result, execute
from app.views.gate_review_dialog import GateReviewDialog
from app.views.timeline_canvas import STEP, TimelineCanvas
from app.views.worker import DbWorker

# The change flags (Result.flags) that can move what the timeline draws.
SHOWN_FLAGS = frozenset({"progress", "gates", "cohorts", "definitions", "people"})


def _button(text: str, name: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    return button


class TimelineView(QWidget):
    changed = Signal(object)
    """A gate review was recorded: the command's Result, for the other views to refresh."""
    sig_timeline_loaded = Signal(object)
    """A timeline was drawn (the Timeline); tests and the status bar wait on it."""

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(parent)
        self.worker, self.user, self.clock = worker, user, clock
        self.subject: tuple[Kind, str] | None = None
        self.timeline: Timeline | None = None
        self.review_dialog: GateReviewDialog | None = None
        self._asked = 0  # the number of the latest load: older answers are dropped
        self._stale = False  # asked for while hidden: read when shown
        self._drawn: tuple[Kind, str] | None = None
        self.title = QLabel("Stage-gate timeline")
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.canvas = TimelineCanvas()
        self.zoom_out = _button("−", "Zoom out", "Zoom out (-, Ctrl+wheel)")
        self.zoom_in = _button("+", "Zoom in", "Zoom in (+, Ctrl+wheel)")
        self.fit = _button("&Fit", "Fit the whole timeline", "Fit the whole span (0 or F)")
        self.today = _button("&Today", "Scroll to today", "Scroll to today (T)")
        self.review = _button("&Record review…", "Record a gate review",
                              "Record a review of the selected gate (Enter)")
        self.zoom_out.clicked.connect(lambda: self.canvas.zoom(1 / STEP))
        self.zoom_in.clicked.connect(lambda: self.canvas.zoom(STEP))
        self.fit.clicked.connect(self.canvas.fit)
        self.today.clicked.connect(self.canvas.scroll_to_today)
        self.review.clicked.connect(self.record_review)
        self.canvas.sig_review_requested.connect(self.record_review)
        self.canvas.scene().selectionChanged.connect(self._selection_changed)
        self.status = QLabel()
        self.status.setWordWrap(True)
        header = QHBoxLayout()
        header.setContentsMargins(6, 4, 6, 2)
        heading = QVBoxLayout()
        heading.setSpacing(0)
        heading.addWidget(self.title)
        heading.addWidget(self.subtitle)
        header.addLayout(heading, 1)
        for button in (self.zoom_out, self.zoom_in, self.fit, self.today, self.review):
            header.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.status)
        self.status.setContentsMargins(6, 2, 6, 4)
        self.setFocusProxy(self.canvas)
        self.canvas.show_message("Choose a participant or a cohort to see its stage gates.")
        self._selection_changed()

    # -- what is shown --------------------------------------------------------------------

    def show_person(self, external_id: str) -> None:
        self.subject = ("person", external_id)
        self.refresh()

    def show_cohort(self, cohort_key: str) -> None:
        self.subject = ("cohort", cohort_key)
        self.refresh()

    def on_change(self, result: Result) -> None:
        """Another view's command: reload only if it touched what a timeline draws."""
        if self.subject is not None and result.flags & SHOWN_FLAGS:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Read what is shown again. Hidden, it waits until shown: a program cohort's timeline
        on a large store takes seconds of the worker every view shares."""
        if self.subject is None:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._asked += 1
        number, (kind, ref) = self._asked, self.subject
        self.status.setText("Loading…")
        at = self.clock()

        def load(store: Store) -> Timeline:
            with store.session() as session:
                if kind == "person":
                    return person_timeline(session, ref, at)
                return cohort_timeline(session, ref, at)

        self.worker.submit(load, lambda result, error: self._loaded(number, result, error))

    def _loaded(self, number: int, timeline: Timeline | None,
                error: BaseException | None) -> None:
        if not isValid(self) or number != self._asked:
            return  # closed meanwhile, or the user has since asked for something else
        if error is not None or timeline is None:
            self.timeline = None
            self._drawn = None
            self.title.setText("Stage-gate timeline")
            self.subtitle.setText("")
            self.canvas.show_message(str(error) if error else "Nothing to show.")
            self.status.setText("")
            self._selection_changed()
            return
        same = self._drawn == self.subject
        self.timeline = timeline
        self._drawn = self.subject
        self.title.setText(timeline.title)
        self.subtitle.setText(timeline.subtitle)
        self.canvas.set_timeline(timeline, keep_view=same)
        self.status.setText(self._summary(timeline))
        self._selection_changed()
        self.sig_timeline_loaded.emit(timeline)

    @staticmethod
    def _summary(timeline: Timeline) -> str:
        if not timeline.gates:
            return "No stage gate applies here."
        late = sum(m.past_due_count for m in timeline.milestones)
        text = f"{len(timeline.gates)} stage gate{'s' if len(timeline.gates) != 1 else ''}"
        if not late:
            return text + " · nothing past due"
        text += f" · {late} milestone{'s' if late != 1 else ''} past due"
        if timeline.kind == "cohort":
            text += f" across {timeline.members} member{'s' if timeline.members != 1 else ''}"
        return text

    # -- reviews --------------------------------------------------------------------------

    def _selection_changed(self) -> None:
        band = self.canvas.selected_band()
        person = self.timeline is not None and self.timeline.kind == "person"
        self.review.setEnabled(band is not None and person)
        if self.timeline is not None and not person:
            self.review.setToolTip("Gate reviews are recorded per participant: open a "
                                   "participant's timeline.")
        else:
            self.review.setToolTip("Record a review of the selected gate (Enter)")

    def record_review(self) -> None:
        """Open the review dialog for the selected gate of the participant shown."""
        band = self.canvas.selected_band()
        timeline = self.timeline
        if band is None or timeline is None:
            return
        if timeline.kind != "person":
            self.status.setText("Gate reviews are recorded per participant: open a "
                                "participant's timeline to review a gate.")
            return
        checklist = [m for m in timeline.milestones if m.gate == band.gate.key]
        dialog = GateReviewDialog(timeline.title, band.gate, checklist, self)
        dialog.sig_review_requested.connect(
            lambda decision, note: self._review(dialog, band.gate.key, decision, note))
        dialog.finished.connect(lambda _code: self._dialog_closed(dialog))
        self.review_dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: GateReviewDialog) -> None:
        if self.review_dialog is dialog:
            self.review_dialog = None
        dialog.deleteLater()

    def _review(self, dialog: GateReviewDialog, gate: str, decision: str, note: str) -> None:
        assert self.timeline is not None
        command = ReviewGate(at=self.clock(), by=self.user, person=self.timeline.ref, gate=gate,
                             decision=decision, note=note or None)

        def done(result: Any, error: BaseException | None) -> None:
            if not isValid(self):
                return  # the window closed while the command ran
            open_still = self.review_dialog is dialog  # not cancelled while it ran
            if error is not None or not result.ok:
                why = str(error) if error is not None else result.error or "Refused."
                dialog.finish(why) if open_still else self.status.setText(why)
                return
            if open_still:
                dialog.finish(None)
            self.changed.emit(result)
            self.refresh()
            self.canvas.select_gate(gate)

        self.worker.submit(lambda store: execute(store, command), done)
