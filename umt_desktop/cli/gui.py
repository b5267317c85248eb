"""`umt-desktop gui [SOURCE] [--model NAME | --checkpoint FILE] [--device ...] [--screenshot PNG] ...`.

Opens the desktop window. With `--screenshot`, it opens SOURCE, waits until a
prediction is displayed, saves a PNG of the main window and exits 0 (1 when no
prediction appeared within `--timeout` seconds). With `--eval ROOT` it runs the
evaluation panel instead and captures it when the run ends. PySide6 is imported
inside `run()` only.
"""

from __future__ import annotations

import argparse
import sys

from ..core.device import PRECISIONS
from ..core.options import DEFAULT_PROTOCOL, PROTOCOL_NAMES


def add_parser(sub) -> None:
    p = sub.add_parser(
        "gui",
        help="open the desktop application",
        description="Open the desktop application (drag and drop videos, cameras, model manager).",
    )
    p.add_argument("source", nargs="?", metavar="SOURCE", help="a video file, camera:N or a stream URL to open")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--model", metavar="NAME", help="installed zoo model to use")
    group.add_argument("--checkpoint", action="append", metavar="FILE",
                       help="checkpoint file to use (with --eval: repeat to compare several)")
    p.add_argument("--device", default=None, help="auto, cpu, cuda or cuda:N (default: the saved choice)")
    p.add_argument("--precision", default=None, choices=PRECISIONS, help="model precision (default: saved choice)")
    p.add_argument("--theme", choices=["system", "light", "dark"], help="colour theme (default: saved choice)")
    p.add_argument("--screenshot", metavar="PNG", help="save a PNG of the window once a prediction is shown, then exit")
    p.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                   help="with --screenshot: how long to wait for a prediction (default: 120; with --eval: 3600)")
    p.add_argument("--exit-after", type=_seconds, metavar="SECONDS", help="close the window after this many seconds")
    p.add_argument("--size", default="1360x860", metavar="WxH", help="window size with --screenshot (default: 1360x860)")
    p.add_argument("--eval", metavar="ROOT", help="run the evaluation panel on a Kinetics folder (with --screenshot)")
    p.add_argument("--ann", metavar="FILE", help="with --eval: annotation file (list or CSV)")
    p.add_argument("--views", default=DEFAULT_PROTOCOL, choices=PROTOCOL_NAMES, help="with --eval: test protocol")
    p.set_defaults(run=run)


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w > 0 and h > 0:
            return w, h
    except ValueError:
        pass
    raise SystemExit(f"umt-desktop gui: error: --size wants WIDTHxHEIGHT, got {text!r}")


def _prepare_display(headless: bool) -> None:
    """Captures need no screen: use Qt's offscreen platform when there is none.
    An interactive window without a screen is a clear error instead of a Qt abort."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    if headless:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    from ..core.errors import UMTError

    raise UMTError("no display found (DISPLAY is not set); run it in a desktop session, "
                   "or use --screenshot PNG for a headless capture")


def run(args) -> int:
    from ..core.errors import UMTError

    _prepare_display(headless=bool(args.screenshot))
    if args.checkpoint and not args.eval and len(args.checkpoint) > 1:
        raise UMTError("give one --checkpoint (several are for --eval)")
    if args.eval:
        return _run_eval(args)
    args.checkpoint = args.checkpoint[0] if args.checkpoint else None
    if args.source and not args.screenshot:
        _check_source(args.source)
    if args.screenshot:
        return _run_screenshot(args)
    from ..gui.app import main

    return main(args)


def _check_source(source: str) -> None:
    from pathlib import Path

    from ..core.errors import VideoError
    from ..core.video.readers import is_video_path

    if source.startswith("camera:") or "://" in source:
        return
    path = Path(source)
    if not path.exists():
        raise VideoError(f"{source} does not exist")
    if not path.is_file() or not is_video_path(path):
        raise VideoError(f"{source} is not a video file")


def _run_screenshot(args) -> int:
    """Open the window, wait for the first displayed prediction, save a PNG, exit."""
    from ..core.errors import UMTError

    if not args.source:
        raise UMTError("--screenshot needs a SOURCE to classify (a video file, camera:N or a URL)")
    _check_source(args.source)
    from PySide6.QtCore import QTimer

    from ..core.settings import Settings
    from ..gui.app import application

    settings = Settings.load()
    _quiet_for_capture()
    app = application(theme=args.theme or settings["theme"])
    from ..gui.main_window import MainWindow

    if args.device:
        settings["device"] = args.device
    if args.precision:
        settings["precision"] = args.precision
    settings["geometry"] = ""  # a reproducible size, not the user's last one
    window = MainWindow(settings, model=args.checkpoint or args.model)
    window.settings_persist = False
    window.resize(*_size(args.size))
    window.show()
    outcome = {"code": 1, "why": "no prediction appeared in time"}

    def capture() -> None:
        image = window.grab()
        if image.save(args.screenshot):
            outcome.update(code=0, why="")
        else:
            outcome.update(code=1, why=f"cannot write {args.screenshot}")
        window.close()

    def on_prediction(_result) -> None:
        if outcome.get("armed"):
            return
        outcome["armed"] = True
        # Let a few more windows arrive (chart, filmstrip) and the 4x3 result of a file land.
        QTimer.singleShot(2500, wait_for_whole)

    def wait_for_whole(waited: float = 0.0) -> None:
        if window.whole is None and window.classify_job is not None and waited < 60:
            QTimer.singleShot(250, lambda: wait_for_whole(waited + 0.25))
            return
        QTimer.singleShot(100, capture)

    window.predictionShown.connect(on_prediction)
    window.wholeVideoShown.connect(lambda _r: on_prediction(None) if not window.live.running() else None)
    window.open_sources([args.source])

    def give_up() -> None:
        if not outcome.get("armed"):
            window.close()

    def stream_ended() -> None:
        # The source ended or failed before any window: nothing more will come.
        if not outcome.get("armed") and window.predictions_shown == 0:
            QTimer.singleShot(500, give_up)

    def no_model() -> None:
        # Nothing loaded and nothing loading (the model failed to load, or there is none):
        # no prediction can come, so stop now rather than at --timeout.
        if outcome.get("armed") or window.classifier is not None or window.models.job is not None:
            return
        outcome["why"] = "no model could be loaded"
        give_up()

    window.live.finished.connect(stream_ended)
    watch = QTimer(window)
    watch.timeout.connect(no_model)
    watch.start(200)
    QTimer.singleShot(int((args.timeout or 120.0) * 1000), give_up)
    app.exec()
    watch.stop()
    if outcome["code"] != 0:
        print(f"umt-desktop: error: {_problem(window.notifier) or outcome['why']}", file=sys.stderr)
    return outcome["code"]


def _problem(notifier) -> str | None:
    """What went wrong, in the window's words: the first error shown, else the first warning."""
    for level in ("error", "warning"):
        for note in notifier.history:
            if note.level == level:
                return note.text
    return None


def _quiet_for_capture() -> None:
    """A capture reports its outcome in one line of its own: the window's notifications are
    not echoed to stderr as log records, nor Qt's platform warnings (offscreen size hints)."""
    import logging

    from PySide6.QtCore import qInstallMessageHandler

    logging.getLogger("umt_desktop").addHandler(logging.NullHandler())
    qInstallMessageHandler(lambda *_: None)


def _run_eval(args) -> int:
    """The evaluation panel, headless: run it, capture it when finished."""
    from PySide6.QtCore import QTimer

    from ..core.errors import UMTError
    from ..core.settings import Settings
    from ..gui.app import application
    from ..gui.main_window import MainWindow

    checkpoints = list(args.checkpoint or ([args.model] if args.model else []))
    if not checkpoints:
        raise UMTError("--eval needs at least one --checkpoint FILE or --model NAME")
    settings = Settings.load()
    _quiet_for_capture()
    app = application(theme=args.theme or settings["theme"])
    settings["geometry"] = ""
    window = MainWindow(settings, model=checkpoints[0])
    window.settings_persist = False
    window.resize(*_size(args.size))
    window.tabs.setCurrentWidget(window.eval_page)
    window.show()
    panel = window.eval_panel
    panel.configure(args.eval, ann=args.ann, checkpoints=checkpoints, views=args.views,
                    device=args.device or "auto")
    outcome = {"code": 1, "why": "the evaluation did not finish in time"}

    def finished(ok: bool) -> None:
        def capture() -> None:
            target = window if args.screenshot else None
            if target is not None and not target.grab().save(args.screenshot):
                outcome.update(code=1, why=f"cannot write {args.screenshot}")
            else:
                outcome.update(code=0 if ok else 1, why="" if ok else "the evaluation failed")
            window.close()

        QTimer.singleShot(300, capture)

    panel.finished.connect(finished)
    panel.start()
    QTimer.singleShot(int((args.timeout or 3600.0) * 1000), window.close)
    app.exec()
    if outcome["code"] != 0:
        last = window.notifier.last("error")
        print(f"umt-desktop: error: {last.text if last else outcome['why']}", file=sys.stderr)
    return outcome["code"]
