"""Options and helpers shared by the commands."""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..core.device import PRECISIONS


def add_model_options(parser: argparse.ArgumentParser, multiple: bool = False) -> None:
    group = parser.add_mutually_exclusive_group(required=not multiple)
    action = "append" if multiple else "store"
    group.add_argument("--model", action=action, metavar="NAME", help="installed zoo model (see `models list`)")
    group.add_argument("--checkpoint", action=action, metavar="FILE", help="checkpoint file (MMAction2 or OpenGVLab format)")
    parser.add_argument("--labels", metavar="FILE", help="label map, one class per line (default: Kinetics by class count)")


def add_device_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda or cuda:N (default: auto)")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS, help="autocast precision (default: bfloat16 on CUDA, float32 on CPU)")


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def count(text: str) -> int:
    """argparse type: an integer of 0 or more."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def probability(text: str) -> float:
    """argparse type: a number between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must lie between 0 and 1")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class ProgressBar:
    """A text progress bar on stderr.

    On a terminal it is redrawn in place at most ten times a second; redirected to a
    file or a pipe it writes only its final line, so logs stay readable.
    """

    def __init__(self, label: str, total: int | None = None, unit: str = "", width: int = 28, stream=None):
        self.label, self.total, self.unit, self.width = label, total, unit, width
        self.stream = stream or sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.monotonic()
        self._last = 0.0
        self._shown = 0  # length of the line on screen, to blank what a shorter one leaves
        self.done = 0
        self.extra = ""

    def update(self, done: float, total: float | None = None, extra: str = "") -> None:
        self.done, self.extra = done, extra
        if total is not None:
            self.total = total
        now = time.monotonic()
        if not self.live or (now - self._last < 0.1 and (self.total is None or done < self.total)):
            return
        self._last = now
        self._draw(self._render())

    def _draw(self, line: str, end: str = "") -> None:
        self.stream.write("\r" + line.ljust(self._shown) + end)
        self.stream.flush()
        self._shown = 0 if end else len(line)

    def _render(self) -> str:
        elapsed = time.monotonic() - self.start
        if self.total:
            frac = min(1.0, self.done / self.total)
            filled = int(frac * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            eta = elapsed / frac - elapsed if frac > 0 else 0.0
            text = f"{self.label} [{bar}] {frac:6.1%} {_fmt(self.done, self.unit)}/{_fmt(self.total, self.unit)} eta {eta:4.0f}s"
        else:
            text = f"{self.label} {_fmt(self.done, self.unit)} {elapsed:4.0f}s"
        return f"{text} {self.extra}".rstrip()

    def close(self) -> None:
        self._draw(self._render(), end="\n")


def _fmt(n: float, unit: str) -> str:
    if unit == "B":
        for u in ("B", "KB", "MB", "GB"):
            if n < 1024 or u == "GB":
                return f"{n:.0f}{u}" if u == "B" else f"{n:.1f}{u}"
            n /= 1024
    return f"{n:g}{unit}"
