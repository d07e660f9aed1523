"""The edit dialog every definition shares: a form, the every-rule text, and the program
file's own checks.

The dialog holds the definition as its program-file table. The form's fields edit keys of
that table; the "Every rule" tab shows the whole table as the block a program file would
carry (as `waypoint export` writes it) and lets the user edit any rule there. The two stay in
step: the form writes into the table, the text is written from the table when its tab is
shown, and text that parses is read back into the table and the form. Whatever the user
edits, the check is the program file's: the block's text goes through `parse_program` with
the store's keys, and each problem is shown at the field its key path names, or in the list.
Saving applies a program holding only this definition, which creates or updates it by key
and touches nothing else.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.models.store import Store
from app.services.clock import utcnow
from app.services.commands import ApplyProgram
from app.services.programs import ProgramError, ProgramInvalid, ProgramSpec
from app.services.programs.single import SECTIONS, check_one, field_of, one_text, raw_text
from app.services.queries.program_view import EditorContext, editor_context
from app.services.write import Result, execute
from app.views.program_fields import ERROR_STYLE, Field, FlagField, Table
from app.views.worker import DbWorker

SOURCE = "edited in the app"  # the apply's source, as the operation log records it
CHECK_MS = 150  # a check a moment after the last key press, not on every one
TEXT_MS = 300


def describe(result: Result, noun: str) -> str:
    """What saving did, in a sentence: created or updated, which fields, whose progress."""
    definitions = [c for c in result.changes if c.get("kind") == "definition"]
    if not definitions:
        return f"Nothing changed: the {noun} already said that."
    parts = []
    for change in definitions:
        what = f"{change['type']} '{change['key']}'"
        if change["action"] == "created":
            parts.append(f"Created {what}")
        else:
            parts.append(f"Updated {what}: {', '.join(change.get('fields', []))}")
    people = {c.get("person") for c in result.changes if c.get("kind") == "progress"}
    moved = (f" It moved the progress of {len(people)} participant"
             f"{'' if len(people) == 1 else 's'}." if people else "")
    return "; ".join(parts) + "." + moved


class DefinitionDialog(QDialog):
    """Opened as `Dialog(worker, user, key=None, parent)`; key None creates one."""

    section = ""  # "cohorts", "staff" or "milestones"
    size_hint = (780, 660)
    more_rules = ""  # what the form leaves to the every-rule text, where that is anything
    changed = Signal(object)
    """Saved: the ApplyProgram Result (what changed), for the views to refresh."""

    def __init__(self, worker: DbWorker, user: str, key: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker, self.user, self.key = worker, user, key
        self.noun = SECTIONS[self.section][1]
        self.context: EditorContext | None = None
        self.table: Table = {}
        self.fields: list[Field] = []
        self.item: Any = None  # the definition's spec, when its text checks out
        self.errors: list[ProgramError] = []
        self.result: Result | None = None
        self.outcome = ""  # what saving did, in words
        self._page_of: dict[Field, int] = {}
        self._titles: list[str] = []  # the form's pages
        self._text_stale = True  # the form changed since the text was written
        self._setting_text = False
        self._revealed = key is not None  # a new one shows a field's problems once touched
        self._applying = False
        self.setWindowTitle(f"New {self.noun}" if key is None else f"Edit {self.noun} {key}")
        self.resize(*self.size_hint)
        self.heading = QLabel(f"New {self.noun}" if key is None else f"{self.noun.capitalize()}"
                              f" “{key}”")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(f"Parts of the {self.noun}")
        self.text = QPlainTextEdit()
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName(f"Every rule of the {self.noun}, as program-file text")
        self.text_page = QWidget()
        column = QVBoxLayout(self.text_page)
        hint = QLabel(f"The {self.noun} as its block of a program file: every rule the program "
                      "file documents can be set here, and is checked as a program file is. "
                      "The form follows what you type.")
        hint.setWordWrap(True)
        column.addWidget(hint)
        column.addWidget(self.text)
        self.tabs.addTab(self.text_page, "Every &rule")
        self.summary = QLabel("Reading the program…")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.problems = QListWidget()
        self.problems.setAccessibleName("Problems")
        self.problems.setMaximumHeight(110)
        self.problems.setStyleSheet(ERROR_STYLE)
        self.problems.hide()
        self.problems.itemActivated.connect(self._go_to_problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.addButton("&Create" if key is None else "&Save",
                                         QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setEnabled(False)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self._check_timer = QTimer(self, singleShot=True, interval=CHECK_MS)
        self._check_timer.timeout.connect(self.check)
        self._text_timer = QTimer(self, singleShot=True, interval=TEXT_MS)
        self._text_timer.timeout.connect(self._text_edited)
        self.text.textChanged.connect(self._text_typed)
        self.tabs.currentChanged.connect(self._tab_changed)
        section, wanted = self.section, key
        self.worker.submit(lambda store: _context(store, section, wanted), self._loaded)

    # -- what a subclass says --------------------------------------------------------------

    def pages(self, context: EditorContext) -> list[tuple[str, list[Field]]]:
        """The form: (tab title, fields) for each page before the every-rule text."""
        raise NotImplementedError

    def starter(self, context: EditorContext) -> Table:
        """The table of a new definition, before the user fills it in."""
        raise NotImplementedError

    def synced(self) -> None:
        """After the form shows the table anew: for fields whose help depends on others."""

    # -- loading ---------------------------------------------------------------------------

    def _loaded(self, context: EditorContext | None, error: BaseException | None) -> None:
        if not isValid(self):  # closed before the worker answered
            return
        if context is None:
            self.summary.setText(f"This {self.noun} cannot be edited: {error}")
            self.tabs.setEnabled(False)
            return
        self.context = context
        for number, (title, fields) in enumerate(self.pages(context)):
            self.tabs.insertTab(number, self._page(fields, number), title)
            self._titles.append(title)
        self.tabs.setCurrentIndex(0)
        self.table = self._entry(context.text) if context.text else self.starter(context)
        self._load_fields()
        self.check()
        if self.fields:
            self.fields[0 if self.key is None else 1].editor.setFocus()

    def _page(self, fields: list[Field], number: int) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        form = QFormLayout()
        column.addLayout(form)
        column.addStretch(1)  # rows keep their height; the room left goes below them
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for field in fields:
            field.notify = self._field_edited
            self.fields.append(field)
            self._page_of[field] = number
            if isinstance(field, FlagField):
                form.addRow("", field.container)
            else:
                form.addRow(field.label, field.container)
        if number == 0:
            self.others = QLabel()
            self.others.setWordWrap(True)
            self.others.setEnabled(False)
            form.addRow(self.others)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(page)
        return scroll

    def _entry(self, text: str) -> Table:
        entries = tomllib.loads(text).get(self.section)
        return dict(entries[0]) if isinstance(entries, list) and entries else {}

    def _load_fields(self) -> None:
        for field in self.fields:
            field.load_from(self.table)
        covered = {key for field in self.fields for key in field.keys}
        rest = sorted(key for key in self.table if key not in covered)
        if hasattr(self, "others"):
            self.others.setText(f"Also set, in the every-rule text: {', '.join(rest)}."
                                if rest else self.more_rules)
            self.others.setVisible(bool(self.others.text()))
        self.synced()

    # -- form and text in step -------------------------------------------------------------

    def _field_edited(self, field: Field) -> None:
        field.store(self.table)
        self._text_stale = True
        self._check_timer.start()
        if field.key == "kind":
            self.synced()

    def _text_typed(self) -> None:
        if self._setting_text:
            return
        self._text_stale = False  # what the user typed is the definition now
        self._revealed = True
        self._text_timer.start()

    def _text_edited(self) -> None:
        """Text that parses as one entry becomes the table, and the form shows it."""
        try:
            entries = tomllib.loads(self.text.toPlainText()).get(self.section)
        except tomllib.TOMLDecodeError:
            entries = None
        if isinstance(entries, list) and len(entries) == 1 and isinstance(entries[0], dict):
            self.table = dict(entries[0])
            self._load_fields()
        self.check()

    def _on_text_tab(self) -> bool:
        return self.tabs.currentWidget() is self.text_page

    def _tab_changed(self, _index: int) -> None:
        if self.context is None:
            return
        if self._on_text_tab() and self._text_stale:
            self._setting_text = True
            self.text.setPlainText(self._render())
            self._setting_text = False
            self._text_stale = False
        self.check()

    def _raw(self) -> str:
        return raw_text(self.section, self.table)

    def _render(self) -> str:
        """The table as the program file writes it, where it checks out; as TOML otherwise."""
        raw = self._raw()
        try:
            return one_text(self.section, self._check(raw))
        except ProgramInvalid:
            return raw

    def current_text(self) -> str:
        """The definition's program-file text: the every-rule text, or the form's table."""
        return self._raw() if self._text_stale else self.text.toPlainText()

    # -- checking --------------------------------------------------------------------------

    def _check(self, text: str) -> Any:
        assert self.context is not None
        return check_one(text, self.section, self.context.existing, original=self.key,
                         stored=self.context.stored, links=self.context.links,
                         source=f"this {self.noun}")

    def check(self) -> bool:
        """Check the definition as a program file; show what is wrong where it is."""
        self._check_timer.stop()
        if self.context is None:
            return False
        try:
            self.item, self.errors = self._check(self.current_text()), []
        except ProgramInvalid as invalid:
            self.item, self.errors = None, invalid.errors
        self._show_problems()
        return self.item is not None

    def _field_for(self, error: ProgramError) -> Field | None:
        key = field_of(self.section, error.path)
        return next((f for f in self.fields if key in f.keys), None) if key else None

    def _show_problems(self) -> None:
        on_text = self._on_text_tab()
        by_field: dict[Field, list[str]] = defaultdict(list)
        listed: list[ProgramError] = []
        waiting = 0
        prefix = f"{self.section}[0]."
        for error in self.errors:
            field = self._field_for(error)
            if field is None or on_text:
                listed.append(error)
            elif field.touched or self._revealed:
                by_field[field].append(f"{error.path.removeprefix(prefix)}: {error.message}")
            else:
                waiting += 1
        flagged: set[int] = set()
        for field in self.fields:
            messages = [] if on_text else by_field.get(field, [])
            field.show_errors(messages)
            if messages:
                flagged.add(self._page_of[field])
        for number, title in enumerate(self._titles):  # a page with a problem says so
            self.tabs.setTabText(number, f"{title} ⚠" if number in flagged else title)
        self.problems.clear()
        for error in listed:
            where = f"Line {error.line}: " if error.line else ""
            path = f"{error.path}: " if error.path else ""
            item = QListWidgetItem(f"{where}{path}{error.message}")
            item.setData(Qt.ItemDataRole.UserRole, error)
            self.problems.addItem(item)
        self.problems.setVisible(bool(listed))
        shown = len(self.errors) - waiting
        if not self.errors:
            self.summary.setText(f"Checked as a program file would be: ready to "
                                 f"{'create' if self.key is None else 'save'}.")
        elif shown:
            self.summary.setText(f"{shown} problem{'' if shown == 1 else 's'} to fix before "
                                 f"saving; nothing is saved until the {self.noun} checks out.")
        else:
            self.summary.setText(f"Fill in the {self.noun}: it is checked as a program file "
                                 "would be, as you type.")
        self.ok.setEnabled(not self._applying and not shown)

    def _go_to_problem(self, item: QListWidgetItem) -> None:
        error: ProgramError = item.data(Qt.ItemDataRole.UserRole)
        field = self._field_for(error)
        if field is not None and not self._on_text_tab():
            self.tabs.setCurrentIndex(self._page_of[field])
            field.editor.setFocus()
            return
        self.tabs.setCurrentWidget(self.text_page)
        if error.line:
            block = self.text.document().findBlockByLineNumber(error.line - 1)
            cursor = QTextCursor(block)
            self.text.setTextCursor(cursor)
        self.text.setFocus()

    # -- saving ----------------------------------------------------------------------------

    def accept(self) -> None:
        """Save: refused, with every problem shown, while the definition does not check out."""
        if self.context is None or self._applying:
            return
        if self._text_timer.isActive():  # text typed a moment ago: read it first
            self._text_timer.stop()
            self._text_edited()
        self._revealed = True
        if not self.check():
            self._focus_first_problem()
            return
        spec = ProgramSpec(**{self.section: [self.item]})
        command = ApplyProgram(at=utcnow(), by=self.user, spec=spec, source=SOURCE)
        self._applying = True
        self.ok.setEnabled(False)
        self.summary.setText("Saving…")
        self.worker.submit(lambda store: execute(store, command), self._applied)

    def _focus_first_problem(self) -> None:
        for error in self.errors:
            field = self._field_for(error)
            if field is not None and not self._on_text_tab():
                self.tabs.setCurrentIndex(self._page_of[field])
                field.editor.setFocus()
                return

    def reject(self) -> None:
        """Cancel, except while saving: the save is on its way and will say how it went."""
        if not self._applying:
            super().reject()

    def _applied(self, result: Result | None, error: BaseException | None) -> None:
        if not isValid(self):
            return
        self._applying = False
        if result is None or not result.ok:
            reason = str(error) if error is not None else (result.error if result else "")
            self.summary.setText(f"Not saved: {reason or 'refused.'}")
            self.ok.setEnabled(True)
            return
        self.result = result
        self.outcome = describe(result, self.noun)
        self.changed.emit(result)
        super().accept()


def _context(store: Store, section: str, key: str | None) -> EditorContext:
    with store.session() as session:
        return editor_context(session, section, key)
