"""What the window has open, as plain data: the playlist, the source playing, the windows
received, the whole-video result, and their export. No Qt here.

    session = Session()
    specs, refused = sort_inputs(["a.mp4", "clips/", "notes.txt"])   # what can be opened, and why not
    session.add(specs)                      # queued after the current item
    run = session.open(0)                   # a new run; results of older runs are ignored
    session.add_window(result, run)         # a WindowResult of the sliding-window engine
    session.set_whole(classification, "UMT-B/16", run)
    session.fail("clip.mp4 cannot be opened as a video", run)   # True only the first time
    session.write_export("clip.umt.json", model=..., device=..., settings=...)

The window shows a Session and calls these methods; tests drive it without a window.
"Newest run wins" is `Latest`: every start of something supersedes what ran before, and
late results of a superseded run are recognised and dropped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .jsonio import dumps
from .options import file_path_of as file_path
from .options import is_live_source as is_live_spec
from .video.readers import VIDEO_EXTENSIONS, is_video_path

MAX_WINDOWS = 10000  # windows kept for export (a bound for hours-long camera sessions)

QUEUED, PLAYING, DONE, FAILED = "queued", "playing", "done", "failed"

CSV_COLUMNS = ["source", "kind", "start", "end", "frames", "top1_label", "top1_score",
               "smoothed_label", "smoothed_score", "confident", "latency_ms", "inference_ms"]


class Latest:
    """Newest run wins: `begin()` supersedes every earlier run; `is_current(run)` tells the
    current run from one whose results arrive late (after a new file, seek or model)."""

    def __init__(self) -> None:
        self._current: object | None = None

    def begin(self, run: object | None = None) -> object:
        """Start a run (`run` itself, or a fresh token) and return it."""
        self._current = run if run is not None else object()
        return self._current

    def end(self) -> None:
        """Nothing is current any more."""
        self._current = None

    def is_current(self, run: object | None) -> bool:
        return run is not None and run is self._current

    @property
    def current(self) -> object | None:
        return self._current


@dataclass
class PlaylistItem:
    spec: str  # a video file, camera:N or a stream URL
    state: str = QUEUED
    error: str = ""  # why it failed (one line)

    @property
    def live(self) -> bool:
        return is_live_spec(self.spec)

    @property
    def name(self) -> str:
        return self.spec if self.live else Path(file_path(self.spec)).name


def sort_inputs(items) -> tuple[list[str], list[str]]:
    """What was opened or dropped -> (the specs that can be played, in order; one reason per
    refused item). A folder stands for the videos in it; cameras and URLs pass as they are."""
    good: list[str] = []
    bad: list[str] = []
    for item in items:
        text = str(item)
        if is_live_spec(text):
            good.append(text)
            continue
        path = Path(file_path(text))
        if path.is_file() and is_video_path(path):
            good.append(str(path))
        elif path.is_dir():
            videos = sorted(p for p in path.iterdir() if p.is_file() and is_video_path(p))
            if videos:
                good.extend(str(p) for p in videos)
            else:
                bad.append(f"{path.name} is a folder without videos")
        elif not path.exists():
            bad.append(f"{path.name} does not exist")
        else:
            bad.append(f"{path.name} is not a video")
    return good, bad


def refusal_message(bad: list[str], opened_some: bool) -> str:
    """One line for the items `sort_inputs` refused."""
    shown = "; ".join(bad[:3]) + (f" (and {len(bad) - 3} more)" if len(bad) > 3 else "")
    kinds = ", ".join(e.lstrip(".") for e in VIDEO_EXTENSIONS[:6])
    return f"{shown} — open a video file ({kinds}, …)" + ("; the others were opened" if opened_some else "")


class Session:
    """The playlist and the results of the source playing now."""

    def __init__(self, max_windows: int = MAX_WINDOWS) -> None:
        self.items: list[PlaylistItem] = []
        self.index = -1  # the item playing (or last played); -1 = none
        self.source: str | None = None
        self.windows: list = []  # WindowResult of the current source, in arrival order
        self.whole = None  # Classification (4x3) of the current file
        self.whole_model: str | None = None
        self.duration = 0.0
        self.error: str | None = None  # why the current source failed
        self.max_windows = max_windows
        self.runs = Latest()

    # -- playlist ------------------------------------------------------------
    @property
    def playlist(self) -> list[str]:
        return [item.spec for item in self.items]

    @property
    def current(self) -> PlaylistItem | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    def add(self, specs: list[str]) -> int:
        """Queue `specs` right after the current item (at the end when none); returns the first one's index."""
        at = self.index + 1 if self.index >= 0 else len(self.items)
        for offset, spec in enumerate(specs):
            self.items.insert(at + offset, PlaylistItem(str(spec)))
        return at

    def remove(self, index: int) -> bool:
        """Take an item out of the playlist; True when it was the one playing (the caller stops it)."""
        if not 0 <= index < len(self.items):
            raise IndexError(index)
        was_current = index == self.index
        del self.items[index]
        if index < self.index:
            self.index -= 1
        elif was_current:
            self.index = -1
            self.source = None
            self.runs.end()
            self._reset()
        return was_current

    def has_next(self) -> bool:
        return self.index + 1 < len(self.items)

    def has_previous(self) -> bool:
        return self.index > 0

    # -- the current source --------------------------------------------------
    def open(self, index: int) -> object:
        """Make item `index` the current source; returns the new run (older runs are superseded)."""
        if not 0 <= index < len(self.items):
            raise IndexError(index)
        if self.current is not None and self.current.state == PLAYING:
            self.current.state = QUEUED
        self.index = index
        item = self.items[index]
        item.state, item.error = PLAYING, ""
        return self.begin(item.spec)

    def begin(self, source: str) -> object:
        """A fresh run on `source` (outside the playlist, or a restart): empty results."""
        self.source = source
        self._reset()
        return self.runs.begin()

    def _reset(self) -> None:
        self.windows = []
        self.whole = None
        self.whole_model = None
        self.duration = 0.0
        self.error = None
        self.started = False  # a frame arrived: the source plays
        self._held_back: str | None = None  # a whole-video failure not said yet

    def is_current(self, run: object | None) -> bool:
        return self.runs.is_current(run)

    @property
    def is_live(self) -> bool:
        return self.source is not None and is_live_spec(self.source)

    @property
    def is_file(self) -> bool:
        return self.source is not None and not is_live_spec(self.source)

    @property
    def name(self) -> str:
        if self.source is None:
            return ""
        return self.source if self.is_live else Path(file_path(self.source)).name

    def add_window(self, result, run: object | None = None) -> bool:
        """Record a live window (False for a superseded run; kept up to `max_windows`)."""
        if run is not None and not self.is_current(run):
            return False
        if len(self.windows) < self.max_windows:
            self.windows.append(result)
        return True

    def set_whole(self, result, model: str | None, run: object | None = None) -> bool:
        if run is not None and not self.is_current(run):
            return False
        self.whole, self.whole_model = result, model
        return True

    def frame_arrived(self, run: object | None = None) -> tuple[bool, str | None]:
        """A frame of the current source is on screen. Returns (whether it is the run's first: the
        source works and may go into Open recent; a whole-video failure held back until now)."""
        if (run is not None and not self.is_current(run)) or self.started:
            return False, None
        self.started = True
        held, self._held_back = self._held_back, None
        return True, held

    def whole_failed(self, message: str, run: object | None = None) -> str | None:
        """The whole-video classification failed: the message to show now, or None. A source that
        has not shown a frame yet holds it back: when the source itself fails, its own message says
        it all (one message for one broken file); when it plays, `frame_arrived` hands it over."""
        if (run is not None and not self.is_current(run)) or self.error is not None:
            return None
        if self.started:
            return message
        self._held_back = message
        return None

    def fail(self, message: str, run: object | None = None) -> bool:
        """The current source failed. True the first time for this run (say it once), False after
        that or for a superseded run."""
        if (run is not None and not self.is_current(run)) or self.error is not None:
            return False
        self.error = message
        self._held_back = None
        item = self.current
        if item is not None and item.spec == self.source:
            item.state, item.error = FAILED, message
        return True

    def finish(self) -> str | None:
        """The current source played to its end; returns a whole-video failure still held back."""
        item = self.current
        if item is not None and item.state == PLAYING:
            item.state = DONE
        held, self._held_back = self._held_back, None
        return held

    @property
    def failed(self) -> bool:
        return self.error is not None

    # -- export --------------------------------------------------------------
    def can_export(self) -> bool:
        return bool(self.windows) or self.whole is not None

    def export_data(self, model: str | None = None, device: str | None = None,
                    settings: dict[str, Any] | None = None) -> dict:
        return {
            "source": self.source,
            "model": model,
            "device": device,
            "settings": dict(settings or {}),
            "whole_video": None if self.whole is None else {**self.whole.to_json(), "model": self.whole_model},
            "windows": [r.to_json() | {"start": round(r.start, 6), "confident": bool(r.confident)}
                        for r in self.windows],
        }

    def csv_rows(self) -> list[list]:
        rows: list[list] = []
        if self.whole is not None:
            top = self.whole.top[0]
            rows.append([self.source, "whole_video_" + self.whole.views, 0, "", "", top.label,
                         f"{top.score:.6f}", "", "", "", "", ""])
        for r in self.windows:
            rows.append([self.source, "window", f"{r.start:.3f}", f"{r.t:.3f}",
                         " ".join(str(i) for i in r.frames), r.top[0].label, f"{r.top[0].score:.6f}",
                         r.smoothed[0].label, f"{r.smoothed[0].score:.6f}", int(bool(r.confident)),
                         f"{r.latency_ms:.1f}", f"{r.inference_ms:.1f}"])
        return rows

    def write_export(self, path: str | Path, **meta) -> Path:
        """Write the results as CSV (a .csv path) or JSON (anything else); OSError when it cannot."""
        path = Path(path)
        if path.suffix.lower() == ".csv":
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f)
                writer.writerow(CSV_COLUMNS)
                writer.writerows(self.csv_rows())
        else:
            path.write_text(dumps(self.export_data(**meta), indent=2), encoding="utf-8")
        return path

    def export_name(self, suffix: str) -> str:
        """A file name for an export or snapshot of the current source."""
        stem = Path(file_path(self.source)).stem if self.is_file else ("camera" if suffix == ".png" else "stream")
        return stem + suffix


def window_end_near(seconds: float, span: float, stride: float, duration: float = 0.0) -> float:
    """Where a seek to `seconds` lands: the nearest end of a sliding window (windows end at
    span + k * stride on the file's clock, the same windows as `umt-desktop stream`), so the
    playhead, the frame shown and the window shown agree. Before the first window ends there
    is no window: the seek lands where asked. Never past `duration` (when known)."""
    t = max(0.0, float(seconds))
    if duration > 0:
        t = min(t, duration)
    if t < span:
        return t
    k = round((t - span) / stride)
    end = span + k * stride
    if duration > 0 and end > duration + 1e-9:
        end -= stride
    return round(max(span, end), 9)
