"""The board mode: one column per milestone, in step order, each a list view of painted
cards over the shared board model (through its own filter), side by side in a scroll area;
and the drop zones a card is dragged onto to act on it.

Selection spans columns the way a user expects from one board: a plain click keeps only the
clicked card, Ctrl or Shift click adds to the selection wherever the card is, Ctrl+A selects
every card shown, Left and Right move between columns.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QContextMenuEvent,
    QDrag,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.views.board_delegates import CARD_HEIGHT, CardDelegate
from app.views.models.board import (
    BoardModel,
    ColumnFilter,
    Filters,
    cards_from_mime,
    milestone_caption,
)

COLUMN_WIDTH = 236


class CardList(QListView):
    """One column's cards."""

    sig_pressed_alone = Signal()
    """A plain click: the other columns let go of their selection."""
    sig_select_all = Signal()
    """Ctrl+A: select every card shown, in every column."""
    sig_step = Signal(int)
    """Left (-1) or Right (+1) at a card: move to the neighbouring column."""
    sig_menu = Signal(QPoint)
    """The context menu was asked for, at this global position."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(CardDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setUniformItemSizes(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.drag_data: Callable[[], QMimeData] | None = None  # the board's whole selection
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        mods = event.modifiers()
        if not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            index = self.indexAt(event.position().toPoint())
            if not (index.isValid() and self.selectionModel().isSelected(index)
                    and event.button() == Qt.MouseButton.LeftButton):
                self.sig_pressed_alone.emit()
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        if event.matches(QKeySequence.StandardKey.SelectAll):
            self.sig_select_all.emit()
            return
        if event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right) and not event.modifiers():
            self.sig_step.emit(-1 if event.key() == Qt.Key.Key_Left else 1)
            return
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Home, Qt.Key.Key_End,
                           Qt.Key.Key_PageUp, Qt.Key.Key_PageDown) and not (
                event.modifiers() & (Qt.KeyboardModifier.ShiftModifier
                                     | Qt.KeyboardModifier.ControlModifier)):
            self.sig_pressed_alone.emit()
        super().keyPressEvent(event)

    def startDrag(self, supported: Qt.DropAction) -> None:  # noqa: N802 - Qt API
        """Drag every selected card on the board, not only this column's."""
        if self.drag_data is None:
            super().startDrag(supported)
            return
        data = self.drag_data()
        count = len(cards_from_mime(data))
        if not count:
            return
        drag = QDrag(self)
        drag.setMimeData(data)
        drag.setPixmap(_drag_pixmap(self, f"{count} card{'s' if count != 1 else ''}"))
        drag.exec(Qt.DropAction.CopyAction)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt API
        index = self.indexAt(event.pos())
        if index.isValid() and not self.selectionModel().isSelected(index):
            self.sig_pressed_alone.emit()
            self.setCurrentIndex(index)
        elif not index.isValid() and self.currentIndex().isValid():
            index = self.currentIndex()  # from the keyboard (Menu key, Shift+F10)
        self.sig_menu.emit(event.globalPos())


def _drag_pixmap(widget: QWidget, text: str) -> QPixmap:
    """A small tag under the pointer saying how many cards are dragged."""
    metrics = widget.fontMetrics()
    pixmap = QPixmap(metrics.horizontalAdvance(text) + 20, metrics.height() + 10)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(widget.palette().color(QPalette.ColorRole.Highlight))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(pixmap.rect(), 6, 6)
    painter.setPen(widget.palette().color(QPalette.ColorRole.HighlightedText))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


class BoardColumn(QFrame):
    """A milestone's heading (title, step, gate, how many cards) over its cards."""

    def __init__(self, board: BoardModel, filters: Filters, column: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        milestone = board.milestones[column]
        self.milestone = milestone
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(COLUMN_WIDTH)
        self.proxy = ColumnFilter(board, filters, column, self)
        self.cards = CardList(self)
        self.cards.setModel(self.proxy)
        self.cards.setAccessibleName(f"Cards of {milestone.title}")
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setToolTip(milestone_caption(milestone))
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.caption = QLabel()
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setForegroundRole(self.caption.foregroundRole())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.caption)
        layout.addWidget(self.cards, 1)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset,
                       self.proxy.layoutChanged):
            signal.connect(self._count)
        self._count()

    def _count(self, *_args: object) -> None:
        m = self.milestone
        shown = self.proxy.rowCount()
        gate = f" · {m.gate_name}" if m.gate_name else ""
        self.title.setText(m.title)
        self.caption.setText(f"Step {m.step}{gate} · {shown} card{'s' if shown != 1 else ''}")


class BoardColumns(QScrollArea):
    """Every milestone's column, side by side."""

    sig_current = Signal(int, int)
    """The current card changed: its (row, column) in the board model."""
    sig_menu = Signal(QPoint)
    """The context menu was asked for on the cards, at this global position."""
    sig_activated = Signal(int, int)
    """A card was opened (double click or Enter): (row, column)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName("Milestone board")
        self.columns: list[BoardColumn] = []
        self._inner = QWidget()
        self._row = QHBoxLayout(self._inner)
        self._row.setContentsMargins(4, 4, 4, 4)
        self._row.setSpacing(6)
        self._row.addStretch(1)
        self.setWidget(self._inner)

    def clear(self) -> None:
        """Let the columns go before the board changes under them (their filters would
        otherwise read the whole new board once more, for nothing)."""
        for column in self.columns:
            column.proxy.setSourceModel(None)
            column.setParent(None)
            column.deleteLater()
        self.columns = []

    def build(self, board: BoardModel, filters: Filters) -> None:
        """A column per milestone of the board (after a new cohort is chosen)."""
        self.clear()
        self.columns = [BoardColumn(board, filters, c, self._inner)
                        for c in range(len(board.milestones))]
        for column in self.columns:
            self._row.insertWidget(self._row.count() - 1, column)
            column.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
            cards = column.cards
            cards.sig_pressed_alone.connect(lambda keep=column: self._only(keep))
            cards.sig_select_all.connect(self.select_all)
            cards.sig_step.connect(lambda step, at=column: self._step(at, step))
            cards.sig_menu.connect(self.sig_menu)
            cards.drag_data = self.drag_data
            cards.selectionModel().currentChanged.connect(
                lambda current, _previous, at=column: self._current(at, current))
            cards.activated.connect(lambda index, at=column: self._activated(at, index))
        self.setMinimumHeight(CARD_HEIGHT * 3)
        self.show_columns(filters)

    def show_columns(self, filters: Filters) -> None:
        """The milestones the gate and label filters keep; while cards are filtered (state,
        at risk, search), only the columns that still hold some."""
        criteria = filters.criteria
        narrowed = criteria.picks_cards or bool(criteria.search.strip())
        for column in self.columns:
            column.setVisible(criteria.column_ok(column.milestone)
                              and (not narrowed or column.proxy.rowCount() > 0))

    # -- selection -----------------------------------------------------------------------

    def _only(self, keep: BoardColumn) -> None:
        for column in self.columns:
            if column is not keep:
                column.cards.clearSelection()

    def select_all(self) -> None:
        for column in self.columns:
            if not column.isHidden():
                column.cards.selectAll()

    def selected(self) -> list[tuple[int, int]]:
        """The selected cards, as (row, column) in the board model, column by column."""
        found = []
        for column in self.columns:
            if column.isHidden():
                continue
            for index in column.cards.selectionModel().selectedIndexes():
                source = column.proxy.mapToSource(index)
                found.append((source.row(), source.column()))
        return found

    def drag_data(self) -> QMimeData:
        """The selected cards of every column, as dragged."""
        board = self.columns[0].proxy.sourceModel() if self.columns else None
        if board is None:
            return QMimeData()
        return board.mimeData([board.index(r, c) for r, c in self.selected()])

    def selection_size(self) -> int:
        """How many cards are selected, without listing them (a whole board may be)."""
        return sum(len(column.cards.selectionModel().selectedIndexes())
                   for column in self.columns if not column.isHidden())

    def cards_shown(self) -> int:
        return sum(column.proxy.rowCount() for column in self.columns if not column.isHidden())

    def current(self) -> tuple[int, int] | None:
        for column in self.columns:
            if column.cards.hasFocus() and column.cards.currentIndex().isValid():
                source = column.proxy.mapToSource(column.cards.currentIndex())
                return source.row(), source.column()
        return None

    def select(self, row: int, column: int, focus: bool = True) -> bool:
        """Make the card at (row, column) of the model the only selection."""
        if not 0 <= column < len(self.columns):
            return False
        target = self.columns[column]
        index = target.proxy.mapFromSource(target.proxy.sourceModel().index(row, column))
        if not index.isValid():
            return False
        self._only(target)
        target.cards.setCurrentIndex(index)
        target.cards.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if focus:
            target.cards.setFocus()
        self.ensureWidgetVisible(target)
        QTimer.singleShot(0, lambda: self.ensureWidgetVisible(target))  # once laid out
        return True

    def _current(self, column: BoardColumn, current: QModelIndex) -> None:
        if current.isValid():
            source = column.proxy.mapToSource(current)
            self.sig_current.emit(source.row(), source.column())

    def _activated(self, column: BoardColumn, index: QModelIndex) -> None:
        source = column.proxy.mapToSource(index)
        self.sig_activated.emit(source.row(), source.column())

    def _step(self, column: BoardColumn, step: int) -> None:
        shown = [c for c in self.columns if not c.isHidden() and c.proxy.rowCount()]
        if column not in shown:
            return
        position = shown.index(column) + step
        if not 0 <= position < len(shown):
            return
        target = shown[position]
        row = min(column.cards.currentIndex().row(), target.proxy.rowCount() - 1)
        index = target.proxy.index(max(row, 0), 0)
        self._only(target)
        target.cards.setCurrentIndex(index)
        target.cards.setFocus()
        self.ensureWidgetVisible(target)


class DropZone(QLabel):
    """A place to drop dragged cards to act on them ("Complete", "Skip…")."""

    sig_dropped = Signal(list)
    """Cards were dropped here: their (row, column) pairs in the board model."""

    def __init__(self, text: str, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setToolTip(tip)
        self.setAccessibleName(text)
        self.setMinimumHeight(30)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFrameShadow(QFrame.Shadow.Sunken)
        self._hover(False)

    def _hover(self, on: bool) -> None:
        self.setStyleSheet("QLabel { border: 2px dashed palette(highlight); border-radius: 6px;"
                           f" padding: 4px 10px; {'background: palette(highlight);' if on else ''}"
                           f" {'color: palette(highlighted-text);' if on else ''} }}")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if cards_from_mime(event.mimeData()):
            event.acceptProposedAction()
            self._hover(True)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802 - Qt API
        self._hover(False)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        self._hover(False)
        cards = cards_from_mime(event.mimeData())
        if cards:
            event.setDropAction(Qt.DropAction.CopyAction)  # the list keeps its cards
            event.accept()
            self.sig_dropped.emit([list(c) for c in cards])
