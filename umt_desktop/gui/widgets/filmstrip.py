"""The 8 frames the current window was classified from, with their source frame numbers.

With saliency maps on (`set_heat`), the strip shows the frames a map was computed for with
the map blended over them (where the model looked, for one class); a map of an earlier
window than the one shown is marked so (`heat_older`), never drawn over other frames.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QFont, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..palette import NOT_CONFIDENT, class_colours, muted_text
from . import rgb_to_qimage


class Filmstrip(QWidget):
    """Eight thumbnails in a row; what the model actually saw (sparse sampling made visible)."""

    SLOTS = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames: list[tuple[int | None, QImage | None]] = []
        self.class_index: int | None = None  # the window's top-1 class: its colour underlines the frames
        self.confident = True
        # Saliency maps: the frames they belong to, blended ((index, QImage) x 8), and what they are of.
        self.heat_frames: list[tuple[int | None, QImage | None]] = []
        self.heat = None  # the core WindowMaps shown (class_index, label, t, frames, ...), or None
        self.heat_older = False  # the map is of an earlier window than the one shown
        class_colours().watch(self)  # repainted when colours are dealt again
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setFixedHeight(int(self.fontMetrics().height() * 5.2))
        self.setToolTip("The 8 frames of the current window, spaced over the span")

    def sizeHint(self) -> QSize:
        return QSize(640, self.height())

    def set_frames(self, frames: list[tuple[int | None, np.ndarray | QImage | None]], class_index: int | None = None,
                   confident: bool = True) -> None:
        self.class_index = class_index
        self.confident = confident
        out = []
        for index, image in list(frames)[: self.SLOTS]:
            if isinstance(image, np.ndarray):
                image = rgb_to_qimage(image)
            out.append((index, image))
        self.frames = out
        self.update()

    def clear(self) -> None:
        self.frames = []
        self.class_index = None
        self.clear_heat()

    # -- saliency maps --------------------------------------------------------------
    def set_heat(self, maps, older: bool = False) -> None:
        """Show `maps` (a core `WindowMaps`: its frames with the map blended over them)."""
        self.heat = maps
        self.heat_older = older
        self.heat_frames = [(index, rgb_to_qimage(image) if image is not None else None)
                            for index, image in zip(maps.frames, maps.overlays)][: self.SLOTS]
        self.update()

    def mark_heat_older(self, older: bool = True) -> None:
        if self.heat is not None and older != self.heat_older:
            self.heat_older = older
            self.update()

    def clear_heat(self) -> None:
        self.heat, self.heat_frames, self.heat_older = None, [], False
        self.update()

    @property
    def showing_heat(self) -> bool:
        return self.heat is not None and any(image is not None for _, image in self.heat_frames)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        pal = self.palette()
        fh = self.fontMetrics().height()
        gap = 6
        w = (self.width() - gap * (self.SLOTS - 1)) / self.SLOTS
        h = self.height() - fh - 4
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.85)
        p.setFont(small)
        muted = muted_text(pal)
        heat = self.heat is not None
        frames = self.heat_frames if heat else self.frames
        underline = self.heat.class_index if heat else self.class_index
        for slot in range(self.SLOTS):
            x = slot * (w + gap)
            cell = QRectF(x, 0, w, h)
            index, image = frames[slot] if slot < len(frames) else (None, None)
            bg = pal.color(QPalette.Mid)
            bg.setAlpha(50)
            p.setPen(Qt.NoPen)
            p.setBrush(bg)
            p.drawRoundedRect(cell, 4, 4)
            if image is not None and not image.isNull():
                s = min(w / image.width(), h / image.height())
                iw, ih = image.width() * s, image.height() * s
                p.drawImage(QRectF(x + (w - iw) / 2, (h - ih) / 2, iw, ih), image)
                if underline is not None:  # the class these frames were recognised as (or mapped for)
                    p.setPen(Qt.NoPen)
                    # as the live panel paints the class (grey past the palette's colours)
                    colour = class_colours().colour_in("live", underline)
                    p.setBrush(colour if heat or self.confident else NOT_CONFIDENT)
                    p.drawRoundedRect(QRectF(x, h - 4, w, 4), 2, 2)
                if heat and self.heat_older:  # an earlier window's map: a dashed frame says it is not the live one
                    pen = QPen(muted, 1.5, Qt.DashLine)
                    p.setPen(pen)
                    p.setBrush(Qt.NoBrush)
                    p.drawRoundedRect(cell.adjusted(0.75, 0.75, -0.75, -0.75), 4, 4)
            p.setPen(muted)
            caption = f"#{index}" if index is not None else f"frame {slot + 1}"
            p.drawText(QRectF(x, h + 2, w, fh), Qt.AlignCenter, caption)
