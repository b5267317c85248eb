"""Scores of the leading classes over the recent windows, as a small line chart."""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

# Distinct line colours by rank (class colours of neighbouring classes can look alike).
LINE_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7"]


class ScoreChart(QWidget):
    """Keeps the probabilities of the last `history` windows and plots the top `lines` classes.

    The plotted classes are those with the highest mean score over the visible
    history, so a line does not flicker in and out with every window.
    """

    def __init__(self, history: int = 60, lines: int = 4, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.lines = lines
        self.windows: deque[np.ndarray] = deque(maxlen=history)
        self.labels: list[str] | tuple[str, ...] = ()
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumHeight(int(self.fontMetrics().height() * 7))
        self.setToolTip("Scores of the leading classes over the recent windows")

    def sizeHint(self) -> QSize:
        return QSize(300, self.fontMetrics().height() * 10)

    def set_labels(self, labels) -> None:
        self.labels = labels
        self.clear()

    def add_window(self, probs: np.ndarray) -> None:
        probs = np.asarray(probs, dtype=np.float32)
        if self.windows and self.windows[-1].shape != probs.shape:
            self.windows.clear()  # the model changed
        self.windows.append(probs)
        self.update()

    def clear(self) -> None:
        self.windows.clear()
        self.update()

    def leading(self) -> list[int]:
        if not self.windows:
            return []
        mean = np.mean(np.stack(self.windows), axis=0)
        return [int(i) for i in np.argsort(-mean, kind="stable")[: self.lines]]

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.WindowText)
        muted = QColor(text)
        muted.setAlphaF(0.55)
        fm = self.fontMetrics()
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        p.setFont(small)
        sfm = p.fontMetrics()
        leading = self.leading()
        legend_h = (sfm.height() + 2) * max(1, (len(leading) + 1) // 2)
        axis_w = sfm.horizontalAdvance("100%") + 6
        top = sfm.height() / 2 + 2  # room for the 100% label
        plot = QRectF(axis_w, top, self.width() - axis_w - 6, self.height() - legend_h - 10 - top)
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
        # The x axis grows with the history until it is full, so early windows are not squeezed.
        n = min(self.history, max(len(data), 16))
        step = plot.width() / max(1, n - 1)
        x0 = plot.right() - (len(data) - 1) * step
        colours = {cls: QColor(LINE_COLOURS[k % len(LINE_COLOURS)]) for k, cls in enumerate(leading)}
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
        col_w = (self.width() - axis_w) / 2
        for k, cls in enumerate(leading):
            x = axis_w + (k % 2) * col_w
            y = plot.bottom() + 8 + (k // 2) * (sfm.height() + 2)
            p.setPen(Qt.NoPen)
            p.setBrush(colours[cls])
            p.drawRoundedRect(QRectF(x, y + sfm.height() / 2 - 4, 12, 8), 2, 2)
            p.setPen(text)
            name = self.labels[cls] if cls < len(self.labels) else f"class {cls}"
            p.drawText(QRectF(x + 16, y, col_w - 20, sfm.height()), Qt.AlignLeft | Qt.AlignVCenter,
                       sfm.elidedText(name, Qt.ElideRight, int(col_w - 22)))
        del fm
