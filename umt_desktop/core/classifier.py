"""Whole-video classification: the public inference API.

    clf = load_classifier("tiny_umt.pth", device="cpu")
    result = clf.classify("video.mp4", views="4x3", topk=5)
    result.probs, result.top  # (classes,) numpy, [(index, label, score), ...]
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .model.checkpoint import Checkpoint, load_checkpoint
from .device import Runtime, compile_unavailable, exact_float32, resolve
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


class PendingProbs:
    """Probabilities of views queued with `Classifier.predict_async`; `result()` waits for them.

    On the CPU the work is already done; on CUDA `ready()` says whether the device has
    finished, and `result()` waits for it, then checks the scores as `predict_views` does.
    """

    def __init__(self, classifier: Classifier, views, probs, event=None) -> None:
        self._clf, self._views, self._probs, self._event = classifier, views, probs, event
        self._result: np.ndarray | None = None

    def ready(self) -> bool:
        return self._result is not None or self._event is None or self._event.query()

    def result(self) -> np.ndarray:
        """(V, classes) float32 probabilities (half-precision overflow recomputed in float32)."""
        if self._result is None:
            if self._event is not None:
                self._event.synchronize()
            probs = self._probs.numpy() if isinstance(self._probs, torch.Tensor) else self._probs
            self._result = self._clf._checked(np.array(probs, dtype=np.float32), self._views)
            self._views = self._probs = self._event = None
        return self._result


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
        compile: bool = True,
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
        if runtime.dtype is not None:
            self.model.cast_to_half(runtime.dtype)  # once, instead of autocast on every pass
        self.overflow_views = 0  # views whose half-precision logits were not finite (recomputed in float32)
        self._float32_model = None
        # torch.compile (CUDA only; the CPU path stays as it is): batches run compiled at a few fixed
        # sizes (a smaller batch is padded), a single view (the live window) through CUDA graphs.
        self.compile_note: str | None = None  # one line: why the model runs uncompiled on a GPU
        self.warmup_seconds = 0.0  # spent compiling in warm_up() (and first uses)
        self._compiled = self._compiled_live = None
        reason = compile_unavailable(self.device)
        if compile and reason is None:
            self._compiled = torch.compile(self.model, dynamic=False)
            self._compiled_live = torch.compile(self.model, mode="reduce-overhead", dynamic=False)
        elif self.device.type == "cuda":
            self.compile_note = reason if compile else "compilation turned off"
        self._warm: set[int] = set()
        self._copy_stream = None  # CUDA side stream for host-to-device copies of pinned views
        self._pinned: list = [None, None]  # two reusable pinned input buffers, each with its last copy's event
        self._pinned_turn = 0
        self._pinned_lock = threading.Lock()  # the live loop and the saliency thread share the buffers

    @property
    def device(self) -> torch.device:
        return self.runtime.device

    @property
    def num_classes(self) -> int:
        return self.model.config.num_classes

    # -- views -> probabilities ---------------------------------------------
    def to_input(self, views: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(V, 8, 224, 224, 3) uint8 views -> normalised float input on the model's device.

        On CUDA, views not already in pinned memory go through one of two reusable pinned
        buffers (no fresh `pin_memory()` per batch) and are copied without blocking.
        """
        x = torch.as_tensor(views)
        if self.device.type == "cuda":
            x = x.to(self.device, non_blocking=True) if x.is_pinned() else self._via_pinned(x)
        return normalise(x, self.preprocessing.mean, self.preprocessing.std)

    def _via_pinned(self, x: torch.Tensor) -> torch.Tensor:
        """Host views -> device through two reusable pinned buffers used in turn."""
        with self._pinned_lock:
            i = self._pinned_turn
            self._pinned_turn ^= 1
            buf, copied = self._pinned[i] or (None, None)
            if copied is not None:
                copied.synchronize()  # the copy that last read this buffer is done (the model may still run)
            if buf is None or buf.numel() < x.numel() or buf.dtype != x.dtype:
                with torch.inference_mode(False):  # a normal tensor: refilled in and out of inference mode
                    buf = torch.empty(x.numel(), dtype=x.dtype, pin_memory=True)
            staged = buf[: x.numel()].view(x.shape)
            staged.copy_(x)
            dev = staged.to(self.device, non_blocking=True)
            copied = torch.cuda.Event()
            copied.record()
            self._pinned[i] = (buf, copied)
            return dev

    @property
    def compiled(self) -> bool:
        return self._compiled is not None

    def predict_views(self, views: np.ndarray | torch.Tensor) -> np.ndarray:
        """Softmax probabilities of each view, (V, classes) float32, in batches that fit.

        The batches are queued on the device and read back once at the end. In half
        precision, views whose scores are not finite (a float16 overflow) are computed again
        from the stored float32 weights (`overflow_views` counts them) and `on_notice` is told
        so. Rows that stay non-finite are returned as they are: `check_finite` turns them into
        an error for their video, so they are never shown as a prediction.
        """
        return self.predict_async(views).result()

    def predict_async(self, views: np.ndarray | torch.Tensor) -> PendingProbs:
        """Queue the views for inference; `.result()` of the answer reads the probabilities back.

        On CUDA nothing waits here: views in pinned memory (e.g. `pipeline.Staging`) are
        copied on a side stream, so the copy overlaps the model's work on what was queued
        before; the model runs on the current stream and the probabilities come back by a
        non-blocking copy. The views must stay untouched until `result()`. On the CPU the
        work is done at once.
        """
        with torch.inference_mode():
            if self.device.type != "cuda":
                out = [self._forward(self.to_input(views[start : start + self.batch_size]))
                       for start in range(0, len(views), self.batch_size)]
                return PendingProbs(self, views, torch.cat(out).numpy())
            x = torch.as_tensor(views)
            exact = self.runtime.dtype is None  # float32: no TF32 anywhere
            side = x.is_pinned()
            if side and self._copy_stream is None:
                self._copy_stream = torch.cuda.Stream(self.device)
            compute = torch.cuda.current_stream(self.device)
            out = []
            for start in range(0, len(x), self.batch_size):
                chunk = x[start : start + self.batch_size]
                if side:
                    with torch.cuda.stream(self._copy_stream):
                        dev = chunk.to(self.device, non_blocking=True)
                    compute.wait_stream(self._copy_stream)
                    dev.record_stream(compute)  # allocated on the side stream, used on this one
                else:
                    dev = self._via_pinned(chunk)
                with exact_float32(self.device) if exact else contextlib.nullcontext():
                    out.append(self._forward(normalise(dev, self.preprocessing.mean, self.preprocessing.std)))
            probs = torch.cat(out) if len(out) > 1 else out[0]
            host = torch.empty(probs.shape, dtype=probs.dtype, pin_memory=True)
            host.copy_(probs, non_blocking=True)
            done = torch.cuda.Event()
            done.record(compute)
        return PendingProbs(self, views, host, done)

    def _checked(self, probs: np.ndarray, views) -> np.ndarray:
        """`probs` with half-precision overflow rows computed again in float32 (see `predict_views`)."""
        if self.runtime.dtype is not None:
            bad = np.flatnonzero(~np.isfinite(probs).all(axis=1))
            if len(bad):
                with torch.inference_mode():
                    probs[bad] = self._recompute_float32(views, bad)
                if np.isfinite(probs[bad]).all():
                    self._notice(f"{self.runtime.precision} overflowed (NaN or infinite scores); "
                                 "computed again in float32")
        return probs

    def _notice(self, text: str) -> None:
        if self.on_notice is not None:
            self.on_notice(text)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return self._logits(x).float().softmax(dim=-1)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            raise DeviceError(
                f"the GPU ran out of memory on a batch of {len(x)} views; "
                "lower the batch size or run on the CPU"
            ) from None

    def compiled_sizes(self) -> list[int]:
        """The batch sizes the compiled model runs at: 1 (live window), 12 (one 4x3 video), the batch size."""
        return sorted({1, min(12, self.batch_size), self.batch_size})

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        if self._compiled is None:
            return self.model(x)
        n = len(x)
        size = next(s for s in self.compiled_sizes() if s >= n)
        if size > n:  # one compiled shape per size: pad instead of recompiling
            x = torch.cat([x, x.new_zeros((size - n, *x.shape[1:]))])
        fn = self._compiled_live if size == 1 else self._compiled
        try:
            if size == 1 and hasattr(torch, "compiler") and hasattr(torch.compiler, "cudagraph_mark_step_begin"):
                torch.compiler.cudagraph_mark_step_begin()
            t0 = time.perf_counter() if size not in self._warm else None
            logits = fn(x)
            if t0 is not None:
                torch.cuda.synchronize(self.device)
                self.warmup_seconds += time.perf_counter() - t0
                self._warm.add(size)
            # CUDA graphs reuse their output buffers: copy before the next replay.
            return (logits.clone() if size == 1 else logits)[:n]
        except torch.cuda.OutOfMemoryError:
            raise
        except Exception as e:  # a compiler failure must not stop the work: run it as written
            self._compiled = self._compiled_live = None
            self.compile_note = f"torch.compile failed ({type(e).__name__}); running the model uncompiled"
            return self.model(x[:n])

    def warm_up(self, sizes: list[int] | None = None) -> float:
        """Compile now for `sizes` (default: every compiled size; 1 records the live window's CUDA
        graph); the seconds it took. Timed work calls this first, so that compilation is counted apart.
        """
        if self._compiled is None:
            return 0.0
        t0 = time.perf_counter()
        with torch.inference_mode():
            for size in sorted(set(sizes or self.compiled_sizes())):
                if size not in self._warm and size in self.compiled_sizes():
                    # the layout real input has (normalised uint8 views, channels last in memory):
                    # compiled code is specialised on strides, another layout would compile again
                    views = torch.zeros((size, 8, 224, 224, 3), dtype=torch.uint8, device=self.device)
                    self._forward(normalise(views, self.preprocessing.mean, self.preprocessing.std))
        torch.cuda.synchronize(self.device)
        return time.perf_counter() - t0

    def _recompute_float32(self, views: np.ndarray | torch.Tensor, rows: np.ndarray) -> np.ndarray:
        """The float32 probabilities of `views[rows]` (half-precision overflow), from the stored weights."""
        if self._float32_model is None:
            if self.checkpoint.path is not None:
                model = load_checkpoint(self.checkpoint.path).model
            else:
                import copy

                model = copy.deepcopy(self.model).float()
            model.naive_attention = self.model.naive_attention
            self._float32_model = model.to(self.device)
        self.overflow_views += len(rows)
        picked = views[torch.as_tensor(rows)] if isinstance(views, torch.Tensor) else views[rows]
        out = []
        for start in range(0, len(rows), self.batch_size):
            x = self.to_input(picked[start : start + self.batch_size])
            with exact_float32(self.device):
                out.append(self._float32_model(x).float().softmax(dim=-1))
        return torch.cat(out).cpu().numpy()

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
    compile: bool = True,
) -> Classifier:
    """Load a zoo model by name (installed) or a checkpoint file, ready to classify.

    `name`: the display name (default: the zoo name, or the file's stem). On CUDA the model
    runs through `torch.compile` unless `compile=False` (or Triton is missing:
    `Classifier.compile_note` says so); `Classifier.warm_up()` compiles ahead.
    """
    resolved_name, path = resolve_checkpoint(name_or_path)
    name = name or resolved_name
    runtime = resolve(device, precision)
    checkpoint = load_checkpoint(path)
    checkpoint.model.naive_attention = naive_attention
    label_set = labels_for(checkpoint.num_classes, labels)
    return Classifier(checkpoint, label_set, runtime, name=name, batch_size=batch_size, reader=reader,
                      compile=compile)
