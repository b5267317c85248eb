"""Qt bridge to the sliding-window engine: runs it off the GUI thread and reports through signals.

Public interface (create and call from the GUI thread)::

    worker = StreamWorker(classifier, span=4.0, stride=0.5, smoothing="ema:0.5",
                          threshold=0.3, topk=5, realtime=False)
    worker.frame.connect(show)           # (image: RGB ndarray (H, W, 3), index: int, seconds: float), <= ~30/s
    worker.prediction.connect(update)    # (core.streaming.engine.WindowResult)
    worker.metrics.connect(status)       # (core.streaming.engine.EngineMetrics)
    worker.error.connect(notify)         # (str) one line for the user: bad source, stream lost, ...
    worker.finished.connect(done)        # () the thread has ended and the source is released
    worker.start("camera:0")             # a file path, camera:N, a URL, or a core.streaming.sources.FrameSource

    worker.start(other)          # while running: switch source (the old one is released first)
    worker.set_classifier(clf)   # while running: the next window uses the new model
    worker.pause(); worker.resume()
    worker.stop()                # returns at once; `finished` follows within about a second
    worker.wait(5000)            # block until the thread has ended (e.g. when the window closes)
    worker.is_running()

`realtime=True` plays files at their frame rate (a stand-in camera).
`frame_hook(frame)` (optional) sees every frame read, in the worker's threads
(e.g. to keep thumbnails); it must be quick and never touch a widget. `finished`
comes once per run, after the last `prediction`; a switch of source does not
emit it. Errors end the run (an `error`, then `finished`); a stopped run emits no
error. `prediction` and `metrics` carry the engine's own objects: see
`umt_desktop.core.streaming.engine` for their fields.

Inside: a `_StreamJob` QObject moved to a fresh QThread (thread.started ->
job.work; job.done -> thread.quit), with `torch.inference_mode()` entered in
that thread because grad mode is per thread. The engine's capture thread (live
sources) calls back `frame`; Qt queues it to the receivers' thread.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

log = logging.getLogger(__name__)

FRAME_INTERVAL = 1 / 30  # at most ~30 preview frames a second reach the GUI


class _StreamJob(QObject):
    """Runs the engine over one source after another (source switches) in its thread."""

    frame = Signal(object, int, float)
    prediction = Signal(object)
    metrics = Signal(object)
    error = Signal(str)
    done = Signal()

    def __init__(self, engine, source, source_options: dict, frame_hook=None) -> None:
        super().__init__()
        self.engine = engine
        self.source_options = source_options
        self.frame_hook = frame_hook
        self._lock = threading.Lock()
        self._pending = source
        self._cancel = threading.Event()
        self._stopped = False
        self._last_frame = 0.0

    def switch(self, source) -> None:
        with self._lock:
            self._pending = source
            self._cancel.set()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._pending = None
            self._cancel.set()

    @Slot()
    def work(self) -> None:
        import torch

        from ..core.errors import UMTError
        from ..core.streaming.sources import FrameSource, open_source

        try:
            with torch.inference_mode():
                while True:
                    with self._lock:
                        spec, self._pending = self._pending, None
                        if spec is None or self._stopped:
                            return
                        self._cancel = cancel = threading.Event()
                    try:
                        source = spec if isinstance(spec, FrameSource) else open_source(spec, **self.source_options)
                        self.engine.run(source, on_window=self.prediction.emit, on_frame=self._on_frame,
                                        on_metrics=self.metrics.emit, cancel=cancel)
                    except UMTError as e:
                        if not cancel.is_set():
                            self.error.emit(str(e))
                    except Exception as e:  # a bug: one line for the user, the traceback in the log
                        log.exception("stream worker failed")
                        if not cancel.is_set():
                            self.error.emit(f"the stream stopped unexpectedly: {type(e).__name__}: {e}")
        finally:
            self.done.emit()

    def _on_frame(self, frame) -> None:
        if self.frame_hook is not None:
            self.frame_hook(frame)
        now = time.monotonic()
        if now - self._last_frame >= FRAME_INTERVAL:
            self._last_frame = now
            self.frame.emit(frame.image, int(frame.index), float(frame.timestamp))


class StreamWorker(QObject):
    """GUI-side handle of the live stream (see the module docstring)."""

    frame = Signal(object, int, float)
    prediction = Signal(object)
    metrics = Signal(object)
    error = Signal(str)
    finished = Signal()

    def __init__(
        self,
        classifier,
        *,
        realtime: bool = False,
        timeout: float = 5.0,
        retries: int = 3,
        frame_hook=None,
        parent: QObject | None = None,
        **engine_options,
    ) -> None:
        super().__init__(parent)
        self._frame_hook = frame_hook
        from ..core.streaming.engine import SlidingWindowEngine

        self._classifier = classifier
        self._engine_options = engine_options
        self._paused = False
        SlidingWindowEngine(classifier, **engine_options)  # bad options fail here, not in the thread
        self.source_options = {"realtime": realtime, "timeout": timeout, "retries": retries}
        self._job: _StreamJob | None = None
        self._thread: QThread | None = None
        self._winding_down: list[tuple[QThread, _StreamJob]] = []

    def start(self, source) -> None:
        """Start on `source`, or switch to it when already running."""
        if self._job is not None and self._thread is not None and self._thread.isRunning():
            self._job.switch(source)
            return
        from ..core.streaming.engine import SlidingWindowEngine

        # A fresh engine per run: a stopped run still winding down shares no state with this one.
        engine = SlidingWindowEngine(self._classifier, **self._engine_options)
        if self._paused:
            engine.pause()
        job = _StreamJob(engine, source, dict(self.source_options), self._frame_hook)
        thread = QThread()
        thread.setObjectName("umt stream")
        job.moveToThread(thread)
        thread.started.connect(job.work)
        # Direct: QThread.quit is thread-safe, and a queued quit would never be delivered
        # while the GUI thread blocks in wait().
        job.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        for name in ("frame", "prediction", "metrics", "error"):
            getattr(job, name).connect(getattr(self, name))
        thread.finished.connect(self._thread_finished)
        self._job, self._thread = job, thread
        thread.start()

    def switch_source(self, source) -> None:
        self.start(source)

    @property
    def engine(self):
        """The engine of the current run (None when idle)."""
        return self._job.engine if self._job is not None else None

    def set_classifier(self, classifier) -> None:
        self._classifier = classifier
        if self._job is not None:
            self._job.engine.set_classifier(classifier)

    def pause(self) -> None:
        self._paused = True
        if self._job is not None:
            self._job.engine.pause()

    def resume(self) -> None:
        self._paused = False
        if self._job is not None:
            self._job.engine.resume()

    def is_paused(self) -> bool:
        return self._paused

    def stop(self) -> None:
        """Ask the run to end; returns at once. The source is released as the thread ends."""
        if self._job is None:
            return
        self._job.stop()
        for name in ("frame", "prediction", "metrics", "error"):
            getattr(self._job, name).disconnect(getattr(self, name))  # a stopped run reports nothing more
        self._winding_down.append((self._thread, self._job))
        self._job = self._thread = None

    def is_running(self) -> bool:
        return any(t.isRunning() for t in self.threads())

    def wait(self, msecs: int = 5000) -> bool:
        """Block until every stream thread has ended (True) or `msecs` passed (False)."""
        deadline = time.monotonic() + msecs / 1000
        ok = True
        for thread in self.threads():
            ok = thread.wait(max(0, int((deadline - time.monotonic()) * 1000))) and ok
        return ok

    def threads(self) -> list[QThread]:
        """Every stream thread still alive: the current run's and those winding down."""
        threads = [t for t, _ in self._winding_down]
        return threads + ([self._thread] if self._thread is not None else [])

    def _thread_finished(self) -> None:
        thread = self.sender()
        self._winding_down = [(t, j) for t, j in self._winding_down if t is not thread]
        if thread is self._thread:
            self._job = self._thread = None
        self.finished.emit()
