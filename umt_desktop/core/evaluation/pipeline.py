"""The label-free pipeline: decode worker processes feeding batches of views from several videos.

    jobs = [(0, "a.mp4"), (1, "b.mp4")]                     # (index, path), any stable indices
    for r in classify_stream(clf, jobs, "4x3", workers=4):  # one result per video, in job order
        r.index, r.probs, r.error, r.seconds                # probs: (classes,) mean over the views

Worker processes decode and preprocess videos (`Protocol.indices` / `views_from_frames`,
the same code as `Classifier.classify`); the main process gathers the views of several
videos into one batch (`ViewBatcher`) and runs it through the model
(`Classifier.predict_views`), then splits and averages the probabilities per video
(`video_probabilities`). A video that cannot be decoded comes out with its error and
never stops the others.

Evaluation (`run.EvalRun`, several checkpoints, labels, history), batch classification
(`batch`) and the throughput figures of the bench all run through this module, so they
decode, batch and compute the same way and at the same speed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import NumericError
from ..video.decoding import Decoded, decode_one, decode_stream, decode_views
from ..video.readers import DEFAULT_READER


# Decoding (`Decoded`, `decode_one`, `decode_views`, `decode_stream`) lives in `core.video.decoding`:
# its worker processes import no torch. The names are importable from here too.


# -- batching ------------------------------------------------------------------
@dataclass
class ViewBatch:
    """What one forward pass gets: the decoded videos (views of all of them) and those that failed."""

    decoded: list[Decoded] = field(default_factory=list)
    failed: list[Decoded] = field(default_factory=list)

    @property
    def views(self) -> int:
        return sum(len(d.views) for d in self.decoded)


class ViewBatcher:
    """Gathers decoded videos until a batch holds at least `batch_size` views.

    `next_batch()` returns at once when the stream ends (`exhausted` is then True) or
    when `should_stop()` says so, with what was gathered until then.
    """

    def __init__(self, stream: Iterator[Decoded], batch_size: int,
                 should_stop: Callable[[], bool] | None = None) -> None:
        self.stream = stream
        self.batch_size = max(1, int(batch_size))
        self.should_stop = should_stop
        self.exhausted = False

    def next_batch(self) -> ViewBatch:
        batch = ViewBatch()
        views = 0
        while views < self.batch_size and not self.exhausted:
            d = next(self.stream, None)
            if d is None:
                self.exhausted = True
                break
            if d.error is not None:
                batch.failed.append(d)
            else:
                batch.decoded.append(d)
                views += len(d.views)
            if self.should_stop is not None and self.should_stop():
                break
        return batch


def video_probabilities(clf, decoded: list[Decoded]) -> list[np.ndarray]:
    """Each video's probabilities, (classes,) float32: the mean over its views, one forward pass for all."""
    if not decoded:
        return []
    views = np.concatenate([d.views for d in decoded]) if len(decoded) > 1 else decoded[0].views
    probs = clf.predict_views(views)
    out, start = [], 0
    for d in decoded:
        out.append(probs[start : start + len(d.views)].mean(axis=0))
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
                    should_stop: Callable[[], bool] | None = None) -> Iterator[VideoResult]:
    """Every job's result, in job order, as soon as its batch is done.

    When `should_stop()` turns True the batch being gathered is still computed (nothing
    decoded is thrown away) and the stream ends; the decode workers stop at once.
    """
    position = {index: i for i, (index, _) in enumerate(jobs)}
    paths = dict(jobs)
    batcher = ViewBatcher(decode_stream(jobs, protocol, reader, workers),
                          batch_size or default_batch_size(clf.device), should_stop)
    try:
        while not batcher.exhausted:
            batch = batcher.next_batch()
            t0 = time.perf_counter()
            for d in batch.decoded:
                if d.note and getattr(clf, "on_notice", None) is not None:
                    clf.on_notice(d.note)  # announced, e.g. OpenCV decoding for decord
            probs = video_probabilities(clf, batch.decoded)
            share = (time.perf_counter() - t0) / len(batch.decoded) if batch.decoded else 0.0
            results = [VideoResult(d.index, None, d.error, d.seconds) for d in batch.failed]
            for d, p in zip(batch.decoded, probs):
                if np.isfinite(p).all():
                    results.append(VideoResult(d.index, p, None, d.seconds + share, len(d.views), d.num_frames, d.fps))
                else:  # NaN or infinite scores are never a prediction: a failed video
                    error = str(NumericError.scores(Path(paths[d.index]).name))
                    results.append(VideoResult(d.index, None, error, d.seconds + share))
            results.sort(key=lambda r: position[r.index])
            yield from results
            if should_stop is not None and should_stop():
                return
    finally:
        batcher.stream.close()

