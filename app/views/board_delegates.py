"""How the board paints a card: a delegate per mode, never a widget per card.

Board mode paints a card (name, state colour, due date, past-due badge, progress scale,
labels); grid mode a compact cell (state colour and word, due date, a red corner when past
due, a dot for behind or stuck, a lock). Colours come from the state and the palette, so
the dark theme keeps its contrast.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.services.queries.board_cells import BoardMilestone, BoardPerson, Cell
from app.views.models.board import (
    CELL_ROLE,
    MATCH_ROLE,
    MILESTONE_ROLE,
    PERSON_ROLE,
    SCALE_LABELS,
    STATE_LABELS,
)

Index = QModelIndex | QPersistentModelIndex

STATE_COLOURS = {
    "locked": QColor("#90a4ae"), "open": QColor("#1e88e5"), "started": QColor("#00897b"),
    "submitted": QColor("#f9a825"), "complete": QColor("#2e7d32"), "denied": QColor("#c62828"),
    "skipped": QColor("#9e9e9e"),
}
PAST_DUE = QColor("#d32f2f")
SCALE_COLOURS = {"on_track": QColor("#43a047"), "behind": QColor("#fb8c00"),
                 "stuck": QColor("#e53935")}
CARD_HEIGHT = 70
CELL_SIZE = QSize(128, 26)


def due_text(cell: Cell, today: date | None = None) -> str:
    if cell.due_label:
        return cell.due_label
    if cell.due is None:
        return "No due date"
    return f"due {cell.due.strftime('%d %b %Y')}"


def draw_lock(painter: QPainter, x: float, y: float, size: float, colour: QColor) -> float:
    """A small padlock at (x, y), `size` high (fonts may have no lock glyph); its width."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    width = size * 0.8
    body = QRectF(x, y + size * 0.45, width, size * 0.55)
    pen = QPen(colour, max(size / 9, 1.2))
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawArc(QRectF(x + width * 0.2, y + size * 0.05, width * 0.6, size * 0.75),
                    0, 180 * 16)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(body, 1.5, 1.5)
    painter.restore()
    return width


def _pill(painter: QPainter, x: float, y: float, text: str, colour: QColor, font: QFont,
          filled: bool = True) -> float:
    """A rounded badge at (x, y); returns its width."""
    metrics = QFontMetrics(font)
    width = metrics.horizontalAdvance(text) + 10
    rect = QRectF(x, y, width, metrics.height() + 2)
    path = QPainterPath()
    path.addRoundedRect(rect, 4, 4)
    if filled:
        painter.fillPath(path, colour)
        painter.setPen(QColor("white"))
    else:
        tint = QColor(colour)
        tint.setAlpha(40)
        painter.fillPath(path, tint)
        painter.setPen(colour)
    painter.setFont(font)
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    return width


class CardDelegate(QStyledItemDelegate):
    """A board card, as tall as three short lines."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return QSize(max(option.rect.width(), 200), CARD_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        cell: Cell | None = index.data(CELL_ROLE)
        person: BoardPerson | None = index.data(PERSON_ROLE)
        milestone: BoardMilestone | None = index.data(MILESTONE_ROLE)
        if cell is None or person is None or milestone is None:
            return
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        colour = STATE_COLOURS.get(cell.state, QColor("gray"))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect.adjusted(4, 3, -4, -3))
        path = QPainterPath()
        path.addRoundedRect(rect, 6, 6)
        painter.fillPath(path, palette.color(QPalette.ColorRole.Base))
        if selected:
            tint = QColor(palette.color(QPalette.ColorRole.Highlight))
            tint.setAlpha(50)
            painter.fillPath(path, tint)
        border = (palette.color(QPalette.ColorRole.Highlight) if selected
                  else palette.color(QPalette.ColorRole.Mid))
        painter.setPen(border)
        painter.drawPath(path)
        bar = QPainterPath()
        bar.addRoundedRect(QRectF(rect.left(), rect.top(), 5, rect.height()), 2, 2)
        painter.fillPath(bar, colour)
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 5, 5)

        left, right = rect.left() + 12, rect.right() - 8
        text = palette.color(QPalette.ColorRole.Text)
        bold = QFont(option.font)
        bold.setBold(True)
        small = QFont(option.font)
        small.setPointSizeF(max(option.font.pointSizeF() - 1.5, 7))
        metrics = QFontMetrics(bold)
        line = metrics.height()
        top = rect.top() + 5
        painter.setFont(bold)
        painter.setPen(text)
        name_left = left
        if cell.state == "locked":
            name_left += draw_lock(painter, left, top + 2, line - 5, colour.darker(130)) + 5
        painter.setPen(text)
        painter.drawText(QRectF(name_left, top, right - name_left, line),
                         Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(person.name, Qt.TextElideMode.ElideRight,
                                            int(right - name_left)))
        top += line + 2
        painter.setFont(small)
        state = STATE_LABELS.get(cell.state, cell.state)
        painter.setPen(colour.darker(115) if cell.state != "locked" else text)
        small_metrics = QFontMetrics(small)
        badge = "Past due" if cell.past_due else ""
        room = right - left - (small_metrics.horizontalAdvance(badge) + 14 if badge else 0)
        painter.drawText(QRectF(left, top, room, line), Qt.AlignmentFlag.AlignLeft,
                         small_metrics.elidedText(f"{state} · {due_text(cell)}",
                                                  Qt.TextElideMode.ElideRight, int(room)))
        if badge:
            width = small_metrics.horizontalAdvance(badge) + 10
            _pill(painter, right - width, top, badge, PAST_DUE, small)
        top += small_metrics.height() + 5
        x = left
        if cell.scale:
            x += _pill(painter, x, top, SCALE_LABELS[cell.scale], SCALE_COLOURS[cell.scale],
                       small, filled=False) + 4
        for label in milestone.labels:
            width = small_metrics.horizontalAdvance(label) + 10
            if x + width > right:
                break
            x += _pill(painter, x, top, label, palette.color(QPalette.ColorRole.PlaceholderText),
                       small, filled=False) + 4
        painter.restore()


class CellDelegate(QStyledItemDelegate):
    """A grid cell: the state as colour and word, the due date, marks for past due and
    behind or stuck. Cards that do not pass the filters are faded."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return CELL_SIZE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect: QRect = option.rect
        painter.save()
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        cell: Cell | None = index.data(CELL_ROLE)
        if cell is None:
            painter.restore()
            return
        if index.data(MATCH_ROLE) is False and not selected:
            painter.setOpacity(0.3)
        colour = STATE_COLOURS.get(cell.state, QColor("gray"))
        tint = QColor(colour)
        tint.setAlpha(70 if selected else 45)
        inner = rect.adjusted(1, 1, -1, -1)
        painter.fillRect(inner, tint)
        painter.fillRect(QRect(inner.left(), inner.top(), 4, inner.height()), colour)
        text = palette.color(QPalette.ColorRole.HighlightedText if selected
                             else QPalette.ColorRole.Text)
        painter.setPen(text)
        font = QFont(option.font)
        font.setPointSizeF(max(option.font.pointSizeF() - 1, 7))
        painter.setFont(font)
        words = STATE_LABELS.get(cell.state, cell.state)
        due = cell.due.strftime("%d %b") if cell.due and not cell.due_label else ""
        area = inner.adjusted(8, 0, -14, 0)
        if cell.state == "locked":
            size = QFontMetrics(font).height() - 6
            area.setLeft(area.left() + int(draw_lock(painter, area.left(),
                                                     area.center().y() - size / 2 - 1, size,
                                                     colour.darker(130))) + 4)
            painter.setPen(text)
        metrics = QFontMetrics(font)
        space = area.width() - (metrics.horizontalAdvance(due) + 6 if due else 0)
        painter.drawText(area, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(words, Qt.TextElideMode.ElideRight, space))
        if due:
            painter.drawText(area, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             due)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if cell.past_due:
            corner = QPolygonF([QPointF(inner.right() - 9, inner.top()),
                                QPointF(inner.right() + 1, inner.top()),
                                QPointF(inner.right() + 1, inner.top() + 10)])
            painter.setBrush(PAST_DUE)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawPolygon(corner)
        if cell.scale in ("behind", "stuck"):
            painter.setBrush(SCALE_COLOURS[cell.scale])
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QPointF(inner.right() - 5, inner.bottom() - 6), 3.5, 3.5)
        painter.restore()
