"""Where the model runs (Auto / CPU / each CUDA device) and in which precision."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

PRECISIONS = [("auto", "Auto precision"), ("float32", "float32"), ("bfloat16", "bfloat16"), ("float16", "float16")]


def device_choices() -> list[tuple[str, str]]:
    """(value, text) for each device this machine has, CUDA devices by name."""
    from . import _cuda_names

    choices = [("auto", "Auto"), ("cpu", "CPU")]
    choices += [(f"cuda:{i}", f"cuda:{i} · {name}") for i, name in enumerate(_cuda_names())]
    return choices


class DeviceSelector(QWidget):
    changed = Signal(str, str)  # device, precision

    def __init__(self, device: str = "auto", precision: str = "auto", parent: QWidget | None = None,
                 choices: list[tuple[str, str]] | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.device_box = QComboBox()
        self.device_box.setToolTip("Device the model runs on (Auto: the first CUDA GPU, else the CPU)")
        for value, text in choices if choices is not None else device_choices():
            self.device_box.addItem(text, value)
        self.precision_box = QComboBox()
        self.precision_box.setToolTip("Autocast precision (Auto: bfloat16 on GPU, float32 on CPU)")
        for value, text in PRECISIONS:
            self.precision_box.addItem(text, value)
        label = QLabel("Device")
        row.addWidget(label)
        row.addWidget(self.device_box)
        row.addWidget(self.precision_box)
        self.set_values(device, precision)
        self.device_box.currentIndexChanged.connect(self._emit)
        self.precision_box.currentIndexChanged.connect(self._emit)

    def device(self) -> str:
        return self.device_box.currentData()

    def precision(self) -> str:
        return self.precision_box.currentData()

    def set_values(self, device: str, precision: str) -> None:
        self.blockSignals(True)
        i = self.device_box.findData(device)
        if i < 0:  # a device from the settings that this machine lacks
            self.device_box.addItem(f"{device} (not available)", device)
            i = self.device_box.count() - 1
        self.device_box.setCurrentIndex(i)
        j = self.precision_box.findData(precision)
        self.precision_box.setCurrentIndex(max(0, j))
        self.blockSignals(False)

    def _emit(self) -> None:
        self.changed.emit(self.device(), self.precision())
