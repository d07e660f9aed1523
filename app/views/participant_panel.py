"""One participant beside the board: their milestones, and for the chosen one its history
(every event: when, what, from and to, who, why), the files handed in on it (open a copy, or
save one elsewhere) and its survey with the answers given.

Everything is read on the DbWorker: the participant's milestones with one query set
(person_view), the chosen milestone's history, files and survey with another
(progress_detail).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.models.store import Store
from app.services.clock import utcnow
from app.services.errors import Refused
from app.services.queries.person_view import PersonView, person_view
from app.services.queries.progress_detail import ProgressDetail, progress_detail
from app.services.uploads import copy_out
from app.views.models.board import SCALE_LABELS, STATE_LABELS
from app.views.models.rows import RowsModel
from app.views.permissions import require
from app.views.tables import read_only_table, why_it_waits
from app.views.worker import DbWorker

SAVE_TIP = "Save a copy of the chosen file elsewhere"


def _when(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


class ParticipantPanel(QWidget):
    """`show_person(person, milestone)`: that participant, with that milestone chosen."""

    def __init__(self, worker: DbWorker, user: str, parent: QWidget | None = None, *,
                 now: Callable[[], datetime] = utcnow) -> None:
        super().__init__(parent)
        self.worker, self.user, self.now = worker, user, now
        self.person: str | None = None
        self.milestone: str | None = None
        self.view: PersonView | None = None
        self.detail: ProgressDetail | None = None
        self._asked = 0
        self._opened: Path | None = None
        self.save_refused: str | None = None  # why the user may not save a copy (None: may)
        self.heading = QLabel("Choose a card to see the participant.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.milestones_model = RowsModel([
            ("Milestone", lambda m: m.title),
            ("State", lambda m: STATE_LABELS.get(m.state, m.state)),
            ("Due", lambda m: m.due_label or (m.due.isoformat() if m.due else None)),
            ("At risk", lambda m: " · ".join(
                x for x in ("Past due" if m.past_due else "",
                            SCALE_LABELS.get(m.progress or "", "")
                            if m.progress != "on_track" else "") if x)),
        ], self)
        self.milestones = read_only_table(self.milestones_model, "The participant's milestones", 0)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setTextFormat(Qt.TextFormat.PlainText)
        self.why.setAccessibleName("Why the chosen milestone waits")
        self.milestones.selectionModel().currentRowChanged.connect(self._milestone_chosen)
        self.history_model = RowsModel([
            ("When", lambda h: _when(h.at)), ("What", lambda h: h.what),
            ("From → to", lambda h: " → ".join(STATE_LABELS.get(s, s) if s else "—"
                                               for s in (h.from_state, h.to_state))
             if h.from_state != h.to_state else ""),
            ("Who", lambda h: h.actor), ("Note", lambda h: h.note),
        ], self)
        self.history = read_only_table(self.history_model, "History of the chosen milestone", 4)
        self.files_model = RowsModel([
            ("File", lambda f: f["name"]), ("Size", lambda f: _size(int(f["size"]))),
            ("Handed in", lambda f: _when(f["at"])), ("By", lambda f: f["by"]),
        ], self)
        self.files = read_only_table(self.files_model, "Files of the chosen milestone", 0)
        self.files.doubleClicked.connect(lambda _index: self.open_file())
        self.open_button = QPushButton("&Open")
        self.open_button.setAccessibleName("Open the chosen file")
        self.open_button.clicked.connect(self.open_file)
        self.save_button = QPushButton("Save &as…")
        self.save_button.setAccessibleName("Save a copy of the chosen file")
        self.save_button.setToolTip(SAVE_TIP)
        self.save_button.clicked.connect(self.save_file)
        files_page = QWidget()
        files_layout = QVBoxLayout(files_page)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addWidget(self.files)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.save_button)
        files_layout.addLayout(buttons)
        self.survey_label = QLabel()
        self.survey_label.setWordWrap(True)
        self.survey_label.setTextFormat(Qt.TextFormat.PlainText)
        self.answers_model = RowsModel([
            ("Question", lambda a: a.get("question")), ("Answer", lambda a: a.get("answer")),
        ], self)
        self.answers = read_only_table(self.answers_model, "Survey answers", 1)
        survey_page = QWidget()
        survey_layout = QVBoxLayout(survey_page)
        survey_layout.setContentsMargins(0, 0, 0, 0)
        survey_layout.addWidget(self.survey_label)
        survey_layout.addWidget(self.answers, 1)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("The chosen milestone")
        self.tabs.addTab(self.history, "&History")
        self.tabs.addTab(files_page, "&Files")
        self.tabs.addTab(survey_page, "Sur&vey")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.milestones, 2)
        layout.addWidget(self.why)
        layout.addWidget(self.tabs, 3)
        layout.addWidget(self.message)
        self._update_buttons()

    # -- loading -------------------------------------------------------------------------

    def show_person(self, person: str | None, milestone: str | None = None) -> None:
        self.person, self.milestone = person, milestone
        self.refresh()

    def refresh(self) -> None:
        if self.person is None:
            self._shown(None, None, 0)
            return
        person, milestone, at = self.person, self.milestone, self.now()
        self._asked += 1
        asked = self._asked

        def load(store: Store) -> tuple[PersonView, ProgressDetail | None]:
            with store.session() as session:
                view = person_view(session, person, at)
                keys = [m.key for m in view.milestones]
                chosen = milestone if milestone in keys else (keys[0] if keys else None)
                detail = progress_detail(session, person, chosen) if chosen else None
            return view, detail

        self.worker.submit(load, lambda found, error: self._shown(found, error, asked))

    def _shown(self, found: Any, error: BaseException | None, asked: int) -> None:
        if asked != self._asked:
            return  # a later choice is on its way
        if found is None:
            self.view = self.detail = None
            self.heading.setText(str(error) if error else
                                 "Choose a card to see the participant.")
            self.milestones_model.set_rows([])
            self._show_detail(None)
            return
        view, detail = found
        self.view = view
        cohorts = ", ".join(c.name for c in view.cohorts) or "no cohort"
        self.heading.setText(f"{view.person.name} ({view.person.external_id}) · "
                             f"{view.person.status or 'no status'} · {cohorts}")
        self.milestones_model.set_rows(view.milestones)
        if detail is not None:
            self.milestone = detail.milestone
            row = next(i for i, m in enumerate(view.milestones) if m.key == detail.milestone)
            self.milestones.blockSignals(True)
            self.milestones.selectionModel().blockSignals(True)
            self.milestones.selectRow(row)
            self.milestones.selectionModel().blockSignals(False)
            self.milestones.blockSignals(False)
        self._show_detail(detail)

    def _show_detail(self, detail: ProgressDetail | None) -> None:
        self.detail = detail
        row = next((m for m in (self.view.milestones if self.view else [])
                    if detail and m.key == detail.milestone), None)
        reason = why_it_waits(row) if row else None
        self.why.setText(f"{row.title}: {reason}" if row and reason else "")
        self.why.setVisible(bool(reason))
        self.history_model.set_rows(detail.history if detail else [])
        self.files_model.set_rows(detail.files if detail else [])
        if detail and detail.files:
            self.files.selectRow(0)
        survey = detail.survey if detail else None
        if survey is None:
            self.survey_label.setText("This milestone has no survey.")
            self.answers_model.set_rows([])
        elif survey["answers"]:
            self.survey_label.setText(f"{survey['title']}: answered {_when(survey['at'])}.")
            self.answers_model.set_rows(survey["answers"])
        else:
            self.survey_label.setText(f"{survey['title']}: not answered yet.")
            self.answers_model.set_rows([{"question": q, "answer": ""}
                                         for q in survey["questions"]])
        self.tabs.setTabText(1, f"&Files ({len(detail.files)})" if detail else "&Files")
        self._update_buttons()

    def _milestone_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self.view is None:
            return
        key = self.milestones_model.row(current.row()).key
        if key != self.milestone:
            self.milestone = key
            self.refresh()

    def _update_buttons(self) -> None:
        has = bool(self.detail and self.detail.files)
        self.open_button.setEnabled(has)
        self.save_button.setEnabled(has and self.save_refused is None)
        self.save_button.setToolTip(self.save_refused or SAVE_TIP)

    def refuse_saving(self, reason: str | None) -> None:
        """Saving a copy of a file takes exporting; the user's roles do not allow it (why, in
        words), or, None, they do. Opening a copy to read stays."""
        self.save_refused = reason
        self._update_buttons()

    # -- files ---------------------------------------------------------------------------

    def _chosen_file(self) -> dict[str, Any] | None:
        index = self.files.currentIndex()
        if not index.isValid() or not self.detail:
            return None
        return self.files_model.row(index.row())

    def open_file(self) -> None:
        """Open a copy with the desktop's application for its type."""
        file = self._chosen_file()
        if file is None:
            return
        if self._opened is None:
            self._opened = Path(tempfile.mkdtemp(prefix="waypoint-files-"))
        self._copy_out(file, self._opened, lambda path: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(path))))

    def save_file(self) -> None:
        """Save a copy where the user says."""
        file = self._chosen_file()
        if file is None:
            return
        if self.save_refused is not None:
            self.message.setText(self.save_refused)
            return
        target, _ = QFileDialog.getSaveFileName(self, "Save a copy of the file",
                                                str(Path.home() / str(file["name"])))
        if target:
            self._copy_out(file, Path(target),
                           lambda path: self.message.setText(f"Saved {file['name']} to {path}."),
                           exporting=True)

    def _copy_out(self, file: dict[str, Any], target: Path,
                  then: Callable[[Path], Any], *, exporting: bool = False) -> None:
        def job(store: Store) -> Path:
            if exporting:
                require(store, self.user, "export")
            return copy_out(store, str(file["sha256"]), str(file["name"]), target)

        def done(path: Path | None, error: BaseException | None) -> None:
            if path is None or error is not None:
                why = error.message if isinstance(error, Refused) else str(error)
                self.message.setText(f"{file['name']} could not be copied out: {why}")
            else:
                then(path)

        self.worker.submit(job, done)
