"""What the main window needs on top of `StreamWorker`: seeking, a file that holds still
while paused, the 8 thumbnails of each window, and a shutdown that never waits in vain.

Seeking, pausing and pacing are the core `FileSource`'s own (`start=`, `pause()`,
`keep_pace=False`); this module only asks for them.

`LiveStream` (GUI thread) keeps one `StreamWorker` per run (the window
parameters are fixed per worker) and re-emits its signals:

    frame(image RGB ndarray, frame index, seconds)   at most ~30 per second
    window(WindowResult, thumbnails {frame index: small RGB ndarray})
    metrics(EngineMetrics)
    error(str)                                       one line, for the notification banner
    opened(duration seconds)                         files only, once the file is open
    finished()
    saliency(core.streaming.explainer.WindowMaps)    while `set_explain(True, ...)`: maps of the newest window
    saliency_error(str)                              one line: that window has no map

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


class LiveStream(QObject):
    """GUI-side handle of the live view (see the module docstring)."""

    frame = Signal(object, int, float)
    window = Signal(object, object)
    metrics = Signal(object)
    error = Signal(str)
    opened = Signal(float)
    finished = Signal()
    saliency = Signal(object)
    saliency_error = Signal(str)
    _opened_from_thread = Signal(object, float)  # (worker, duration) from the worker's thread
    _frame_from_thread = Signal(object, object, int, float)  # (worker, image, index, seconds): a target frame

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from ..core.session import Latest

        self.worker = None
        self.source = None  # the FrameSource of the current run
        self.speed = 1.0  # playback speed of files
        self._runs = Latest()  # only the current worker's signals pass: an old run never paints over a new one
        self._old: list = []  # stopped workers whose threads are still ending
        self.thumbs = Thumbnails()
        self.duration = 0.0
        self._is_file = False
        self._held = False  # paused by the user, or holding at a seek/step target
        self._show_from = 0.0  # frames of a file before this second are not shown (catching up to a seek)
        self._target: dict = {}  # {"show": seconds}: the frame at this second is shown whatever the frame-rate cap
        self._explain: tuple[bool, int | None] = (False, None)  # saliency maps on, and for which class
        self._maps_before = 0  # maps computed by earlier runs
        self._opened_from_thread.connect(self._on_opened)
        self._frame_from_thread.connect(self._on_target_frame)

    def start(self, source: str, classifier, *, start: float = 0.0, show_from: float = 0.0,
              hold_at: float | None = None, **options) -> None:
        """Play `source` from `start` seconds (files). Frames before `show_from` are read as fast as
        they decode and not shown (the window a seek needs); with `hold_at` the file pauses right
        after the frame at that second."""
        from ..core.streaming.sources import FileSource, open_source
        from .stream_worker import StreamWorker

        self.stop()
        self.thumbs = thumbs = Thumbnails()
        self.duration = 0.0
        # A file plays like in a player: from `start`, every window computed, slower rather than rushed.
        src = open_source(source, realtime=True, start=start, live=False, keep_pace=False, speed=self.speed)
        self._is_file = isinstance(src, FileSource)
        self._held = hold_at is not None and self._is_file
        self._show_from = show_from if self._is_file else 0.0
        # Per run: a stopped run still reading its last frame must not take the new run's target.
        self._target = target = {"show": show_from if self._is_file and show_from > 0 else None}
        if self._is_file:
            src.catch_up_to(show_from)
            src.hold_at(hold_at)
        first = [True]

        def keep_frame(frame) -> None:  # worker threads
            thumbs.add(frame.index, frame.image)
            if first[0]:
                first[0] = False
                if self._is_file:
                    self._opened_from_thread.emit(worker, src.duration or 0.0)
            show = target["show"]
            if show is not None and frame.timestamp >= show - 1e-6:
                target["show"] = None
                self._frame_from_thread.emit(worker, frame.image, int(frame.index), float(frame.timestamp))

        worker = StreamWorker(classifier, realtime=True, frame_hook=keep_frame, thumbnails=thumbs.get,
                              parent=self, **options)
        worker.frame.connect(self._relay_frame)
        worker.saliency.connect(self._relay_saliency)
        worker.saliency_error.connect(self._relay_saliency_error)
        if self._explain[0]:
            worker.set_explain(*self._explain)
        worker.prediction.connect(self._relay_prediction)
        worker.metrics.connect(self._relay_metrics)
        worker.error.connect(self._relay_error)
        worker.finished.connect(self._relay_finished)
        self.worker, self.source = worker, src
        self._runs.begin(worker)
        worker.start(src)

    def _relay_frame(self, image, index, t) -> None:
        if not self._runs.is_current(self.sender()):
            return
        if self._is_file:
            if t >= self._show_from - 1e-6:
                self.frame.emit(image, index, t)
        elif not self._held:  # a paused camera keeps capturing; the picture stays still like a paused file
            self.frame.emit(image, index, t)

    def _on_target_frame(self, worker, image, index, t) -> None:
        if self._runs.is_current(worker):
            self.frame.emit(image, index, t)

    def _relay_prediction(self, result) -> None:
        if self._runs.is_current(self.sender()):
            self.window.emit(result, self.thumbs.get(result.frames))

    def _relay_saliency(self, maps) -> None:
        if self._runs.is_current(self.sender()) and self._explain[0]:
            self.saliency.emit(maps)

    def _relay_saliency_error(self, text: str) -> None:
        if self._runs.is_current(self.sender()) and self._explain[0]:
            self.saliency_error.emit(text)

    def _relay_metrics(self, m) -> None:
        if self._runs.is_current(self.sender()):
            self.metrics.emit(m)

    def _relay_error(self, text: str) -> None:
        if self._runs.is_current(self.sender()):
            self.error.emit(text)

    def _relay_finished(self) -> None:
        sender = self.sender()
        for w in [w for w in self._old if not w.is_running()]:
            self._old.remove(w)
            w.deleteLater()
        if self._runs.is_current(sender):
            self.finished.emit()

    def _on_opened(self, worker, duration: float) -> None:
        if self._runs.is_current(worker):
            self.duration = duration
            self.opened.emit(duration)

    # -- controls --------------------------------------------------------------
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def paused(self) -> bool:
        return self.worker is not None and self._held

    def is_file(self) -> bool:
        return self.worker is not None and self._is_file

    def pause(self) -> None:
        if self.worker is not None:
            self._held = True
            if self._is_file:
                self.source.pause()  # holds a file (and its clock) where it is
            self.worker.pause()  # no windows meanwhile (cameras keep capturing)

    def resume(self) -> None:
        if self.worker is not None:
            self._held = False
            if self._is_file:
                self.source.hold_at(None)
                self.source.resume()
            self.worker.resume()

    def step_to(self, seconds: float) -> bool:
        """A held file advances to `seconds` (decoded at once, not in real time) and holds there
        again; False when this run cannot (a live source, or nothing held)."""
        if self.worker is None or not self._is_file or not self._held:
            return False
        self._show_from = self._target["show"] = seconds
        self.source.catch_up_to(seconds)
        self.source.hold_at(seconds)
        self.source.resume()
        self.worker.resume()
        return True

    def set_speed(self, speed: float) -> None:
        """Playback speed of files (this run and the next ones)."""
        self.speed = float(speed)
        if self.worker is not None and self._is_file:
            self.source.set_speed(self.speed)

    def set_classifier(self, classifier) -> None:
        """Switch models without stopping: the engine uses it from the next window on."""
        if self.worker is not None:
            self.worker.set_classifier(classifier)

    @property
    def engine(self):
        return self.worker.engine if self.worker is not None else None

    def set_explain(self, on: bool, class_index: int | None = None) -> None:
        """Saliency maps of the newest window on (for `class_index`; None: each window's top-1) or off,
        for this run and the next ones; computed in the worker's threads (see `StreamWorker.set_explain`)."""
        self._explain = (bool(on), class_index if on else None)
        if self.worker is not None:
            self.worker.set_explain(*self._explain)

    @property
    def maps_computed(self) -> int:
        """Saliency maps computed by the workers so far (this run and the earlier ones)."""
        return self._maps_before + (self.worker.maps_computed if self.worker is not None else 0)

    def stop(self) -> None:
        """Ask the current run to end; returns at once."""
        if self.worker is None:
            return
        if self._is_file:
            self.source.hold_at(None)
            self.source.resume()  # a held file must read on to notice the stop
        self.worker.stop()
        self._maps_before += self.worker.maps_computed
        self._old.append(self.worker)
        self.worker = self.source = None
        self._runs.end()

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
