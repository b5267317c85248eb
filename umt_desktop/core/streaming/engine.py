"""Sliding-window inference over a stream of frames (files, cameras, network streams).

    engine = SlidingWindowEngine(classifier, span=4.0, stride=0.5)
    engine.run(open_source("camera:0"), on_window=print)   # engine.stop() from any thread

The window rule (see docs/streaming.md):
  * windows end at t_k = span + k * stride seconds on the source clock;
  * the window at t uses the buffered frames with t - span <= timestamp < t (a frame
    is shown from its timestamp until the next one, so the window holds exactly the
    frames shown during [t - span, t));
  * of those n frames, 8 are taken at the positions MMAction2's test-time uniform
    sampling gives for a whole video of n frames (`sample_indices(n, 1)`), so a
    window that holds a whole clip is exactly the 1x1 classification of that clip;
  * a window is due once a frame at or after t has arrived (or the source ended);
  * files: every window is computed, and when the last regular window ends before
    the end of the file (or the file is shorter than span) one last window ends at
    the end of the file, so the whole clip is covered;
  * live sources: when the model is slower than the stride, only the newest due
    window is computed and the skipped ones are counted as dropped.

Frames are stored resized (short side 224) and centre-cropped to 224x224 as soon
as they arrive, which is exactly what `Classifier.classify_frames` does to a full
frame, so each window's probabilities are identical to classifying its 8 source
frames directly, while the ring buffer stays small (150 KB a frame).
No Qt here: `umt_desktop.gui.stream_worker` bridges the engine to signals.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..classifier import Classifier
from ..errors import NumericError, SourceError, UMTError
from ..options import (  # noqa: F401  (the defaults are part of this module's interface)
    DEFAULT_SMOOTHING,
    DEFAULT_SPAN,
    DEFAULT_STRIDE,
    DEFAULT_THRESHOLD,
    DEFAULT_TOPK,
    SPAN,
    STRIDE,
    THRESHOLD,
    Smoothing,
    TopK,
    frame_stride,
)
from .sources import Frame, FrameSource
from ..video.transforms import CLIP_LEN, CROP, center_crop_offset, resize_short_side, sample_indices

DEFAULT_MAX_FRAMES = 600  # ring-buffer cap: 600 x 224 x 224 x 3 bytes = 90 MB at most
EPS = 1e-6  # timestamps are floats (i / fps); compare with a tolerance far below a frame


# -- smoothing -----------------------------------------------------------------
class Smoother:
    """Running smoothed probabilities over the windows computed so far."""

    def __init__(self, smoothing: Smoothing) -> None:
        self.smoothing = smoothing
        self.reset()

    def reset(self) -> None:
        self._ema: np.ndarray | None = None
        self._recent: deque[np.ndarray] = deque(maxlen=max(1, int(self.smoothing.value or 1)))

    def update(self, probs: np.ndarray) -> np.ndarray:
        kind = self.smoothing.kind
        if kind == "ema":
            a = self.smoothing.value
            if self._ema is None or self._ema.shape != probs.shape:
                self._ema = probs.astype(np.float32, copy=True)
            else:
                self._ema = (a * probs + (1.0 - a) * self._ema).astype(np.float32)
            return self._ema
        if kind == "mean":
            if self._recent and self._recent[-1].shape != probs.shape:
                self._recent.clear()
            self._recent.append(probs)
            return np.mean(np.stack(self._recent), axis=0).astype(np.float32)
        return probs


# -- results -------------------------------------------------------------------
@dataclass
class WindowResult:
    """One classified window."""

    index: int  # k of t_k = span + k * stride (files: the closing window may sit between two)
    t: float  # end of the window, seconds on the source clock
    start: float  # t - span, clipped at the first frame
    frames: list[int]  # the 8 source frame indices classified
    probs: np.ndarray = field(repr=False)  # raw probabilities (classes,)
    top: list[TopK]
    smoothed_probs: np.ndarray = field(repr=False)
    smoothed: list[TopK]
    confident: bool  # smoothed top-1 >= threshold; False is the "no confident action" state
    latency_ms: float  # capture of the window's newest frame -> result ready
    inference_ms: float  # model time for this window
    source_time: float  # newest frame's timestamp when the window was chosen (lag = source_time - t)

    @property
    def label(self) -> str | None:
        """The smoothed top-1 label, or None when no action is confident."""
        return self.smoothed[0].label if self.confident else None

    def to_json(self) -> dict:
        """The `stream --jsonl` record: exactly t, frames, top, smoothed, latency_ms, inference_ms."""
        return {
            "t": round(self.t, 6),
            "frames": [int(i) for i in self.frames],
            "top": [_topk_json(x) for x in self.top],
            "smoothed": [_topk_json(x) for x in self.smoothed],
            "latency_ms": round(self.latency_ms, 3),
            "inference_ms": round(self.inference_ms, 3),
        }


def _topk_json(x: TopK) -> dict:
    return {"index": int(x.index), "label": x.label, "score": float(x.score)}


@dataclass(frozen=True)
class WindowClip:
    """What the newest window was classified from (`SlidingWindowEngine.last_clip`): its 8 model-input
    frames and the classifier, so that more can be asked about it later (e.g. a saliency map)."""

    index: int
    t: float
    start: float
    frames: list[int]  # source frame indices, as in WindowResult.frames
    images: np.ndarray = field(repr=False)  # (8, 224, 224, 3) RGB uint8, resized and centre-cropped
    classifier: Classifier = field(repr=False)


@dataclass
class EngineMetrics:
    """Running numbers, updated after every window."""

    windows: int = 0  # windows computed
    dropped: int = 0  # windows skipped because the model was busy (live sources only)
    frames: int = 0  # frames received from the source
    buffered: int = 0  # frames held in the ring buffer now
    max_buffered: int = 0  # most frames ever held in the ring buffer
    latency_ms: float = 0.0  # of the last window
    inference_ms: float = 0.0  # of the last window
    windows_per_second: float = 0.0  # over the last few windows
    lag_s: float = 0.0  # how far the last window's end trailed the newest frame
    t: float = 0.0  # end of the last window

    def to_json(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class RunSummary:
    windows: int
    dropped: int
    frames: int
    seconds: float
    stopped: bool  # ended by stop() rather than by the source
    duration: float | None  # seconds of source covered (files: the clip length)


# -- ring buffer -----------------------------------------------------------------
@dataclass(frozen=True)
class BufferedFrame:
    index: int
    timestamp: float
    captured: float
    image: np.ndarray = field(repr=False)  # 224x224 RGB, resized and centre-cropped


def prepare_frame(image: np.ndarray) -> np.ndarray:
    """Short side 224 then centre crop 224, as `classify_frames` does to every frame."""
    resized = resize_short_side(image[None])[0]
    h, w = resized.shape[:2]
    x, y = center_crop_offset(w, h)
    return np.ascontiguousarray(resized[y : y + CROP, x : x + CROP])


class FrameBuffer:
    """Recent frames in timestamp order, bounded in count and (for live sources) in time."""

    def __init__(self, max_frames: int = DEFAULT_MAX_FRAMES, keep_seconds: float | None = None) -> None:
        self._frames: deque[BufferedFrame] = deque(maxlen=max(CLIP_LEN, int(max_frames)))
        self.keep_seconds = keep_seconds
        self.cond = threading.Condition()
        self.latest: float | None = None  # newest timestamp, or the source's end time once finished
        self.first: float | None = None  # timestamp of the first frame received
        self.finished = False
        self.received = 0
        self.max_held = 0

    def push(self, frame: Frame) -> None:
        item = BufferedFrame(frame.index, frame.timestamp, frame.captured, prepare_frame(frame.image))
        with self.cond:
            self._frames.append(item)
            if self.first is None:
                self.first = frame.timestamp
            self.latest = frame.timestamp
            self.received += 1
            if self.keep_seconds is not None:
                self._prune_locked(frame.timestamp - self.keep_seconds)
            self.max_held = max(self.max_held, len(self._frames))
            self.cond.notify_all()

    def finish(self, end: float | None = None) -> None:
        with self.cond:
            self.finished = True
            if end is not None and (self.latest is None or end > self.latest):
                self.latest = end
            self.cond.notify_all()

    def prune(self, before: float) -> None:
        with self.cond:
            self._prune_locked(before)

    def _prune_locked(self, before: float) -> None:
        frames = self._frames
        while frames and frames[0].timestamp < before - EPS:
            frames.popleft()

    def window(self, start: float, end: float) -> list[BufferedFrame]:
        """Frames with start <= timestamp < end (with EPS tolerance on both sides)."""
        with self.cond:
            return [f for f in self._frames if start - EPS <= f.timestamp < end - EPS]

    def __len__(self) -> int:
        with self.cond:
            return len(self._frames)


def window_positions(n: int) -> list[int]:
    """Positions of the 8 frames taken from a window holding n frames (MMAction2 1x1 rule)."""
    return [int(p) for p in sample_indices(n, 1, CLIP_LEN)]


# -- engine ----------------------------------------------------------------------
WindowCallback = Callable[[WindowResult], None]
FrameCallback = Callable[[Frame], None]
MetricsCallback = Callable[[EngineMetrics], None]


class SlidingWindowEngine:
    """Classifies a sliding window of 8 frames every `stride` seconds of a source.

    Thread-safe controls (call from any thread while `run` is going):
    `stop()` (run returns within about a second, after the window in progress),
    `pause()` / `resume()`, and `set_classifier()` (used from the next window on).
    Callbacks are called from the thread that runs `run`, except `on_frame`,
    which a live source calls from its capture thread.
    """

    def __init__(
        self,
        classifier: Classifier,
        *,
        span: float = DEFAULT_SPAN,
        stride: float = DEFAULT_STRIDE,
        smoothing: str | Smoothing = DEFAULT_SMOOTHING,
        threshold: float = DEFAULT_THRESHOLD,
        topk: int = DEFAULT_TOPK,
        max_frames: int = DEFAULT_MAX_FRAMES,
    ) -> None:
        try:
            span, stride, threshold = SPAN.check(span), STRIDE.check(stride), THRESHOLD.check(threshold)
        except ValueError as e:
            raise UMTError(str(e)) from None
        self.span = span
        self.stride = stride
        self.requested_stride = stride  # `stride` may be raised to a source's frame interval for one run
        self.smoothing = Smoothing.parse(smoothing)
        self.threshold = threshold
        self.topk = max(1, int(topk))
        self.max_frames = max(CLIP_LEN, int(max_frames))
        self._classifier = classifier
        self._pending: Classifier | None = None
        self._smoother = Smoother(self.smoothing)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self.metrics = EngineMetrics()
        self._done_times: deque[float] = deque(maxlen=10)
        self._on_notice: Callable[[str], None] | None = None
        #: the newest classified window's frames (a reference kept, nothing computed; None before the first)
        self.last_clip: WindowClip | None = None

    # -- controls --------------------------------------------------------------
    @property
    def classifier(self) -> Classifier:
        with self._lock:
            return self._pending or self._classifier

    def set_classifier(self, classifier: Classifier) -> None:
        """Switch models; takes effect at the next window (smoothing restarts)."""
        with self._lock:
            self._pending = classifier

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def window_time(self, k: int) -> float:
        return round(self.span + k * self.stride, 9)

    def first_window(self, first_timestamp: float) -> int:
        """k of the first window whose span starts at or after the source's first frame
        (0 for a source that starts at 0; later for a file opened at a later second)."""
        return max(0, int(math.ceil(first_timestamp / self.stride - EPS)))

    # -- running -----------------------------------------------------------------
    def run(
        self,
        source: FrameSource,
        on_window: WindowCallback | None = None,
        on_frame: FrameCallback | None = None,
        on_metrics: MetricsCallback | None = None,
        cancel: threading.Event | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> RunSummary:
        """Open `source`, classify its windows until it ends or `stop()`; close it.

        `cancel` is an optional event owned by the caller that stops this run like
        `stop()` does (set it before the run starts and the run does nothing).
        A stride shorter than the source's frame interval is raised to that interval
        for this run (no window would see a new frame); `on_notice` gets a one-line
        message saying so, before the first window.
        Raises SourceError when the source cannot be opened or is lost; the
        windows computed before that were already delivered.
        """
        self._stop = cancel if cancel is not None else threading.Event()
        self.stride = self.requested_stride
        self._on_notice = on_notice
        self._smoother.reset()
        self.metrics = EngineMetrics()
        self._done_times.clear()
        started = time.monotonic()
        callbacks = (on_window, on_frame, on_metrics)
        if source.live:
            duration = self._run_live(source, *callbacks)
        else:
            duration = self._run_file(source, *callbacks)
        m = self.metrics
        return RunSummary(m.windows, m.dropped, m.frames, time.monotonic() - started, self._stop.is_set(), duration)

    def _run_file(self, source, on_window, on_frame, on_metrics) -> float | None:
        """Every window, in order, decoding and classifying in this thread."""
        stop = self._stop
        buffer = FrameBuffer(self.max_frames)
        k = 0
        last_t: float | None = None
        last_ts: float | None = None
        try:
            if stop.is_set():
                return None
            source.open()
            self._fit_stride(source)
            while not stop.is_set():
                while self._paused.is_set() and not stop.is_set():
                    stop.wait(0.05)
                frame = source.read()
                if frame is None:
                    break
                if last_ts is None:
                    k = self.first_window(frame.timestamp)
                buffer.push(frame)
                last_ts = frame.timestamp
                self.metrics.frames = buffer.received
                if on_frame is not None:
                    on_frame(frame)
                while not stop.is_set() and self.window_time(k) <= frame.timestamp + EPS:
                    last_t = self.window_time(k)
                    self._emit(k, last_t, buffer, frame.timestamp, on_window, on_metrics)
                    k += 1
                    # Keep the last window's frames: a closing window may end before t_k.
                    buffer.prune(last_t - self.span)
            if stop.is_set() or last_ts is None:
                return None
            fps = source.fps or 30.0
            duration = round(last_ts + 1.0 / fps, 9)
            while not stop.is_set() and self.window_time(k) <= duration + EPS:
                last_t = self.window_time(k)
                self._emit(k, last_t, buffer, last_ts, on_window, on_metrics)
                k += 1
            if not stop.is_set() and (last_t is None or last_t < duration - EPS):
                # Cover the end of the clip (and give clips shorter than span a window).
                self._emit(k, duration, buffer, last_ts, on_window, on_metrics)
            return duration
        finally:
            source.close()

    def _run_live(self, source, on_window, on_frame, on_metrics) -> float | None:
        """A capture thread fills the ring buffer; this thread classifies the newest due window."""
        stop = self._stop
        # Frames older than span + stride behind the newest are never needed again.
        buffer = FrameBuffer(self.max_frames, keep_seconds=self.span + self.stride)
        failure: list[BaseException] = []
        halt = threading.Event()  # ends the capture thread; the caller's cancel event is left alone

        def capture() -> None:
            end = None
            try:
                source.open()
                self._fit_stride(source)  # before the first frame: the main loop waits for it
                last = None
                while not (stop.is_set() or halt.is_set()):
                    frame = source.read()
                    if frame is None:
                        break
                    last = frame
                    buffer.push(frame)
                    if on_frame is not None:
                        on_frame(frame)
                if last is not None and not (stop.is_set() or halt.is_set()) and source.fps:
                    end = last.timestamp + 1.0 / source.fps
            except SourceError as e:
                failure.append(e)
            except Exception as e:  # a decoder or callback failure must still end the run cleanly
                failure.append(SourceError(f"{source.description} failed: {e}"))
            finally:
                source.close()
                buffer.finish(end)

        thread = threading.Thread(target=capture, name=f"capture {source.description}", daemon=True)
        k_next: int | None = None
        try:
            if stop.is_set():
                return None
            thread.start()
            while not stop.is_set():
                with buffer.cond:
                    if k_next is None and buffer.first is not None:
                        k_next = self.first_window(buffer.first)
                    due = self.window_time(k_next or 0)
                    if not buffer.finished and (k_next is None or buffer.latest < due - EPS):
                        buffer.cond.wait(0.1)
                        continue
                    latest, finished = buffer.latest, buffer.finished
                self.metrics.frames = buffer.received
                if k_next is None or latest is None or latest < due - EPS:
                    if finished:
                        break
                    continue
                newest = max(k_next, int(math.floor((latest - self.span) / self.stride + EPS)))
                if self._paused.is_set():
                    k_next = newest + 1  # windows skipped while paused are not "dropped"
                    continue
                self.metrics.dropped += newest - k_next
                self._emit(newest, self.window_time(newest), buffer, latest, on_window, on_metrics)
                k_next = newest + 1
        finally:
            user_stop = stop.is_set()
            halt.set()
            source.close()  # safe while the capture thread is reading: it releases after the read
            if thread.is_alive() or thread.ident is not None:
                thread.join(timeout=1.0)
        if failure and not user_stop:
            raise failure[0]
        return None

    def _fit_stride(self, source) -> None:
        stride, note = frame_stride(self.requested_stride, source.fps)
        self.stride = stride
        if note and self._on_notice is not None:
            self._on_notice(note)

    def _emit(self, k, t, buffer, source_time, on_window, on_metrics) -> WindowResult | None:
        result = self._classify(k, t, buffer, source_time)
        if result is None:
            return None
        m = self.metrics
        m.windows += 1
        m.frames = buffer.received
        m.buffered = len(buffer)
        m.max_buffered = max(m.max_buffered, buffer.max_held)
        m.latency_ms, m.inference_ms = result.latency_ms, result.inference_ms
        m.lag_s = max(0.0, source_time - t)
        m.t = t
        now = time.monotonic()
        self._done_times.append(now)
        if len(self._done_times) >= 2:
            span = self._done_times[-1] - self._done_times[0]
            m.windows_per_second = (len(self._done_times) - 1) / span if span > 0 else 0.0
        elif result.inference_ms > 0:
            m.windows_per_second = 1000.0 / result.inference_ms
        if on_window is not None:
            on_window(result)
        if on_metrics is not None:
            on_metrics(EngineMetrics(**m.__dict__))
        return result

    def _classify(self, k: int, t: float, buffer: FrameBuffer, source_time: float) -> WindowResult | None:
        entries = buffer.window(t - self.span, t)
        if not entries:
            return None  # a gap in a live stream: nothing to classify
        with self._lock:
            if self._pending is not None:
                self._classifier, self._pending = self._pending, None
                self._smoother.reset()
            clf = self._classifier
        chosen = [entries[p] for p in window_positions(len(entries))]
        frames = np.stack([e.image for e in chosen])
        t0 = time.perf_counter()
        try:
            probs = clf.classify_frames(frames)
        except NumericError:
            raise NumericError.scores(f"the window ending at {t:.2f} s") from None
        inference = time.perf_counter() - t0
        start = max(0.0, round(t - self.span, 9))
        self.last_clip = WindowClip(k, t, start, [e.index for e in chosen], frames, clf)
        smoothed = self._smoother.update(probs)
        smoothed_top = clf.top(smoothed, self.topk)
        return WindowResult(
            index=k,
            t=t,
            start=start,
            frames=list(self.last_clip.frames),
            probs=probs,
            top=clf.top(probs, self.topk),
            smoothed_probs=smoothed,
            smoothed=smoothed_top,
            confident=bool(smoothed_top[0].score >= self.threshold),
            latency_ms=(time.monotonic() - entries[-1].captured) * 1000.0,
            inference_ms=inference * 1000.0,
            source_time=source_time,
        )
