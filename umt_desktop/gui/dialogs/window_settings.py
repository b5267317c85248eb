"""Span, stride, smoothing, threshold and top-k of the live sliding window."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ...core.options import SPAN, STRIDE, THRESHOLD, TOPK
from ...core.settings import Settings


class WindowSettingsDialog(QDialog):
    """Span, stride, smoothing, threshold and top-k of the live sliding window."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sliding window")
        self.settings = settings
        form = QFormLayout(self)
        self.span = QDoubleSpinBox(minimum=SPAN.low, maximum=SPAN.high, singleStep=0.5, suffix=" s", decimals=2)
        self.span.setValue(settings["span"])
        self.span.setToolTip("Seconds of video the 8 frames of a window are spread over")
        self.stride = QDoubleSpinBox(minimum=STRIDE.low, maximum=STRIDE.high, singleStep=0.1, suffix=" s", decimals=2)
        self.stride.setValue(settings["stride"])
        self.stride.setToolTip("Seconds between two windows")
        self.smoothing = QLineEdit(settings["smoothing"])
        self.smoothing.setToolTip("off, ema:ALPHA (weight of the newest window, 0–1) or mean:N windows")
        self.threshold = QDoubleSpinBox(minimum=THRESHOLD.low, maximum=THRESHOLD.high, singleStep=0.05, decimals=2)
        self.threshold.setValue(settings["threshold"])
        self.threshold.setToolTip("Below this smoothed score the window shows “no confident action”")
        self.topk = QSpinBox(minimum=int(TOPK.low), maximum=int(TOPK.high))
        self.topk.setValue(settings["topk"])
        form.addRow("Span", self.span)
        form.addRow("Stride", self.stride)
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Threshold", self.threshold)
        form.addRow("Top-k", self.topk)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d9534f;")
        form.addRow(self.error)

    def _accept(self) -> None:
        try:
            Settings(path=self.settings.path)["smoothing"] = self.smoothing.text().strip().lower()
        except ValueError as e:
            self.error.setText(str(e))
            return
        self.accept()

    def values(self) -> dict:
        return {
            "span": self.span.value(),
            "stride": self.stride.value(),
            "smoothing": self.smoothing.text().strip().lower(),
            "threshold": self.threshold.value(),
            "topk": self.topk.value(),
        }
