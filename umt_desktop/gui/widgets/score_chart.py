"""Scores of the leading classes over the recent windows, as a small line chart."""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..palette import class_colours, muted_text
from . import format_time


class ScoreChart(QWidget):
    """Keeps the probabilities of the last `history` windows and plots the top `lines` classes.

    The plotted classes are those with the highest mean score over the visible
    history, so a line does not flicker in and out with every window. Lines have
    their class's colour (the same as in the bars and on the timeline); the x axis
    is the time of each window's end on the source clock.
    """

    def __init__(self, history: int = 60, lines: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.lines = lines
        self.windows: deque[np.ndarray] = deque(maxlen=history)
        self.times: deque[float | None] = deque(maxlen=history)
        self.labels: list[str] | tuple[str, ...] = ()
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumHeight(int(self.fontMetrics().height() * 7))
        self.setToolTip("Scores of the leading classes over the recent windows")
        class_colours().watch(self)  # repainted when colours are dealt again

    def sizeHint(self) -> QSize:
        return QSize(300, self.fontMetrics().height() * 10)

    def set_labels(self, labels) -> None:
        self.labels = labels
        self.clear()

    def add_window(self, probs: np.ndarray, t: float | None = None) -> None:
        """One more window's scores; `t` is the time its span ends, in seconds of the source."""
        probs = np.asarray(probs, dtype=np.float32)
        if self.windows and self.windows[-1].shape != probs.shape:
            self.windows.clear()  # the model changed
            self.times.clear()
        if self.times and t is not None and self.times[-1] is not None and t < self.times[-1]:
            self.windows.clear()  # a seek back: the old curve would run backwards in time
            self.times.clear()
        self.windows.append(probs)
        self.times.append(None if t is None else float(t))
        class_colours().show("chart", self.leading())
        self.update()

    def clear(self) -> None:
        self.windows.clear()
        self.times.clear()
        class_colours().release("chart")
        self.update()

    def leading(self) -> list[int]:
        if not self.windows:
            return []
        mean = np.mean(np.stack(self.windows), axis=0)
        return [int(i) for i in np.argsort(-mean, kind="stable")[: self.lines]]

    def _small_font(self) -> QFont:
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        return small

    def geometry_now(self) -> dict:
        """Where everything goes at the current size: the plot, the time ticks and the legend swatches.

        Painting uses it, and so can a test that checks what is drawn where.
        """
        sfm = QFontMetrics(self._small_font())
        leading = self.leading()
        legend_h = (sfm.height() + 2) * max(1, (len(leading) + 1) // 2)
        axis_w = sfm.horizontalAdvance("100%") + 6
        top = sfm.height() / 2 + 2  # room for the 100% label
        time_h = sfm.height() + 4  # the time axis under the plot
        plot = QRectF(axis_w, top, self.width() - axis_w - 6, self.height() - legend_h - 10 - top - time_h)
        n_data = len(self.windows)
        # The x axis grows with the history until it is full, so early windows are not squeezed.
        n = min(self.history, max(n_data, 16))
        step = plot.width() / max(1, n - 1)
        x0 = plot.right() - (n_data - 1) * step
        # Time ticks from the newest window back (so "now" is always labelled), about 70 px apart.
        ticks: list[tuple[float, QRectF, str]] = []
        times = list(self.times)
        every = max(1, int(np.ceil(70 / max(step, 1e-6))))
        placed_left = None
        for i in range(n_data - 1, -1, -every):
            x = x0 + i * step
            label = format_time(times[i]) if times[i] is not None else f"{i - n_data + 1}"
            w = sfm.horizontalAdvance(label) + 4
            left = min(max(x - w / 2, 0.0), self.width() - w)
            if placed_left is not None and left + w > placed_left:
                continue
            ticks.append((x, QRectF(left, plot.bottom() + 4, w, sfm.height()), label))
            placed_left = left
        col_w = (self.width() - axis_w) / 2
        legend = []
        for k, cls in enumerate(leading):
            x = axis_w + (k % 2) * col_w
            y = plot.bottom() + time_h + 8 + (k // 2) * (sfm.height() + 2)
            legend.append((cls, QRectF(x, y + sfm.height() / 2 - 4, 12, 8),
                           QRectF(x + 16, y, col_w - 20, sfm.height())))
        return {"plot": plot, "axis_w": axis_w, "x0": x0, "step": step, "ticks": ticks, "legend": legend,
                "col_w": col_w}

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.WindowText)
        muted = muted_text(pal)
        p.setFont(self._small_font())
        sfm = p.fontMetrics()
        g = self.geometry_now()
        plot, axis_w = g["plot"], g["axis_w"]
        grid = QColor(pal.color(QPalette.Mid))
        grid.setAlpha(80)
        for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
            y = plot.bottom() - frac * plot.height()
            p.setPen(QPen(grid, 1, Qt.DotLine if 0 < frac < 1 else Qt.SolidLine))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(muted)
            p.drawText(QRectF(0, y - sfm.height() / 2, axis_w - 4, sfm.height()), Qt.AlignRight | Qt.AlignVCenter,
                       f"{frac:.0%}")
        if not self.windows:
            p.setPen(muted)
            p.setFont(self.font())
            p.drawText(plot, Qt.AlignCenter | Qt.TextWordWrap, "Scores over recent windows")
            return
        data = np.stack(self.windows)
        x0, step = g["x0"], g["step"]
        # The time axis: when each window ended, on the source's clock.
        p.setPen(muted)
        for x, rect, label in g["ticks"]:
            p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 3))
            p.drawText(rect, Qt.AlignCenter, label)
        leading = [cls for cls, _, _ in g["legend"]]
        colours = {cls: class_colours().colour_in("chart", cls) for cls in leading}  # as in the bars
        for cls in reversed(leading):
            path = QPainterPath()
            for i, score in enumerate(data[:, cls]):
                pt = QPointF(x0 + i * step, plot.bottom() - float(score) * plot.height())
                path.moveTo(pt) if i == 0 else path.lineTo(pt)
            p.setPen(QPen(colours[cls], 2.0))
            p.setBrush(Qt.NoBrush)
            p.drawPath(path)
            if len(data) == 1:
                p.setBrush(colours[cls])
                p.drawEllipse(QPointF(x0, plot.bottom() - float(data[0, cls]) * plot.height()), 2.5, 2.5)
        # Legend in two columns.
        for cls, swatch, label_rect in g["legend"]:
            p.setPen(Qt.NoPen)
            p.setBrush(colours[cls])
            p.drawRoundedRect(swatch, 2, 2)
            p.setPen(text)
            name = self.labels[cls] if cls < len(self.labels) else f"class {cls}"
            p.drawText(label_rect, Qt.AlignLeft | Qt.AlignVCenter,
                       sfm.elidedText(name, Qt.ElideRight, int(label_rect.width() - 2)))
