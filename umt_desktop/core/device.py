"""Choosing where and in which precision the model runs, and whether it is compiled.

On a GPU the default precision is float16 with the model's weights cast once
(`UMT.cast_to_half`: LayerNorm, the residual stream, the token mean and the head
stay float32) and an overflow guard in the classifier (views whose float16 logits
are not finite are recomputed in float32 and counted). On the fixtures this is
within 4e-4 of float32 where bfloat16 is 5e-3 off. The CPU runs float32.

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
    """A device and the half dtype the model's weights are cast to on it (None = plain float32)."""

    device: torch.device
    dtype: torch.dtype | None = None

    @property
    def autocast(self) -> torch.dtype | None:
        """The half dtype (the name of the older, autocast-based field)."""
        return self.dtype

    @property
    def precision(self) -> str:
        return "float32" if self.dtype is None else str(self.dtype).removeprefix("torch.")

    @property
    def label(self) -> str:
        import torch

        if self.device.type == "cuda":
            index = self.device.index or 0
            return f"cuda:{index} ({torch.cuda.get_device_name(index)}), {self.precision}"
        return f"cpu, {self.precision}"

    def autocast_context(self):
        """torch.autocast in this runtime's half dtype (a model not cast with `UMT.cast_to_half`)."""
        import torch

        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)


def compile_unavailable(device: torch.device) -> str | None:
    """Why `torch.compile` cannot serve this device (one line), or None when it can.

    Only CUDA is compiled: the float32 CPU path is kept exactly as it is. On CUDA,
    TorchInductor needs Triton (missing e.g. on Windows builds of torch).
    """
    import importlib.util

    import torch

    if device.type != "cuda":
        return "the model is compiled on CUDA only"
    if not hasattr(torch, "compile"):
        return f"torch {torch.__version__} has no torch.compile"
    if importlib.util.find_spec("triton") is None:
        return "torch.compile needs Triton, which is not installed; running the model uncompiled"
    return None


def available_devices() -> list[str]:
    """'cpu' and every CUDA device, as strings the CLI and GUI accept."""
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return devices


def resolve(device: str = "auto", precision: str = "auto") -> Runtime:
    """'auto' is CUDA with float16 weights (see the module docstring), else CPU float32."""
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
            precision = "float16"
    elif dev.type != "cpu":
        raise DeviceError(f"device {device!r} is not supported (use auto, cpu, cuda or cuda:N)")
    elif precision == "auto":
        precision = "float32"
    dtypes = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}
    return Runtime(dev, dtypes[precision])


@contextlib.contextmanager
def exact_float32(device: torch.device):
    """float32 work on CUDA as float32: no TF32 in cuDNN's convolutions (the patch embedding),
    which PyTorch allows by default and which moves probabilities by ~1e-4."""
    import torch

    if device.type != "cuda":
        yield
        return
    old = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = old
