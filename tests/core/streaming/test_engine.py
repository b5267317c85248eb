"""Sliding-window engine on real video files with the tiny fixture checkpoint."""

from __future__ import annotations

import math
import threading
import time
from fractions import Fraction

import numpy as np
import pytest
from tests.helpers.videos import write_video

from umt_desktop.core.streaming.engine import (
    FrameBuffer,
    SlidingWindowEngine,
    Smoother,
    Smoothing,
    prepare_frame,
    window_positions,
)
from umt_desktop.core.errors import SourceError, UMTError
from umt_desktop.core.streaming.sources import FileSource, Frame, open_source
from umt_desktop.core.video.transforms import sample_indices
from umt_desktop.core.video.readers import open_video


def expected_windows(num_frames: int, fps: Fraction, span: Fraction, stride: Fraction) -> list[tuple[Fraction, list[int]]]:
    """The documented rule, computed exactly: windows end at span + k*stride (and at the
    end of the clip when the last one falls short); a window holds the frames with
    t - span <= i / fps < t; 8 of them are taken at sample_indices(n, 1)."""
    duration = Fraction(num_frames) / fps
    times = []
    k = 0
    while span + k * stride <= duration:
        times.append(span + k * stride)
        k += 1
    if not times or times[-1] < duration:
        times.append(duration)
    out = []
    for t in times:
        members = [i for i in range(num_frames) if t - span <= Fraction(i) / fps < t]
        out.append((t, [members[p] for p in sample_indices(len(members), 1)]))
    return out


class SlowClassifier:
    """A real classifier that takes `delay` seconds longer per window (a model slower than the stride)."""

    def __init__(self, classifier, delay: float) -> None:
        self.inner, self.delay = classifier, delay

    def classify_frames(self, frames):
        time.sleep(self.delay)
        return self.inner.classify_frames(frames)

    def top(self, probs, k=5):
        return self.inner.top(probs, k)


@pytest.mark.parametrize(
    "frames, fps, span, stride",
    [
        (48, 24, "1", "0.5"),  # 2 s clip, windows at 1, 1.5, 2
        (30, 12, "0.75", "0.5"),  # 2.5 s clip: last regular window 2.25, closing window at 2.5
        (40, 25, "0.5", "0.3"),  # stride not a multiple of the frame period
        (20, 10, "5", "1"),  # clip shorter than span: one window over the whole clip
        (36, 30, "0.2", "0.4"),  # stride longer than span: gaps between windows
    ],
)
def test_window_frames_follow_the_rule(tmp_path, tiny_classifier, frames, fps, span, stride):
    path = write_video(tmp_path / "clip.mp4", frames=frames, fps=fps)
    engine = SlidingWindowEngine(tiny_classifier, span=float(span), stride=float(stride), smoothing="off")
    results = []
    summary = engine.run(open_source(path), on_window=results.append)
    expected = expected_windows(frames, Fraction(fps), Fraction(span), Fraction(stride))
    assert [r.frames for r in results] == [f for _, f in expected]
    assert [r.t for r in results] == pytest.approx([float(t) for t, _ in expected])
    assert summary.windows == len(expected) and summary.dropped == 0 and summary.frames == frames
    assert summary.duration == pytest.approx(frames / fps)
    assert all(len(r.frames) == 8 for r in results)


def test_window_positions_spread_uniformly():
    assert window_positions(48) == [2, 8, 14, 20, 26, 31, 37, 43]
    # MMAction2's rule (round half to even), kept so a whole-clip window is the 1x1 result
    assert window_positions(8) == [0, 1, 2, 3, 4, 4, 5, 6]
    assert window_positions(1) == [0] * 8
    for n in (2, 5, 9, 17, 75, 300):
        pos = window_positions(n)
        assert len(pos) == 8 and pos == sorted(pos) and 0 <= pos[0] and pos[-1] < n
        assert pos[-1] - pos[0] >= (n - 1) * 0.75  # spread over the whole window


def test_each_window_equals_classifying_its_frames(tmp_path, tiny_classifier):
    path = write_video(tmp_path / "clip.mp4", frames=48, size=(160, 120), fps=24.0, codec="h264")
    engine = SlidingWindowEngine(tiny_classifier, span=1.0, stride=0.5, smoothing="ema:0.5", topk=3)
    results = []
    engine.run(open_source(path), on_window=results.append)
    assert len(results) == 3
    with open_video(path) as video:
        for r in results:
            direct = tiny_classifier.classify_frames(video.get_frames(r.frames))
            np.testing.assert_array_equal(r.probs, direct)
            assert [t.index for t in r.top] == [t.index for t in tiny_classifier.top(direct, 3)]
    # EMA over the raw windows, newest weighted 0.5
    ema = results[0].probs
    for r in results[1:]:
        ema = 0.5 * r.probs + 0.5 * ema
        np.testing.assert_allclose(r.smoothed_probs, ema, rtol=1e-6)


def test_a_clip_shorter_than_span_is_its_1x1_classification(tmp_path, tiny_classifier):
    path = write_video(tmp_path / "short.mp4", frames=20, fps=10.0)
    results = []
    SlidingWindowEngine(tiny_classifier, span=4.0, stride=0.5).run(open_source(path), on_window=results.append)
    assert len(results) == 1
    whole = tiny_classifier.classify(path, views="1x1")
    np.testing.assert_array_equal(results[0].probs, whole.probs)
    assert results[0].t == pytest.approx(2.0) and results[0].start == 0.0


def test_prepared_frames_classify_like_full_frames(tiny_classifier):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, size=(8, 120, 170, 3), dtype=np.uint8)
    prepared = np.stack([prepare_frame(f) for f in frames])
    assert prepared.shape == (8, 224, 224, 3)
    np.testing.assert_array_equal(tiny_classifier.classify_frames(prepared), tiny_classifier.classify_frames(frames))


def test_threshold_gives_no_confident_action(tmp_path, tiny_classifier):
    path = write_video(tmp_path / "clip.mp4", frames=24, fps=24.0)
    low, high = [], []
    SlidingWindowEngine(tiny_classifier, span=0.5, stride=0.5, threshold=0.0).run(open_source(path), on_window=low.append)
    SlidingWindowEngine(tiny_classifier, span=0.5, stride=0.5, threshold=1.0).run(open_source(path), on_window=high.append)
    assert low and all(r.confident and r.label == r.smoothed[0].label for r in low)
    assert high and all(not r.confident and r.label is None for r in high)


def test_smoothing_modes():
    a, b, c = (np.array(v, dtype=np.float32) for v in ([1, 0], [0, 1], [0.5, 0.5]))
    ema = Smoother(Smoothing.parse("ema:0.25"))
    ema.update(a)
    np.testing.assert_allclose(ema.update(b), [0.75, 0.25])
    mean = Smoother(Smoothing.parse("mean:2"))
    mean.update(a), mean.update(b)
    np.testing.assert_allclose(mean.update(c), [0.25, 0.75])
    off = Smoother(Smoothing.parse("off"))
    off.update(a)
    np.testing.assert_array_equal(off.update(b), b)
    assert str(Smoothing.parse("EMA")) == "ema:0.5" and str(Smoothing.parse("mean")) == "mean:3"
    for bad in ("ema:0", "ema:1.5", "mean:0", "median", "ema:x", "off:3"):
        with pytest.raises(UMTError):
            Smoothing.parse(bad)


@pytest.mark.parametrize("kwargs", [{"span": 0}, {"stride": -1}, {"threshold": 2}, {"span": math.nan}])
def test_bad_settings_are_user_errors(tiny_classifier, kwargs):
    with pytest.raises(UMTError):
        SlidingWindowEngine(tiny_classifier, **kwargs)


def test_ring_buffer_stays_bounded_over_a_long_stream():
    # Twenty minutes at 30 fps (small frames, to stay fast) through a live buffer:
    # only span + stride seconds are kept.
    buffer = FrameBuffer(max_frames=600, keep_seconds=2.5)
    image = np.zeros((12, 16, 3), np.uint8)
    for i in range(30 * 1200):
        buffer.push(Frame(i, i / 30, image, 0.0))
    assert len(buffer) <= 2.5 * 30 + 1
    assert buffer.max_held <= 2.5 * 30 + 1
    capped = FrameBuffer(max_frames=50)
    for i in range(500):
        capped.push(Frame(i, i / 30, image, 0.0))
    assert len(capped) == 50


def test_slow_model_on_a_live_source_drops_windows_and_keeps_up(tmp_path, tiny_classifier):
    fps, frames = 24.0, 72  # 3 s played in real time
    path = write_video(tmp_path / "live.mp4", frames=frames, fps=fps)
    span, stride = 0.5, 0.1
    engine = SlidingWindowEngine(SlowClassifier(tiny_classifier, 0.3), span=span, stride=stride, smoothing="off")
    results = []
    summary = engine.run(FileSource(path, realtime=True), on_window=results.append)
    due = int(math.floor((frames / fps - span) / stride + 1e-6)) + 1  # windows a real-time source makes due
    assert summary.dropped > 0
    assert summary.windows + summary.dropped <= due
    assert summary.windows == len(results) >= 2
    # always the newest window: it ends less than one stride behind the newest frame
    for r in results:
        assert 0 <= r.source_time - r.t < stride + 1e-6
    assert [r.t for r in results] == sorted(r.t for r in results)
    # memory: never more than span + stride seconds of frames (plus the frame that closed a window)
    assert engine.metrics.max_buffered <= (span + stride) * fps + 2


def test_realtime_file_stands_in_for_a_camera(tmp_path, tiny_classifier):
    fps, frames = 24.0, 48
    path = write_video(tmp_path / "cam.mp4", frames=frames, fps=fps)
    offline, live = [], []
    SlidingWindowEngine(tiny_classifier, span=0.5, stride=0.5, smoothing="off").run(open_source(path), on_window=offline.append)
    source = open_source(path, realtime=True)
    assert source.live
    started = time.monotonic()
    summary = SlidingWindowEngine(tiny_classifier, span=0.5, stride=0.5, smoothing="off").run(source, on_window=live.append)
    assert time.monotonic() - started >= 0.8 * frames / fps  # paced like a camera, not decoded at full speed
    assert live and summary.windows + summary.dropped == len(offline)
    by_t = {round(r.t, 6): r for r in offline}
    for r in live:
        same = by_t[round(r.t, 6)]
        assert r.frames == same.frames
        np.testing.assert_array_equal(r.probs, same.probs)
        assert r.latency_ms >= r.inference_ms >= 0
    assert not source.is_open


class TimedClassifier(SlowClassifier):
    """Records when the window in flight ends, so stop latency is measured from there."""

    def __init__(self, classifier, delay: float) -> None:
        super().__init__(classifier, delay)
        self.last_end = 0.0

    def classify_frames(self, frames):
        try:
            return super().classify_frames(frames)
        finally:
            self.last_end = time.monotonic()


@pytest.mark.parametrize("realtime", [False, True])
def test_stop_ends_the_run_promptly(tmp_path, tiny_classifier, realtime):
    path = write_video(tmp_path / "long.mp4", frames=240, fps=24.0)  # 10 s
    model = TimedClassifier(tiny_classifier, 0.05)
    engine = SlidingWindowEngine(model, span=0.5, stride=0.25)
    source = open_source(path, realtime=realtime)
    first = threading.Event()
    results = []
    summary = {}

    def on_window(r):
        results.append(r)
        first.set()

    thread = threading.Thread(target=lambda: summary.update(s=engine.run(source, on_window=on_window)))
    thread.start()
    assert first.wait(120)
    engine.stop()
    stopped_at = time.monotonic()
    thread.join(120)
    ended_at = time.monotonic()
    assert not thread.is_alive()
    # the window being classified when stop() came finishes; after that, about a second at most
    # (a generous bound for a loaded machine; no speed is measured here)
    assert ended_at - max(stopped_at, model.last_end) < 3
    assert summary["s"].stopped
    assert len(results) < 37  # it did not run on to the end (37 windows in 10 s)
    assert not source.is_open
    # no capture thread left behind
    assert not [t for t in threading.enumerate() if t.name.startswith("capture ")]


def test_cancel_event_set_before_run_does_nothing(tmp_path, tiny_classifier):
    path = write_video(tmp_path / "clip.mp4", frames=24, fps=24.0)
    cancel = threading.Event()
    cancel.set()
    results = []
    summary = SlidingWindowEngine(tiny_classifier, span=0.5, stride=0.5).run(open_source(path), on_window=results.append, cancel=cancel)
    assert results == [] and summary.stopped


def test_switching_the_model_applies_to_the_next_window(tmp_path, tiny_checkpoint, tiny_classifier):
    from umt_desktop import load_classifier

    other = load_classifier(tiny_checkpoint, device="cpu")
    with torch_no_grad():
        for p in other.model.parameters():
            p.mul_(0.5)
    path = write_video(tmp_path / "clip.mp4", frames=48, fps=24.0)
    engine = SlidingWindowEngine(tiny_classifier, span=1.0, stride=0.5, smoothing="off")
    results = []

    def on_window(r):
        results.append(r)
        if len(results) == 1:
            engine.set_classifier(other)

    engine.run(open_source(path), on_window=on_window)
    with open_video(path) as video:
        frames = video.get_frames(results[1].frames)
    np.testing.assert_array_equal(results[1].probs, other.classify_frames(frames))
    assert not np.array_equal(results[1].probs, tiny_classifier.classify_frames(frames))


def test_a_bad_source_raises_source_error(tmp_path, tiny_classifier):
    engine = SlidingWindowEngine(tiny_classifier)
    with pytest.raises(SourceError):
        engine.run(open_source(tmp_path / "missing.mp4"))
    with pytest.raises(SourceError):
        engine.run(open_source("camera:97"))


def test_window_result_json_has_exactly_the_stream_fields(tmp_path, tiny_classifier):
    path = write_video(tmp_path / "clip.mp4", frames=24, fps=24.0)
    results = []
    SlidingWindowEngine(tiny_classifier, span=1.0, stride=0.5, topk=2).run(open_source(path), on_window=results.append)
    record = results[0].to_json()
    assert list(record) == ["t", "frames", "top", "smoothed", "latency_ms", "inference_ms"]
    assert set(record["top"][0]) == {"index", "label", "score"} and len(record["top"]) == 2


def torch_no_grad():
    import torch

    return torch.no_grad()
