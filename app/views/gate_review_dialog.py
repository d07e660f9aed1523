"""Record a gate review: the readiness checklist, a decision (go / hold / recycle / stop) and a
note.

The dialog does not run the command itself: it asks for it (`sig_review_requested`) and stays
open until the view reports the result, so a refusal (not an eligible reviewer, say) is read
where the reviewer is still looking, with what they typed kept.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.queries.timeline import GateSpan, MilestoneMark
from app.views.models.rows import RowsModel
from app.views.timeline_items import DECISION_LABELS, STATE_LABELS, Colours, day_text

MNEMONICS = {"go": "&Go", "hold": "&Hold", "recycle": "Re&cycle", "stop": "&Stop"}


class GateReviewDialog(QDialog):
    sig_review_requested = Signal(str, str)
    """The reviewer asked to record (decision, note); the view answers with `finish`."""

    def __init__(self, who: str, gate: GateSpan, checklist: list[MilestoneMark],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.gate = gate
        self.setWindowTitle(f"Review {gate.name} — {who}")
        self.setAccessibleName(f"Gate review of {gate.name} for {who}")
        done = sum(m.done for m in checklist)
        late = sum(m.past_due_count for m in checklist)
        red = Colours.of(self.palette()).late.name()
        readiness = QLabel(f"<b>{gate.name}</b> for {who}: {done} of {len(checklist)} "
                           f"milestones complete or skipped"
                           + (f", <span style='color:{red}'>{late} past due</span>"
                              if late else "") + ".")
        readiness.setWordWrap(True)
        self.checklist = RowsModel([
            ("Milestone", lambda m: m.title),
            ("State", lambda m: STATE_LABELS.get(m.state or "", m.state)),
            ("Due", lambda m: day_text(m.due) if m.due else ""),
            ("Completed", lambda m: day_text(m.completed) if m.completed else ""),
            ("Past due", lambda m: "Past due" if m.past_due else ""),
        ], self)
        self.checklist.set_rows(checklist)
        table = QTableView()
        table.setModel(self.checklist)
        table.setAccessibleName("Readiness checklist")
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.setMinimumHeight(min(60 + 26 * len(checklist), 260))
        self.table = table
        last = QLabel(self._last_review())
        last.setWordWrap(True)
        self.decisions = QButtonGroup(self)
        choices = QHBoxLayout()
        for key in DECISION_LABELS:
            button = QRadioButton(MNEMONICS[key])
            button.setAccessibleName(f"Decision: {DECISION_LABELS[key]}")
            button.setProperty("decision", key)
            self.decisions.addButton(button)
            choices.addWidget(button)
        choices.addStretch(1)
        box = QGroupBox("Decision")
        box.setLayout(choices)
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("Why: what is ready, what is missing, what happens next")
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(90)
        note_label = QLabel("&Note")
        note_label.setBuddy(self.note)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet(f"color: {red}")
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.record = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.record.setText("&Record review")
        self.record.setEnabled(False)
        self.buttons.accepted.connect(self._request)
        self.buttons.rejected.connect(self.reject)
        self.decisions.buttonToggled.connect(lambda *_: self.record.setEnabled(
            self.decision() is not None))
        layout = QVBoxLayout(self)
        for widget in (readiness, table, last, box, note_label, self.note, self.error,
                       self.buttons):
            layout.addWidget(widget)
        self.resize(620, 480)

    def _last_review(self) -> str:
        review = self.gate.review
        reviewers = ", ".join(self.gate.reviewers) or "admins"
        if review is None:
            return f"No review recorded yet. Reviewers: {reviewers} (and admins)."
        return (f"Last review: {DECISION_LABELS.get(review.decision, review.decision)} by "
                f"{review.actor} on {review.at.astimezone():%d %b %Y}"
                + (f" — “{review.note}”" if review.note else "") + ".")

    def decision(self) -> str | None:
        chosen = self.decisions.checkedButton()
        return None if chosen is None else str(chosen.property("decision"))

    def choose(self, decision: str) -> None:
        for button in self.decisions.buttons():
            if button.property("decision") == decision:
                button.setChecked(True)

    def _request(self) -> None:
        decision = self.decision()
        if decision is None:
            return
        self.record.setEnabled(False)
        self.error.hide()
        self.sig_review_requested.emit(decision, self.note.toPlainText().strip())

    def finish(self, error: str | None) -> None:
        """The view's answer: close on success, else say why and let the reviewer retry."""
        if error is None:
            self.accept()
            return
        self.error.setText(error)
        self.error.show()
        self.record.setEnabled(self.decision() is not None)
