"""The option values every front end shares: defaults, bounds and small value types.

Pure Python (no torch, no numpy, no Qt), so the CLI can build its parser, the
settings file can be checked and the window can set up its controls without
loading the model code. Each fact is written here once; the engine, the settings,
the CLI and the window import it instead of keeping a copy.

    from umt_desktop.core.options import STRIDE, Smoothing, is_live_source
    STRIDE.check(0.5)                 # -> 0.5; raises ValueError outside [0.04, 30] s
    Smoothing.parse("ema:0.3")        # -> Smoothing(kind='ema', value=0.3)
    is_live_source("file:///a.mp4")   # -> False (a file); camera:N and other URLs are live

Sliding window (see docs/streaming.md): a window of 8 frames spread over the last
SPAN seconds is classified every STRIDE seconds, its probabilities smoothed over
recent windows; below THRESHOLD the smoothed top-1 is "no confident action".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

from .errors import UMTError

# -- bounds ----------------------------------------------------------------------


@dataclass(frozen=True)
class Bounds:
    """An inclusive range [low, high] of a numeric option."""

    name: str
    low: float
    high: float
    unit: str = ""  # " s" for seconds, shown after the numbers

    def __contains__(self, value: object) -> bool:
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return False
        return math.isfinite(v) and self.low <= v <= self.high

    def check(self, value: float) -> float:
        """`value` as a float when it lies within the bounds; ValueError (one line) otherwise."""
        if value not in self:
            raise ValueError(f"{self.name} must lie between {self.describe()}, got {_show(value)}")
        return float(value)

    def describe(self) -> str:
        return f"{self.low:g} and {self.high:g}{self.unit}"


def _show(value: object) -> str:
    try:
        return f"{float(value):g}"  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return repr(value)


# The 8 frames of a window cover at least a tenth of a second, at most a minute.
SPAN = Bounds("span", 0.1, 60.0, " s")
# One window per 25 fps frame at most (a stride below a source's own frame interval
# is raised to it when the source says its rate), one every 30 s at least.
STRIDE = Bounds("stride", 0.04, 30.0, " s")
THRESHOLD = Bounds("threshold", 0.0, 1.0)
# Classes listed per window / video: the window shows at most TOPK.high rows; the CLI
# accepts any k >= 1 and lists at most every class.
TOPK = Bounds("top-k", 1, 20)
EMA_ALPHA = Bounds("the EMA weight", 0.0, 1.0)  # 0 itself is excluded (nothing would change)
MEAN_WINDOWS = Bounds("the moving-average length", 1, 100, " windows")



def frame_stride(stride: float, fps: float | None) -> tuple[float, str | None]:
    """(stride to use, note) for a source of `fps` frames a second: a stride shorter than one
    frame interval would classify the same frames again, so it is raised to that interval,
    with a one-line note saying so (None when the stride is kept)."""
    if not fps or not math.isfinite(fps) or fps <= 0:
        return stride, None
    interval = 1.0 / fps
    if stride >= interval - 1e-9:
        return stride, None
    return interval, (
        f"stride {stride:g} s is shorter than one frame of this source ({fps:g} fps); "
        f"using {interval:.4g} s, one window per frame"
    )


DEFAULT_SPAN = 4.0  # seconds of video each window spreads its 8 frames over
DEFAULT_STRIDE = 0.5  # seconds between window ends
DEFAULT_SMOOTHING = "ema:0.5"
DEFAULT_THRESHOLD = 0.3
DEFAULT_TOPK = 5
DEFAULT_EMA_ALPHA = 0.5
DEFAULT_MEAN_WINDOWS = 3


# -- smoothing ---------------------------------------------------------------------
@dataclass(frozen=True)
class Smoothing:
    """How window probabilities are smoothed over time: off, EMA or moving average."""

    kind: str = "ema"  # "off" | "ema" | "mean"
    value: float = DEFAULT_EMA_ALPHA  # EMA: weight of the newest window (0 < alpha <= 1); mean: number of windows

    @classmethod
    def parse(cls, text: str | Smoothing | None) -> Smoothing:
        """'off' (or 'none', 'raw'), 'ema', 'ema:0.3', 'mean' or 'mean:5' (any case, spaces ignored)."""
        if isinstance(text, Smoothing):
            return text
        if text is not None and not isinstance(text, str):
            raise UMTError(f"bad smoothing {text!r}: {SMOOTHING_HELP}")
        raw = (text or "off").strip().lower().replace(" ", "")
        kind, _, arg = raw.partition(":")
        try:
            if kind in ("off", "none", "raw") and not arg:
                return cls("off", 0.0)
            if kind == "ema":
                alpha = float(arg) if arg else DEFAULT_EMA_ALPHA
                if alpha in EMA_ALPHA and alpha > 0.0:
                    return cls("ema", alpha)
            elif kind == "mean":
                n = int(arg) if arg else DEFAULT_MEAN_WINDOWS
                if n in MEAN_WINDOWS:
                    return cls("mean", float(n))
        except (ValueError, OverflowError):
            pass
        raise UMTError(f"bad smoothing {text!r}: {SMOOTHING_HELP}")

    def __str__(self) -> str:
        if self.kind == "off":
            return "off"
        return f"ema:{self.value:g}" if self.kind == "ema" else f"mean:{int(self.value)}"


SMOOTHING_HELP = (
    f"use off, ema[:ALPHA] with 0 < ALPHA <= 1, or mean[:N] with "
    f"{MEAN_WINDOWS.low:g} <= N <= {MEAN_WINDOWS.high:g}"
)


# -- results -------------------------------------------------------------------------
class TopK(NamedTuple):
    """One ranked class of a prediction."""

    index: int
    label: str
    score: float


# -- whole-video classification --------------------------------------------------------
PROTOCOL_NAMES = ("4x3", "1x1")  # core.video.protocols.PROTOCOLS holds what each one means
DEFAULT_PROTOCOL = "4x3"  # the published protocol: 4 clips x 3 crops
READER_NAMES = ("decord", "opencv")  # core.video.readers.READERS
DEFAULT_READER = "decord"  # the published numbers were measured with decord


# -- sources ------------------------------------------------------------------------------
_CAMERA = re.compile(r"^camera:", re.IGNORECASE)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_FILE_URL = re.compile(r"^file://", re.IGNORECASE)


def is_live_source(spec: object) -> bool:
    """True for a camera (``camera:N``) or a network stream (any ``scheme://`` but ``file://``);
    False for a video file, given as a path or a ``file://`` URL."""
    text = str(spec).strip()
    if _CAMERA.match(text):
        return True
    return bool(_URL.match(text)) and not _FILE_URL.match(text)


def file_path_of(spec: object) -> str:
    """The local path of a file source: a ``file://`` URL decoded, anything else unchanged."""
    text = str(spec).strip()
    if not _FILE_URL.match(text):
        return text
    rest = text[len("file://") :]
    if rest.lower().startswith("localhost/"):
        rest = rest[len("localhost") :]
    return unquote(rest)
