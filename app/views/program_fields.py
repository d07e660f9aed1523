"""Form fields over one definition's program-file table.

A field edits one key of the TOML table the dialog holds (the definition as a program file
would declare it): it shows the value the table has and, when the user edits it, writes back
what a coordinator would have typed in the file, text and all. It does not check the value:
the program file's own parser does that, and its problems come back to the field by key path.
A field writes only when the user edits it, so a value it cannot show (typed in the
every-rule text) stays as written until the user changes that field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

Table = dict[str, Any]
Choices = Sequence[tuple[str, str]]  # (value written in the file, what the user reads)
ERROR_STYLE = "color: #d6453d;"  # readable on the light and the dark palette alike


def shown(value: Any) -> str:
    """A TOML value as text in a line edit."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def put(table: Table, key: str, value: Any) -> None:
    """Set `key`, or leave it out where the form holds nothing: the parser's default."""
    if value is None or value == "" or value == []:
        table.pop(key, None)
    else:
        table[key] = value


class Field:
    """One row of a form: a label, an editor, and the problems the parser found there."""

    def __init__(self, key: str, label: str, editor: QWidget, help_text: str = "") -> None:
        self.key = key
        self.keys: tuple[str, ...] = (key,)  # the table keys whose problems show here
        self.label = label
        self.editor = editor
        self.touched = False
        self.notify: Callable[[Field], None] | None = None
        self._loading = False
        editor.setAccessibleName(label.replace("&", ""))
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        self.hint: QLabel | None = None
        self.container = QWidget()
        column = QVBoxLayout(self.container)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        if help_text:
            hint = QLabel(help_text)
            hint.setWordWrap(True)
            hint.setEnabled(False)  # the palette's quieter text
            column.addWidget(hint)
            self.hint = hint
        column.addWidget(self.error)
        self.container.setFocusProxy(editor)
        editor.setToolTip(help_text)

    def load_from(self, table: Table) -> None:
        self._loading = True
        try:
            self.load(table)
        finally:
            self._loading = False

    def load(self, table: Table) -> None:
        raise NotImplementedError

    def store(self, table: Table) -> None:
        raise NotImplementedError

    def edited(self, *_args: Any) -> None:
        if not self._loading and self.notify is not None:
            self.touched = True
            self.notify(self)

    def show_errors(self, messages: list[str]) -> None:
        text = "\n".join(messages)
        self.error.setText(text)
        self.error.setVisible(bool(messages))
        self.editor.setAccessibleDescription(text)


class TextField(Field):
    def __init__(self, key: str, label: str, *, placeholder: str = "", help_text: str = "",
                 read_only: bool = False) -> None:
        self.edit = QLineEdit(placeholderText=placeholder)
        self.edit.setReadOnly(read_only)
        super().__init__(key, label, self.edit, help_text)
        self.edit.textEdited.connect(self.edited)

    def load(self, table: Table) -> None:
        self.edit.setText(shown(table.get(self.key)))

    def store(self, table: Table) -> None:
        put(table, self.key, self.edit.text())


class NoteField(Field):
    """Several lines of text (a description)."""

    def __init__(self, key: str, label: str, *, placeholder: str = "") -> None:
        self.edit = QPlainTextEdit(placeholderText=placeholder)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(64)
        super().__init__(key, label, self.edit)
        self.edit.textChanged.connect(self.edited)

    def load(self, table: Table) -> None:
        self.edit.setPlainText(shown(table.get(self.key)))

    def store(self, table: Table) -> None:
        put(table, self.key, self.edit.toPlainText())


class ListField(Field):
    """A list of short words, typed separated by commas (labels, roles, statuses)."""

    def __init__(self, key: str, label: str, *, placeholder: str = "",
                 help_text: str = "") -> None:
        self.edit = QLineEdit(placeholderText=placeholder)
        super().__init__(key, label, self.edit, help_text)
        self.edit.textEdited.connect(self.edited)

    def load(self, table: Table) -> None:
        value = table.get(self.key)
        items = value if isinstance(value, list) else [] if value is None else [value]
        self.edit.setText(", ".join(shown(item) for item in items))

    def store(self, table: Table) -> None:
        words = [word.strip() for word in self.edit.text().split(",")]
        put(table, self.key, [word for word in words if word])


class ChoiceField(Field):
    """One of a few values; the first entry stands for the key left out (the default)."""

    def __init__(self, key: str, label: str, choices: Choices, *, default: str,
                 help_text: str = "") -> None:
        self.combo = QComboBox()
        self.combo.addItem(default, "")
        for value, text in choices:
            self.combo.addItem(text, value)
        super().__init__(key, label, self.combo, help_text)
        self.combo.activated.connect(self.edited)

    def load(self, table: Table) -> None:
        value = shown(table.get(self.key))
        index = self.combo.findData(value)
        if index < 0:  # typed in the text: shown, and the parser says what is wrong with it
            self.combo.addItem(f"{value} (not one of these)", value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def value(self) -> str:
        return str(self.combo.currentData() or "")

    def store(self, table: Table) -> None:
        put(table, self.key, self.value())


class NumberField(Field):
    """A whole number (a milestone's step)."""

    def __init__(self, key: str, label: str, *, minimum: int = 1, help_text: str = "") -> None:
        self.spin = QSpinBox()
        self.spin.setRange(minimum, 9999)
        super().__init__(key, label, self.spin, help_text)
        self.spin.valueChanged.connect(self.edited)

    def load(self, table: Table) -> None:
        value = table.get(self.key)
        if value is None:  # left out: the first place in a file of one definition
            self.spin.setValue(self.spin.minimum())
        elif isinstance(value, int) and not isinstance(value, bool):
            self.spin.setValue(value)

    def store(self, table: Table) -> None:
        table[self.key] = self.spin.value()


class FlagField(Field):
    def __init__(self, key: str, label: str, *, help_text: str = "") -> None:
        self.box = QCheckBox(label.replace("&", ""))
        super().__init__(key, label, self.box, help_text)
        self.box.toggled.connect(self.edited)

    def load(self, table: Table) -> None:
        self.box.setChecked(table.get(self.key) is True)

    def store(self, table: Table) -> None:
        put(table, self.key, True if self.box.isChecked() else None)


class CheckListField(Field):
    """Any number of known values, ticked in a list (cohorts, prerequisites, ways to complete).

    A value the table names that is not among the choices (a key typed in the text that the
    store does not have) is listed too, so unticking it is how the user takes it out."""

    FILTER_FROM = 10  # a filter box above lists longer than this

    def __init__(self, key: str, label: str, choices: Choices, *, help_text: str = "",
                 rows: int = 6) -> None:
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        for value, text in choices:
            self._add(value, text)
        height = self.list.sizeHintForRow(0) if choices else 0
        height = height if height > 0 else self.list.fontMetrics().height() + 4
        frame = 2 * self.list.frameWidth() + 2
        self.list.setFixedHeight(min(max(len(choices), 2), rows) * height + frame)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.filter: QLineEdit | None = None
        if len(choices) > self.FILTER_FROM:
            self.filter = QLineEdit(placeholderText="Filter")
            self.filter.setClearButtonEnabled(True)
            self.filter.setAccessibleName(f"Filter {label.replace('&', '').lower()}")
            self.filter.textChanged.connect(self._filter)
            column.addWidget(self.filter)
        column.addWidget(self.list)
        super().__init__(key, label, box, help_text)
        self.list.setAccessibleName(label.replace("&", ""))
        box.setFocusProxy(self.filter or self.list)
        self.list.itemChanged.connect(self.edited)

    def _add(self, value: str, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, value)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        self.list.addItem(item)
        return item

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(row) for row in range(self.list.count())]

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row, item in enumerate(self._items()):
            value = str(item.data(Qt.ItemDataRole.UserRole))
            self.list.setRowHidden(row, bool(needle) and needle not in item.text().lower()
                                   and needle not in value.lower())

    def load(self, table: Table) -> None:
        value = table.get(self.key)
        wanted = [shown(v) for v in value] if isinstance(value, list) else []
        known = {str(item.data(Qt.ItemDataRole.UserRole)): item for item in self._items()}
        for name in wanted:
            if name not in known:
                known[name] = self._add(name, f"{name} (not in the store)")
        for name, item in known.items():
            checked = name in wanted
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        if wanted:  # the first ticked one in sight, in a long list
            self.list.scrollToItem(known[wanted[0]])

    def values(self) -> list[str]:
        return [str(item.data(Qt.ItemDataRole.UserRole)) for item in self._items()
                if item.checkState() == Qt.CheckState.Checked]

    def store(self, table: Table) -> None:
        put(table, self.key, self.values())


DUE_KINDS: Choices = (
    ("date", "On a date"),
    ("after_start", "Some days after it starts"),
    ("after_assignment", "Some days after it is assigned"),
    ("attribute", "From a date of the participant"),
)
_DUE_PLACEHOLDERS = {"date": "YYYY-MM-DD, like 2026-09-15", "after_start": 'like "14d" or "2w"',
                     "after_assignment": 'like "14d" or "2w"',
                     "attribute": "the participant's date attribute, like start_date"}


class DueField(Field):
    """`due`: one of the four shapes, edited as a kind and the text that goes with it."""

    def __init__(self, label: str) -> None:
        self.kind = QComboBox()
        self.kind.addItem("No due date", "")
        for value, text in DUE_KINDS:
            self.kind.addItem(text, value)
        self.kind.setAccessibleName("Due: kind")
        self.value = QLineEdit()
        self.value.setAccessibleName("Due: date, days or attribute")
        self.offset = QLineEdit(placeholderText='offset, like "-7d"')
        self.offset.setAccessibleName("Due: offset from the attribute")
        self.offset.setMaximumWidth(150)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.kind)
        line.addWidget(self.value, 1)
        line.addWidget(self.offset)
        super().__init__("due", label, row)
        row.setFocusProxy(self.kind)
        self.kind.activated.connect(self._kind_chosen)
        self.value.textEdited.connect(self.edited)
        self.offset.textEdited.connect(self.edited)
        self._show_parts()

    def _kind_chosen(self, *_args: Any) -> None:
        self._show_parts()
        self.edited()

    def _show_parts(self) -> None:
        kind = str(self.kind.currentData() or "")
        self.value.setVisible(bool(kind))
        self.offset.setVisible(kind == "attribute")
        self.value.setPlaceholderText(_DUE_PLACEHOLDERS.get(kind, ""))

    def load(self, table: Table) -> None:
        due = table.get("due")
        kind, value, offset = "", "", ""
        if isinstance(due, dict):
            kind = next((k for k, _ in DUE_KINDS if k in due), "")
            value = shown(due.get(kind)) if kind else ""
            offset = shown(due.get("offset"))
        self.kind.setCurrentIndex(max(self.kind.findData(kind), 0))
        self.value.setText(value)
        self.offset.setText(offset)
        self._show_parts()

    def store(self, table: Table) -> None:
        kind = str(self.kind.currentData() or "")
        if not kind:
            table.pop("due", None)
            return
        due: Table = {kind: self.value.text().strip()}
        if kind == "attribute" and self.offset.text().strip():
            due["offset"] = self.offset.text().strip()
        table["due"] = due


class StepsField(Field):
    """A milestone's steps, in order: a title, whether it is an achievement (not a task),
    whether it is required. A step's place is what participants' ticks hang on."""

    def __init__(self, label: str) -> None:
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Title", "Achievement", "Required"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setFixedHeight(130)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName("Steps")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for text, name, slot in (("Add step", "Add a step", self._add_step),
                                 ("Remove", "Remove the selected step", self._remove),
                                 ("Up", "Move the selected step up", lambda: self._move(-1)),
                                 ("Down", "Move the selected step down", lambda: self._move(1))):
            button = QPushButton(text)
            button.setAccessibleName(name)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table)
        column.addLayout(buttons)
        super().__init__("steps", label, box)
        box.setFocusProxy(self.table)
        self.table.itemChanged.connect(self.edited)

    def _append(self, step: Table) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        title = QTableWidgetItem(shown(step.get("title")))
        title.setData(Qt.ItemDataRole.UserRole, dict(step))  # keys the form has no column for
        self.table.setItem(row, 0, title)
        for column, checked in ((1, step.get("kind") == "achievement"),
                                (2, step.get("required", True) is not False)):
            item = QTableWidgetItem()
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
                          | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.table.setItem(row, column, item)

    def _add_step(self) -> None:
        self._append({"title": ""})
        row = self.table.rowCount() - 1
        self.table.setCurrentCell(row, 0)
        self.table.editItem(self.table.item(row, 0))
        self.edited()

    def _remove(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.edited()

    def _move(self, by: int) -> None:
        row = self.table.currentRow()
        target = row + by
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        steps = self.steps()
        steps.insert(target, steps.pop(row))
        self._fill(steps)
        self.table.setCurrentCell(target, 0)
        self.edited()

    def _fill(self, steps: list[Table]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for step in steps:
            self._append(step if isinstance(step, dict) else {"title": shown(step)})
        self.table.blockSignals(False)

    def load(self, table: Table) -> None:
        steps = table.get("steps")
        self._fill(steps if isinstance(steps, list) else [])

    def steps(self) -> list[Table]:
        result = []
        for row in range(self.table.rowCount()):
            title = self.table.item(row, 0)
            step = dict(title.data(Qt.ItemDataRole.UserRole) or {})
            step["title"] = title.text()
            achievement = self.table.item(row, 1).checkState() == Qt.CheckState.Checked
            required = self.table.item(row, 2).checkState() == Qt.CheckState.Checked
            if achievement:
                step["kind"] = "achievement"
            elif step.get("kind") == "achievement":
                step.pop("kind")
            if required:
                step.pop("required", None)
            else:
                step["required"] = False
            result.append(step)
        return result

    def store(self, table: Table) -> None:
        put(table, "steps", self.steps())
