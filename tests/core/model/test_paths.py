"""The model's attention and linear paths (naive reference, SDPA, oneDNN) compute the same
numbers: the switch between them changes kernels, never results."""

import numpy as np
import pytest
import torch

from umt_desktop.core.model import network as model_module
from umt_desktop.core.model.checkpoint import load_checkpoint
from umt_desktop.core.model.network import UMT_B, UMTConfig, random_model

TINY = UMTConfig(embed_dim=128, depth=2, num_classes=400)  # the bench's "tiny" shape


def _set_path(model, path: str) -> None:
    """naive: the reference attention; fast: SDPA with oneDNN linears; sdpa: SDPA with ATen linears."""
    model.naive_attention = path == "naive"
    if hasattr(model, "onednn"):
        model.onednn = path == "fast"


def _forward(model, x, path):
    _set_path(model, path)
    with torch.inference_mode():
        return model(x)


def test_fixture_model_paths_agree(tiny_checkpoint):
    model = load_checkpoint(tiny_checkpoint).model
    x = torch.randn(2, 3, 8, 224, 224, generator=torch.Generator().manual_seed(1))
    naive = _forward(model, x, "naive")
    for path in ("fast", "sdpa"):
        np.testing.assert_allclose(_forward(model, x, path).numpy(), naive.numpy(), atol=1e-5, rtol=0)


def test_umt_b_shaped_paths_agree_on_a_small_batch():
    # UMT-B's width and heads on 2 of its 12 blocks: the same kernels at a tenth of the cost.
    config = UMTConfig(embed_dim=UMT_B.embed_dim, depth=2, num_classes=400)
    model = random_model(config, seed=3)
    x = torch.randn(2, 3, 8, 224, 224, generator=torch.Generator().manual_seed(2))
    naive = _forward(model, x, "naive")
    for path in ("fast", "sdpa"):
        out = _forward(model, x, path)
        np.testing.assert_allclose(out.numpy(), naive.numpy(), atol=1e-5, rtol=0)
        assert out.argmax(-1).tolist() == naive.argmax(-1).tolist()


def test_fast_path_stays_off_when_gradients_are_needed(tiny_checkpoint):
    model = load_checkpoint(tiny_checkpoint).model
    x = torch.randn(1, 3, 8, 224, 224, generator=torch.Generator().manual_seed(4))
    out = model(x)  # grad mode: ATen ops, so backward works
    out.sum().backward()
    assert model.head.weight.grad is not None


@pytest.mark.skipif(not model_module.ONEDNN, reason="torch built without oneDNN")
def test_onednn_switch_changes_kernels_not_results(tiny_checkpoint):
    model = load_checkpoint(tiny_checkpoint).model
    assert model.onednn  # on by default for float32 CPU inference
    x = torch.randn(1, 3, 8, 224, 224, generator=torch.Generator().manual_seed(5))
    with torch.inference_mode():
        fast = model(x)
        model.onednn = False
        plain = model(x)
    assert not model.onednn
    np.testing.assert_allclose(fast.numpy(), plain.numpy(), atol=1e-5, rtol=0)


@pytest.mark.skipif(not model_module.ONEDNN, reason="torch built without oneDNN")
def test_onednn_linear_handles_strided_inputs():
    # Attention outputs reach the projection transposed; results must not depend on the layout.
    g = torch.Generator().manual_seed(6)
    x = torch.randn(2, 64, 50, generator=g).transpose(1, 2)
    w, b = torch.randn(32, 64, generator=g), torch.randn(32, generator=g)
    with torch.inference_mode():
        got = model_module._onednn_linear(x, w, b, gelu=True)
    expected = torch.nn.functional.gelu(torch.nn.functional.linear(x, w, b))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5, rtol=0)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_bf16_and_sdpa_close_to_float32(tiny_checkpoint, reference_videos):
    from umt_desktop import load_classifier

    cpu = load_classifier(tiny_checkpoint, device="cpu")
    for precision in ("float32", "bfloat16", "float16"):
        gpu = load_classifier(tiny_checkpoint, device="cuda", precision=precision)
        for path, ref in reference_videos:
            probs = gpu.classify(path).probs
            assert np.abs(probs - np.array(ref["probs"])).max() < 1e-2, precision
            assert np.abs(probs - cpu.classify(path).probs).max() < 1e-2, precision
    model = random_model(TINY).cuda()
    x = torch.randn(4, 3, 8, 224, 224, device="cuda")
    with torch.inference_mode():
        model.naive_attention = True
        naive = model(x).float().softmax(-1)
        model.naive_attention = False
        with torch.autocast("cuda", dtype=torch.bfloat16):
            fast = model(x).float().softmax(-1)
    assert (fast - naive).abs().max().item() < 1e-2


def test_cpu_autocast_takes_the_aten_path_and_stays_close(tiny_checkpoint):
    model = load_checkpoint(tiny_checkpoint).model
    x = torch.randn(1, 3, 8, 224, 224, generator=torch.Generator().manual_seed(7))
    with torch.inference_mode():
        exact = model(x).softmax(-1)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = model(x).float().softmax(-1)
    assert (low - exact).abs().max().item() < 1e-2
