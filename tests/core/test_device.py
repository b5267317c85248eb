"""core.device: where and in which precision the model runs (the CPU cases run everywhere, CUDA ones on a GPU)."""

from __future__ import annotations

import pytest
import torch

from umt_desktop.core.device import PRECISIONS, available_devices, resolve
from umt_desktop.core.errors import DeviceError

HAS_CUDA = torch.cuda.is_available()


def test_cpu_runs_in_float32_unless_asked():
    rt = resolve("cpu")
    assert rt.device == torch.device("cpu") and rt.autocast is None
    assert rt.precision == "float32" and rt.label == "cpu, float32"
    assert resolve("CPU ", "bfloat16").autocast == torch.bfloat16


@pytest.mark.skipif(HAS_CUDA, reason="auto picks the GPU here")
def test_auto_without_a_gpu_is_the_cpu():
    assert resolve().device.type == "cpu" and available_devices() == ["cpu"]


@pytest.mark.parametrize("device, words", [
    ("tpu", "unknown device 'tpu'"),
    ("meta", "not supported"),
    ("cuda:99", "cuda:99" if HAS_CUDA else "no CUDA GPU"),
])
def test_bad_devices_are_one_line_errors(device, words):
    with pytest.raises(DeviceError, match=words):
        resolve(device)


def test_an_unknown_precision_lists_the_choices():
    with pytest.raises(DeviceError) as info:
        resolve("cpu", "int8")
    assert all(p in str(info.value) for p in PRECISIONS)


@pytest.mark.cuda
@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
def test_cuda_auto_uses_half_precision():
    rt = resolve("cuda")
    assert rt.device.type == "cuda" and rt.autocast in (torch.bfloat16, torch.float16)
    assert rt.label.startswith("cuda:0 (")
