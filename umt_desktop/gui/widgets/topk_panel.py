"""Top-k classes as labelled score bars: smoothed (thick) over raw (thin) for the live view."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..palette import class_colours, muted_text


@dataclass
class ScoreRow:
    index: int
    label: str
    score: float  # the score the row is ranked by (smoothed when there is one)
    raw: float | None = None  # the unsmoothed score, drawn as a thin bar


class TopKPanel(QWidget):
    """Rows of `label ... 87.3%` with a bar each; an empty state when there is nothing to show.

    A click on a row emits `rowClicked(class index)`; `set_marked(class index)` outlines the
    row of that class and names it (e.g. the class a saliency map is shown for).
    """

    rowClicked = Signal(int)

    def __init__(self, rows: int = 5, show_raw: bool = True, parent: QWidget | None = None,
                 colour_group: str | None = None) -> None:
        super().__init__(parent)
        self.k = rows
        # The name under which the shown classes claim distinct colours (palette.GROUP_ORDER);
        # by default the live panel (raw bars) and the whole-video panel.
        self.colour_group = colour_group or ("live" if show_raw else "whole")
        class_colours().watch(self)  # repainted when colours are dealt again
        self.show_raw = show_raw
        self.rows: list[ScoreRow] = []
        self.dimmed = False  # below the confidence threshold
        self.empty_text = "No prediction yet"
        self.marked: int | None = None  # the class whose row is outlined
        self.mark_text = "map"  # drawn beside the marked row's score
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFixedHeight(self.sizeHint().height())

    def set_rows(self, rows: list[ScoreRow], dimmed: bool = False) -> None:
        self.rows = list(rows)[: self.k]
        self.dimmed = dimmed
        class_colours().show(self.colour_group, [r.index for r in self.rows])
        self.setToolTip("\n".join(f"{r.label}: {r.score:.1%}" + (f" (raw {r.raw:.1%})" if r.raw is not None else "")
                                  for r in self.rows))
        self.update()

    def set_marked(self, class_index: int | None) -> None:
        if class_index != self.marked:
            self.marked = class_index
            self.update()

    def row_rect(self, i: int) -> QRect:
        """Where row `i` is drawn (what a click on it hits)."""
        rh = self._row_height()
        return QRect(0, 3 + i * rh, self.width(), rh)

    def row_at(self, y: float) -> ScoreRow | None:
        i = int((y - 3) // self._row_height())
        return self.rows[i] if 0 <= i < len(self.rows) and y >= 3 else None

    def mousePressEvent(self, event) -> None:
        row = self.row_at(event.position().y())
        if row is not None and event.button() == Qt.LeftButton:
            self.rowClicked.emit(row.index)
        super().mousePressEvent(event)

    def set_k(self, k: int) -> None:
        self.k = max(1, int(k))
        self.rows = self.rows[: self.k]
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def clear(self, text: str | None = None) -> None:
        self.rows = []
        if text is not None:
            self.empty_text = text
        class_colours().release(self.colour_group)
        self.update()

    def _row_height(self) -> int:
        return int(self.fontMetrics().height() * (2.0 if self.show_raw else 1.85))

    def sizeHint(self) -> QSize:
        return QSize(280, self._row_height() * self.k + 6)

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self._row_height() * self.k + 6)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        text_colour = pal.color(QPalette.WindowText)
        track = pal.color(QPalette.Mid)
        track.setAlpha(70)
        if not self.rows:
            p.setPen(muted_text(pal))
            p.drawText(self.rect().adjusted(6, 0, -6, 0), Qt.AlignCenter | Qt.TextWordWrap, self.empty_text)
            return
        fm = self.fontMetrics()
        rh = self._row_height()
        width = self.width()
        pct_w = fm.horizontalAdvance("100.0%") + 6
        for i, row in enumerate(self.rows):
            top = 3 + i * rh
            colour = class_colours().colour_in(self.colour_group, row.index)  # grey past the palette
            outline = QColor(colour)  # below the threshold: a translucent fill inside the class's own colour,
            if self.dimmed:  # so that faded classes still differ by hue (faded yellow and olive look alike)
                colour.setAlphaF(0.45)
            bold = QFont(self.font())
            bold.setBold(i == 0)
            p.setFont(bold)
            mark_w = 0
            if row.index == self.marked:
                highlight = pal.color(QPalette.Highlight)
                p.setPen(QPen(highlight, 1.5))
                p.setBrush(Qt.NoBrush)
                p.drawRoundedRect(QRectF(0.75, top - 1.25, width - 1.5, rh - 1), 4, 4)
                mark_w = fm.horizontalAdvance(self.mark_text) + 8
                p.setPen(muted_text(pal))
                p.drawText(QRectF(width - pct_w - mark_w, top, mark_w, fm.height()), Qt.AlignRight | Qt.AlignVCenter,
                           self.mark_text)
            p.setPen(text_colour)
            label = fm.elidedText(row.label, Qt.ElideRight, width - pct_w - mark_w - 4)
            p.drawText(QRectF(0, top, width - pct_w, fm.height()), Qt.AlignLeft | Qt.AlignVCenter, label)
            p.drawText(QRectF(width - pct_w, top, pct_w, fm.height()), Qt.AlignRight | Qt.AlignVCenter,
                       f"{row.score * 100:.1f}%")
            bar_top = top + fm.height() + 2
            bar_h = max(5.0, rh * 0.2)
            p.setPen(Qt.NoPen)
            p.setBrush(track)
            p.drawRoundedRect(QRectF(0, bar_top, width, bar_h), bar_h / 2, bar_h / 2)
            p.setBrush(colour)
            bar = QRectF(0, bar_top, max(bar_h, width * min(1.0, row.score)), bar_h)
            if self.dimmed:
                p.setPen(QPen(outline, 1.0))
                bar.adjust(0.5, 0.5, -0.5, -0.5)  # the outline on whole pixels
            p.drawRoundedRect(bar, bar.height() / 2, bar.height() / 2)
            p.setPen(Qt.NoPen)
            if self.show_raw and row.raw is not None:
                raw_colour = QColor(text_colour)
                raw_colour.setAlphaF(0.75)
                p.setBrush(raw_colour)
                p.drawRect(QRectF(0, bar_top + bar_h + 1.5, width * min(1.0, row.raw), 2.0))
