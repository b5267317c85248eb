"""File -> Preferences: the live sliding window (span, stride, smoothing, threshold, top-k).

Every control takes its bounds from `core.options`, the same definition the
settings file, the engine and the CLI check against, so the dialog cannot offer
a value the engine would refuse. Smoothing is a choice (off, EMA, moving
average) plus the one number that choice needs.
"""

from __future__ import annotations


from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...core import options
from ...core.options import EMA_ALPHA, MEAN_WINDOWS, SPAN, STRIDE, THRESHOLD, TOPK, Smoothing
from ...core.settings import DEFAULTS

SMOOTHING_KINDS = (  # (kind, what the box says)
    ("off", "Off"),
    ("ema", "Exponential moving average"),
    ("mean", "Moving average"),
)
KEYS = ("span", "stride", "smoothing", "threshold", "topk")


def _double(bounds, step: float, decimals: int, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(bounds.low, bounds.high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    box.setKeyboardTracking(True)
    box.setAccelerated(True)
    return box


class PreferencesDialog(QDialog):
    """The settings of the live view with proper controls; `values()` is what the settings take."""

    def __init__(self, settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferences-dialog")
        self.settings = settings
        layout = QVBoxLayout(self)

        window_box = QGroupBox("Sliding window")
        form = QFormLayout(window_box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.span = _double(SPAN, 0.5, 2, " s")
        self.span.setToolTip(f"Seconds of video the 8 frames of a window are spread over ({SPAN.describe()})")
        self.stride = _double(STRIDE, 0.1, 2, " s")
        self.stride.setToolTip(f"Seconds between two windows ({STRIDE.describe()})")
        form.addRow("&Span", self.span)
        form.addRow("St&ride", self.stride)

        self.smoothing_kind = QComboBox()
        for kind, text in SMOOTHING_KINDS:
            self.smoothing_kind.addItem(text, kind)
        self.smoothing_kind.setToolTip("How the scores of successive windows are combined before they are shown")
        self.ema_alpha = _double(EMA_ALPHA, 0.05, 2)
        self.ema_alpha.setMinimum(0.01)  # 0 would never change; the bounds exclude it
        self.ema_alpha.setToolTip("Weight of the newest window: 1 = no smoothing, smaller = steadier")
        self.mean_windows = QSpinBox()
        self.mean_windows.setRange(int(MEAN_WINDOWS.low), int(MEAN_WINDOWS.high))
        self.mean_windows.setSuffix(" windows")
        self.mean_windows.setToolTip("Number of recent windows averaged")
        self.smoothing_value = QStackedWidget()
        off_note = QLabel("Each window's scores as they are")
        off_note.setObjectName("muted")
        ema_row = QWidget()
        er = QHBoxLayout(ema_row)
        er.setContentsMargins(0, 0, 0, 0)
        er.addWidget(QLabel("weight of the newest window"))
        er.addWidget(self.ema_alpha, 1)
        mean_row = QWidget()
        mr = QHBoxLayout(mean_row)
        mr.setContentsMargins(0, 0, 0, 0)
        mr.addWidget(QLabel("over the last"))
        mr.addWidget(self.mean_windows, 1)
        for page in (off_note, ema_row, mean_row):
            self.smoothing_value.addWidget(page)
        self.smoothing_kind.currentIndexChanged.connect(self.smoothing_value.setCurrentIndex)
        form.addRow("S&moothing", self.smoothing_kind)
        form.addRow("", self.smoothing_value)

        self.threshold = _double(THRESHOLD, 0.05, 2)
        self.threshold.setToolTip("Below this smoothed score the window shows “no confident action”")
        self.topk = QSpinBox()
        self.topk.setRange(int(TOPK.low), int(TOPK.high))
        self.topk.setToolTip("Classes listed in the live and whole-video panels")
        form.addRow("&Threshold", self.threshold)
        form.addRow("Top-&k classes", self.topk)
        layout.addWidget(window_box)

        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel | QDialogButtonBox.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.RestoreDefaults).clicked.connect(self.restore_defaults)
        self.buttons = buttons
        layout.addWidget(buttons)
        self.set_values({key: settings[key] for key in KEYS})
        self.setMinimumWidth(self.sizeHint().width() + 80)

    # -- values ----------------------------------------------------------------------
    def set_values(self, values: dict) -> None:
        self.span.setValue(float(values["span"]))
        self.stride.setValue(float(values["stride"]))
        smoothing = Smoothing.parse(values["smoothing"])
        self.smoothing_kind.setCurrentIndex(self.smoothing_kind.findData(smoothing.kind))
        self.smoothing_value.setCurrentIndex(self.smoothing_kind.currentIndex())
        self.ema_alpha.setValue(smoothing.value if smoothing.kind == "ema" else options.DEFAULT_EMA_ALPHA)
        self.mean_windows.setValue(int(smoothing.value) if smoothing.kind == "mean" else options.DEFAULT_MEAN_WINDOWS)
        self.threshold.setValue(float(values["threshold"]))
        self.topk.setValue(int(values["topk"]))

    def restore_defaults(self) -> None:
        self.set_values({key: DEFAULTS[key] for key in KEYS})

    def smoothing(self) -> Smoothing:
        kind = self.smoothing_kind.currentData()
        if kind == "ema":
            return Smoothing("ema", round(self.ema_alpha.value(), 4))
        if kind == "mean":
            return Smoothing("mean", float(self.mean_windows.value()))
        return Smoothing("off", 0.0)

    def values(self) -> dict:
        return {
            "span": self.span.value(),
            "stride": self.stride.value(),
            "smoothing": str(self.smoothing()),
            "threshold": self.threshold.value(),
            "topk": self.topk.value(),
        }


