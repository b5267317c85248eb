"""Saliency maps of live windows, computed in a thread of their own: the newest request wins.

    explainer = WindowExplainer(on_result=show, on_error=say)
    explainer.submit(engine.last_clip, class_index, thumbnails)   # from any thread; returns at once
    explainer.close()

A request replaces the one still waiting (a stale window is skipped, never queued), so
the maps follow the newest window however slow the backward pass is; `computed` and
`skipped` count them. Nothing runs until the first `submit`: a window that nobody asks
about costs nothing. The maps are `core.explain.window_saliency` of the window's own 8
model-input frames (what `SlidingWindowEngine.last_clip` keeps), sized to the thumbnails
given and blended over them (`core.explain.thumbnail_overlay`), so the caller only shows pictures.
No Qt here: `umt_desktop.gui.stream_worker` turns the callbacks into signals.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import UMTError
from .engine import WindowClip

log = logging.getLogger(__name__)


@dataclass
class WindowMaps:
    """Where the model looked in one window, for one class."""

    index: int  # the window's k, as in WindowResult.index
    t: float  # end of the window (seconds on the source clock)
    start: float
    frames: list[int]  # the window's 8 source frame indices
    class_index: int
    label: str
    prob: float  # the class's probability in this window (the raw window, not smoothed)
    maps: np.ndarray = field(repr=False)  # (8, h, w) float32 in [0, 1], sized to the thumbnails
    overlays: list[np.ndarray | None] = field(repr=False)  # the thumbnails with their map blended in (None: no thumbnail)
    seconds: float = 0.0  # time the map took


class WindowExplainer:
    """One worker thread, one waiting request at most (see the module docstring)."""

    def __init__(self, on_result: Callable[[WindowMaps], None],
                 on_error: Callable[[str, WindowClip], None] | None = None) -> None:
        self.on_result = on_result
        self.on_error = on_error
        self._cond = threading.Condition()
        self._pending: tuple | None = None
        self._closed = False
        self._busy = False
        self._thread: threading.Thread | None = None
        self.computed = 0  # maps computed (successfully)
        self.failed = 0
        self.skipped = 0  # requests replaced by a newer one before they started

    def submit(self, clip: WindowClip, class_index: int, thumbnails: list[np.ndarray | None] | None = None) -> None:
        """Ask for the map of `clip` for `class_index`; replaces a request that has not started."""
        with self._cond:
            if self._closed:
                return
            if self._pending is not None:
                self.skipped += 1
            self._pending = (clip, int(class_index), thumbnails)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="umt saliency", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    @property
    def busy(self) -> bool:
        """A map is being computed or waits to be."""
        with self._cond:
            return self._busy or self._pending is not None

    def close(self, timeout: float | None = None) -> bool:
        """Drop the waiting request and end the thread after the map in progress; True once it has ended
        (`timeout` None: do not wait)."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()
            thread = self._thread
        if thread is None:
            return True
        if timeout is not None:
            thread.join(timeout)
        return not thread.is_alive()

    def _work(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                request, self._pending = self._pending, None
                self._busy = True
            result, message = None, None
            try:
                result = explain_clip(*request)
            except UMTError as e:
                message = str(e)
            except Exception as e:  # a bug: one line for the user, the traceback in the log
                log.exception("saliency map failed")
                message = f"the saliency map failed: {type(e).__name__}: {e}"
            try:
                if message is None:
                    self.computed += 1
                    if not self._closed:
                        self.on_result(result)
                else:
                    self.failed += 1
                    if not self._closed and self.on_error is not None:
                        self.on_error(message, request[0])
            except Exception:  # a callback's failure must not end the thread
                log.exception("saliency callback failed")
            finally:
                with self._cond:
                    self._busy = False


def explain_clip(clip: WindowClip, class_index: int, thumbnails: list[np.ndarray | None] | None = None) -> WindowMaps:
    """The map of one kept window for one class, sized to (and blended over) its thumbnails."""
    from ..explain import thumbnail_overlay, window_saliency

    started = time.perf_counter()
    shown = [t for t in (thumbnails or []) if t is not None]
    size = (shown[0].shape[1], shown[0].shape[0]) if shown else None
    maps, prob = window_saliency(clip.classifier, clip.images, class_index, size)
    overlays = [None if t is None or t.shape[:2] != maps.shape[1:] else thumbnail_overlay(t, m)
                for t, m in zip(thumbnails or [None] * len(maps), maps)]
    labels = clip.classifier.labels
    return WindowMaps(clip.index, clip.t, clip.start, list(clip.frames), int(class_index), labels[int(class_index)],
                      prob, maps, overlays, time.perf_counter() - started)
