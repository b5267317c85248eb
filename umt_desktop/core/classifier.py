"""Whole-video classification: the public inference API.

    clf = load_classifier("tiny_umt.pth", device="cpu")
    result = clf.classify("video.mp4", views="4x3", topk=5)
    result.probs, result.top  # (classes,) numpy, [(index, label, score), ...]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .model.checkpoint import Checkpoint, load_checkpoint
from .device import Runtime, resolve
from .errors import DeviceError, NumericError
from .model.labels import LabelSet, labels_for
from .video.protocols import PROTOCOLS, Protocol, get_protocol
from .video.transforms import normalise
from .video.readers import DEFAULT_READER, open_video
from .model.zoo import ModelStore
from .options import TopK  # noqa: F401  (part of this module's interface)


@dataclass
class Classification:
    video: str
    views: str
    probs: np.ndarray
    top: list[TopK]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)  # decode / preprocess / model

    def to_json(self) -> dict:
        return {
            "video": self.video,
            "views": self.views,
            "top": [t._asdict() for t in self.top],
            "seconds": round(self.seconds, 4),
        }


class Classifier:
    """A loaded checkpoint on a device, with its labels and preprocessing profile."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        labels: LabelSet,
        runtime: Runtime,
        name: str,
        batch_size: int = 12,
        reader: str = DEFAULT_READER,
    ) -> None:
        self.checkpoint = checkpoint
        self.labels = labels
        self.runtime = runtime
        self.name = name
        self.batch_size = max(1, int(batch_size))
        self.reader = reader
        self.preprocessing = checkpoint.preprocessing
        self.model = checkpoint.model.to(runtime.device)
        #: called with a one-line note when a batch had to be recomputed in float32
        self.on_notice: Callable[[str], None] | None = None

    @property
    def device(self) -> torch.device:
        return self.runtime.device

    @property
    def num_classes(self) -> int:
        return self.model.config.num_classes

    # -- views -> probabilities ---------------------------------------------
    def to_input(self, views: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(V, 8, 224, 224, 3) uint8 views -> normalised float input on the model's device."""
        x = torch.as_tensor(views)
        if self.device.type == "cuda":
            x = x.pin_memory().to(self.device, non_blocking=True)
        return normalise(x, self.preprocessing.mean, self.preprocessing.std)

    def predict_views(self, views: np.ndarray | torch.Tensor) -> np.ndarray:
        """Softmax probabilities of each view, (V, classes) float32, in batches that fit.

        A batch whose scores are not finite under reduced precision (a float16 overflow)
        is computed again in float32, and `on_notice` is told so. Rows that stay
        non-finite are returned as they are: `check_finite` turns them into an error
        for their video, so they are never shown as a prediction.
        """
        out = []
        with torch.inference_mode():
            for start in range(0, len(views), self.batch_size):
                x = self.to_input(views[start : start + self.batch_size])
                probs = self._forward(x)
                if self.runtime.autocast is not None and not bool(torch.isfinite(probs).all()):
                    probs = self._forward(x, autocast=False)
                    if bool(torch.isfinite(probs).all()):
                        self._notice(f"{self.runtime.precision} overflowed (NaN or infinite scores); "
                                     "computed again in float32")
                out.append(probs)
        return torch.cat(out).cpu().numpy()

    def _notice(self, text: str) -> None:
        if self.on_notice is not None:
            self.on_notice(text)

    def _forward(self, x: torch.Tensor, autocast: bool = True) -> torch.Tensor:
        try:
            if autocast:
                with self.runtime.autocast_context():
                    logits = self.model(x)
            else:
                logits = self.model(x.float())
            return logits.float().softmax(dim=-1)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            raise DeviceError(
                f"the GPU ran out of memory on a batch of {len(x)} views; "
                "lower the batch size or run on the CPU"
            ) from None

    def top(self, probs: np.ndarray, k: int = 5) -> list[TopK]:
        k = max(1, min(int(k), len(probs)))
        order = np.argsort(-probs, kind="stable")[:k]
        return [TopK(int(i), self.labels[int(i)], float(probs[i])) for i in order]

    # -- whole videos --------------------------------------------------------
    def classify(self, path: str | Path, views: str | Protocol = "4x3", topk: int = 5) -> Classification:
        protocol = views if isinstance(views, Protocol) else get_protocol(views)
        t0 = time.perf_counter()
        with open_video(path, self.reader) as video:
            frames = video.get_frames(protocol.indices(video.num_frames))
        if video.note:
            self._notice(video.note)
        t1 = time.perf_counter()
        batch = protocol.views_from_frames(frames)
        t2 = time.perf_counter()
        probs = check_finite(self.predict_views(batch).mean(axis=0), Path(path).name)
        t3 = time.perf_counter()
        return Classification(
            video=str(path),
            views=protocol.name,
            probs=probs,
            top=self.top(probs, topk),
            seconds=t3 - t0,
            timings={"decode": t1 - t0, "preprocess": t2 - t1, "model": t3 - t2},
        )

    def classify_frames(self, frames: np.ndarray) -> np.ndarray:
        """Probabilities of one 8-frame window (any size, RGB uint8): short side 224, centre crop."""
        return check_finite(self.predict_views(PROTOCOLS["1x1"].views_from_frames(frames))[0], "this window")


def check_finite(probs: np.ndarray, what: str) -> np.ndarray:
    """`probs` when every score is a finite number; NumericError naming `what` otherwise."""
    if not np.isfinite(probs).all():
        raise NumericError.scores(what)
    return probs


CHECKPOINT_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin")


def resolve_checkpoint(name_or_path: str | Path) -> tuple[str, Path]:
    """(display name, file) of a checkpoint path or of an installed model's name."""
    p = Path(name_or_path)
    if p.is_file() or p.suffix in CHECKPOINT_SUFFIXES:
        return p.stem, p  # a missing file is reported by load_checkpoint
    return str(name_or_path), ModelStore().path_of(str(name_or_path))


def load_classifier(
    name_or_path: str | Path,
    device: str = "auto",
    *,
    precision: str = "auto",
    labels: str | Path | None = None,
    batch_size: int = 12,
    reader: str = DEFAULT_READER,
    naive_attention: bool = False,
    name: str | None = None,
) -> Classifier:
    """Load a zoo model by name (installed) or a checkpoint file, ready to classify.

    `name`: the display name (default: the zoo name, or the file's stem).
    """
    resolved_name, path = resolve_checkpoint(name_or_path)
    name = name or resolved_name
    runtime = resolve(device, precision)
    checkpoint = load_checkpoint(path)
    checkpoint.model.naive_attention = naive_attention
    label_set = labels_for(checkpoint.num_classes, labels)
    return Classifier(checkpoint, label_set, runtime, name=name, batch_size=batch_size, reader=reader)
