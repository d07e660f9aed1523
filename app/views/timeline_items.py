"""What the stage-gate timeline draws: gate bands, milestone markers, and their colours.

Colours come from the widget's palette (text, base, highlight, mid) so that light and dark
themes both read well; the three hues the palette has no role for (complete green, past-due
red, and the not-started grey) are picked lighter on a dark base and darker on a light one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from app.services.queries.timeline import GateSpan, MilestoneMark

STATUS_LABELS = {"not_started": "Not started", "active": "Active", "complete": "Complete"}
STATE_LABELS = {"locked": "Locked", "open": "Open", "started": "Started",
                "submitted": "Submitted", "complete": "Complete", "denied": "Denied",
                "skipped": "Skipped"}
DECISION_LABELS = {"go": "Go", "hold": "Hold", "recycle": "Recycle", "stop": "Stop"}


def day_text(day: date | None) -> str:
    return "—" if day is None else f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class Colours:
    text: QColor
    muted: QColor
    base: QColor
    window: QColor
    grid: QColor
    highlight: QColor
    late: QColor
    statuses: dict[str, QColor]

    @classmethod
    def of(cls, palette: QPalette) -> Colours:
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        text = palette.color(QPalette.ColorRole.Text)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        muted = QColor(text)
        muted.setAlpha(140)
        grid = QColor(text)
        grid.setAlpha(28)
        light = 165 if dark else 105
        return cls(
            text=text, muted=muted, base=palette.color(QPalette.ColorRole.Base),
            window=palette.color(QPalette.ColorRole.Window), grid=grid, highlight=highlight,
            late=QColor.fromHsl(4, 200, light + 10),
            statuses={"not_started": QColor.fromHsl(220, 8, light + 20),
                      "active": QColor(highlight),
                      "complete": QColor.fromHsl(135, 130, light)},
        )

    def fill(self, status: str) -> QColor:
        """A band's fill: the status hue, translucent over the base so text stays legible."""
        colour = QColor(self.statuses.get(status, self.statuses["not_started"]))
        colour.setAlpha(70 if status == "not_started" else 95)
        return colour


def aggregate_status(gate: GateSpan) -> str:
    """A cohort's band reads as the furthest any member got that is not yet everyone's."""
    if gate.status is not None:
        return gate.status
    counts = gate.counts
    if counts.get("active") or (counts.get("complete") and counts.get("not_started")):
        return "active"
    if counts.get("complete"):
        return "complete"
    return "not_started"


def gate_label(gate: GateSpan) -> str:
    if gate.status is not None:
        text = f"{gate.name} — {STATUS_LABELS.get(gate.status, gate.status)}"
        if gate.review is not None:
            text += (f" · {DECISION_LABELS.get(gate.review.decision, gate.review.decision)}"
                     f" {gate.review.at.astimezone():%d %b}")
        return text
    parts = [f"{gate.counts.get(s, 0)} {STATUS_LABELS[s].lower()}"
             for s in ("complete", "active", "not_started") if gate.counts.get(s)]
    text = f"{gate.name} — {', '.join(parts) or 'nobody yet'}"
    if gate.decisions:
        text += " · " + ", ".join(f"{n} {DECISION_LABELS.get(d, d).lower()}"
                                  for d, n in sorted(gate.decisions.items()))
    return text


def gate_tooltip(gate: GateSpan, marks: list[MilestoneMark]) -> str:
    lines = [f"<b>{gate.name}</b>", f"{day_text(gate.start)} – {day_text(gate.end)}"]
    if gate.status is not None:
        lines.append(f"Status: {STATUS_LABELS.get(gate.status, gate.status)}")
    else:
        lines.append(", ".join(f"{STATUS_LABELS[s]}: {gate.counts.get(s, 0)}"
                               for s in ("not_started", "active", "complete")))
    done = sum(m.done for m in marks)
    held = sum(m.holders for m in marks)
    late = sum(m.past_due_count for m in marks)
    lines.append(f"{done} of {held} milestones complete" + (f", {late} past due" if late else ""))
    if gate.review is not None:
        review = gate.review
        lines.append(f"Last review: {DECISION_LABELS.get(review.decision, review.decision)} by "
                     f"{review.actor} on {review.at.astimezone():%d %b %Y %H:%M}"
                     + (f" — {review.note}" if review.note else ""))
    elif gate.decisions:
        lines.append("Latest decisions: " + ", ".join(
            f"{DECISION_LABELS.get(d, d)} {n}" for d, n in sorted(gate.decisions.items())))
    if gate.status is not None:
        lines.append("<i>Enter or double-click to record a review.</i>")
    return "<br>".join(lines)


def milestone_tooltip(mark: MilestoneMark) -> str:
    lines = [f"<b>{mark.title}</b>"]
    if mark.state is not None:
        lines.append(f"State: {STATE_LABELS.get(mark.state, mark.state)}")
        lines.append(f"Due: {day_text(mark.due)}" + (" — past due" if mark.past_due else ""))
        if mark.opened:
            lines.append(f"Opened: {day_text(mark.opened)}")
        if mark.completed:
            lines.append(f"Completed: {day_text(mark.completed)}")
    else:
        lines.append(f"{mark.done} of {mark.holders} complete ({mark.share_complete:.0%})"
                     + (f", {mark.past_due_count} past due" if mark.past_due_count else ""))
        if mark.due and mark.due_last and mark.due != mark.due_last:
            lines.append(f"Due: {day_text(mark.due)} – {day_text(mark.due_last)}")
        else:
            lines.append(f"Due: {day_text(mark.due)}")
        if mark.completed:
            lines.append(f"Last completed: {day_text(mark.completed)}")
    return "<br>".join(lines)


class GateBand(QGraphicsRectItem):
    """One gate's span: a rounded band in its status colour, selectable to record a review.

    A cohort's band carries a thin strip along its foot: the shares of members complete,
    active and not started, left to right.
    """

    def __init__(self, gate: GateSpan, rect: QRectF, colours: Colours) -> None:
        super().__init__(rect)
        self.gate = gate
        self.status = aggregate_status(gate)
        self.colours = colours
        self.label: QGraphicsSimpleTextItem | None = None  # the name and status, beside it
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        rect = self.rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline = QColor(self.colours.statuses[self.status])
        pen = QPen(outline, 1.2)
        if self.gate.start is None:
            pen.setStyle(Qt.PenStyle.DashLine)
        if self.isSelected():
            pen = QPen(self.colours.text, 2.4)
        painter.setPen(pen)
        painter.setBrush(self.colours.fill(self.status))
        painter.drawRoundedRect(rect, 5, 5)
        if self.gate.status is None:
            self._paint_shares(painter, rect)

    def _paint_shares(self, painter: QPainter, rect: QRectF) -> None:
        total = sum(self.gate.counts.values())
        if not total:
            return
        x = rect.left() + 3
        width = rect.width() - 6
        painter.setPen(Qt.PenStyle.NoPen)
        for status in ("complete", "active", "not_started"):
            share = width * self.gate.counts.get(status, 0) / total
            if share > 0:
                painter.setBrush(self.colours.statuses[status])
                painter.drawRect(QRectF(x, rect.bottom() - 5, share, 3))
                x += share


def diamond(centre: QPointF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.moveTo(centre.x(), centre.y() - radius)
    path.lineTo(centre.x() + radius, centre.y())
    path.lineTo(centre.x(), centre.y() + radius)
    path.lineTo(centre.x() - radius, centre.y())
    path.closeSubpath()
    return path


def circle(centre: QPointF, radius: float) -> QPainterPath:
    path = QPainterPath()
    path.addEllipse(centre, radius, radius)
    return path


class MilestoneMarker(QGraphicsPathItem):
    """A diamond at a due date (red when past due) or a filled dot at a completion date."""

    def __init__(self, mark: MilestoneMark, kind: str, day: date, centre: QPointF,
                 colours: Colours) -> None:
        radius = 6.0 if kind.startswith("due") else 5.0
        super().__init__(diamond(centre, radius) if kind.startswith("due")
                         else circle(centre, radius))
        self.mark, self.kind, self.day = mark, kind, day
        self.centre = centre
        self.past_due = kind == "due" and mark.past_due
        self.setToolTip(milestone_tooltip(mark))
        self.setZValue(3)
        self.share = mark.share_complete
        self._pie = colours.statuses["complete"]
        if kind.startswith("due"):
            fill = colours.late if self.past_due else colours.base
            self.setBrush(QBrush(fill))
            self.setPen(QPen(colours.late if self.past_due else colours.text, 1.4))
        else:
            done = colours.statuses["complete"] if mark.state != "skipped" else colours.muted
            self.setPen(QPen(done.darker(130), 1))
            if mark.holders and mark.done < mark.holders:
                self.setBrush(QBrush(colours.base))  # a cohort: the pie is painted on top
            else:
                self.setBrush(QBrush(done))

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        super().paint(painter, option, widget)
        if self.kind == "done" and 0 < self.share < 1:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self._pie)
            box = QRectF(self.centre.x() - 5, self.centre.y() - 5, 10, 10)
            painter.drawPie(box, 90 * 16, -int(360 * 16 * self.share))
