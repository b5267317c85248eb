"""Per-window predictions over a whole video, merged into action segments.

    timeline = Timeline(threshold=0.3, span=4.0, stride=0.5, source="clip.mp4")
    engine.run(source, on_window=timeline.add)
    timeline.save("clip.csv")          # or .json; or write_annotated_video(...)

Each window owns the stretch of video since the previous window ended
(the first one owns its whole span): [previous t, t). That is what a viewer of
the live view saw during that stretch, and it tiles the clip without overlaps.
A segment is a run of consecutive windows whose smoothed top-1 is the same
class and is confident (score >= threshold); windows under the threshold split
segments and belong to none. Only the top-k of each window is kept, so a
timeline of an hours-long stream stays small.
"""

from __future__ import annotations

import bisect
import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..options import TopK
from ..errors import UMTError, VideoError
from ..jsonio import dumps


@dataclass(frozen=True)
class TimelineWindow:
    t: float
    start: float  # where the window's frames begin (t - span)
    owns_from: float  # start of the stretch this window labels: the previous window's t
    frames: list[int]
    top: list[TopK]
    smoothed: list[TopK]
    confident: bool
    latency_ms: float = 0.0
    inference_ms: float = 0.0

    @property
    def label(self) -> str | None:
        return self.smoothed[0].label if self.confident and self.smoothed else None

    def to_json(self) -> dict:
        return {
            "t": round(self.t, 6),
            "start": round(self.start, 6),
            "frames": list(self.frames),
            "top": [_topk(x) for x in self.top],
            "smoothed": [_topk(x) for x in self.smoothed],
            "confident": self.confident,
        }


@dataclass(frozen=True)
class Segment:
    start: float  # seconds
    end: float
    index: int  # class index
    label: str
    score: float  # mean smoothed top-1 score over the segment's windows
    windows: int

    def to_json(self) -> dict:
        return {
            "start": round(self.start, 6),
            "end": round(self.end, 6),
            "index": self.index,
            "label": self.label,
            "score": round(self.score, 6),
            "windows": self.windows,
        }


@dataclass
class Timeline:
    threshold: float = 0.3
    span: float | None = None
    stride: float | None = None
    source: str = ""
    model: str = ""
    windows: list[TimelineWindow] = field(default_factory=list)
    _ends: list[float] = field(default_factory=list, init=False, repr=False)

    def add(self, result) -> None:
        """Append a `WindowResult` (windows arrive in time order)."""
        owns_from = self.windows[-1].t if self.windows else result.start
        self.windows.append(
            TimelineWindow(
                t=float(result.t),
                start=float(result.start),
                owns_from=float(owns_from),
                frames=[int(i) for i in result.frames],
                top=list(result.top),
                smoothed=list(result.smoothed),
                confident=bool(result.smoothed and result.smoothed[0].score >= self.threshold),
                latency_ms=float(result.latency_ms),
                inference_ms=float(result.inference_ms),
            )
        )

    def __len__(self) -> int:
        return len(self.windows)

    def segments(self) -> list[Segment]:
        """Consecutive confident windows with the same smoothed top-1, merged."""
        out: list[Segment] = []
        run: list[TimelineWindow] = []

        def flush() -> None:
            if run:
                best = run[0].smoothed[0]
                score = float(np.mean([w.smoothed[0].score for w in run]))
                out.append(Segment(run[0].owns_from, run[-1].t, best.index, best.label, score, len(run)))
                run.clear()

        for w in self.windows:
            if not w.confident:
                flush()
                continue
            if run and run[-1].smoothed[0].index != w.smoothed[0].index:
                flush()
            run.append(w)
        flush()
        return out

    def label_at(self, seconds: float) -> TimelineWindow | None:
        """The window that labels the moment `seconds` (None before the first window)."""
        if len(self._ends) != len(self.windows):
            self._ends = [w.t - 1e-6 for w in self.windows]
        i = bisect.bisect_right(self._ends, seconds)
        if i < len(self.windows) and self.windows[i].owns_from - 1e-6 <= seconds:
            return self.windows[i]
        return None

    # -- export ----------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "source": self.source,
            "model": self.model,
            "span": self.span,
            "stride": self.stride,
            "threshold": self.threshold,
            "windows": [w.to_json() for w in self.windows],
            "segments": [s.to_json() for s in self.segments()],
        }

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        _write_text(path, dumps(self.to_json(), indent=1) + "\n")
        return path

    def write_csv(self, path: str | Path) -> Path:
        """One row per segment: start, end, index, label, score, windows."""
        path = Path(path)
        try:
            with open(path, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(["start", "end", "index", "label", "score", "windows"])
                for s in self.segments():
                    writer.writerow([f"{s.start:.3f}", f"{s.end:.3f}", s.index, s.label, f"{s.score:.6f}", s.windows])
        except OSError as e:
            raise UMTError(f"cannot write {path}: {e.strerror or e}") from None
        return path

    def save(self, path: str | Path) -> Path:
        """Write CSV or JSON, chosen by the file extension."""
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            return self.write_csv(path)
        if suffix == ".json":
            return self.write_json(path)
        raise UMTError(f"cannot tell the timeline format of {Path(path).name}: use .csv or .json")


def _topk(x: TopK) -> dict:
    return {"index": int(x.index), "label": x.label, "score": float(x.score)}


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UMTError(f"cannot write {path}: {e.strerror or e}") from None


ANNOTATED_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}


def write_annotated_video(
    video: str | Path,
    dest: str | Path,
    timeline: Timeline,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """A copy of `video` with each frame's label (the window that owns it) drawn on it."""
    import cv2

    video, dest = Path(video), Path(dest)
    codec = ANNOTATED_CODECS.get(dest.suffix.lower())
    if codec is None:
        raise UMTError(f"annotated video must be {', '.join(sorted(ANNOTATED_CODECS))}, not {dest.name}")
    cap = cv2.VideoCapture(os.fspath(video), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise VideoError(f"{video.name} cannot be opened as a video")
    writer = None
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) or 30.0
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        index = 0
        while True:
            if cancelled is not None and cancelled():
                break
            ok, bgr = cap.read()
            if not ok:
                break
            if writer is None:
                h, w = bgr.shape[:2]
                writer = cv2.VideoWriter(os.fspath(dest), cv2.VideoWriter_fourcc(*codec), fps, (w, h))
                if not writer.isOpened():
                    raise UMTError(f"cannot write the video {dest}")
            window = timeline.label_at(index / fps)
            _draw_label(bgr, window, timeline.threshold)
            writer.write(bgr)
            index += 1
            if progress is not None:
                progress(index, total)
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    if index == 0:
        raise VideoError(f"{video.name} has no decodable video frames")
    return dest


def _draw_label(bgr: np.ndarray, window: TimelineWindow | None, threshold: float) -> None:
    import cv2

    h, w = bgr.shape[:2]
    if window is None:
        return
    if window.confident:
        top = window.smoothed[0]
        text = f"{top.label} {top.score * 100:.0f}%"
        colour = (80, 220, 80)
    else:
        text = "no confident action"
        colour = (200, 200, 200)
    scale = max(0.4, min(w, h) / 500)
    thickness = max(1, int(round(scale * 2)))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    pad = max(3, int(6 * scale))
    cv2.rectangle(bgr, (0, 0), (min(w, tw + 2 * pad), th + base + 2 * pad), (0, 0, 0), -1)
    cv2.putText(bgr, text, (pad, pad + th), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)
