"""Widgets of the main window. Each one shows data it is given; none decodes, downloads or runs a model."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage

from ..palette import class_colour  # noqa: F401  (the one colour per class, for every widget)


def rgb_to_qimage(frame: np.ndarray) -> QImage:
    """(H, W, 3) RGB uint8 -> a QImage that owns a copy of the pixels."""
    frame = np.ascontiguousarray(frame)
    h, w = frame.shape[:2]
    if frame.ndim == 2:
        return QImage(frame.data, w, h, frame.strides[0], QImage.Format_Grayscale8).copy()
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format_RGB888).copy()


def format_time(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    m, s = divmod(seconds, 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{s:04.1f}" if h else f"{m}:{s:04.1f}"


def _cuda_names() -> list[str]:
    """Names of the CUDA devices (torch is imported here only, and only if already loaded or cheap)."""
    try:
        import torch

        if not torch.cuda.is_available():
            return []
        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # a broken driver must not stop the window from opening
        return []


def glyph_icon(kind: str, colour: QColor, size: int = 64):
    """A crisp transport icon ('play', 'pause', 'step', 'step-back') in `colour`, readable on light and dark themes."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QIcon, QPainter, QPixmap, QPolygonF

    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(Qt.NoPen)
    p.setBrush(colour)
    s = size
    if kind == "play":
        p.drawPolygon(QPolygonF([QPointF(s * 0.28, s * 0.18), QPointF(s * 0.28, s * 0.82), QPointF(s * 0.82, s * 0.5)]))
    elif kind == "pause":
        p.drawRoundedRect(QRectF(s * 0.24, s * 0.18, s * 0.17, s * 0.64), s * 0.04, s * 0.04)
        p.drawRoundedRect(QRectF(s * 0.59, s * 0.18, s * 0.17, s * 0.64), s * 0.04, s * 0.04)
    elif kind == "step":
        p.drawPolygon(QPolygonF([QPointF(s * 0.2, s * 0.2), QPointF(s * 0.2, s * 0.8), QPointF(s * 0.62, s * 0.5)]))
        p.drawRoundedRect(QRectF(s * 0.66, s * 0.2, s * 0.13, s * 0.6), s * 0.03, s * 0.03)
    elif kind == "step-back":
        p.drawPolygon(QPolygonF([QPointF(s * 0.8, s * 0.2), QPointF(s * 0.8, s * 0.8), QPointF(s * 0.38, s * 0.5)]))
        p.drawRoundedRect(QRectF(s * 0.21, s * 0.2, s * 0.13, s * 0.6), s * 0.03, s * 0.03)
    p.end()
    return QIcon(pixmap)
