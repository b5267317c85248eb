"""The Qt binding keeps Python's reference counts: a long session must not abort.

PySide6-Essentials 6.12.0 returns None from every void method without taking a reference;
after a few thousand paint calls Python deallocates None and aborts ("none_dealloc").
pyproject.toml excludes it; this test fails on such a binding.
"""

from __future__ import annotations

import sys

import pytest


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_painting_does_not_eat_references_to_none(qapp):
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(64, 64, QImage.Format_RGB32)
    painter = QPainter(image)
    try:
        before = sys.getrefcount(None)
        for _ in range(500):
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(10, 20, 30))
            painter.drawRoundedRect(QRectF(0, 0, 10, 10), 3, 3)
        lost = before - sys.getrefcount(None)
    finally:
        painter.end()
    assert lost < 50, f"{lost} references to None lost in 1500 painter calls"
