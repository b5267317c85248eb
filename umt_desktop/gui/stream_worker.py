"""Qt bridge to the sliding-window engine: runs it off the GUI thread and reports through signals.

Public interface (create and call from the GUI thread)::

    worker = StreamWorker(classifier, span=4.0, stride=0.5, smoothing="ema:0.5",
                          threshold=0.3, topk=5, realtime=False)
    worker.frame.connect(show)           # (image: RGB ndarray (H, W, 3), index: int, seconds: float), <= ~30/s
    worker.prediction.connect(update)    # (core.streaming.engine.WindowResult)
    worker.metrics.connect(status)       # (core.streaming.engine.EngineMetrics)
    worker.error.connect(notify)         # (str) one line for the user: bad source, stream lost, ...
    worker.saliency.connect(draw)        # (core.streaming.explainer.WindowMaps) while maps are on
    worker.saliency_error.connect(say)   # (str) one line: this window has no map
    worker.finished.connect(done)        # () the thread has ended and the source is released
    worker.start("camera:0")             # a file path, camera:N, a URL, or a core.streaming.sources.FrameSource

    worker.start(other)          # while running: switch source (the old one is released first)
    worker.set_classifier(clf)   # while running: the next window uses the new model
    worker.pause(); worker.resume()
    worker.set_explain(True, class_index=None)   # maps of the newest window (None: its top class); False: off
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

Saliency maps (`set_explain`) are computed by a `core.streaming.explainer.WindowExplainer`
in a thread of its own, from the frames the engine kept of the newest window
(`engine.last_clip`): when on, each new window is asked for as it is classified (the
newest request wins, so a slow map skips windows and never holds the engine up), and
turning it on or choosing a class asks for the window shown now (a paused file too).
`thumbnails(frame indices) -> {index: RGB array}` (optional) gives the pictures the maps
are sized to and blended over. Off, nothing is computed: the engine only keeps a
reference to the frames it made anyway. `maps_computed` counts the maps made.

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

    def __init__(self, engine, source, source_options: dict, frame_hook=None, window_hook=None) -> None:
        super().__init__()
        self.engine = engine
        self.source_options = source_options
        self.frame_hook = frame_hook
        self.window_hook = window_hook  # (WindowResult, WindowClip), in this thread, after `prediction`
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
                        self.engine.run(source, on_window=self._on_window, on_frame=self._on_frame,
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

    def _on_window(self, result) -> None:
        self.prediction.emit(result)
        if self.window_hook is not None:
            try:
                self.window_hook(result, self.engine.last_clip)
            except Exception:  # an extra (a saliency request) must never stop the stream
                log.exception("window hook failed")

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
    saliency = Signal(object)
    saliency_error = Signal(str)

    def __init__(
        self,
        classifier,
        *,
        realtime: bool = False,
        timeout: float = 5.0,
        retries: int = 3,
        frame_hook=None,
        thumbnails=None,
        parent: QObject | None = None,
        **engine_options,
    ) -> None:
        super().__init__(parent)
        self._frame_hook = frame_hook
        self._thumbnails = thumbnails
        self._explainer = None  # a core WindowExplainer while maps are on
        self._explain_class: int | None = None  # None: each window's (smoothed) top-1
        self._closed_explainers: list = []
        self._last_window = None  # (WindowResult, WindowClip) of the newest window
        self.maps_computed = 0
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
        self._last_window = None  # the maps are of this source's windows from now on
        if self._job is not None and self._thread is not None and self._thread.isRunning():
            self._job.switch(source)
            return
        from ..core.streaming.engine import SlidingWindowEngine

        # A fresh engine per run: a stopped run still winding down shares no state with this one.
        engine = SlidingWindowEngine(self._classifier, **self._engine_options)
        if self._paused:
            engine.pause()
        job = _StreamJob(engine, source, dict(self.source_options), self._frame_hook, self._window_done)
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

    # -- saliency maps -----------------------------------------------------------
    def set_explain(self, on: bool, class_index: int | None = None) -> None:
        """Maps on (for `class_index`, None: each window's smoothed top-1) or off (nothing computed).

        On: the newest window is mapped now (also while paused), and every later window as it comes.
        """
        if not on:
            self._close_explainer()
            return
        self._explain_class = None if class_index is None else int(class_index)
        if self._explainer is None:
            from ..core.streaming.explainer import WindowExplainer

            self._explainer = WindowExplainer(self._map_done, self._map_failed)
        self._request(self._explainer, self._last_window)

    def explaining(self) -> bool:
        return self._explainer is not None

    def _window_done(self, result, clip) -> None:  # the engine's thread, after each window
        self._last_window = (result, clip)
        explainer = self._explainer
        if explainer is not None:
            self._request(explainer, self._last_window)

    def _request(self, explainer, last) -> None:
        if last is None or last[1] is None:
            return
        result, clip = last
        wanted = self._explain_class
        class_index = result.smoothed[0].index if wanted is None else wanted
        thumbs = None
        if self._thumbnails is not None:
            got = self._thumbnails(clip.frames)
            thumbs = [got.get(i) for i in clip.frames]
        explainer.submit(clip, class_index, thumbs)

    def _map_done(self, maps) -> None:  # the explainer's thread
        self.maps_computed += 1
        self.saliency.emit(maps)

    def _map_failed(self, message: str, clip) -> None:  # the explainer's thread
        self.saliency_error.emit(message)

    def _close_explainer(self) -> None:
        explainer, self._explainer = self._explainer, None
        if explainer is not None:
            explainer.close()  # the map in progress finishes in its thread and is not delivered
            self._closed_explainers.append(explainer)

    def stop(self) -> None:
        """Ask the run to end; returns at once. The source is released as the thread ends."""
        self._close_explainer()
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
        for explainer in self._closed_explainers:  # a map still in progress ends with its thread
            ok = explainer.close(timeout=max(0.0, deadline - time.monotonic())) and ok
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
