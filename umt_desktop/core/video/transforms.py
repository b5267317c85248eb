"""Test-time sampling, resizing, cropping and normalisation, as MMAction2 does them.

Each step is a small function checked against the reference fixtures:
`sample_indices` (UniformSample in test mode), `resize_short_side`
(Resize(-1, 224), keep ratio, cv2 bilinear), `three_crop_offsets` /
`center_crop_offset` (ThreeCrop / CenterCrop) and `normalise`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:  # torch is imported by `normalise` only: decode workers never load it
    import torch

CLIP_LEN = 8
CROP = 224


def sample_indices(num_frames: int, num_clips: int, clip_len: int = CLIP_LEN) -> np.ndarray:
    """Frame indices of `num_clips` clips of `clip_len` frames, clip-major.

    seg = (n-1)/clip_len; clip k frame i = round_half_even(seg*i) + int(seg/(clips+1)*(k+1)).
    """
    seg = (num_frames - 1) / clip_len
    duration = seg / (num_clips + 1)
    starts = np.round(seg * np.arange(clip_len)).astype(np.int64)
    offsets = np.array([int(duration * (k + 1)) for k in range(num_clips)], dtype=np.int64)
    return (offsets[:, None] + starts[None, :]).reshape(-1)


def resized_size(width: int, height: int, short: int = CROP) -> tuple[int, int]:
    """(w, h) after scaling the short side to `short`, rounded half up as mmcv does."""
    scale = short / min(width, height)
    return int(width * scale + 0.5), int(height * scale + 0.5)


def resize_short_side(frames: np.ndarray, short: int = CROP) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, h, w, 3) uint8 with min(h, w) == short, bilinear."""
    t, h, w = frames.shape[:3]
    nw, nh = resized_size(w, h, short)
    if (nw, nh) == (w, h):
        return frames
    out = np.empty((t, nh, nw, frames.shape[3]), dtype=frames.dtype)
    for i in range(t):
        cv2.resize(frames[i], (nw, nh), dst=out[i], interpolation=cv2.INTER_LINEAR)
    return out


def three_crop_offsets(width: int, height: int, crop: int = CROP) -> list[tuple[int, int]]:
    """(x, y) of three crops along the long side: start, end, middle (MMAction2 order)."""
    if height == crop:
        step = (width - crop) // 2
        return [(0, 0), (2 * step, 0), (step, 0)]
    if width == crop:
        step = (height - crop) // 2
        return [(0, 0), (0, 2 * step), (0, step)]
    raise ValueError(f"three crops need one side equal to {crop}, got {width}x{height}")


def center_crop_offset(width: int, height: int, crop: int = CROP) -> tuple[int, int]:
    return (width - crop) // 2, (height - crop) // 2


def crop_views(
    frames: np.ndarray, offsets: list[tuple[int, int]], clip_len: int = CLIP_LEN, crop: int = CROP,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """(clips*clip_len, h, w, 3) resized frames -> (crops*clips, clip_len, crop, crop, 3) views.

    `out`: a C-contiguous uint8 array of that shape to write the views into (a staging buffer).
    """
    clips = frames.reshape(-1, clip_len, *frames.shape[1:])
    views = [clips[:, :, y : y + crop, x : x + crop] for x, y in offsets]
    if out is not None:
        return np.concatenate(views, axis=0, out=out)
    return np.ascontiguousarray(np.concatenate(views, axis=0))


def normalise(views: torch.Tensor, mean, std) -> torch.Tensor:
    """(V, T, H, W, 3) uint8 -> (V, 3, T, H, W) float32, (x - mean) / std per channel."""
    import torch

    x = views.permute(0, 4, 1, 2, 3).float()
    m = torch.tensor(mean, dtype=torch.float32, device=x.device).view(1, 3, 1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32, device=x.device).view(1, 3, 1, 1, 1)
    return (x - m) / s
