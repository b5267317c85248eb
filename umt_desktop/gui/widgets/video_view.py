"""The video picture with the current prediction drawn over it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..palette import OVERLAY_BACKING, OVERLAY_TEXT, class_colour, class_colours, text_on
from . import format_time, rgb_to_qimage


class VideoView(QWidget):
    """Paints the latest frame, letterboxed, and an overlay with the top-1 prediction.

    `set_frame` takes an RGB array already decoded by a worker; converting it to a
    QImage and scaling it is all the GUI thread does.
    """

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(320, 200)
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self.image: QImage | None = None
        self.frame_index: int | None = None
        self.frame_time: float | None = None
        self.prediction: dict | None = None  # {"label", "score", "index", "confident", "t", "source"}
        self.caption = ""  # small text at the top left (source name, live/paused)
        self.label_rect: QRectF | None = None
        self.caption_rect: QRectF | None = None
        self.placeholder = ("Drop a video here", "or press Ctrl+O to open one, or pick a camera")
        class_colours().watch(self)  # repainted when colours are dealt again

    # -- data ----------------------------------------------------------------
    def set_frame(self, frame: np.ndarray | QImage, index: int | None = None, t: float | None = None) -> None:
        self.image = frame if isinstance(frame, QImage) else rgb_to_qimage(frame)
        self.frame_index, self.frame_time = index, t
        self.update()

    def set_prediction(self, label: str, score: float, index: int = 0, confident: bool = True, t: float | None = None,
                       source: str = "live") -> None:
        self.prediction = {"label": label, "score": float(score), "index": int(index), "confident": confident,
                           "t": t, "source": source}
        self.update()

    def clear_prediction(self) -> None:
        self.prediction = None
        self.update()

    def clear(self) -> None:
        self.image = None
        self.prediction = None
        self.frame_index = self.frame_time = None
        self.caption = ""
        self.update()

    def set_placeholder(self, title: str, subtitle: str = "") -> None:
        self.placeholder = (title, subtitle)
        self.update()

    def grab_frame(self) -> QImage | None:
        """The current picture with its overlay, at the video's own resolution (for snapshots)."""
        if self.image is None:
            return None
        out = self.image.convertToFormat(QImage.Format_RGB32)
        p = QPainter(out)
        p.setRenderHint(QPainter.Antialiasing)
        self._paint_overlay(p, QRectF(out.rect()), scale=max(0.6, out.height() / 480))
        p.end()
        return out

    # -- painting ------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self.clicked.emit()
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        p.fillRect(self.rect(), QColor(18, 18, 20))
        if self.image is None or self.image.isNull():
            self._paint_placeholder(p)
            return
        target = self._target_rect()
        p.drawImage(target, self.image)
        self._paint_overlay(p, target, scale=1.0, on_screen=True)
        if self.caption:
            self._pill(p, target.left() + 10, target.top() + 10, self.caption, OVERLAY_BACKING, 10)

    def _target_rect(self) -> QRectF:
        iw, ih = self.image.width(), self.image.height()
        w, h = self.width(), self.height()
        s = min(w / iw, h / ih)
        return QRectF((w - iw * s) / 2, (h - ih * s) / 2, iw * s, ih * s)

    def _paint_placeholder(self, p: QPainter) -> None:
        title, subtitle = self.placeholder
        r = self.rect().adjusted(24, 24, -24, -24)
        pen = QPen(QColor(255, 255, 255, 60), 2, Qt.DashLine)
        p.setPen(pen)
        p.drawRoundedRect(r, 14, 14)
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() * 1.6)
        f.setBold(True)
        p.setFont(f)
        p.setPen(QColor(235, 235, 240))
        mid = r.center().y()
        p.drawText(QRectF(r.left(), mid - 40, r.width(), 36), Qt.AlignCenter, title)
        f.setBold(False)
        f.setPointSizeF(self.font().pointSizeF() * 1.05)
        p.setFont(f)
        p.setPen(QColor(200, 200, 210, 190))
        p.drawText(QRectF(r.left() + 20, mid, r.width() - 40, 60), Qt.AlignHCenter | Qt.AlignTop | Qt.TextWordWrap,
                   subtitle)

    def _paint_overlay(self, p: QPainter, target: QRectF, scale: float, on_screen: bool = False) -> None:
        pred = self.prediction
        if not pred:
            return
        f = QFont(self.font())
        f.setPointSizeF(max(8.0, f.pointSizeF() * 1.5 * scale))
        f.setBold(True)
        p.setFont(f)
        # Opaque class colour with black or white text, whichever reads better: legible on any frame.
        if pred["confident"]:
            text = f"{pred['label']}  {pred['score'] * 100:.0f}%"
            colour = class_colour(pred["index"])
        else:
            text = "no confident action"
            colour = QColor(60, 60, 66)
        ink = text_on(colour)
        fm = p.fontMetrics()
        pad = 10 * scale
        w = fm.horizontalAdvance(text) + 2 * pad
        h = fm.height() + pad
        x = target.left() + 14 * scale
        y = target.bottom() - h - 14 * scale
        path = QPainterPath()
        path.addRoundedRect(QRectF(x, y, w, h), h / 2.6, h / 2.6)
        p.fillPath(path, colour)
        if on_screen:
            self.label_rect = QRectF(x, y, w, h)  # where the prediction was last drawn on screen
        p.setPen(ink)
        p.drawText(QRectF(x, y, w, h), Qt.AlignCenter, text)
        # A score bar under the label: how sure the model is, at a glance.
        bar = QRectF(x + h / 3, y + h - 4 * scale, (w - 2 * h / 3) * min(1.0, pred["score"]), 2.5 * scale)
        p.fillRect(bar, ink)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.9 * scale))
        p.setFont(small)
        note = pred["source"]
        if pred.get("t") is not None:
            note += f" · window at {format_time(pred['t'])}"
        # The caption sits on its own dark backing: the frame under it may be anything.
        sfm = p.fontMetrics()
        cap = QRectF(x, y - sfm.height() - 8 * scale, sfm.horizontalAdvance(note) + 12 * scale, sfm.height() + 4 * scale)
        backing = QPainterPath()
        backing.addRoundedRect(cap, cap.height() / 3, cap.height() / 3)
        p.fillPath(backing, OVERLAY_BACKING)
        if on_screen:
            self.caption_rect = cap
        p.setPen(OVERLAY_TEXT)
        p.drawText(cap, Qt.AlignCenter, note)

    def _pill(self, p: QPainter, x: float, y: float, text: str, colour: QColor, radius: float) -> None:
        f = QFont(self.font())
        p.setFont(f)
        fm = p.fontMetrics()
        w, h = fm.horizontalAdvance(text) + 16, fm.height() + 8
        path = QPainterPath()
        path.addRoundedRect(QRectF(x, y, w, h), radius, radius)
        p.fillPath(path, colour)
        p.setPen(OVERLAY_TEXT)
        p.drawText(QRectF(x, y, w, h), Qt.AlignCenter, text)
