"""Options and helpers shared by the commands."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from ..core.device import PRECISIONS
from ..core.jsonio import dumps


def add_model_options(parser: argparse.ArgumentParser, multiple: bool = False) -> None:
    group = parser.add_mutually_exclusive_group(required=not multiple)
    action = "append" if multiple else "store"
    group.add_argument("--model", action=action, metavar="NAME", help="installed zoo model (see `models list`)")
    group.add_argument("--checkpoint", action=action, metavar="FILE", help="checkpoint file (MMAction2 or OpenGVLab format)")
    parser.add_argument("--labels", metavar="FILE", help="label map, one class per line (default: Kinetics by class count)")


def add_device_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda or cuda:N (default: auto)")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="model precision (default: float16 weights on CUDA, float32 on CPU)")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="run the model uncompiled on CUDA (default: torch.compile where Triton is available)")


def print_compile_note(clf) -> None:
    """One line on stderr when the model runs uncompiled on a GPU for a reason the user did not choose."""
    note = getattr(clf, "compile_note", None)
    if note and note != "compilation turned off":
        print(f"note: {note}", file=sys.stderr)


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


def check_output_file(path, option: str) -> None:
    """Before any work: `path` can be written (its folder exists and is writable, it is not a folder).
    Raises UMTError with one line naming `option` otherwise."""
    import os
    from pathlib import Path

    from ..core.errors import UMTError

    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UMTError(f"{option} {path}: that is a folder; give a file name")
    if not folder.exists():
        raise UMTError(f"{option} {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise UMTError(f"{option} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UMTError(f"{option} {path}: permission denied (cannot write there)")


def notice_once():
    """A callback printing a one-line note on stderr the first time each distinct note is given."""
    seen: set[str] = set()

    def notice(text: str) -> None:
        if text not in seen:
            seen.add(text)
            print(f"umt-desktop: note: {text}", file=sys.stderr, flush=True)

    return notice


def print_json(obj) -> None:
    sys.stdout.write(dumps(obj) + "\n")  # strict JSON: never a bare NaN or Infinity
    sys.stdout.flush()


class ProgressBar:
    """Progress on stderr, drawn by tqdm.

    On a terminal tqdm redraws the line in place at most ten times a second; redirected
    to a file or a pipe, only the final line is written, so logs carry no carriage-return spam.
    ``update(done, total, extra)`` takes absolute counts (what the core's callbacks report).
    """

    @staticmethod
    def _format(total, unit: str) -> str:
        size = "{n_fmt}/{total_fmt}" + ("{unit}" if unit == "B" else "")
        if not total:  # not known (yet)
            return "{desc} " + size.split("/")[0] + " {elapsed} {rate_fmt}{postfix}"
        return "{desc} [{bar}] {percentage:5.1f}% " + size + " {rate_fmt} eta {remaining}{postfix}"

    def __init__(self, label: str, total: int | None = None, unit: str = "", stream=None):
        from tqdm import tqdm

        self.stream = stream or sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self._sink = None if self.live else open(os.devnull, "w")
        self._unit = unit
        size = _terminal_size()
        self._bar = tqdm(
            total=total, desc=label, unit=unit or "it", unit_scale=unit == "B", unit_divisor=1024 if unit == "B" else 1000,
            file=self.stream if self.live else self._sink, mininterval=0.1, ascii=" #", ncols=size.columns, nrows=size.lines,
            bar_format=self._format(total, unit), leave=True,
        )

    @property
    def done(self) -> float:
        return self._bar.n

    def update(self, done: float, total: float | None = None, extra: str = "") -> None:
        bar = self._bar
        if total is not None and total != bar.total:
            bar.total = total
            bar.bar_format = self._format(total, self._unit)
        if extra:
            bar.set_postfix_str(extra, refresh=False)
        bar.update(done - bar.n)

    def clear(self) -> None:
        """Take the bar off the terminal line before other output; the next update draws it again."""
        if self.live:
            self._bar.clear()

    def close(self) -> None:
        bar = self._bar
        if self.live:
            bar.close()
            return
        line = bar.format_meter(**{**bar.format_dict, "ncols": 80})  # the final state, once, on the real stream
        bar.close()
        self._sink.close()
        self.stream.write(line + "\n")
        self.stream.flush()


def _terminal_size() -> os.terminal_size:
    # A terminal that reports 0x0 (some ptys, CI runners) would make tqdm hide the bar.
    cols, lines = shutil.get_terminal_size((80, 24))
    return os.terminal_size((cols or 80, lines or 24))
