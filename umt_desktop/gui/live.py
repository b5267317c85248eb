"""What the main window needs on top of `StreamWorker`: seeking, a file that holds still
while paused, the 8 thumbnails of each window, and a shutdown that never waits in vain.

`LiveStream` (GUI thread) keeps one `StreamWorker` per run (the window
parameters are fixed per worker) and re-emits its signals:

    frame(image RGB ndarray, frame index, seconds)   at most ~30 per second
    window(WindowResult, thumbnails {frame index: small RGB ndarray})
    metrics(EngineMetrics)
    error(str)                                       one line, for the notification banner
    opened(duration seconds)                         files only, once the file is open
    finished()

Files play at their own frame rate (or slower, when the model cannot keep up),
every window of a file is classified (a complete timeline), and a file can start
at any second (seek). Cameras and streams are live: the newest window wins. Thumbnails are made in the worker's threads while
frames are read (a small resize of a frame already decoded), never in the GUI.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, Signal

THUMB_HEIGHT = 96
MAX_THUMBS = 900  # ~30 s of a 30 fps camera at 96 px: a few MB


class Thumbnails:
    """Small copies of recent frames by frame index; filled by the source's reading thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()

    def add(self, index: int, image: np.ndarray) -> None:
        import cv2

        h, w = image.shape[:2]
        thumb = cv2.resize(image, (max(1, round(w * THUMB_HEIGHT / h)), THUMB_HEIGHT), interpolation=cv2.INTER_AREA)
        with self._lock:
            self._items[index] = thumb
            while len(self._items) > MAX_THUMBS:
                self._items.popitem(last=False)

    def get(self, indices) -> dict[int, np.ndarray]:
        with self._lock:
            return {i: self._items[i] for i in indices if i in self._items}


def _player_file_source():
    from ..core.streaming.sources import FileSource

    class PlayerFileSource(FileSource):
        """A file played at its frame rate that starts at a given second and holds still while paused.

        It is not a live source for the engine: every window is computed (a complete
        timeline, a closing window for clips shorter than the span). When the model
        is slower than real time the clock slides, so playback slows down smoothly
        instead of jumping ahead.
        """

        def __init__(self, path, start: float = 0.0, paused: threading.Event | None = None,
                     on_open=None) -> None:
            super().__init__(path, realtime=True)
            self.live = False
            self.start_seconds = max(0.0, float(start))
            self.paused = paused or threading.Event()
            self.on_open = on_open

        def _open(self) -> None:
            import cv2

            super()._open()
            if self.start_seconds > 0 and self.fps:
                first = int(round(self.start_seconds * self.fps))
                if self.num_frames:
                    first = min(first, max(0, self.num_frames - 1))
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, first)
                self._next_index = first
                self._start = time.monotonic() - first / self.fps  # frame `first` is due now
            if self.on_open is not None:
                self.on_open(self.num_frames / self.fps if self.num_frames and self.fps else 0.0)

        def _read(self):
            if self.paused.is_set():
                held = time.monotonic()
                while self.paused.is_set() and not self._closed:
                    time.sleep(0.02)
                self._start += time.monotonic() - held  # resume where it stopped
            if self.fps:
                due = self._start + self._next_index / self.fps
                late = time.monotonic() - due
                if late > 0.1:
                    self._start += late  # behind (slow model): play on from here, do not rush
            return super()._read()

    return PlayerFileSource


def make_source(spec: str, start: float, paused: threading.Event, thumbs: Thumbnails, on_open=None,
                errors: list | None = None):
    """The FrameSource for `spec`; every frame read is also kept as a thumbnail, and a
    failure to open or read is recorded in `errors` (so the window can always say why a run ended)."""
    from ..core.errors import UMTError
    from ..core.streaming.sources import FileSource, open_source

    source = open_source(spec, realtime=True)
    if isinstance(source, FileSource):
        source = _player_file_source()(source.path, start=start, paused=paused, on_open=on_open)
    errors = errors if errors is not None else []
    open_, read = source.open, source.read

    def open_and_record():
        try:
            return open_()
        except UMTError as e:
            errors.append(str(e))
            raise

    def read_and_keep():
        try:
            frame = read()
        except UMTError as e:
            errors.append(str(e))
            raise
        if frame is not None:
            thumbs.add(frame.index, frame.image)
        return frame

    # The engine calls these in the worker's threads.
    source.open, source.read = open_and_record, read_and_keep
    return source


class LiveStream(QObject):
    """GUI-side handle of the live view (see the module docstring)."""

    frame = Signal(object, int, float)
    window = Signal(object, object)
    metrics = Signal(object)
    error = Signal(str)
    opened = Signal(float)
    finished = Signal()
    _opened_from_thread = Signal(object, float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = None
        self._old: list = []  # stopped workers whose threads are still ending
        self._paused = threading.Event()
        self.thumbs = Thumbnails()
        self.duration = 0.0
        self._errors: list[str] = []
        self._error_shown = False
        self._opened_from_thread.connect(self._on_opened)

    def start(self, source: str, classifier, *, start: float = 0.0, **options) -> None:
        from .stream_worker import StreamWorker

        self.stop()
        self._paused = threading.Event()
        self.thumbs = Thumbnails()
        self.duration = 0.0
        worker = StreamWorker(classifier, realtime=True, parent=self, **options)
        worker.frame.connect(self._relay_frame)
        worker.prediction.connect(self._relay_prediction)
        worker.metrics.connect(self._relay_metrics)
        worker.error.connect(self._relay_error)
        worker.finished.connect(self._relay_finished)
        self.worker = worker
        self._errors: list[str] = []
        self._error_shown = False
        src = make_source(source, start, self._paused, self.thumbs,
                          on_open=lambda d, w=worker: self._opened_from_thread.emit(w, d), errors=self._errors)
        worker.start(src)

    # Only the current worker's signals pass: an old run never paints over a new one.
    def _relay_frame(self, image, index, t) -> None:
        # A paused camera keeps capturing; the picture stays still like a paused file.
        if self.sender() is self.worker and not self._paused.is_set():
            self.frame.emit(image, index, t)

    def _relay_prediction(self, result) -> None:
        if self.sender() is self.worker:
            self.window.emit(result, self.thumbs.get(result.frames))

    def _relay_metrics(self, m) -> None:
        if self.sender() is self.worker:
            self.metrics.emit(m)

    def _relay_error(self, text: str) -> None:
        if self.sender() is self.worker:
            self._error_shown = True
            self.error.emit(text)

    def _relay_finished(self) -> None:
        sender = self.sender()
        for w in [w for w in self._old if not w.is_running()]:
            self._old.remove(w)
            w.deleteLater()
        if sender is self.worker:
            if self._errors and not self._error_shown:
                self._error_shown = True
                self.error.emit(self._errors[0])  # the source failed; the worker did not say so
            self.finished.emit()

    def _on_opened(self, worker, duration: float) -> None:
        if worker is self.worker:
            self.duration = duration
            self.opened.emit(duration)

    # -- controls --------------------------------------------------------------
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def paused(self) -> bool:
        return self.worker is not None and self._paused.is_set()

    def pause(self) -> None:
        if self.worker is not None:
            self._paused.set()  # holds a file where it is
            self.worker.pause()  # no windows meanwhile (cameras keep capturing)

    def resume(self) -> None:
        if self.worker is not None:
            self._paused.clear()
            self.worker.resume()

    def set_classifier(self, classifier) -> None:
        """Switch models without stopping: the engine uses it from the next window on."""
        if self.worker is not None:
            self.worker.set_classifier(classifier)

    @property
    def engine(self):
        return self.worker.engine if self.worker is not None else None

    def stop(self) -> None:
        """Ask the current run to end; returns at once."""
        if self.worker is None:
            return
        self._paused.clear()  # a held file must read on to notice the stop
        self.worker.stop()
        self._old.append(self.worker)
        self.worker = None

    def threads(self) -> list:
        workers = self._old + ([self.worker] if self.worker is not None else [])
        return [t for w in workers for t in w.threads()]

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop and wait for every stream thread to end (the window is closing; releases the camera)."""
        self.stop()
        deadline = time.monotonic() + timeout
        ok = True
        for worker in self._old:
            ok = worker.wait(max(0, int((deadline - time.monotonic()) * 1000))) and ok
        return ok
