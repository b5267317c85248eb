"""The legend of the timeline: a swatch and a name for every class on it, longest first.

A timeline with more classes than the palette has colours paints the shortest ones
grey; the legend ends with one grey "other (N classes)" entry for them (its tooltip
and the timeline's hover text name each one).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..palette import OTHER_CLASSES, class_colours, muted_text
from . import format_time
from .timeline import COLOUR_GROUP, Timeline


class ClassLegend(QWidget):
    """One line of `■ label` entries for the classes of a `Timeline`; what does not fit is counted."""

    def __init__(self, timeline: Timeline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline = timeline
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFixedHeight(int(self.fontMetrics().height() * 1.5))
        timeline.classesChanged.connect(self._changed)
        timeline.installEventFilter(self)  # shown and hidden with the timeline
        class_colours().watch(self)  # repainted when colours are dealt again

    def sizeHint(self) -> QSize:
        return QSize(600, self.height())

    def eventFilter(self, watched, event) -> bool:
        if watched is self.timeline and event.type() in (QEvent.Show, QEvent.Hide):
            self.setVisible(event.type() == QEvent.Show)
        return False

    def _changed(self) -> None:
        classes = self.timeline.classes()
        self.setToolTip("\n".join(f"{label}: {format_time(sec)}" for _, label, sec in classes))
        self.update()

    def entries(self) -> list[tuple[int | None, str]]:
        """(class index, label) of each class with a colour of its own, longest first; then
        (None, "other (N classes)") for the classes painted grey, if there are any."""
        classes = self.timeline.classes()
        own = [(i, label) for i, label, _ in classes if not class_colours().is_other(COLOUR_GROUP, i)]
        others = len(classes) - len(own)
        if others:
            own.append((None, f"other ({others} class{'es' if others > 1 else ''})"))
        return own

    def colour(self, index: int | None) -> QColor:
        """The swatch colour of an entry (`index` None: the grey of the other classes)."""
        return QColor(OTHER_CLASSES) if index is None else self.timeline.colour(index)

    def layout_entries(self) -> tuple[list[tuple[QRectF, int | None, str]], int]:
        """Where each shown entry goes, and how many did not fit. The grey "other" entry is
        always placed, last (it explains the grey on the bar); "+ N more" goes before it."""
        fm = self.fontMetrics()
        entries = self.entries()
        swatch = fm.height() * 0.8

        def width(label: str) -> float:
            return swatch + 6 + fm.horizontalAdvance(label) + 16

        other = entries.pop() if entries and entries[-1][0] is None else None
        other_w = width(other[1]) if other else 0.0
        more_w = self._more_width()
        x, out, hidden = 0.0, [], 0
        for n, (index, label) in enumerate(entries):
            w = width(label)
            room = self.width() - other_w - (more_w if n < len(entries) - 1 else 0)
            if x + w > room:
                hidden = len(entries) - n
                break
            out.append((QRectF(x, 0, w, self.height()), index, label))
            x += w
        if other:
            out.append((QRectF(x + (more_w if hidden else 0.0), 0, other_w, self.height()), None, other[1]))
        return out, hidden

    def _more_width(self) -> float:
        return self.fontMetrics().horizontalAdvance("+ 99 more") + 8

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        fm = self.fontMetrics()
        swatch = fm.height() * 0.8
        placed, hidden = self.layout_entries()
        text = pal.color(QPalette.WindowText)
        if not placed and not hidden:
            p.setPen(muted_text(pal))
            p.drawText(self.rect(), Qt.AlignLeft | Qt.AlignVCenter, "The classes on the timeline are listed here")
            return
        for rect, index, label in placed:
            p.setPen(Qt.NoPen)
            p.setBrush(self.colour(index))
            p.drawRoundedRect(QRectF(rect.left(), rect.center().y() - swatch / 2, swatch, swatch), 2, 2)
            p.setPen(text)
            p.drawText(QRectF(rect.left() + swatch + 6, rect.top(), rect.width() - swatch - 6, rect.height()),
                       Qt.AlignLeft | Qt.AlignVCenter, label)
        if hidden:
            small = QFont(self.font())
            p.setFont(small)
            p.setPen(muted_text(pal))
            own = [rect for rect, index, _ in placed if index is not None]
            x = own[-1].right() if own else 0.0
            end = x + self._more_width() if placed and placed[-1][1] is None else self.width()
            p.drawText(QRectF(x, 0, end - x, self.height()), Qt.AlignLeft | Qt.AlignVCenter, f"+ {hidden} more")
