"""Play, pause, step, seek and speed of the source shown in the window.

A seek or a step on a file lands on the end of a sliding window (`window_end_near`):
the playhead, the frame shown and the window shown then agree, and a paused file stays
paused there (the core `FileSource` holds right after that frame). The frames the window
needs before that point are decoded at once and not shown. A camera or stream cannot
seek; stepping it runs until its next window and pauses again.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from ..core.session import window_end_near
from .widgets import format_time

SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0)


class Playback(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self._step_pending = False  # live sources: pause at the next window

    @property
    def position(self) -> float:
        """Seconds of the frame on screen (the playhead)."""
        return self.w.timeline.position

    def _can_seek(self) -> bool:
        return self.w.session.is_file and self.w.classifier is not None

    def _options(self) -> dict:
        s = self.w.settings
        return {k: s[k] for k in ("span", "stride", "smoothing", "threshold", "topk")}

    def start(self, start: float = 0.0) -> None:
        """(Re)start the current source from `start` seconds, playing."""
        w = self.w
        w.live.start(w.source, w.classifier, start=start, **self._options())
        w.set_playing(True)

    # -- transport ------------------------------------------------------------
    def toggle(self) -> None:
        w = self.w
        if not w.live.running():
            if w.source and w.classifier is not None and not w.session.failed:
                self.start()
            return
        if w.live.paused():
            w.live.resume()
            w.set_playing(True)
        else:
            w.live.pause()
            w.set_playing(False)

    def step(self) -> None:
        """One window forward, paused (pausing first when playing)."""
        w = self.w
        if not w.live.running():
            return
        if w.live.is_file():
            target = self._next_end(+1)
            if not (w.live.paused() and w.live.step_to(target)):  # held: decode on to there, smoothing goes on
                self.seek(target, paused=True)
            return
        self._step_pending = True  # live: run until the next window, then pause
        w.live.resume()

    def step_back(self) -> None:
        """One window back, paused (files)."""
        if self._can_seek():
            self.seek(self._next_end(-1), paused=True)

    def seek_by(self, windows: int) -> None:
        """One stride per window forward (+) or back (-), keeping play or pause."""
        if self._can_seek():
            self.seek(self._next_end(windows))

    def _next_end(self, windows: int) -> float:
        s = self.w.settings
        here = window_end_near(self.position, s["span"], s["stride"], self.w.session.duration)
        if here < s["span"] and windows > 0:
            return s["span"]  # the first window
        return here + windows * s["stride"]

    def seek(self, seconds: float, paused: bool | None = None) -> None:
        """Show the file at `seconds` (snapped to a window end); `paused` None keeps the current state."""
        w = self.w
        if not self._can_seek():
            return
        s = self.w.settings
        running = w.live.running()
        if paused is None:
            paused = running and w.live.paused()
        target = window_end_near(seconds, s["span"], s["stride"], w.session.duration)
        # Start a little before the window's first frame, so rounding to a frame never skips it.
        start = max(0.0, target - s["span"] - s["stride"] / 2)
        w.timeline.set_position(target)
        w.show_time(target)
        w.video.clear_prediction()  # the old window's label must not sit on the new frame
        w.live_panel.clear(f"Window ending at {format_time(target)}…" if target >= s["span"]
                           else f"First window at {format_time(s['span'])}")
        w.live.start(w.source, w.classifier, start=start, show_from=target,
                     hold_at=target if paused else None, **self._options())
        w.set_playing(not paused)

    def set_speed(self, speed: float) -> None:
        self.w.live.set_speed(speed)

    def on_window(self) -> None:
        """A window arrived: finish a live step."""
        if self._step_pending:
            self._step_pending = False
            self.w.live.pause()
            self.w.set_playing(False)
