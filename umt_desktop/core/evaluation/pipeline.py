"""The label-free pipeline: decode worker processes feeding batches of views from several videos.

    jobs = [(0, "a.mp4"), (1, "b.mp4")]                     # (index, path), any stable indices
    for r in classify_stream(clf, jobs, "4x3", workers=4):  # one result per video, in job order
        r.index, r.probs, r.error, r.seconds                # probs: (classes,) mean over the views

Worker processes decode and preprocess videos (`Protocol.indices` / `views_from_frames`,
the same code as `Classifier.classify`) into shared memory; the main process copies the
views of several videos once into a reusable host buffer (`Staging`, pinned on CUDA) to
form one batch (`ViewBatcher`) and queues it on the model (`Classifier.predict_async`),
then splits and averages the probabilities per video. On a GPU a batch is read back only
after the next one is queued, so copies, gathering and the model overlap. A video that
cannot be decoded comes out with its error and never stops the others.

Evaluation (`run.EvalRun`, several checkpoints, labels, history), batch classification
(`batch`) and the throughput figures of the bench all run through this module, so they
decode, batch and compute the same way and at the same speed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import NumericError
from ..video.decoding import Decoded, decode_one, decode_stream, decode_views
from ..video.protocols import get_protocol
from ..video.readers import DEFAULT_READER


# Decoding (`Decoded`, `decode_one`, `decode_views`, `decode_stream`) lives in `core.video.decoding`:
# its worker processes import no torch. The names are importable from here too.


# -- cancellation --------------------------------------------------------------
class Cancellation:
    """A run's stop flag: set by `cancel()` from any thread, or by an outside `cancelled()`
    callback (e.g. a GUI job's flag), which is asked each time and latched once it says so."""

    def __init__(self, cancelled: Callable[[], bool] | None = None) -> None:
        self._outside = cancelled
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def __call__(self) -> bool:
        """True once the run should stop (the `should_stop` of the pipeline)."""
        if self._event.is_set():
            return True
        if self._outside is not None and self._outside():
            self._event.set()
            return True
        return False


# -- staging -------------------------------------------------------------------
VIEW_SHAPE = (8, 224, 224, 3)


class Staging:
    """Reusable host buffers for batches of views, used in turn: pinned for a CUDA device.

    Decoded views are copied once, from the decode worker's shared-memory slot into the
    buffer of the batch being gathered; the batch goes to the device from there. Two
    buffers: one is filled while the batch of the other runs, and a buffer is filled again
    only after its batch has been read back (`classify_stream` and `EvalRun` keep that order).
    """

    def __init__(self, device, count: int = 2) -> None:
        self.pinned = str(device).startswith("cuda")
        self._buffers: list = [None] * max(1, int(count))
        self._turn = 0

    def take(self, views: int):
        """The next buffer: a uint8 torch tensor of at least `views` views."""
        i = self._turn
        self._turn = (i + 1) % len(self._buffers)
        if self._buffers[i] is None or len(self._buffers[i]) < views:
            self._buffers[i] = self._new(views)
        return self._buffers[i]

    def grow(self, buf, views: int, keep: int):
        """A larger buffer in place of `buf`, its first `keep` views copied over."""
        i = next(k for k, b in enumerate(self._buffers) if b is buf)
        bigger = self._new(views)
        bigger[:keep].copy_(buf[:keep])
        self._buffers[i] = bigger
        return bigger

    def _new(self, views: int):
        import torch

        return torch.empty((views, *VIEW_SHAPE), dtype=torch.uint8, pin_memory=self.pinned)


def overlapped(device) -> bool:
    """Whether a batch is read back only after the next is queued (a device that works asynchronously)."""
    return str(device).startswith("cuda")


# -- batching ------------------------------------------------------------------
@dataclass
class ViewBatch:
    """What one forward pass gets: the decoded videos (views of all of them) and those that failed.

    With staging, `staged` holds the decoded videos' views back to back (a host tensor)
    and each `Decoded.views` is its slice of it.
    """

    decoded: list[Decoded] = field(default_factory=list)
    failed: list[Decoded] = field(default_factory=list)
    staged: object = None

    @property
    def views(self) -> int:
        return sum(len(d.views) for d in self.decoded)


class ViewBatcher:
    """Gathers decoded videos until a batch holds at least `batch_size` views.

    `next_batch()` returns at once when the stream ends (`exhausted` is then True) or
    when `should_stop()` says so, with what was gathered until then.

    With `staging`, each video's views are copied into the batch's staging buffer and its
    decode slot is released at once (a stream opened with `hold=1` suffices); a batch's
    views stay valid until the batch after next is gathered.
    """

    def __init__(self, stream: Iterator[Decoded], batch_size: int,
                 should_stop: Callable[[], bool] | None = None, staging: Staging | None = None,
                 views_per_video: int = 12) -> None:
        self.stream = stream
        self.batch_size = max(1, int(batch_size))
        self.should_stop = should_stop
        self.staging = staging
        self.capacity = self.batch_size + max(1, views_per_video) - 1  # a batch ends at >= batch_size views
        self.exhausted = False

    def next_batch(self) -> ViewBatch:
        batch = ViewBatch()
        views = 0
        buf = self.staging.take(self.capacity) if self.staging is not None else None
        while views < self.batch_size and not self.exhausted:
            d = next(self.stream, None)
            if d is None:
                self.exhausted = True
                break
            if d.error is not None:
                batch.failed.append(d)
            else:
                n = len(d.views)
                if buf is not None:
                    if views + n > len(buf):
                        buf = self.staging.grow(buf, views + n, views)
                    buf[views : views + n].numpy()[...] = d.views
                    d.release()
                    d.views = buf[views : views + n].numpy()
                batch.decoded.append(d)
                views += n
            if self.should_stop is not None and self.should_stop():
                break
        if buf is not None:
            batch.staged = buf[:views]
            start = 0  # slices taken before the buffer grew point into the old one
            for d in batch.decoded:
                d.views = buf[start : start + len(d.views)].numpy()
                start += len(d.views)
        return batch


def queue_views(clf, decoded: list[Decoded], staged=None):
    """Queue one forward pass over the videos' views (`Classifier.predict_async`); None when there are none.

    `staged`: the batch's views back to back (`ViewBatch.staged`) when `decoded` is that whole batch.
    """
    if not decoded:
        return None
    if staged is not None and len(staged) == sum(len(d.views) for d in decoded):
        views = staged
    else:
        views = np.concatenate([d.views for d in decoded]) if len(decoded) > 1 else decoded[0].views
    return clf.predict_async(views)


def split_views(probs: np.ndarray, decoded: list[Decoded]) -> list[np.ndarray]:
    """Per-view probabilities of the videos back to back -> each video's (views, classes) block."""
    out, start = [], 0
    for d in decoded:
        out.append(probs[start : start + len(d.views)])
        start += len(d.views)
    return out


def default_batch_size(device) -> int:
    """Views per forward pass: 12 (one 4x3 video) on the CPU, 48 on a GPU."""
    return 48 if str(device).startswith("cuda") else 12


# -- one classifier, whole videos ----------------------------------------------
@dataclass
class VideoResult:
    index: int
    probs: np.ndarray | None  # (classes,) float32
    error: str | None
    seconds: float  # decoding plus this video's share of its batch's model time
    views: int = 0
    num_frames: int = 0  # of the whole video
    fps: float = 0.0


def classify_stream(clf, jobs: list[tuple[int, str]], protocol: str = "4x3", *, reader: str = DEFAULT_READER,
                    workers: int = 2, batch_size: int | None = None,
                    should_stop: Callable[[], bool] | None = None,
                    overlap: bool | None = None) -> Iterator[VideoResult]:
    """Every job's result, in job order, as soon as its batch is done.

    Decoded views land once in a reusable staging buffer (pinned on CUDA). On a GPU each
    batch is queued (`Classifier.predict_async`) before the previous one is read back, so
    the next batch's copy and the gathering of the one after overlap the model's work; on
    the CPU a batch is computed as soon as it is gathered. When `should_stop()` turns True
    the batch being gathered is still computed (nothing decoded is thrown away) and the
    stream ends; the decode workers stop at once. `overlap=False` reads each batch back
    before the next is gathered, on any device (MMAction2's test loop does so).
    """
    position = {index: i for i, (index, _) in enumerate(jobs)}
    paths = dict(jobs)
    batcher = ViewBatcher(decode_stream(jobs, protocol, reader, workers, hold=1),
                          batch_size or default_batch_size(clf.device), should_stop,
                          staging=Staging(clf.device), views_per_video=get_protocol(protocol).views)
    defer = overlapped(clf.device) if overlap is None else overlap

    def finish(batch: ViewBatch, pending, t0: float) -> list[VideoResult]:
        per_view = split_views(pending.result(), batch.decoded) if pending is not None else []
        share = (time.perf_counter() - t0) / len(batch.decoded) if batch.decoded else 0.0
        results = [VideoResult(d.index, None, d.error, d.seconds) for d in batch.failed]
        for d, v in zip(batch.decoded, per_view):
            p = v.mean(axis=0)
            if np.isfinite(p).all():
                results.append(VideoResult(d.index, p, None, d.seconds + share, len(d.views), d.num_frames, d.fps))
            else:  # NaN or infinite scores are never a prediction: a failed video
                error = str(NumericError.scores(Path(paths[d.index]).name))
                results.append(VideoResult(d.index, None, error, d.seconds + share))
        results.sort(key=lambda r: position[r.index])
        return results

    queued = None  # (batch, pending probabilities, when it was queued): read back after the next is queued
    try:
        while not batcher.exhausted:
            batch = batcher.next_batch()
            t0 = time.perf_counter()
            for d in batch.decoded:
                if d.note and getattr(clf, "on_notice", None) is not None:
                    clf.on_notice(d.note)  # announced, e.g. OpenCV decoding for decord
            pending = queue_views(clf, batch.decoded, batch.staged)
            if queued is not None:
                yield from finish(*queued)
                queued = None
            if defer:
                queued = (batch, pending, t0)
            else:
                yield from finish(batch, pending, t0)
            if should_stop is not None and should_stop():
                break
        if queued is not None:
            yield from finish(*queued)
    finally:
        batcher.stream.close()
