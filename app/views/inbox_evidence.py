"""The evidence beside an inbox request: what was asked, the steps done, the form as answered,
the files handed in and the history with its notes, so an approver decides without leaving
the inbox.

The panel only shows what it is given; the inbox fetches it on the worker. Files are opened
or saved through the `sig_file_open` / `sig_file_save` signals, since copying a file out of
the attachment store is the inbox's (worker's) business.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services.queries.inbox import Evidence, InboxItem
from app.views.models.inbox_items import deadline_text
from app.views.models.rows import RowsModel


def event_label(kind: str) -> str:
    """'ProgressSubmitted' → 'Submitted', 'ApprovalGiven' → 'Approval given'."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", kind.removeprefix("Progress")).strip()
    return words[:1].upper() + words[1:].lower() if words else kind


def _when(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return ""
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


SAVE_TIP = "Save a copy of the selected file elsewhere"

# History events whose note only names what the event was about (the step, the file).
_LABEL_NOTES = {"StepTicked", "FileAttached", "SurveyAnswered", "ProgressSigned"}
NOTES_SHOWN = 5


def _notes(evidence: Evidence) -> list[tuple[str, str, str]]:
    """What people wrote about the request, newest first: notes on its history (a submission,
    an earlier approval or denial, a hand-over) and on the files handed in."""
    found = [(e["at"], str(e["note"]), str(e["by"] or "")) for e in evidence.history
             if e.get("note") and e.get("kind") not in _LABEL_NOTES]
    found += [(f["at"], f"{f['note']} ({f['name']})", str(f["by"] or ""))
              for f in evidence.files if f.get("note")]
    found.sort(key=lambda n: n[0].timestamp() if isinstance(n[0], datetime) else 0.0,
               reverse=True)
    return [(note, who, _when(at)) for at, note, who in found[:NOTES_SHOWN]]


def _table(model: RowsModel, name: str) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


class EvidencePanel(QWidget):
    sig_file_open = Signal(dict)
    """The user asked to open this attachment (a row of `Evidence.files`)."""
    sig_file_save = Signal(dict)
    """The user asked to save a copy of this attachment somewhere."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.heading.setAccessibleName("Request")
        self.details = QTextBrowser()
        self.details.setAccessibleName("Steps and form answers")
        self.details.setOpenLinks(False)
        self.files_model = RowsModel([
            ("File", lambda f: f["name"]),
            ("Size", lambda f: _size(f["size"])),
            ("Handed in", lambda f: _when(f["at"])),
            ("By", lambda f: f["by"]),
            ("Note", lambda f: f["note"]),
        ], self)
        self.files = _table(self.files_model, "Attached files")
        self.files.doubleClicked.connect(lambda index: self._file(self.sig_file_open, index.row()))
        self.open_button = QPushButton("&Open")
        self.open_button.setAccessibleName("Open the selected file")
        self.open_button.clicked.connect(lambda: self._file(self.sig_file_open))
        self.save_button = QPushButton("Save &as…")
        self.save_button.setAccessibleName("Save a copy of the selected file")
        self.save_button.setToolTip(SAVE_TIP)
        self.save_button.clicked.connect(lambda: self._file(self.sig_file_save))
        self.history_model = RowsModel([
            ("When", lambda e: _when(e["at"])),
            ("What", lambda e: event_label(str(e["kind"]))),
            ("By", lambda e: e["by"]),
            ("Note", lambda e: e["note"]),
        ], self)
        self.history = _table(self.history_model, "History")
        self._build()
        self.show_nothing("Choose a request to see its evidence.")

    def _build(self) -> None:
        self.files_box = QWidget()
        files = QVBoxLayout(self.files_box)
        files.setContentsMargins(0, 0, 0, 0)
        self.files_title = QLabel("<b>Files</b>")
        row = QHBoxLayout()
        row.addWidget(self.files_title, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.save_button)
        files.addLayout(row)
        files.addWidget(self.files)
        history_box = QWidget()
        history = QVBoxLayout(history_box)
        history.setContentsMargins(0, 0, 0, 0)
        self.history_title = QLabel("<b>History</b>")
        history.addWidget(self.history_title)
        history.addWidget(self.history)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.details)
        split.addWidget(self.files_box)
        split.addWidget(history_box)
        split.setSizes([240, 110, 220])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(split, 1)

    def refuse_saving(self, reason: str | None) -> None:
        """Saving a copy takes exporting: the user's roles do not allow it (why, in words), or,
        None, they do."""
        self.save_button.setEnabled(reason is None)
        self.save_button.setToolTip(reason or SAVE_TIP)

    # -- showing ----------------------------------------------------------------------------

    def show_nothing(self, message: str) -> None:
        self.heading.setText(f"<i>{html.escape(message)}</i>")
        self.details.clear()
        self.files_model.set_rows([])
        self.history_model.set_rows([])
        self.files_box.setVisible(False)

    def show_item(self, item: InboxItem, today: Any, evidence: Evidence | None) -> None:
        """The request's heading at once; its evidence when it has arrived (None: loading)."""
        submitted = _when(item.submitted_at) or "not recorded"
        self.heading.setText(
            f"<b>{html.escape(item.name)}</b> ({html.escape(item.person)}) · "
            f"{html.escape(item.title)}<br>Level {item.level} of {item.levels} · "
            f"submitted {submitted} · "
            + ("no deadline" if item.deadline is None
               else f"deadline {html.escape(deadline_text(item.deadline, today))}"))
        if evidence is None:
            self.details.setHtml("<p><i>Loading the evidence…</i></p>")
            self.files_model.set_rows([])
            self.history_model.set_rows([])
            return
        self.details.setHtml(self._details(evidence))
        self.files_model.set_rows(evidence.files)
        self.files_box.setVisible(bool(evidence.files))
        self.files_title.setText(f"<b>Files</b> ({len(evidence.files)})")
        if evidence.files:
            self.files.selectRow(0)
        self.history_model.set_rows(list(reversed(evidence.history)))  # newest first
        self.history_title.setText(f"<b>History</b> ({len(evidence.history)})")

    @staticmethod
    def _details(evidence: Evidence) -> str:
        parts = []
        if evidence.steps:
            done = sum(1 for s in evidence.steps if s["done"])
            parts.append(f"<h4>Steps: {done} of {len(evidence.steps)} done</h4><ul>")
            for step in evidence.steps:
                mark = "☑" if step["done"] else "☐"
                optional = "" if step["required"] else " <i>(optional)</i>"
                parts.append(f"<li>{mark} {html.escape(str(step['title']))}{optional}</li>")
            parts.append("</ul>")
        if evidence.form:
            parts.append("<h4>Form</h4><dl>")
            for answer in evidence.form:
                given = answer.get("answer")
                shown = "<i>no answer</i>" if given in (None, "") else html.escape(str(given))
                parts.append(f"<dt><b>{html.escape(str(answer.get('question', '')))}</b></dt>"
                             f"<dd>{shown}</dd>")
            parts.append("</dl>")
        notes = _notes(evidence)
        if notes:
            parts.append("<h4>Notes</h4>")
            for note, who, when in notes:
                parts.append(f"<p>{html.escape(note)}<br><i>{html.escape(who)}, "
                             f"{when}</i></p>")
        if not parts:
            parts.append("<p><i>No steps, form or notes: the history below is the "
                         "evidence.</i></p>")
        return "".join(parts)

    def _file(self, signal: Any, row: int | None = None) -> None:
        if row is None:
            chosen = self.files.selectionModel().selectedRows()
            row = chosen[0].row() if chosen else (0 if self.files_model.rowCount() else None)
        if row is not None and 0 <= row < self.files_model.rowCount():
            signal.emit(self.files_model.row(row))
