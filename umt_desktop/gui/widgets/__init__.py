"""Widgets of the main window. Each one shows data it is given; none decodes, downloads or runs a model."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage

_GOLDEN = 0.618033988749895


def class_colour(index: int, saturation: float = 0.62, value: float = 0.9) -> QColor:
    """A stable, well-spread colour per class index (same class, same colour, in every widget)."""
    hue = (0.13 + index * _GOLDEN) % 1.0
    return QColor.fromHsvF(hue, saturation, value)


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
