"""The board's filter bar: search text, state, gate, label and at risk. It only builds the
criteria; the proxies apply them to what is loaded, without asking the database again."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.services.queries.board_cells import BoardMilestone
from app.views.models.board import STATE_LABELS, Criteria


def _combo(name: str, everything: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.addItem(everything, None)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


class FilterBar(QWidget):
    sig_criteria = Signal(object)
    """The user changed a filter: the new Criteria."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search participants (name, id, email, status)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search participants")
        self.search.setMinimumWidth(220)
        self.state = _combo("Filter by state", "Any state")
        for state, label in STATE_LABELS.items():
            self.state.addItem(label, state)
        self.gate = _combo("Filter by stage gate", "Any gate")
        self.label = _combo("Filter by label", "Any label")
        self.at_risk = QCheckBox("At &risk")
        self.at_risk.setToolTip("Only what is past due, behind or stuck")
        self.at_risk.setAccessibleName("Only cards at risk: past due, behind or stuck")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 2)
        for text, widget in (("&State", self.state), ("&Gate", self.gate),
                             ("&Label", self.label)):
            caption = QLabel(text)
            caption.setBuddy(widget)
            layout.addWidget(caption)
            layout.addWidget(widget)
        layout.addWidget(self.at_risk)
        self.search.textChanged.connect(self._changed)
        for combo in (self.state, self.gate, self.label):
            combo.currentIndexChanged.connect(self._changed)
        self.at_risk.toggled.connect(self._changed)

    def offer(self, milestones: list[BoardMilestone]) -> None:
        """The gates and labels of this board's milestones (a chosen one stays if present)."""
        gates = {m.gate_key: m.gate_name or m.gate_key for m in milestones if m.gate_key}
        labels = sorted({label for m in milestones for label in m.labels})
        self._refill(self.gate, "Any gate", list(gates.items()))
        self._refill(self.label, "Any label", [(label, label) for label in labels])
        self._changed()

    def _refill(self, combo: QComboBox, everything: str, items: list[tuple[str, str]]) -> None:
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, None)
        for key, text in items:
            combo.addItem(text, key)
        found = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(found, 0))
        combo.setEnabled(bool(items))
        combo.blockSignals(False)

    def criteria(self) -> Criteria:
        return Criteria(state=self.state.currentData(), gate=self.gate.currentData(),
                        label=self.label.currentData(), at_risk=self.at_risk.isChecked(),
                        search=self.search.text())

    def choose(self, *, state: str | None = None, gate: str | None = None,
               label: str | None = None, at_risk: bool | None = None,
               search: str | None = None) -> None:
        """Set filters as the user would (for tests and for the main window's links)."""
        for combo, value in ((self.state, state), (self.gate, gate), (self.label, label)):
            if value is not None:
                combo.setCurrentIndex(max(combo.findData(value), 0))
        if at_risk is not None:
            self.at_risk.setChecked(at_risk)
        if search is not None:
            self.search.setText(search)

    def _changed(self, *_args: object) -> None:
        self.sig_criteria.emit(self.criteria())

