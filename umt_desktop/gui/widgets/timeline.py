"""The top-1 class over time for a file, as coloured segments; click to seek."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..palette import NOT_CONFIDENT, class_colours, muted_text, text_on
from . import format_time


COLOUR_GROUP = "timeline"  # the name under which its classes claim distinct colours (palette.GROUP_ORDER)


@dataclass
class TimelineEntry:
    t: float  # centre time of the window, seconds
    index: int
    label: str
    score: float
    confident: bool = True
    end: float | None = None  # end of the window; the last segment stops here


class Timeline(QWidget):
    """Windows' top-1 labels along the video; the playhead follows playback."""

    seekRequested = Signal(float)  # seconds
    classesChanged = Signal()  # the set of classes on the timeline (for its legend)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duration = 0.0
        self.position = 0.0
        self.entries: list[TimelineEntry] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFixedHeight(int(self.fontMetrics().height() * 3.2))
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("Top-1 class of each window; click to seek")
        self._classes: list[int] = []
        class_colours().watch(self)  # repainted when colours are dealt again

    def sizeHint(self) -> QSize:
        return QSize(600, self.height())

    # -- data ----------------------------------------------------------------
    def set_duration(self, seconds: float) -> None:
        self.duration = max(0.0, float(seconds))
        self.update()

    def set_position(self, seconds: float) -> None:
        self.position = float(seconds)
        self.update()

    def add_entry(self, entry: TimelineEntry) -> None:
        # A seek back recomputes windows: the newest result for a time replaces the old one.
        if self.entries and entry.t <= self.entries[-1].t:
            self.entries = [e for e in self.entries if abs(e.t - entry.t) > 1e-6]
            self.entries.append(entry)
            self.entries.sort(key=lambda e: e.t)
        else:
            self.entries.append(entry)
        if entry.t > self.duration:
            self.duration = entry.t
        self._update_classes()
        self.update()

    def clear(self) -> None:
        self.entries = []
        self.position = 0.0
        self.duration = 0.0
        self._update_classes()
        self.update()

    def classes(self) -> list[tuple[int, str, float]]:
        """(index, label, seconds) of the confident classes on the timeline, longest first."""
        total: dict[int, list] = {}
        for start, end, e in self.segments():
            if e.confident:
                total.setdefault(e.index, [e.label, 0.0])[1] += end - start
        return sorted(((i, lab, sec) for i, (lab, sec) in total.items()), key=lambda x: (-x[2], x[0]))

    def _update_classes(self) -> None:
        classes = [i for i, _, _ in self.classes()]
        if classes != self._classes:
            self._classes = classes
            class_colours().show(COLOUR_GROUP, classes)
            self.classesChanged.emit()

    def colour(self, index: int) -> QColor:
        """The colour of class `index` on the timeline: its own, or OTHER_CLASSES grey for the classes
        past the palette's size (the shortest), which the legend lists as "other"."""
        return class_colours().colour_in(COLOUR_GROUP, index)

    def segments(self) -> list[tuple[float, float, TimelineEntry]]:
        """(start, end, entry) spans: each window covers half the way to its neighbours."""
        out = []
        n = len(self.entries)
        for i, e in enumerate(self.entries):
            start = 0.0 if i == 0 else (self.entries[i - 1].t + e.t) / 2
            if i == n - 1:
                end = min(self.duration, e.end) if e.end is not None else self.duration
            else:
                end = (e.t + self.entries[i + 1].t) / 2
            if out and out[-1][2].index == e.index and out[-1][2].confident == e.confident:
                out[-1] = (out[-1][0], end, out[-1][2])
            else:
                out.append((start, max(start, end), e))
        return out

    def entry_at(self, seconds: float) -> TimelineEntry | None:
        for start, end, e in self.segments():
            if start <= seconds <= end:
                return e
        return None

    # -- interaction ---------------------------------------------------------
    def _track(self) -> QRectF:
        fh = self.fontMetrics().height()
        return QRectF(4, 4, self.width() - 8, self.height() - fh - 10)

    def x_for(self, seconds: float) -> float:
        """The x pixel of `seconds` on the track (where a person clicks to go there)."""
        track = self._track()
        if self.duration <= 0:
            return track.left()
        return track.left() + min(1.0, max(0.0, seconds / self.duration)) * track.width()

    def _x_to_time(self, x: float) -> float:
        track = self._track()
        if self.duration <= 0 or track.width() <= 0:
            return 0.0
        return min(self.duration, max(0.0, (x - track.left()) / track.width() * self.duration))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton and self.duration > 0:
            self.seekRequested.emit(self._x_to_time(event.position().x()))

    def tooltip_at(self, x: float) -> str:
        """What hovering at `x` says: the time and the class there (short segments carry no label)."""
        t = self._x_to_time(x)
        e = self.entry_at(t)
        text = format_time(t)
        if e is not None:
            text += f" — {e.label} ({e.score:.0%})" if e.confident else " — no confident action"
        return text

    def mouseMoveEvent(self, event) -> None:
        if self.duration <= 0:
            return
        QToolTip.showText(event.globalPosition().toPoint(), self.tooltip_at(event.position().x()), self)

    def event(self, event) -> bool:
        if event.type() == QEvent.ToolTip and self.duration > 0:
            QToolTip.showText(event.globalPos(), self.tooltip_at(event.pos().x()), self)
            return True
        return super().event(event)

    # -- painting ------------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        track = self._track()
        base = pal.color(QPalette.Mid)
        base.setAlpha(60)
        p.setPen(Qt.NoPen)
        p.setBrush(base)
        p.drawRoundedRect(track, 4, 4)
        text_colour = pal.color(QPalette.WindowText)
        if self.duration <= 0:
            p.setPen(muted_text(pal))
            p.drawText(track, Qt.AlignCenter, "Timeline: the top-1 class over the whole file appears here")
            return
        scale = track.width() / self.duration
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.9)
        p.setFont(small)
        fm = p.fontMetrics()
        grey_before = False
        for start, end, e in self.segments():
            r = QRectF(track.left() + start * scale, track.top(), max(1.0, (end - start) * scale), track.height())
            colour = self.colour(e.index) if e.confident else NOT_CONFIDENT
            p.setPen(Qt.NoPen)
            p.setBrush(colour)
            p.drawRect(r)
            # Two "other" classes side by side: a hairline between them (hovering names each).
            grey = e.confident and class_colours().is_other(COLOUR_GROUP, e.index)
            if grey and grey_before:
                p.setBrush(pal.color(QPalette.Window))
                p.drawRect(QRectF(r.left(), r.top(), 1.0, r.height()))
            grey_before = grey
            # Narrow segments go unlabelled: the legend and the tooltip name them.
            if e.confident and r.width() > 40:
                p.setPen(text_on(colour))
                p.drawText(r.adjusted(4, 0, -4, 0), Qt.AlignVCenter | Qt.AlignLeft,
                           fm.elidedText(e.label, Qt.ElideRight, int(r.width() - 8)))
        # Ticks: about one label per 90 px.
        p.setPen(text_colour)
        steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]
        step = next((s for s in steps if s * scale >= 90), steps[-1])
        t = 0.0
        y = track.bottom() + 2
        muted = muted_text(pal)
        while t <= self.duration + 1e-6:
            x = track.left() + t * scale
            p.setPen(muted)
            p.drawLine(QPointF(x, track.bottom()), QPointF(x, track.bottom() + 3))
            label = format_time(t)
            tw = fm.horizontalAdvance(label) + 4
            lx = min(max(x - tw / 2, 0.0), self.width() - tw)  # keep the end labels inside
            p.drawText(QRectF(lx, y, tw, fm.height() + 4), Qt.AlignHCenter | Qt.AlignBottom, label)
            t += step
        # Playhead.
        x = track.left() + min(self.duration, max(0.0, self.position)) * scale
        head = pal.color(QPalette.Highlight)
        p.setPen(Qt.NoPen)
        p.setBrush(head)
        p.drawRect(QRectF(x - 1, track.top() - 2, 2.5, track.height() + 4))
        p.drawPolygon(QPolygonF([QPointF(x - 5, track.top() - 3), QPointF(x + 6, track.top() - 3),
                                 QPointF(x + 0.5, track.top() + 4)]))
