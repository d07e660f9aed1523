"""The large check-in toggle of the roster, painted by one delegate for every row (and the
session picker's two-line rows).

A trainer at the door taps it with a finger or a mouse, or presses Space; it reads "Check in"
until then, "In 09:05" once in (green) and "Left 11:02" once out. Painting instead of a
button per row keeps a roster of hundreds as quick as one of ten.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.services.queries.sessions_view import SessionLine
from app.views.models.attendance import (
    DETAILS_ROLE,
    IN,
    LEFT,
    PENDING_ROLE,
    STATE_ROLE,
    SessionsModel,
)

Index = QModelIndex | QPersistentModelIndex
PILL = QSize(148, 34)
ROW_HEIGHT = 46
GREEN = QColor(46, 125, 50)


def pill_rect(cell: QRect) -> QRect:
    """The toggle inside its cell: centred vertically, a little in from the left."""
    height = min(PILL.height(), cell.height() - 6)
    return QRect(cell.left() + 8, cell.top() + (cell.height() - height) // 2,
                 min(PILL.width(), cell.width() - 16), height)


class CheckInDelegate(QStyledItemDelegate):
    sig_toggle_requested = Signal(object)
    """A click or tap on a row's toggle (the view decides: check in or out)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return QSize(PILL.width() + 16, ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        # the row's selection background, as the other cells have it
        base = QStyleOptionViewItem(option)
        self.initStyleOption(base, index)
        base.text = ""
        style = base.widget.style() if base.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, base, painter, base.widget)
        state, pending = index.data(STATE_ROLE), bool(index.data(PENDING_ROLE))
        palette: QPalette = option.palette
        rect = pill_rect(option.rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        radius = rect.height() / 2
        if state == IN:
            fill, text = GREEN, QColor(255, 255, 255)
            pen = QPen(GREEN)
        elif state == LEFT:
            fill = palette.color(QPalette.ColorRole.Mid)
            text = palette.color(QPalette.ColorRole.Text)
            pen = QPen(fill)
        else:
            fill = palette.color(QPalette.ColorRole.Base)
            text = palette.color(QPalette.ColorRole.Text)
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 2)
        if pending:
            fill, pen = QColor(fill).lighter(130), QPen(pen.color(), 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), radius, radius)
        font = painter.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        painter.setFont(font)
        painter.setPen(text)
        mark = "✓ " if state == IN and not pending else ""
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, mark + str(index.data()))
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2,
                                Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-3, -3, 3, 3), radius + 3, radius + 3)
        painter.restore()

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem,  # noqa: N802
                    index: Index) -> bool:
        if (event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.LeftButton
                and pill_rect(option.rect).contains(event.position().toPoint())):
            self.sig_toggle_requested.emit(index)
            return True
        return False


class SessionDelegate(QStyledItemDelegate):
    """A session in the picker: its title in bold, then when, where and how many, smaller and
    muted, wrapped to the list's width so nothing hides behind a scroll bar."""

    PAD = 6

    @staticmethod
    def _line(index: Index) -> SessionLine | None:
        """Read from the model itself: `index.data()` answering None (a heading) costs a
        reference to None in PySide6 6.12, which crashes the app once it has run out."""
        model = index.model()
        return model.session_at(index.row()) if isinstance(model, SessionsModel) else None

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        title = QFont(option.font)
        title.setBold(True)
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() * 0.9)
        return title, small

    def _width(self, option: QStyleOptionViewItem) -> int:
        widget = option.widget
        width = option.rect.width()
        if width <= 0 and widget is not None:
            width = widget.viewport().width() if hasattr(widget, "viewport") else widget.width()
        return max(width - 2 * self.PAD, 40)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        line = self._line(index)
        if line is None:
            return super().sizeHint(option, index)
        title, small = self._fonts(option)
        width = self._width(option)
        details = QFontMetrics(small).boundingRect(
            QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap, index.data(DETAILS_ROLE))
        return QSize(width, QFontMetrics(title).height() + details.height() + 2 * self.PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        line = self._line(index)
        if line is None:
            super().paint(painter, option, index)
            return
        base = QStyleOptionViewItem(option)
        self.initStyleOption(base, index)
        base.text = ""
        style = base.widget.style() if base.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, base, painter, base.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = option.palette
        ink = palette.color(QPalette.ColorRole.HighlightedText if selected
                            else QPalette.ColorRole.Text)
        muted = QColor(ink)
        if not selected:
            muted.setAlphaF(0.7)
        title, small = self._fonts(option)
        rect = option.rect.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        painter.save()
        painter.setFont(title)
        painter.setPen(ink)
        height = QFontMetrics(title).height()
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), height),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(title).elidedText(line.title, Qt.TextElideMode.ElideRight,
                                                        rect.width()))
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(rect.adjusted(0, height, 0, 0),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                         | int(Qt.TextFlag.TextWordWrap), index.data(DETAILS_ROLE))
        painter.restore()
