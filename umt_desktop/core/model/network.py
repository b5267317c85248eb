"""The UMT video ViT (Unmasked Teacher, Li et al. 2023), as fine-tuned for Kinetics.

Everything about the network lives here: the blocks, the model, and the
architecture read off a state dict. Checkpoint formats are adapted elsewhere
(`checkpoint.py`); this module only ever sees canonical key names:

    patch_embed.proj.{weight,bias}
    blocks.N.{norm1,norm2}.{weight,bias}
    blocks.N.attn.{qkv.weight,q_bias,v_bias,proj.weight,proj.bias}
    blocks.N.mlp.{fc1,fc2}.{weight,bias}
    fc_norm.{weight,bias}
    head.{weight,bias}
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PATCH = 16
FRAMES = 8
IMAGE = 224
HEAD_DIM = 64
LN_EPS = 1e-6


@dataclass(frozen=True)
class UMTConfig:
    """Architecture of a UMT checkpoint. Heads follow from head_dim 64."""

    embed_dim: int
    depth: int
    num_classes: int
    frames: int = FRAMES
    image: int = IMAGE

    @property
    def num_heads(self) -> int:
        return self.embed_dim // HEAD_DIM

    @property
    def num_tokens(self) -> int:
        return self.frames * (self.image // PATCH) ** 2

    @property
    def name(self) -> str:
        known = {(768, 12): "UMT-B/16", (1024, 24): "UMT-L/16"}
        return known.get((self.embed_dim, self.depth), f"UMT-{self.embed_dim}x{self.depth}/16")

    def flops_per_view(self) -> float:
        """Multiply-adds x2 of one 8x224x224 view (matmuls only; the rest is negligible)."""
        n, d = self.num_tokens, self.embed_dim
        patch = n * d * 3 * PATCH * PATCH
        block = n * d * 3 * d + 2 * n * n * d + n * d * d + 2 * n * d * 4 * d
        return 2.0 * (patch + self.depth * block + d * self.num_classes)


UMT_B = UMTConfig(embed_dim=768, depth=12, num_classes=400)
UMT_L = UMTConfig(embed_dim=1024, depth=24, num_classes=400)


def sinusoid_table(positions: int, dim: int) -> torch.Tensor:
    """Fixed position table: angle(p, j) = p / 10000^(2*(j//2)/dim); sin on even j, cos on odd.

    Computed in float64 and rounded once to float32, as the reference does.
    """
    pos = np.arange(positions, dtype=np.float64)[:, None]
    j = np.arange(dim)
    angle = pos / np.power(10000.0, 2 * (j // 2) / dim)
    table = np.where(j % 2 == 0, np.sin(angle), np.cos(angle))
    return torch.from_numpy(table).float().unsqueeze(0)


def _onednn_linear(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, gelu: bool = False
) -> torch.Tensor:
    # MKL's sgemm takes its AVX2 path on AMD CPUs; oneDNN's AVX-512 GEMM is up to twice as
    # fast there, in the same IEEE float32 arithmetic (results agree to float32 rounding).
    # Strided operands would send oneDNN to its reference kernels (a hundred times slower).
    x, weight = x.contiguous(), weight.contiguous()
    if gelu:
        return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "gelu", [], "none")
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


def _probe_onednn() -> bool:
    """Whether this torch's oneDNN linear op exists and computes F.linear (and exact GELU).

    The op is the one torch's own CPU compiler emits, but it is not public API: check
    it once on a tiny problem instead of trusting its signature across versions.
    """
    try:
        if not (torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")):
            return False
        g = torch.Generator().manual_seed(0)
        x, w, b = (torch.randn(*shape, generator=g) for shape in ((5, 3, 16), (24, 16), (24,)))
        with torch.inference_mode():
            plain = torch.allclose(_onednn_linear(x, w, b), F.linear(x, w, b), atol=1e-5)
            fused = torch.allclose(_onednn_linear(x, w, b, gelu=True), F.gelu(F.linear(x, w, b)), atol=1e-5)
        return plain and fused
    except Exception:  # any failure means: use the plain ATen kernels
        return False


ONEDNN = _probe_onednn()


def _onednn_usable(x: torch.Tensor, weight: torch.Tensor) -> bool:
    """oneDNN serves plain float32 CPU inference only (no autograd formula, no autocast)."""
    return (
        ONEDNN
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and weight.dtype == torch.float32
        and not torch.is_grad_enabled()
        and not _cpu_autocast()
    )


def _cpu_autocast() -> bool:
    try:
        return torch.is_autocast_enabled("cpu")
    except TypeError:  # torch < 2.4
        return torch.is_autocast_cpu_enabled()


HALF_DTYPES = (torch.float16, torch.bfloat16)


class LayerNorm(nn.LayerNorm):
    """LayerNorm with float32 statistics and float32 output whatever the input's dtype.

    Half-precision models keep these weights (and the residual stream) in float32;
    for float32 inputs this is exactly `nn.LayerNorm`.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x.float(), self.normalized_shape, self.weight, self.bias, self.eps)


class Attention(nn.Module):
    """Multi-head self-attention with UMT's bias layout (q and v biased, k not).

    `naive=True` selects the explicit softmax(q k^T) v formulation of the
    reference; the default goes through scaled_dot_product_attention. With
    `onednn` on, float32 CPU inference runs the projections on oneDNN GEMMs.
    """

    def __init__(self, dim: int, num_heads: int, naive: bool = False) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.naive = naive
        self.onednn = True
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.register_buffer("k_bias", torch.zeros(dim), persistent=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.qkv.weight.dtype)  # a half-precision model: float32 residual in, half matmuls
        b, n, c = x.shape
        fast = self.onednn and not self.naive and _onednn_usable(x, self.qkv.weight)
        linear = _onednn_linear if fast else F.linear
        bias = torch.cat((self.q_bias, self.k_bias, self.v_bias))
        qkv = linear(x, self.qkv.weight, bias)
        q, k, v = qkv.reshape(b, n, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        if self.naive:
            attn = (q * self.scale) @ k.transpose(-2, -1)
            x = attn.float().softmax(dim=-1).to(v.dtype) @ v
        else:
            x = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return linear(x.transpose(1, 2).reshape(b, n, c), self.proj.weight, self.proj.bias)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.onednn = True
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.fc1.weight.dtype)
        if self.onednn and _onednn_usable(x, self.fc1.weight):
            h = _onednn_linear(x, self.fc1.weight, self.fc1.bias, gelu=True)
            return _onednn_linear(h, self.fc2.weight, self.fc2.bias)
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim: int, num_heads: int, naive: bool = False) -> None:
        super().__init__()
        self.norm1 = LayerNorm(dim, eps=LN_EPS)
        self.attn = Attention(dim, num_heads, naive=naive)
        self.norm2 = LayerNorm(dim, eps=LN_EPS)
        self.mlp = Mlp(dim, dim * 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    """Tubelet size 1: each frame is cut into 16x16 patches, tokens in (T, H, W) order."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv3d(3, dim, kernel_size=(1, PATCH, PATCH), stride=(1, PATCH, PATCH))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class UMT(nn.Module):
    """(N, 3, 8, 224, 224) normalised video -> (N, classes) logits."""

    def __init__(self, config: UMTConfig, naive_attention: bool = False) -> None:
        super().__init__()
        self.config = config
        d = config.embed_dim
        self.patch_embed = PatchEmbed(d)
        self.register_buffer("pos_embed", sinusoid_table(config.num_tokens, d), persistent=False)
        self.blocks = nn.ModuleList(
            Block(d, config.num_heads, naive=naive_attention) for _ in range(config.depth)
        )
        self.fc_norm = LayerNorm(d, eps=LN_EPS)
        self.head = nn.Linear(d, config.num_classes)

    @property
    def naive_attention(self) -> bool:
        return self.blocks[0].attn.naive

    @naive_attention.setter
    def naive_attention(self, value: bool) -> None:
        for block in self.blocks:
            block.attn.naive = bool(value)

    @property
    def onednn(self) -> bool:
        """Float32 CPU inference on oneDNN kernels (default); False = plain ATen ops."""
        return self.blocks[0].attn.onednn

    @onednn.setter
    def onednn(self, value: bool) -> None:
        for block in self.blocks:
            block.attn.onednn = block.mlp.onednn = bool(value)

    @property
    def compute_dtype(self) -> torch.dtype:
        """The dtype of the matmuls: float32, or the half precision set by `cast_to_half`."""
        return self.patch_embed.proj.weight.dtype

    def cast_to_half(self, dtype: torch.dtype) -> UMT:
        """Cast the matmul weights once to `dtype` (float16 or bfloat16), in place.

        What stays float32: LayerNorm weights and statistics, the residual stream (each
        block's half-precision output is added to a float32 sum), the position table, the
        mean over tokens and the classifier head. Attention runs in `dtype` through SDPA,
        whose kernels keep the softmax in float32 (the naive path does it explicitly).
        """
        if dtype not in HALF_DTYPES:
            raise ValueError(f"cast_to_half takes float16 or bfloat16, not {dtype}")
        self.patch_embed.to(dtype)
        for block in self.blocks:
            block.attn.to(dtype)
            block.mlp.to(dtype)
        return self

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x.to(self.compute_dtype)).float() + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.fc_norm(x.mean(dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x).to(self.head.weight.dtype))


def config_from_state_dict(state: dict[str, torch.Tensor]) -> UMTConfig:
    """Read the architecture off canonical weights; raises KeyError/ValueError when it is not UMT."""
    proj = state["patch_embed.proj.weight"]
    if proj.ndim != 5 or tuple(proj.shape[1:]) != (3, 1, PATCH, PATCH):
        raise ValueError(
            f"patch embedding has shape {tuple(proj.shape)}, expected (D, 3, 1, 16, 16) "
            "(8-frame UMT with tubelet size 1)"
        )
    dim = proj.shape[0]
    if dim % HEAD_DIM:
        raise ValueError(f"embedding width {dim} is not a multiple of the head size {HEAD_DIM}")
    depth = 1 + max(
        (int(k.split(".")[1]) for k in state if k.startswith("blocks.")), default=-1
    )
    if depth == 0:
        raise ValueError("no transformer blocks found")
    head = state["head.weight"]
    if head.ndim != 2 or head.shape[1] != dim:
        raise ValueError(f"classifier has shape {tuple(head.shape)}, expected (classes, {dim})")
    return UMTConfig(embed_dim=dim, depth=depth, num_classes=head.shape[0])


def build_model(state: dict[str, torch.Tensor], naive_attention: bool = False) -> UMT:
    """Build a UMT from canonical weights, strictly: every tensor used, none missing."""
    config = config_from_state_dict(state)
    model = UMT(config, naive_attention=naive_attention)
    state = dict(state)
    table = state.pop("pos_embed", None)
    if table is not None and not _same_table(table, model.pos_embed):
        raise ValueError(
            f"stored position table {tuple(table.shape)} differs from the fixed sinusoid "
            f"table for {config.num_tokens} tokens (a {table.shape[-2] // 196 if table.ndim == 3 else '?'}-frame model?)"
        )
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {_names(missing)}")
        if unexpected:
            parts.append(f"unexpected {_names(unexpected)}")
        raise ValueError("; ".join(parts))
    for key, value in state.items():
        if value.shape != expected[key].shape:
            raise ValueError(f"{key} has shape {tuple(value.shape)}, expected {tuple(expected[key].shape)}")
    model.load_state_dict(state, strict=True)
    return model.eval()


def _names(keys: list[str], show: int = 3) -> str:
    more = f" and {len(keys) - show} more" if len(keys) > show else ""
    return ", ".join(keys[:show]) + more


def _same_table(table: torch.Tensor, expected: torch.Tensor) -> bool:
    return tuple(table.shape) == tuple(expected.shape) and bool(
        torch.allclose(table.float(), expected, atol=1e-4)
    )


def random_model(config: UMTConfig, seed: int = 0, naive_attention: bool = False) -> UMT:
    """A UMT with random weights (benchmarks and tests)."""
    torch.manual_seed(seed)
    model = UMT(config, naive_attention=naive_attention)
    for name, p in model.named_parameters():
        if name.endswith("bias") and p.ndim == 1:
            nn.init.normal_(p, std=0.02)
        elif p.ndim > 1:
            nn.init.trunc_normal_(p, std=1 / math.sqrt(p.shape[-1]))
    return model.eval()
