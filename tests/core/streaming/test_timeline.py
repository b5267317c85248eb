"""Timeline: segments from per-window predictions, CSV/JSON export, annotated video."""

from __future__ import annotations

import csv
import json

import cv2
import numpy as np
import pytest
from tests.helpers.videos import write_video

from umt_desktop.core.classifier import TopK
from umt_desktop.core.streaming.engine import SlidingWindowEngine, WindowResult
from umt_desktop.core.errors import UMTError
from umt_desktop.core.streaming.sources import open_source
from umt_desktop.core.streaming.timeline import Timeline, write_annotated_video


def window(t: float, index: int, score: float, span: float = 1.0) -> WindowResult:
    top = [TopK(index, f"class {index}", score), TopK(999, "other", 1 - score)]
    probs = np.zeros(1000, np.float32)
    return WindowResult(
        index=0, t=t, start=max(0.0, t - span), frames=list(range(8)), probs=probs, top=top,
        smoothed_probs=probs, smoothed=top, confident=score >= 0.5, latency_ms=1.0, inference_ms=1.0, source_time=t,
    )


def test_consecutive_confident_windows_merge_into_segments():
    timeline = Timeline(threshold=0.5, span=1.0, stride=0.5)
    for t, cls, score in [(1.0, 3, 0.9), (1.5, 3, 0.7), (2.0, 3, 0.8), (2.5, 4, 0.9), (3.0, 4, 0.2), (3.5, 4, 0.6), (4.0, 4, 0.6)]:
        timeline.add(window(t, cls, score))
    segments = timeline.segments()
    assert [(s.start, s.end, s.index, s.windows) for s in segments] == [
        (0.0, 2.0, 3, 3),  # the first window owns its whole span
        (2.0, 2.5, 4, 1),
        (3.0, 4.0, 4, 2),  # split by the unconfident window at 3.0
    ]
    assert segments[0].score == pytest.approx(0.8)
    assert segments[0].label == "class 3"


def test_no_confident_window_means_no_segment():
    timeline = Timeline(threshold=0.95)
    for t in (1.0, 1.5, 2.0):
        timeline.add(window(t, 1, 0.9))
    assert timeline.segments() == []
    assert timeline.label_at(1.2).label is None


def test_label_at_follows_window_ownership():
    timeline = Timeline(threshold=0.5)
    for t, cls in [(1.0, 1), (1.5, 2), (2.0, 3)]:
        timeline.add(window(t, cls, 0.9))
    assert timeline.label_at(0.0).smoothed[0].index == 1
    assert timeline.label_at(0.99).smoothed[0].index == 1
    assert timeline.label_at(1.0).smoothed[0].index == 2
    assert timeline.label_at(1.7).smoothed[0].index == 3
    assert timeline.label_at(2.0) is None


def test_csv_and_json_export(tmp_path):
    timeline = Timeline(threshold=0.5, span=1.0, stride=0.5, source="clip.mp4", model="tiny")
    for t, cls in [(1.0, 1), (1.5, 1), (2.0, 2)]:
        timeline.add(window(t, cls, 0.9))
    rows = list(csv.DictReader(open(timeline.save(tmp_path / "t.csv"), newline="", encoding="utf-8")))
    assert [(r["start"], r["end"], r["index"], r["label"], r["windows"]) for r in rows] == [
        ("0.000", "1.500", "1", "class 1", "2"),
        ("1.500", "2.000", "2", "class 2", "1"),
    ]
    data = json.loads(timeline.save(tmp_path / "t.json").read_text())
    assert data["source"] == "clip.mp4" and data["span"] == 1.0 and data["threshold"] == 0.5
    assert [w["t"] for w in data["windows"]] == [1.0, 1.5, 2.0]
    assert data["windows"][0]["top"][0] == {"index": 1, "label": "class 1", "score": pytest.approx(0.9)}
    assert [s["index"] for s in data["segments"]] == [1, 2]
    with pytest.raises(UMTError):
        timeline.save(tmp_path / "t.txt")
    with pytest.raises(UMTError):
        timeline.save(tmp_path / "missing-folder" / "t.json")


def test_timeline_of_a_real_run_covers_the_clip(tmp_path, tiny_classifier):
    path = write_video(tmp_path / "clip.mp4", frames=60, fps=24.0)  # 2.5 s
    timeline = Timeline(threshold=0.0, span=1.0, stride=0.5)
    SlidingWindowEngine(tiny_classifier, span=1.0, stride=0.5, threshold=0.0).run(open_source(path), on_window=timeline.add)
    assert [w.t for w in timeline.windows] == pytest.approx([1.0, 1.5, 2.0, 2.5])
    segments = timeline.segments()
    assert segments[0].start == 0.0 and segments[-1].end == pytest.approx(2.5)
    assert all(a.end == pytest.approx(b.start) for a, b in zip(segments, segments[1:]))
    assert sum(s.windows for s in segments) == 4


def test_annotated_video_has_every_frame_with_its_label(tmp_path):
    src = write_video(tmp_path / "clip.mp4", frames=48, size=(320, 240), fps=24.0)
    timeline = Timeline(threshold=0.5)
    for t, cls in [(1.0, 1), (1.5, 2), (2.0, 3)]:
        timeline.add(window(t, cls, 0.9))
    seen = []
    out = write_annotated_video(src, tmp_path / "annotated.mp4", timeline, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (48, 48)
    cap_a, cap_b = cv2.VideoCapture(str(src)), cv2.VideoCapture(str(out))
    assert int(cap_b.get(cv2.CAP_PROP_FRAME_COUNT)) == 48
    assert cap_b.get(cv2.CAP_PROP_FPS) == pytest.approx(24.0)
    ok_a, a = cap_a.read()
    ok_b, b = cap_b.read()
    cap_a.release(), cap_b.release()
    assert ok_a and ok_b
    # the label box is drawn in the top-left corner; the rest of the picture is the video
    corner = np.abs(a[:20, :120].astype(int) - b[:20, :120].astype(int)).mean()
    rest = np.abs(a[150:, 200:].astype(int) - b[150:, 200:].astype(int)).mean()
    assert corner > 20 > rest
    with pytest.raises(UMTError):
        write_annotated_video(src, tmp_path / "annotated.gif", timeline)
