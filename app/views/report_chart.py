"""A report's chart: horizontal bars, one band per category (a milestone, a gate, a cohort),
the series stacked in one bar or side by side, with a legend and a value axis.

Painted here rather than with Qt Charts: that module is deprecated since Qt 6.10 and comes
only with PySide6-Addons, a second large wheel for one widget. Painting also takes its
colours from the palette, so the chart follows the light and dark themes like the board and
the timeline do; the states keep the board's colours.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QScrollArea, QToolTip, QVBoxLayout, QWidget

from app.views.board_delegates import STATE_COLOURS
from app.views.report_plots import ChartData

PALETTE = [QColor(c) for c in ("#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#00acc1",
                               "#e53935", "#6d4c41", "#3949ab", "#c0ca33", "#d81b60")]
BAR, STACKED_BAR, GAP, AXIS, MARGIN = 12.0, 18.0, 10.0, 22.0, 8.0


def colours(data: ChartData) -> list[QColor]:
    """States in the board's colours; other series in turn from the palette."""
    others = iter(PALETTE * (1 + len(data.series) // len(PALETTE)))
    return [STATE_COLOURS.get(s.name) or next(others) for s in data.series]


def number(value: float, decimals: int | None = None) -> str:
    """A value at the chart's precision; an axis tick as short as it can be."""
    if decimals is None:
        decimals = 0 if value == int(value) else 1
    return f"{value:.{decimals}f}"


def nice_top(largest: float) -> tuple[float, float]:
    """The axis's end and its step: 1, 2 or 5 times a power of ten, about five steps."""
    if largest <= 0:
        return 1.0, 1.0
    rough = largest / 5
    power = 10 ** math.floor(math.log10(rough))
    step = next(power * m for m in (1, 2, 5, 10) if power * m >= rough)
    return math.ceil(largest / step) * step, step


@dataclass(frozen=True)
class Band:
    """One category's rows of bars: where it is drawn, and which series it holds."""
    top: float
    height: float
    category: int
    series: list[int]


class BarsCanvas(QWidget):
    """The bars themselves; as tall as its bands need, inside a scroll area."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Chart")
        self.data: ChartData | None = None
        self.bands: list[Band] = []

    def set_data(self, data: ChartData) -> None:
        self.data = data
        self.bands, top = [], AXIS
        for category in range(len(data.categories)):
            shown = [n for n, s in enumerate(data.series) if s.values[category] is not None]
            height = STACKED_BAR if data.stacked else BAR * max(1, len(shown))
            self.bands.append(Band(top, height, category, shown))
            top += height + GAP
        self.setMinimumHeight(int(top + MARGIN))
        self.update()

    def _extent(self) -> float:
        assert self.data is not None
        values = [[s.values[b.category] or 0.0 for s in self.data.series] for b in self.bands]
        if self.data.stacked:
            return max((sum(v) for v in values), default=0.0)
        return max((max(v) for v in values if v), default=0.0)

    def paintEvent(self, _event: object) -> None:  # noqa: N802 - Qt API
        if self.data is None:
            return
        data, palette = self.data, self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetricsF(self.font())
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = QColor(text)
        grid.setAlpha(40)
        labels = min(max(metrics.horizontalAdvance(c) for c in data.categories) + MARGIN,
                     self.width() * 0.35)
        left = MARGIN + labels
        width = max(self.width() - left - MARGIN - metrics.horizontalAdvance("000.0") - 6, 10)
        top, step = nice_top(self._extent())
        scale = width / top
        painter.setPen(grid)
        for n in range(int(round(top / step)) + 1):
            x = left + n * step * scale
            painter.drawLine(QPointF(x, AXIS - 4), QPointF(x, self.height() - MARGIN))
            painter.setPen(text)
            painter.drawText(QRectF(x - 30, 0, 60, AXIS - 6),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                             number(n * step))
            painter.setPen(grid)
        fills = colours(data)
        for band in self.bands:
            painter.setPen(text)
            label = metrics.elidedText(data.categories[band.category],
                                       Qt.TextElideMode.ElideRight, labels - MARGIN)
            painter.drawText(QRectF(MARGIN, band.top, labels - MARGIN, band.height),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
            x, y, end = left, band.top, left
            for n in band.series:
                value = data.series[n].values[band.category] or 0.0
                length = value * scale
                painter.fillRect(QRectF(x, y + 1, length, (band.height if data.stacked
                                                            else BAR) - 2), fills[n])
                end = max(end, x + length)
                if data.stacked:
                    x += length
                else:
                    self._value(painter, metrics, text, x + length, y, BAR,
                                number(value, data.decimals))
                    y += BAR
            if data.stacked:
                total = sum(data.series[n].values[band.category] or 0.0 for n in band.series)
                self._value(painter, metrics, text, end, band.top, band.height,
                            number(total, data.decimals))
        painter.end()

    @staticmethod
    def _value(painter: QPainter, metrics: QFontMetricsF, colour: QColor, x: float, y: float,
               height: float, value: str) -> None:
        painter.setPen(colour)
        painter.drawText(QRectF(x + 3, y, metrics.horizontalAdvance("0000.0"), height),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         value)

    def event(self, event: QEvent) -> bool:
        """Hovering a band tells its category and every value in it."""
        if event.type() == QEvent.Type.ToolTip and self.data is not None:
            assert isinstance(event, QHelpEvent)
            y = event.position().y()
            band = next((b for b in self.bands if b.top <= y < b.top + b.height + GAP), None)
            if band is None:
                QToolTip.hideText()
                return True
            data, at = self.data, band.category
            lines = [data.categories[at]] + [
                f"{data.series[n].label}: {number(data.series[n].values[at] or 0.0, data.decimals)}"
                for n in band.series]
            QToolTip.showText(event.globalPos(), "\n".join(lines), self)
            return True
        return super().event(event)


class ReportChart(QWidget):
    """The caption, the legend and the bars of one report's chart."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        font = self.caption.font()
        font.setBold(True)
        self.caption.setFont(font)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setAccessibleName("Legend")
        self.canvas = BarsCanvas()
        scroll = QScrollArea()
        scroll.setWidget(self.canvas)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.legend)
        layout.addWidget(scroll, 1)

    @property
    def data(self) -> ChartData | None:
        return self.canvas.data

    def set_data(self, data: ChartData) -> None:
        self.caption.setText(data.caption)
        self.legend.setText("&nbsp;&nbsp; ".join(
            f'<span style="color:{colour.name()}">■</span>&nbsp;{html.escape(s.label)}'
            for s, colour in zip(data.series, colours(data), strict=True)))
        self.canvas.set_data(data)
        self.canvas.setAccessibleDescription(
            f"{data.caption}: {len(data.categories)} bars of "
            + ", ".join(s.label for s in data.series))
