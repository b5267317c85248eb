"""Frame sources for live inference: video files, webcams and network streams.

One small interface, `FrameSource`: `open()`, then `read()` until it returns
None (a finite source ended normally), then `close()`. Each `Frame` carries its
source frame index, its timestamp on the source clock and the monotonic time it
was captured (for latency). A source that cannot be opened, or that dies
mid-stream, raises `SourceError` with a one-line message; `close()` releases
the device and is safe to call twice.

    with open_source("camera:0") as source:   # or a path, or rtsp:// http:// udp://
        while (frame := source.read()) is not None:
            ...

Specs understood by `open_source`:
  * ``camera:N``  -- webcam N (OpenCV's default backend);
  * ``scheme://...`` -- a network stream opened by FFmpeg (rtsp, http(s), udp, tcp, rtmp...),
    with open/read timeouts and a bounded number of reconnects;
  * anything else (``file://`` included) -- a video file. ``realtime=True`` paces a
    file at its frame rate so it stands in for a camera.

`core.options.is_live_source(text)` says which of these a text names without
opening anything; the CLI, the session and the window ask it too.

A `FileSource` can also be played like a video player does: start at a given
second (`start=`), hold still while paused (`pause()` / `resume()`, the clock
waits too), and with `keep_pace=False` slow down when the consumer is slower
than real time instead of rushing to catch up.

Clocks: a file's frame i has timestamp i / fps (so windows are reproducible);
live sources stamp frames with the monotonic clock, 0 at the first frame.
Nothing here ever waits without a timeout.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SourceError
from ..options import file_path_of, is_live_source
from ..video.readers import video_file_problem

DEFAULT_TIMEOUT = 5.0  # seconds allowed to open a stream or wait for one frame
DEFAULT_RETRIES = 3  # reconnects of a dropped network stream before giving up

_CAMERA = re.compile(r"^camera:(\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Frame:
    """One decoded frame: RGB uint8 (H, W, 3), its index and times."""

    index: int  # 0-based count of frames delivered by the source
    timestamp: float  # seconds on the source clock (file: index / fps; live: since the first frame)
    image: np.ndarray = field(repr=False)
    captured: float = 0.0  # time.monotonic() when the frame was decoded / captured


class _Closed(Exception):
    """The source was closed from another thread while in use."""


class FrameSource:
    """Base class of every source. Subclasses implement `_open` (set up `_cap`) and `_read`."""

    #: frames arrive in real time; the engine then keeps only the newest window
    live: bool = True
    description: str = "source"

    def __init__(self) -> None:
        self.fps: float | None = None  # nominal frame rate, None when the source does not say
        self.num_frames: int | None = None  # files only
        self.size: tuple[int, int] | None = None  # (width, height)
        self._cap = None
        self._lock = threading.Lock()
        self._next_index = 0
        self._t0: float | None = None  # monotonic time of a live source's first frame
        self._closed = False
        self._reading = False

    # -- public interface ----------------------------------------------------
    def open(self) -> FrameSource:
        """Open the source; raises SourceError (never hangs longer than the open timeout)."""
        with self._lock:
            if self._closed:
                raise SourceError(f"{self.description} is closed")
            if self._cap is not None:
                return self
        _quiet_native_logs()
        try:
            self._open()
        except _Closed:
            raise SourceError(f"{self.description} was closed while opening") from None
        return self

    def read(self) -> Frame | None:
        """The next frame; None when a finite source ended (or was closed); SourceError when lost."""
        if self._closed:
            return None
        if self._cap is None:
            self.open()
        try:
            return self._read()
        except _Closed:
            return None

    def close(self) -> None:
        """Release the file / camera / connection. Idempotent, callable from any thread:
        while another thread is inside a read, that thread releases the device when
        the read returns (releasing under a running read would crash the decoder)."""
        with self._lock:
            self._closed = True
            if self._reading:
                return
            cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def __enter__(self) -> FrameSource:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description}>"

    # -- helpers -------------------------------------------------------------
    def _set_capture(self, cap) -> None:
        with self._lock:
            if not self._closed:
                self._cap = cap
                return
        cap.release()
        raise _Closed

    def _read_capture(self) -> np.ndarray | None:
        """One frame from the capture as RGB, None when the capture gave nothing."""
        with self._lock:
            cap = self._cap
            if cap is None or self._closed:
                raise _Closed
            self._reading = True
        try:
            ok, bgr = cap.read()
        finally:
            with self._lock:
                self._reading = False
                release = self._closed
                if release:
                    self._cap = None
            if release:
                cap.release()
        if release:
            raise _Closed
        if not ok or bgr is None:
            return None
        return _to_rgb(bgr)

    def _drop_capture(self) -> None:
        with self._lock:
            cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    def _describe_capture(self, cap) -> None:
        import cv2

        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0.5 <= fps <= 1000 and math.isfinite(fps) else None
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.size = (w, h) if w > 0 and h > 0 else None

    def _stamp_live(self, image: np.ndarray) -> Frame:
        """A live frame: the next index, seconds since the first frame on the monotonic clock."""
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        index = self._next_index
        self._next_index += 1
        return Frame(index, now - self._t0, image, now)

    def _open(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read(self) -> Frame | None:  # pragma: no cover - abstract
        raise NotImplementedError


class FileSource(FrameSource):
    """A video file decoded in order. `realtime=True` delivers frame i at start + i / fps.

    Played like a video player does (all callable from any thread while another reads):

    * `start` (seconds): the first frame read is the one at that time (a seek;
      timestamps stay those of the file);
    * `pause()` / `resume()`: hold reading, and the clock, until resumed or closed;
    * `hold_at(t)`: pause by itself right after delivering the frame at `t` (a seek
      or a step that lands exactly there, whatever the reader's speed);
    * `catch_up_to(t)`: frames before `t` come as fast as they decode, pacing starts
      at `t` (the frames a sliding window needs before the shown position);
    * `set_speed(x)`: play x times faster (0.5 = half speed).

    `live` defaults to `realtime` (a paced file standing in for a camera); a player
    passes `live=False` so that every window is computed. `keep_pace=True` (a camera
    stand-in) holds the file's clock when the reader falls behind, so it skips ahead in
    real time; `keep_pace=False` (a player) lets the clock slip instead, so playback
    slows down smoothly when the consumer is slower than real time.
    """

    LATE = 0.1  # seconds behind schedule before a player's clock slips
    SPEEDS = (0.1, 8.0)  # the playback speeds accepted

    def __init__(self, path: str | Path, realtime: bool = False, *, start: float = 0.0,
                 live: bool | None = None, keep_pace: bool = True, speed: float = 1.0) -> None:
        super().__init__()
        self.path = Path(path)
        self.realtime = realtime
        self.live = realtime if live is None else bool(live)
        self.keep_pace = keep_pace
        self.start_seconds = _seconds(start)
        self.description = self.path.name or str(self.path)
        self.speed = _speed(speed)
        self._anchor: tuple[float, float] | None = None  # (monotonic time, file time) due together
        self._paused = threading.Event()
        self._hold_at: float | None = None
        self._catch_up_to = 0.0
        self._delivered = 0

    @property
    def duration(self) -> float | None:
        """Seconds of video (known once open; None when the container does not say)."""
        if self.num_frames and self.fps:
            return self.num_frames / self.fps
        return None

    def pause(self) -> None:
        """Hold the next read (and the clock) until `resume()` or `close()`."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def hold_at(self, seconds: float | None) -> None:
        """Pause right after delivering the first frame at or after `seconds` (None: never)."""
        self._hold_at = None if seconds is None else _seconds(seconds)

    def catch_up_to(self, seconds: float) -> None:
        """Deliver the frames before `seconds` without waiting for their time."""
        self._catch_up_to = _seconds(seconds)
        self._anchor = None

    def set_speed(self, speed: float) -> None:
        self.speed = _speed(speed)
        self._anchor = None  # the clock restarts at the next frame

    def close(self) -> None:
        super().close()
        self._paused.clear()  # a read held by pause() returns now

    def _open(self) -> None:
        import cv2

        path = self.path
        problem = video_file_problem(path)  # missing, a folder, empty, no permission
        if problem:
            raise SourceError(problem)
        cap = cv2.VideoCapture(os.fspath(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{path.name} cannot be opened as a video")
        self._describe_capture(cap)
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.num_frames = n if n > 0 else None
        if self.fps is None:
            self.fps = 30.0  # files must have a clock; 30 is what players assume too
        first = 0
        if self.start_seconds > 0:
            first = int(round(self.start_seconds * self.fps))
            if self.num_frames:
                first = min(first, max(0, self.num_frames - 1))
            if first:
                cap.set(cv2.CAP_PROP_POS_FRAMES, first)
        self._set_capture(cap)
        self._next_index = first

    def _hold_while_paused(self) -> None:
        if not self._paused.is_set():
            return
        held = time.monotonic()
        while self._paused.is_set() and not self._closed:
            time.sleep(0.02)
        if self._anchor is not None:  # resume where it stopped
            self._anchor = (self._anchor[0] + time.monotonic() - held, self._anchor[1])

    def _pace(self, timestamp: float) -> None:
        """Wait until the frame at `timestamp` is due (realtime files only)."""
        if timestamp < self._catch_up_to - 1e-6:
            return  # catching up: no waiting
        now = time.monotonic()
        if self._anchor is None:
            self._anchor = (now, timestamp)
        due = self._anchor[0] + (timestamp - self._anchor[1]) / self.speed
        if not self.keep_pace and now - due > self.LATE:
            self._anchor = (now, timestamp)  # behind (slow consumer): play on from here, do not rush
            return
        if due > now:
            time.sleep(due - now)

    def _read(self) -> Frame | None:
        self._hold_while_paused()
        image = self._read_capture()
        index = self._next_index
        if image is None:
            if not self._delivered:
                raise SourceError(f"{self.description} has no decodable video frames")
            expected = self.num_frames
            # Container frame counts can be off by a frame or two; far short means damage.
            if expected and index < expected - max(2, int(0.05 * expected)):
                raise SourceError(
                    f"{self.description} stopped decoding at frame {index} of {expected} (truncated or damaged file)"
                )
            return None
        self._next_index += 1
        self._delivered += 1
        timestamp = index / self.fps
        if self.realtime:
            self._pace(timestamp)
        hold = self._hold_at
        if hold is not None and timestamp >= hold - 1e-6:  # the frame that completes the window ending at `hold`
            self._hold_at = None
            self._paused.set()  # the next read waits for resume()
        return Frame(index, timestamp, image, time.monotonic())


def _seconds(value: float) -> float:
    value = float(value)
    return max(0.0, value) if math.isfinite(value) else 0.0


def _speed(value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        return 1.0
    return min(FileSource.SPEEDS[1], max(FileSource.SPEEDS[0], value))


class CameraSource(FrameSource):
    """Webcam N. Frames are stamped with the monotonic clock."""

    def __init__(self, index: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.index = int(index)
        self.timeout = timeout
        self.description = f"camera:{self.index}"

    def _open(self) -> None:
        import cv2

        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"camera {self.index} cannot be opened (not connected, or in use by another program)")
        self._describe_capture(cap)
        self._set_capture(cap)

    def _read(self) -> Frame | None:
        # Some webcams fail a few reads right after opening; a camera that keeps
        # failing for `timeout` seconds was unplugged or taken away.
        deadline = time.monotonic() + self.timeout
        while True:
            image = self._read_capture()
            if image is not None:
                break
            if time.monotonic() >= deadline:
                raise SourceError(f"camera {self.index} stopped delivering frames (unplugged?)")
            time.sleep(0.05)
        return self._stamp_live(image)


class NetworkSource(FrameSource):
    """A stream URL opened by FFmpeg, with open/read timeouts and bounded reconnects.

    A network stream is treated as live: when it stops delivering (connection
    dropped, server gone) it is reopened up to `retries` times, waiting a little
    longer each time; frame indices and the clock keep counting across reconnects.
    """

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES) -> None:
        super().__init__()
        self.url = url
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.description = _redact(url)
        self.reconnects = 0

    def _connect(self):
        import cv2

        ms = int(self.timeout * 1000)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
        cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
        if cap.isOpened():
            return cap
        cap.release()
        return None

    def _open(self) -> None:
        cap = self._connect_with_retries()
        if cap is None:
            raise SourceError(f"cannot open the stream {self.description} (nothing answering, or not a video stream)")
        self._describe_capture(cap)
        self._set_capture(cap)

    def _connect_with_retries(self):
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(2.0, 0.25 * 2 ** (attempt - 1)))
            if self._closed:
                raise _Closed
            cap = self._connect()
            if cap is not None:
                return cap
        return None

    def _read(self) -> Frame | None:
        image = self._read_capture()
        while image is None:
            # Dropped: reconnect a bounded number of times, then report the loss.
            self._drop_capture()
            self.reconnects += 1
            cap = self._connect_with_retries()
            if cap is None:
                raise SourceError(f"lost the stream {self.description} (no data, and reconnecting failed)")
            self._set_capture(cap)
            image = self._read_capture()
        return self._stamp_live(image)


def open_source(
    spec: str | Path,
    *,
    realtime: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    **file_options,
) -> FrameSource:
    """A source for `spec` (``camera:N``, a URL, or a file path), not yet opened.

    `file_options` (`start`, `live`, `keep_pace`) go to a `FileSource` and are
    ignored for cameras and streams."""
    text = os.fspath(spec) if isinstance(spec, Path) else str(spec).strip()
    if not text:
        raise SourceError("no source given (a video file, camera:N or a stream URL)")
    m = _CAMERA.match(text)
    if m:
        return CameraSource(int(m.group(1)), timeout=timeout)
    if text.lower().startswith("camera:"):
        raise SourceError(f"{text!r} is not a camera; write camera:N with N a number, e.g. camera:0")
    if is_live_source(text):
        return NetworkSource(text, timeout=timeout, retries=retries)
    return FileSource(file_path_of(text), realtime=realtime, **file_options)


def _to_rgb(bgr: np.ndarray) -> np.ndarray:
    import cv2

    if bgr.ndim == 2:
        return cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    if bgr.shape[2] == 4:
        return cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _redact(url: str) -> str:
    """The URL without a password, so it can be shown and logged."""
    return re.sub(r"(://[^/:@]+):[^/@]*@", r"\1:***@", url)


_quiet_done = False


def _quiet_native_logs() -> None:
    """OpenCV and FFmpeg print their own warnings when an open fails; we raise a clearer
    SourceError instead, so keep their chatter off the terminal (set once, before use)."""
    global _quiet_done
    if _quiet_done:
        return
    _quiet_done = True
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    try:
        import cv2

        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except Exception:  # pragma: no cover - very old OpenCV
        pass
