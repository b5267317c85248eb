"""Choosing where and in which precision the model runs.

torch is imported inside the functions: the CLI reads `PRECISIONS` while it builds
its parser, and `umt-desktop --version` should not wait for torch.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import DeviceError

if TYPE_CHECKING:
    import torch

PRECISIONS = ("auto", "float32", "bfloat16", "float16")


@dataclass(frozen=True)
class Runtime:
    """A device and the autocast dtype used on it (None = plain float32)."""

    device: torch.device
    autocast: torch.dtype | None = None

    @property
    def precision(self) -> str:
        return "float32" if self.autocast is None else str(self.autocast).removeprefix("torch.")

    @property
    def label(self) -> str:
        import torch

        if self.device.type == "cuda":
            index = self.device.index or 0
            return f"cuda:{index} ({torch.cuda.get_device_name(index)}), {self.precision}"
        return f"cpu, {self.precision}"

    def autocast_context(self):
        import torch

        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast)


def available_devices() -> list[str]:
    """'cpu' and every CUDA device, as strings the CLI and GUI accept."""
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return devices


def resolve(device: str = "auto", precision: str = "auto") -> Runtime:
    """'auto' is CUDA with bfloat16 autocast (float16 where bf16 is unsupported), else CPU float32."""
    import torch

    if precision not in PRECISIONS:
        raise DeviceError(f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    device = (device or "auto").strip().lower()
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise DeviceError(f"unknown device {device!r} (use auto, cpu, cuda or cuda:N)") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError("CUDA was requested but no CUDA GPU is available; use --device cpu")
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        if index >= torch.cuda.device_count():
            raise DeviceError(f"there is no cuda:{index}; this machine has {torch.cuda.device_count()} GPU(s)")
        dev = torch.device("cuda", index)
        if precision == "auto":
            precision = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    elif dev.type != "cpu":
        raise DeviceError(f"device {device!r} is not supported (use auto, cpu, cuda or cuda:N)")
    elif precision == "auto":
        precision = "float32"
    dtypes = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}
    return Runtime(dev, dtypes[precision])
