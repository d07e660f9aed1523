"""The timeline's drawing surface: a date axis, gate bands, milestone lanes, today's line.

Zooming changes the pixels per day and lays the scene out again rather than scaling the
view, so text and markers keep their size while the time axis widens. The date axis is
painted over the top of the viewport (it stays put while the lanes scroll under it), and the
whole viewport repaints on scroll for that reason — the scene holds tens of items, not
thousands, so that is cheap.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from app.services.queries.timeline import GateSpan, MilestoneMark, Timeline
from app.views.timeline_axis import AXIS, axis_ticks, paint_axis
from app.views.timeline_items import (
    STATE_LABELS,
    Colours,
    GateBand,
    MilestoneMarker,
    gate_label,
    gate_tooltip,
)

BAND = 28
LANE = 22
GAP = 12
BEFORE, AFTER = timedelta(days=10), timedelta(days=14)
MIN_PPD, MAX_PPD = 0.05, 80.0
STEP = 1.25


class TimelineCanvas(QGraphicsView):
    sig_review_requested = Signal()
    """Enter or a double-click on a gate band: record a review of the selected gate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.ppd = 6.0
        self.timeline: Timeline | None = None
        self.origin = date.today()
        self.end = self.origin
        self.bands: list[GateBand] = []
        self.markers: list[MilestoneMarker] = []
        self.today_line: QGraphicsLineItem | None = None
        # Each lane's title, its backing plate, and where it sits beside its markers.
        self._titles: list[tuple[QGraphicsSimpleTextItem, QGraphicsRectItem, float]] = []
        self.message = ""
        self._fitted = True
        self.colours = Colours.of(self.palette())
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Stage-gate timeline")
        self.setMinimumHeight(160)

    # -- geometry -------------------------------------------------------------------------

    def x_of(self, day: date) -> float:
        """The middle of `day` on the scene's time axis."""
        return ((day - self.origin).days + 0.5) * self.ppd

    def axis_width(self) -> float:
        """How wide the time axis is, first day to last: zooming in widens it."""
        return (self.end - self.origin).days * self.ppd

    def day_at(self, viewport_x: float) -> date:
        scene_x = self.mapToScene(int(viewport_x), 0).x()
        return self.origin + timedelta(days=int(scene_x // self.ppd))

    # -- content --------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.timeline = None
        self.message = text
        # Forget the items before the scene deletes them: clearing announces a selection change.
        self.bands, self.markers, self.today_line, self._titles = [], [], None, []
        self.scene().clear()
        item = self.scene().addSimpleText(text)
        item.setBrush(self.colours.muted)
        item.setPos(16, AXIS + GAP)
        self.scene().setSceneRect(QRectF(0, 0, max(self.viewport().width() - 2, 200), 200))

    def set_timeline(self, timeline: Timeline, *, keep_view: bool) -> None:
        """Lay out a timeline; `keep_view` holds the zoom, scroll and selection (a refresh of
        what is shown), else the whole span is fitted into view (something new)."""
        anchor = self.day_at(0) if keep_view and self.timeline is not None else None
        top = self.verticalScrollBar().value()
        selected = self.selected_band()
        chosen = selected.gate.key if keep_view and selected is not None else None
        self.timeline = timeline
        self.message = ""
        dates = timeline.dates()
        self.origin = min(dates) - BEFORE
        self.end = max(dates) + AFTER
        if keep_view and not self._fitted:
            self._layout()
            if anchor is not None:
                self.horizontalScrollBar().setValue(int(self.x_of(anchor) - self.ppd / 2))
            self.verticalScrollBar().setValue(top)
            self._place_labels()
        else:
            self.fit()
        if chosen is not None:
            self.select_gate(chosen)
        self._describe()

    def _layout(self) -> None:
        scene = self.scene()
        self.bands, self.markers, self.today_line, self._titles = [], [], None, []
        scene.clear()
        self.colours = Colours.of(self.palette())
        timeline = self.timeline
        if timeline is None:
            return
        y = AXIS + GAP
        shown = {gate.key for gate in timeline.gates}
        for gate in timeline.gates:
            marks = [m for m in timeline.milestones if m.gate == gate.key]
            band = self._band(gate, marks, y)
            y += BAND + 4
            for mark in marks:
                self._lane(mark, y, band.rect().left() + 4)
                y += LANE
            y += GAP
        loose = [m for m in timeline.milestones if m.gate not in shown]
        if loose:
            heading = scene.addSimpleText("Not in a stage gate")
            heading.setBrush(self.colours.muted)
            heading.setPos(8, y)
            y += LANE
            for mark in loose:
                self._lane(mark, y, 8)
                y += LANE
            y += GAP
        today = self.x_of(timeline.today)
        pen = QPen(self.colours.highlight, 2)
        self.today_line = scene.addLine(today, AXIS, today, max(y, AXIS + 40), pen)
        self.today_line.setZValue(5)
        self.today_line.setToolTip(f"Today, {timeline.today:%d %b %Y}")
        right = max(self.x_of(self.end), scene.itemsBoundingRect().right() + 24)
        scene.setSceneRect(QRectF(0, 0, right, y + GAP))

    def _band(self, gate: GateSpan, marks: list[MilestoneMark], y: float) -> GateBand:
        if gate.start is not None and gate.end is not None:
            left = self.x_of(gate.start) - self.ppd / 2
            width = max(((gate.end - gate.start).days + 1) * self.ppd, 6.0)
        else:  # no dates yet: a dashed placeholder at the start of the axis
            left, width = 8.0, 180.0
        band = GateBand(gate, QRectF(left, y, width, BAND), self.colours)
        band.setToolTip(gate_tooltip(gate, marks))
        self.scene().addItem(band)
        label = QGraphicsSimpleTextItem(gate_label(gate) if gate.start or gate.status is None
                                        else gate_label(gate) + " · no dates yet")
        font = QFont(self.font())
        font.setBold(True)
        label.setFont(font)
        label.setBrush(self.colours.text)
        label.setZValue(2)
        inside = label.boundingRect().width() + 16 <= width
        label.setPos(left + 8 if inside else left + width + 8,
                     y + (BAND - label.boundingRect().height()) / 2 - 1)
        self.scene().addItem(label)
        band.label = label
        self.bands.append(band)
        return band

    def _lane(self, mark: MilestoneMark, y: float, fallback_x: float) -> None:
        scene, colours = self.scene(), self.colours
        timeline = self.timeline
        assert timeline is not None
        cy = y + LANE / 2
        xs: list[float] = []
        finished = mark.completed if mark.done == mark.holders else None
        running_to = finished or (timeline.today if mark.opened else None)
        if mark.opened and running_to and running_to >= mark.opened:
            muted = QColor(colours.muted)
            muted.setAlpha(90)
            track = QPen(muted, 3)
            track.setCapStyle(Qt.PenCapStyle.RoundCap)
            scene.addLine(self.x_of(mark.opened), cy, self.x_of(running_to), cy,
                          track).setZValue(1)
            xs.append(self.x_of(mark.opened))
        if mark.past_due and mark.due and mark.due < timeline.today:
            scene.addLine(self.x_of(mark.due), cy, self.x_of(timeline.today), cy,
                          QPen(colours.late, 2)).setZValue(2)
        if mark.due_last and mark.due and mark.due_last != mark.due:
            window = QPen(colours.muted, 1, Qt.PenStyle.DashLine)
            scene.addLine(self.x_of(mark.due), cy, self.x_of(mark.due_last), cy,
                          window).setZValue(2)
            self._marker(mark, "due_last", mark.due_last, cy)
            xs.append(self.x_of(mark.due_last))
        if mark.due:
            self._marker(mark, "due", mark.due, cy)
            xs.append(self.x_of(mark.due))
        if mark.completed and mark.done:
            self._marker(mark, "done", mark.completed, cy)
            xs.append(self.x_of(mark.completed))
        text = scene.addSimpleText(self._lane_text(mark))
        text.setBrush(colours.late if mark.past_due
                      else colours.muted if mark.state in ("locked", "skipped") else colours.text)
        text.setPos((max(xs) + 12) if xs else fallback_x,
                    cy - text.boundingRect().height() / 2)
        text.setZValue(4)
        text.setToolTip(self.markers[-1].toolTip() if xs and self.markers else "")
        # A backing in the base colour keeps the title legible over tracks and grid lines.
        backing = QColor(colours.base)
        backing.setAlpha(215)
        plate = scene.addRect(text.sceneBoundingRect().adjusted(-3, 0, 3, 0),
                              QPen(Qt.PenStyle.NoPen), QBrush(backing))
        plate.setZValue(3.5)
        self._titles.append((text, plate, text.x()))

    def _lane_text(self, mark: MilestoneMark) -> str:
        if mark.state is not None:
            state = STATE_LABELS.get(mark.state, mark.state)
            extra = " · past due" if mark.past_due else ""
            return f"{mark.title} · {state}{extra}" if mark.state != "complete" else mark.title
        late = f", {mark.past_due_count} past due" if mark.past_due_count else ""
        return f"{mark.title} · {mark.done}/{mark.holders} complete{late}"

    def _marker(self, mark: MilestoneMark, kind: str, day: date, cy: float) -> None:
        marker = MilestoneMarker(mark, kind, day, QPointF(self.x_of(day), cy), self.colours)
        self.scene().addItem(marker)
        self.markers.append(marker)

    def _describe(self) -> None:
        """Screen readers cannot walk a graphics scene: say what it shows in words."""
        timeline = self.timeline
        if timeline is None:
            self.setAccessibleDescription(self.message)
            return
        parts = [f"{band.gate.name}: {gate_label(band.gate)}" for band in self.bands]
        late = sum(m.past_due_count for m in timeline.milestones)
        parts.append(f"{late} past due" if late else "nothing past due")
        self.setAccessibleDescription(f"{timeline.title}. " + "; ".join(parts))

    # -- selection ------------------------------------------------------------------------

    def selected_band(self) -> GateBand | None:
        return next((band for band in self.bands if band.isSelected()), None)

    def select_gate(self, key: str) -> GateBand | None:
        self.scene().clearSelection()
        for band in self.bands:
            if band.gate.key == key:
                band.setSelected(True)
                band.setFocus()
                # Bring its row into view without jumping sideways to where a long band starts.
                left = self.mapToScene(0, 0).x()
                visible = QRectF(max(left, band.rect().left()), band.rect().top(), 1, BAND)
                self.ensureVisible(visible, 0, 40)
                return band
        return None

    def _step_selection(self, by: int) -> None:
        if not self.bands:
            return
        current = self.selected_band()
        index = self.bands.index(current) + by if current is not None else 0
        self.select_gate(self.bands[max(0, min(index, len(self.bands) - 1))].gate.key)

    # -- zoom -----------------------------------------------------------------------------

    def set_ppd(self, ppd: float, anchor_x: float | None = None) -> None:
        """Zoom to `ppd` pixels per day, keeping the day under `anchor_x` (a viewport x;
        default the middle) where it is."""
        if self.timeline is None:
            return
        anchor_x = self.viewport().width() / 2 if anchor_x is None else anchor_x
        scene_x = self.mapToScene(int(anchor_x), 0).x()
        days = scene_x / self.ppd
        self.ppd = max(MIN_PPD, min(MAX_PPD, ppd))
        top = self.verticalScrollBar().value()
        chosen = self.selected_band()
        key = chosen.gate.key if chosen is not None else None
        self._layout()
        self.horizontalScrollBar().setValue(int(days * self.ppd - anchor_x))
        self.verticalScrollBar().setValue(top)
        self._place_labels()
        if key is not None:
            for band in self.bands:
                band.setSelected(band.gate.key == key)

    def zoom(self, factor: float, anchor_x: float | None = None) -> None:
        self._fitted = False
        self.set_ppd(self.ppd * factor, anchor_x)

    def fit(self) -> None:
        """The whole span, first date to last, in the width of the viewport."""
        if self.timeline is None:
            return
        self._fitted = True
        # Room on the right for the titles beside the last markers.
        width = max(self.viewport().width() - 24 - min(260, self.viewport().width() // 4), 200)
        self.ppd = max(MIN_PPD, min(MAX_PPD, width / max((self.end - self.origin).days, 1)))
        self._layout()
        self.horizontalScrollBar().setValue(0)
        self._place_labels()

    def scroll_to_today(self) -> None:
        if self.timeline is not None:
            today = self.x_of(self.timeline.today)
            self.horizontalScrollBar().setValue(int(today - self.viewport().width() / 2))

    # -- events ---------------------------------------------------------------------------

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.zoom(STEP ** steps, event.position().x())
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(STEP)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.zoom(1 / STEP)
        elif key in (Qt.Key.Key_0, Qt.Key.Key_F):
            self.fit()
        elif key == Qt.Key.Key_T:
            self.scroll_to_today()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._step_selection(-1 if key == Qt.Key.Key_Up else 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_band():
            self.sig_review_requested.emit()
        elif key == Qt.Key.Key_Home:
            self.horizontalScrollBar().setValue(0)
        elif key == Qt.Key.Key_End:
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().maximum())
        else:
            super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, GateBand):
            self.select_gate(item.gate.key)
            self.sig_review_requested.emit()
            return
        super().mouseDoubleClickEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 - Qt API
        super().scrollContentsBy(dx, dy)
        self._place_labels()

    def _place_labels(self) -> None:
        """A band's name follows the left edge of the view while its band runs on under it,
        so a long gate scrolled half out of view still says which gate it is."""
        left = self.mapToScene(0, 0).x() + 8
        for band in self.bands:
            label, rect = band.label, band.rect()
            if label is None:
                continue
            width = label.boundingRect().width()
            if width + 16 > rect.width():
                continue  # the label sits beside the band, not in it
            label.setX(max(rect.left() + 8, min(left, rect.right() - width - 8)))
        for text, plate, home in self._titles:  # a lane whose markers scrolled off the left
            text.setX(max(home, left))
            plate.setRect(text.sceneBoundingRect().adjusted(-3, 0, 3, 0))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        """A switch between light and dark: draw again in the new palette's colours."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.timeline is not None:
            self.set_ppd(self.ppd, 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self._fitted and self.timeline is not None:
            self.fit()

    # -- painting -------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, self.colours.base)
        if self.timeline is None:
            return
        first, last = self.visible_days(rect.left(), rect.right())
        upper, lower = axis_ticks(first, last, self.ppd)
        for ticks, colour in ((lower, self.colours.grid), (upper, self.colours.muted)):
            faint = QColor(colour)
            faint.setAlpha(min(colour.alpha(), 40))
            painter.setPen(QPen(faint, 1))
            for day, _label in ticks:
                x = self.x_of(day) - self.ppd / 2
                painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """The date axis, over the top of the viewport whatever the vertical scroll."""
        if self.timeline is not None:
            paint_axis(self, painter)

    def viewport_x(self, day: date) -> float:
        """Where the start of `day` is in the viewport."""
        return self.mapFromScene(QPointF(self.x_of(day) - self.ppd / 2, 0)).x()

    def visible_days(self, left: float, right: float) -> tuple[date, date]:
        first = self.origin + timedelta(days=int(left // self.ppd) - 1)
        last = self.origin + timedelta(days=int(right // self.ppd) + 1)
        return max(first, self.origin), min(last, self.end)
