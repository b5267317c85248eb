"""User settings of the desktop app, persisted as JSON in the config dir (no Qt here).

    settings = Settings.load()          # defaults where the file is missing or broken
    settings["device"] = "cuda:0"
    settings.add_recent_file("clip.mp4")
    settings.save()                     # atomic write to core.paths.settings_path()

Every value is checked against the type of its default on load, so a hand-edited
or half-written file never breaks start-up: a bad value falls back to its default.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from . import options
from .errors import UMTError
from .jsonio import dumps
from .paths import settings_path

MAX_RECENT = 10

DEFAULTS: dict[str, Any] = {
    "model": "",  # zoo/installed model name or a checkpoint path; "" = none chosen yet
    "device": "auto",  # auto, cpu, cuda:N
    "precision": "auto",  # auto, float32, bfloat16, float16
    # The sliding window (core.options holds the defaults and bounds; docs/streaming.md says why).
    "span": options.DEFAULT_SPAN,  # seconds covered by the 8 frames of a live window
    "stride": options.DEFAULT_STRIDE,  # seconds between two live windows
    "smoothing": options.DEFAULT_SMOOTHING,  # off, ema[:ALPHA] (weight of the newest window) or mean[:N]
    "threshold": options.DEFAULT_THRESHOLD,  # below this smoothed top-1 score: "no confident action"
    "topk": options.DEFAULT_TOPK,
    "theme": "system",  # system, light, dark
    "geometry": "",  # base64 of QWidget.saveGeometry()
    "window_state": "",  # base64 of QMainWindow.saveState()
    "splitter": "",  # base64 of the Classify page's QSplitter.saveState() (video | results)
    "tab": "",  # the tab shown last (its title)
    "recent_files": [],
    "last_folder": "",
}

_BOUNDS = {"span": options.SPAN, "stride": options.STRIDE, "threshold": options.THRESHOLD, "topk": options.TOPK}
_CHOICES = {
    "precision": ("auto", "float32", "bfloat16", "float16"),
    "theme": ("system", "light", "dark"),
}


class Settings:
    """A dict-like view on the settings, with defaults and validation."""

    def __init__(self, values: dict[str, Any] | None = None, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else settings_path()
        self._values = copy.deepcopy(DEFAULTS)
        for key, value in (values or {}).items():
            if key in DEFAULTS:
                self[key] = value

    # -- persistence ---------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None) -> Settings:
        """Settings from `path` (default: the config dir); defaults for anything unreadable."""
        target = Path(path) if path is not None else settings_path()
        try:
            doc = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # unreadable, not JSON, nested too deep
            doc = {}
        if not isinstance(doc, dict):
            doc = {}
        settings = cls(path=target)
        for key, value in doc.items():
            if key in DEFAULTS:
                try:
                    settings[key] = value
                except (TypeError, ValueError, OverflowError):
                    pass  # keep the default for a value of the wrong kind
        return settings

    def save(self) -> Path:
        """Write atomically, so a crash mid-write leaves the previous file intact."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".settings.", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(dumps(self._values, indent=2, sort_keys=True))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.path

    # -- access --------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(f"unknown setting {key!r}")
        self._values[key] = _validate(key, value)

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._values)

    def reset(self, key: str | None = None) -> None:
        if key is None:
            self._values = copy.deepcopy(DEFAULTS)
        else:
            self._values[key] = copy.deepcopy(DEFAULTS[key])

    # -- recent files --------------------------------------------------------
    def add_recent_file(self, path: str | Path) -> list[str]:
        """Put `path` first in the recent list (no duplicates, at most MAX_RECENT)."""
        text = str(path)
        recent = [p for p in self._values["recent_files"] if p != text]
        self._values["recent_files"] = [text, *recent][:MAX_RECENT]
        return list(self._values["recent_files"])

    def recent_files(self, existing_only: bool = True) -> list[str]:
        files = list(self._values["recent_files"])
        if existing_only:
            # Live sources (cameras, streams) are kept; a file (a path or a file:// URL) while it exists.
            files = [p for p in files if options.is_live_source(p) or Path(options.file_path_of(p)).exists()]
        return files


def _validate(key: str, value: Any) -> Any:
    default = DEFAULTS[key]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(key)
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        # 1e400 reads as inf, and int(inf) raises OverflowError: check finiteness first.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{key} must be an integer")
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise TypeError(f"{key} must be an integer")
        value = int(value)
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{key} must be a number")
        try:
            value = float(value)  # a huge int raises OverflowError
        except OverflowError:
            raise ValueError(f"{key} is out of range") from None
        if not math.isfinite(value):
            raise ValueError(f"{key} must be a finite number")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise TypeError(f"{key} must be text")
    elif isinstance(default, list):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise TypeError(f"{key} must be a list of text")
        value = list(value)[:MAX_RECENT]
    if key in _BOUNDS:
        _BOUNDS[key].check(value)
    if key == "smoothing":
        try:
            value = str(options.Smoothing.parse(value))
        except UMTError as e:
            raise ValueError(str(e)) from None
    if key in _CHOICES and value not in _CHOICES[key]:
        raise ValueError(f"{key} must be one of {', '.join(_CHOICES[key])}")
    return value
