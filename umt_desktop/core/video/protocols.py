"""Test protocols: how a whole video becomes a batch of 8-frame views.

`4x3` is the published protocol (4 uniformly sampled clips x 3 crops along the
long side); `1x1` takes one clip with a centre crop. Both return uint8 views;
normalisation belongs to the checkpoint and happens on the inference device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UMTError
from .transforms import CLIP_LEN, center_crop_offset, crop_views, resize_short_side, sample_indices, three_crop_offsets
from .readers import VideoReader


@dataclass(frozen=True)
class Protocol:
    name: str
    clips: int
    crops: int  # 3 = three crops along the long side, 1 = centre crop

    @property
    def views(self) -> int:
        return self.clips * self.crops

    def indices(self, num_frames: int) -> np.ndarray:
        return sample_indices(num_frames, self.clips, CLIP_LEN)

    def views_from_frames(self, frames: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(clips*8, H, W, 3) sampled frames -> (views, 8, 224, 224, 3) uint8 (written into `out` if given)."""
        frames = resize_short_side(frames)
        h, w = frames.shape[1:3]
        offsets = three_crop_offsets(w, h) if self.crops == 3 else [center_crop_offset(w, h)]
        return crop_views(frames, offsets, out=out)

    def load(self, reader: VideoReader) -> np.ndarray:
        return self.views_from_frames(reader.get_frames(self.indices(reader.num_frames)))


PROTOCOLS = {"4x3": Protocol("4x3", clips=4, crops=3), "1x1": Protocol("1x1", clips=1, crops=1)}


def get_protocol(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise UMTError(f"unknown views protocol {name!r} (choose 4x3 or 1x1)") from None
