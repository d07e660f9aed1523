"""The timeline's date axis: which ticks to show at a zoom, and painting them.

Two rows: months over weeks (or days) when zoomed in, years over months (or quarters) when
zoomed out. Each tick offers labels from longest to shortest and the painter uses the longest
that fits, so the axis reads at every zoom without overlapping text. The axis is painted over
the top of the viewport, so it stays in view while the lanes scroll under it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetrics, QPainter, QPalette, QPen

if TYPE_CHECKING:
    from app.views.timeline_canvas import TimelineCanvas

AXIS = 46  # the height of the date axis over the top of the viewport


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


Tick = tuple[date, tuple[str, ...]]  # a day and its labels, longest first


def axis_ticks(first: date, last: date, ppd: float) -> tuple[list[Tick], list[Tick]]:
    """(upper, lower) rows of ticks: months over weeks or days when zoomed in, years over
    months or quarters when zoomed out. Each tick offers labels from longest to shortest;
    the painter draws the first that fits before the next tick."""
    upper: list[Tick] = []
    lower: list[Tick] = []
    if ppd >= 2.5:
        day = _month_start(first)
        while day <= last:
            upper.append((day, (f"{day:%B %Y}", f"{day:%b %Y}", f"{day:%b}")))
            day = _next_month(day)
    else:
        for year in range(first.year, last.year + 1):
            upper.append((date(year, 1, 1), (str(year),)))
    if ppd >= 18:
        lower = [(first + timedelta(days=n), (str((first + timedelta(days=n)).day),))
                 for n in range((last - first).days + 1)]
    elif ppd >= 3:
        day = first + timedelta(days=(7 - first.weekday()) % 7)
        while day <= last:
            lower.append((day, (f"{day.day} {day:%b}", str(day.day))))
            day += timedelta(days=7)
    else:
        day = _month_start(first)
        while day <= last:
            if ppd * 30 >= 22:
                lower.append((day, (f"{day:%b}", f"{day:%b}"[0])))
            elif day.month in (1, 4, 7, 10):
                lower.append((day, (f"Q{(day.month - 1) // 3 + 1}",)))
            day = _next_month(day)
    return upper, lower


def uniform_form(ticks: list[Tick], metrics: QFontMetrics, ppd: float) -> int:
    """Which form of label (long, short…) every tick of an evenly spaced row has room for,
    so that the row reads alike from end to end."""
    if len(ticks) < 2:
        return 0
    spacing = (ticks[1][0] - ticks[0][0]).days * ppd - 7
    forms = max(len(labels) for _day, labels in ticks)
    for form in range(forms):
        widest = max(metrics.horizontalAdvance(labels[min(form, len(labels) - 1)])
                     for _day, labels in ticks)
        if widest <= spacing:
            return form
    return forms - 1


def paint_axis(canvas: TimelineCanvas, painter: QPainter) -> None:
    """The axis in viewport coordinates: a band of the window colour with the two rows of
    labels and the today tag."""
    timeline = canvas.timeline
    assert timeline is not None
    colours, font, ppd = canvas.colours, canvas.font(), canvas.ppd
    painter.save()
    painter.resetTransform()
    width = canvas.viewport().width()
    painter.fillRect(QRectF(0, 0, width, AXIS), colours.window)
    painter.setPen(QPen(colours.grid, 1))
    painter.drawLine(QPointF(0, AXIS - 0.5), QPointF(width, AXIS - 0.5))
    left = canvas.mapToScene(0, 0).x()
    upper, lower = axis_ticks(*canvas.visible_days(left, left + width), ppd)
    bold = QFont(font)
    bold.setBold(True)
    today = canvas.mapFromScene(QPointF(canvas.x_of(timeline.today), 0)).x()
    tag = "Today"
    tag_width = QFontMetrics(font).horizontalAdvance(tag) + 10
    box = QRectF(today - tag_width / 2, AXIS - 19, tag_width, 17)
    for row, (ticks, top) in enumerate(((upper, 4), (lower, 24))):
        metrics = QFontMetrics(bold if row == 0 else font)
        painter.setFont(bold if row == 0 else font)
        painter.setPen(colours.text if row == 0 else colours.muted)
        uniform = uniform_form(ticks, metrics, ppd) if row == 1 else None
        for n, (day, labels) in enumerate(ticks):
            x = canvas.viewport_x(day)
            following = canvas.viewport_x(ticks[n + 1][0]) if n + 1 < len(ticks) else width + 400
            where = max(x + 4, 4) if row == 0 else x + 3  # a month's name stays in view
            forms = labels if uniform is None else labels[min(uniform, len(labels) - 1):]
            label = next((text for text in forms
                          if metrics.horizontalAdvance(text) <= following - 2 - where), None)
            if label is None:
                continue  # no room: the next label says enough
            advance = metrics.horizontalAdvance(label)
            if row == 1 and where < box.right() + 2 and where + advance > box.left() - 2:
                continue  # under the today tag
            painter.drawText(QPointF(where, top + metrics.ascent()), label)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(colours.highlight))
    painter.drawRoundedRect(box, 3, 3)
    painter.setPen(canvas.palette().color(QPalette.ColorRole.HighlightedText))
    painter.setFont(font)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, tag)
    painter.restore()
