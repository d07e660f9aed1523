"""The roster page of the attendance view: the session's heading, its day selector, the
search box, the roster table with its painted check-in toggles, and the counts.

It shows and filters; deciding what a tap does (and running it) is the view's part, asked
through `sig_toggle_requested`. Keys: Space or Enter toggles the current row; in the search
box, Down goes to the roster, Escape clears, and Enter checks in the one person it matches.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.queries.sessions_view import SessionLine
from app.services.signin_sheet import Roster, when_text
from app.views.attendance_delegate import ROW_HEIGHT, CheckInDelegate
from app.views.models.attendance import (
    CHECK,
    IN,
    LEFT,
    NAME,
    OUT,
    SEARCH_ROLE,
    SORT_ROLE,
    RosterModel,
    day_label,
)


class RosterPanel(QWidget):
    sig_toggle_requested = Signal(str)
    """Check this participant (by id) in or out: a tap, Space/Enter, or Enter in the search
    box on its only match."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RosterModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = self._table()
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.days = QComboBox()
        self.days.setAccessibleName("Day of the session")
        self.days.currentIndexChanged.connect(self._day_chosen)
        self.day_label = QLabel("&Day")
        self.day_label.setBuddy(self.days)
        self.search = QLineEdit(placeholderText="Search the roster by name or id (Ctrl+F)")
        self.search.setAccessibleName("Search the roster by name or id")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self._search_entered)
        self.search.installEventFilter(self)
        self.summary = QLabel()
        self.summary.setAccessibleName("Attendance summary")
        self.status = QLabel()
        self.status.setAccessibleName("What happened last")
        self.status.setWordWrap(True)
        self.controls = QHBoxLayout()
        self.controls.addWidget(self.day_label)
        self.controls.addWidget(self.days)
        self.controls.addWidget(self.search, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.summary)
        footer.addWidget(self.status, 1, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addLayout(self.controls)
        layout.addWidget(self.table, 1)
        layout.addLayout(footer)

    def _table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setAccessibleName("Roster: Space or Enter checks the current person in or out")
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        table.setAlternatingRowColors(True)
        table.setSortingEnabled(True)
        table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CHECK, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        table.setColumnWidth(CHECK, 168)
        self.delegate = CheckInDelegate(table)
        self.delegate.sig_toggle_requested.connect(self._tapped)
        table.setItemDelegateForColumn(CHECK, self.delegate)
        table.installEventFilter(self)
        return table

    # -- showing --------------------------------------------------------------------------

    def show_roster(self, r: Roster, line: SessionLine, today: date) -> None:
        """The session's roster on the day shown before (same session), else today, else
        its first day."""
        same = self.model.roster is not None and self.model.roster.key == r.key
        keep = self.model.day if same else None
        days = r.days
        day = keep if keep in days else today if today in days else days[0]
        self.days.blockSignals(True)
        self.days.clear()
        for number, each in enumerate(days, 1):
            self.days.addItem(f"Day {number} of {len(days)}: {day_label(each)}", each)
        self.days.setCurrentIndex(days.index(day))
        self.days.blockSignals(False)
        for widget in (self.days, self.day_label):
            widget.setVisible(len(days) > 1)
        current = self.current_person()
        self.model.set_roster(r, day)
        self._reselect(current)
        self.title.setText(r.title + (" (tentative)" if r.tentative else ""))
        parts = [when_text(r)]
        parts += [r.location] if r.location else []
        parts += [f"Trainers: {', '.join(r.trainers)}"] if r.trainers else []
        parts.append("participants check themselves in" if line.marking == "self"
                     else "marked by staff")
        self.details.setText(" · ".join(parts))
        self.count()

    def count(self) -> None:
        rows = self.model.rows()
        states = [r.state for r in rows]
        parts = [f"{len(rows)} registered",
                 f"{states.count(IN) + states.count(LEFT)} checked in",
                 f"{states.count(LEFT)} left"]
        no_shows = sum(1 for r in rows if r.no_show and r.state == OUT)
        if no_shows:
            parts.append(f"{no_shows} no-show{'s' if no_shows > 1 else ''}")
        shown = self.proxy.rowCount()
        if shown != len(rows):
            parts.append(f"{shown} shown")
        self.summary.setText(" · ".join(parts))

    def say(self, text: str, ok: bool | None = None) -> None:
        colour = {True: "#2e7d32", False: "#b3261e"}.get(ok) if ok is not None else None
        self.status.setStyleSheet(f"color: {colour};" if colour else "")
        self.status.setText(text)

    def _day_chosen(self, number: int) -> None:
        day = self.days.itemData(number)
        if isinstance(day, date):
            current = self.current_person()
            self.model.set_day(day)
            self._reselect(current)
            self.count()

    # -- rows -----------------------------------------------------------------------------

    def person_at(self, index: QModelIndex) -> str | None:
        if not index.isValid():
            return None
        return self.model.row(self.proxy.mapToSource(index).row()).person

    def current_person(self) -> str | None:
        return self.person_at(self.table.currentIndex())

    def _reselect(self, person: str | None) -> None:
        number = self.model.row_of(person) if person else -1
        if number >= 0:
            index = self.proxy.mapFromSource(self.model.index(number, CHECK))
            if index.isValid():
                self.table.setCurrentIndex(index)

    def _tapped(self, index: QModelIndex) -> None:
        person = self.person_at(index)
        if person:
            self.table.setCurrentIndex(index)
            self.sig_toggle_requested.emit(person)

    # -- search ---------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip().casefold())
        self.count()

    def _search_entered(self) -> None:
        """At the door: type a name, press Enter, and the one person it matches is in."""
        shown = self.proxy.rowCount()
        if shown == 1:
            person = self.person_at(self.proxy.index(0, CHECK))
            row = self.model.row(self.model.row_of(person)) if person else None
            if row is not None and row.state == OUT:
                self.sig_toggle_requested.emit(row.person)
                self.search.clear()
            elif row is not None:
                self.say(self.model.spoken(row) + ".")
        elif shown > 1:
            self.table.setFocus()
            self.table.setCurrentIndex(self.proxy.index(0, CHECK))
        else:
            self.say("Nobody on the roster matches. Add them as a walk-in (Ctrl+N).")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self.table and key in (Qt.Key.Key_Space, Qt.Key.Key_Return,
                                             Qt.Key.Key_Enter):
            person = self.current_person()
            if person:
                self.sig_toggle_requested.emit(person)
            return True
        if watched is self.search and key == Qt.Key.Key_Down and self.proxy.rowCount():
            self.table.setFocus()
            if not self.table.currentIndex().isValid():
                self.table.setCurrentIndex(self.proxy.index(0, CHECK))
            return True
        if watched is self.search and key == Qt.Key.Key_Escape and self.search.text():
            self.search.clear()
            return True
        return super().eventFilter(watched, event)
