"""The live view's bridge to the sliding-window engine: one worker QObject on its own QThread.

`LiveStream` (GUI thread) owns a `QThread` and a `StreamRun` moved onto it
(the moveToThread recipe: thread.started -> run.work; run.done -> thread.quit).
The engine, the source's decoding and the inference all happen in that thread
(and the engine's capture thread); the GUI gets signals:

    frame(image RGB ndarray, frame index, seconds)   at most ~30 per second
    window(WindowResult, thumbnails {frame index: small RGB ndarray})
    metrics(EngineMetrics)
    error(str)                                       one line, for the notification banner
    finished()

Files play at their own frame rate (a realtime file source), so the video looks
like a player and windows are classified as the model keeps up; `start=` begins
at a given second (seek). Pause holds the file where it is; for a camera it stops
classifying and showing frames. `stop()` returns at once and the thread ends
within about a second; `shutdown()` waits for it (the camera is released by the
source's close()).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)

FRAME_INTERVAL = 1 / 30  # seconds between frames sent to the GUI
THUMB_HEIGHT = 96


class StreamRun(QObject):
    """One run of the engine over one source; lives in the stream thread."""

    frame = Signal(object, int, float)
    window = Signal(object, object)
    metrics = Signal(object)
    error = Signal(str)
    opened = Signal(float)  # duration in seconds (0 for live sources), with the first frame
    done = Signal()

    def __init__(self, source: str, classifier, options: dict) -> None:
        super().__init__()
        self.spec = source
        self.classifier = classifier
        self.options = dict(options)
        self.cancel = threading.Event()
        self.paused = threading.Event()
        self.engine = None
        self.source = None
        self._announced = False
        self._thumbs: OrderedDict[int, np.ndarray] = OrderedDict()
        self._thumb_lock = threading.Lock()
        self._last_frame = 0.0

    def work(self) -> None:
        import torch

        from ..core.engine import SlidingWindowEngine
        from ..core.errors import UMTError

        try:
            with torch.inference_mode():  # grad mode is per thread
                start = float(self.options.pop("start", 0.0) or 0.0)
                self.source = source = _make_source(self.spec, start, self.paused)
                self.engine = SlidingWindowEngine(self.classifier, **self.options)
                if self.paused.is_set():
                    self.engine.pause()
                if self.cancel.is_set():
                    return
                self.engine.run(source, on_window=self._on_window, on_frame=self._on_frame,
                                on_metrics=self.metrics.emit, cancel=self.cancel)
        except UMTError as e:
            if not self.cancel.is_set():
                self.error.emit(str(e))
        except Exception as e:  # a bug: one line for the user, the traceback in the log
            log.exception("live stream failed")
            if not self.cancel.is_set():
                self.error.emit(f"The live view stopped unexpectedly: {type(e).__name__}: {e}")
        finally:
            self.done.emit()

    # engine callbacks (stream thread, or the engine's capture thread for on_frame)
    def _on_frame(self, frame) -> None:
        import cv2

        if not self._announced:
            self._announced = True
            src = self.source
            n, fps = getattr(src, "num_frames", None), getattr(src, "fps", None)
            is_file = hasattr(src, "start_seconds")
            self.opened.emit(float(n) / fps if is_file and n and fps else 0.0)
        h, w = frame.image.shape[:2]
        thumb = cv2.resize(frame.image, (max(1, int(w * THUMB_HEIGHT / h)), THUMB_HEIGHT),
                           interpolation=cv2.INTER_AREA)
        with self._thumb_lock:
            self._thumbs[frame.index] = thumb
            while len(self._thumbs) > 900:
                self._thumbs.popitem(last=False)
        if self.paused.is_set():
            return  # a paused camera: keep the last picture on screen
        now = time.monotonic()
        if now - self._last_frame >= FRAME_INTERVAL:
            self._last_frame = now
            self.frame.emit(frame.image, int(frame.index), float(frame.timestamp))

    def _on_window(self, result) -> None:
        with self._thumb_lock:
            thumbs = {i: self._thumbs[i] for i in result.frames if i in self._thumbs}
        self.window.emit(result, thumbs)


def _make_source(spec: str, start: float, paused: threading.Event):
    from ..core.sources import FileSource, open_source

    source = open_source(spec, realtime=True)
    if isinstance(source, FileSource):
        return PlayerFileSource(source.path, start=start, paused=paused)
    return source


def _player_class():
    from ..core.sources import FileSource

    class _PlayerFileSource(FileSource):
        """A realtime file that can start at a given second and hold still while paused."""

        def __init__(self, path, start: float = 0.0, paused: threading.Event | None = None) -> None:
            super().__init__(path, realtime=True)
            self.start_seconds = max(0.0, float(start))
            self.paused = paused or threading.Event()

        def _open(self) -> None:
            import cv2

            super()._open()
            if self.start_seconds > 0 and self.fps:
                first = int(round(self.start_seconds * self.fps))
                if self.num_frames:
                    first = min(first, max(0, self.num_frames - 1))
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, first)
                self._next_index = first
                # Frame i is due at start + i / fps: shift the clock so `first` is due now.
                self._start = time.monotonic() - first / self.fps

        def _read(self):
            if self.paused.is_set():
                held = time.monotonic()
                while self.paused.is_set() and not self._closed:
                    time.sleep(0.02)
                self._start += time.monotonic() - held  # resume where it stopped
            return super()._read()

    return _PlayerFileSource


class _LazyPlayer:
    def __call__(self, *args, **kwargs):
        return _player_class()(*args, **kwargs)


PlayerFileSource = _LazyPlayer()


class LiveStream(QObject):
    """GUI-side handle: start/stop/pause/resume/switch model of the current run."""

    frame = Signal(object, int, float)
    window = Signal(object, object)
    metrics = Signal(object)
    error = Signal(str)
    opened = Signal(float)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: QThread | None = None
        self.run: StreamRun | None = None
        self._old: list[tuple[QThread, StreamRun]] = []  # stopped runs still winding down
        self.duration: float = 0.0

    def start(self, source: str, classifier, *, start: float = 0.0, **options) -> None:
        self.stop()
        self.duration = 0.0
        run = StreamRun(source, classifier, {**options, "start": start})
        thread = QThread()
        thread.setObjectName(f"live {source}")
        run.moveToThread(thread)
        thread.started.connect(run.work)
        run.frame.connect(self._relay_frame)
        run.window.connect(self._relay_window)
        run.metrics.connect(self._relay_metrics)
        run.error.connect(self._relay_error)
        run.opened.connect(self._relay_opened)
        run.done.connect(thread.quit)
        run.done.connect(self._run_done)
        thread.finished.connect(self._reap)
        self.thread, self.run = thread, run
        thread.start()

    # Signals of a replaced run are dropped here, so an old file never paints over a new one.
    def _relay_frame(self, image, index, t) -> None:
        if self.sender() is self.run:
            self.frame.emit(image, index, t)

    def _relay_window(self, result, thumbs) -> None:
        if self.sender() is self.run:
            self.window.emit(result, thumbs)

    def _relay_metrics(self, m) -> None:
        if self.sender() is self.run:
            self.metrics.emit(m)

    def _relay_opened(self, duration: float) -> None:
        if self.sender() is self.run:
            self.duration = duration
            self.opened.emit(duration)

    def _relay_error(self, text) -> None:
        if self.sender() is self.run:
            self.error.emit(text)

    def _run_done(self) -> None:
        if self.sender() is self.run:
            self.finished.emit()

    def _reap(self) -> None:
        for pair in list(self._old):
            if pair[0].isFinished():
                self._old.remove(pair)  # Python owns both; dropping them frees them
        if self.thread is not None and self.thread.isFinished():
            self.thread = self.run = None

    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning() and not self.run.cancel.is_set()

    def paused(self) -> bool:
        return self.run is not None and self.run.paused.is_set()

    def pause(self) -> None:
        if self.run is not None:
            self.run.paused.set()
            if self.run.engine is not None:
                self.run.engine.pause()

    def resume(self) -> None:
        if self.run is not None:
            self.run.paused.clear()
            if self.run.engine is not None:
                self.run.engine.resume()

    def set_classifier(self, classifier) -> None:
        """Switch models without stopping: the engine uses it from the next window on."""
        if self.run is not None:
            self.run.classifier = classifier
            if self.run.engine is not None:
                self.run.engine.set_classifier(classifier)

    def stop(self) -> None:
        """Ask the current run to end; returns at once (the thread winds down by itself)."""
        if self.run is None or self.thread is None:
            self.thread = self.run = None
            return
        self.run.cancel.set()
        self.run.paused.clear()
        if self.run.engine is not None:
            self.run.engine.resume()
        self._old.append((self.thread, self.run))
        self.thread = self.run = None

    def threads(self) -> list[QThread]:
        out = [t for t, _ in self._old]
        if self.thread is not None:
            out.append(self.thread)
        return out

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop and wait for every stream thread to finish (the window is closing)."""
        self.stop()
        ok = True
        deadline = time.monotonic() + timeout
        for thread, _run in list(self._old):
            remaining = max(0.0, deadline - time.monotonic())
            ok = thread.wait(int(remaining * 1000)) and ok
        self._reap()
        return ok
