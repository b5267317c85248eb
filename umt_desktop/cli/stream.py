"""`umt-desktop stream SOURCE (--model NAME | --checkpoint FILE)`: sliding-window inference.

SOURCE is a video file, `camera:N` or a stream URL (rtsp://, http(s)://, udp://...).
Every STRIDE seconds a window of 8 frames spread over the last SPAN seconds is
classified. Files are processed as fast as possible and every window is computed
(unless --realtime plays them at their frame rate, like a camera); live sources
always classify the newest window and skip (count) the ones the model could not
keep up with. --jsonl prints one JSON object per window:
{"t", "frames", "top", "smoothed", "latency_ms", "inference_ms"}.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ..core.options import (
    DEFAULT_SMOOTHING,
    DEFAULT_SPAN,
    DEFAULT_STRIDE,
    DEFAULT_THRESHOLD,
    DEFAULT_TOPK,
    SMOOTHING_HELP,
    SPAN,
    STRIDE,
    THRESHOLD,
    Bounds,
)
from .common import (
    ProgressBar,
    add_device_options,
    add_model_options,
    check_output_file,
    count,
    notice_once,
    positive_int,
    print_compile_note,
    print_json,
)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "stream",
        help="sliding-window inference on a file, camera or network stream",
        description=(
            "Classify a sliding window of 8 frames every STRIDE seconds over the last SPAN seconds "
            "of a video file, a webcam (camera:N) or a network stream URL."
        ),
    )
    p.add_argument("source", metavar="SOURCE", help="video file, camera:N, or a stream URL (rtsp://, http://, udp://...)")
    add_model_options(p)
    add_device_options(p)
    p.add_argument("--span", type=_within(SPAN), default=DEFAULT_SPAN, metavar="S",
                   help=f"seconds the 8 frames of a window are spread over, {SPAN.describe()} (default: {DEFAULT_SPAN:g})")
    p.add_argument("--stride", type=_within(STRIDE), default=DEFAULT_STRIDE, metavar="S",
                   help=f"seconds between windows, {STRIDE.describe()}; raised to one frame interval of the "
                        f"source when shorter (default: {DEFAULT_STRIDE:g})")
    p.add_argument("--smoothing", default=DEFAULT_SMOOTHING, metavar="MODE",
                   help=f"smoothing over recent windows: {SMOOTHING_HELP.removeprefix('use ')} (default: {DEFAULT_SMOOTHING})")
    p.add_argument("--threshold", type=_within(THRESHOLD), default=DEFAULT_THRESHOLD, metavar="P",
                   help=f"smoothed top-1 score below which a window is 'no confident action' (default: {DEFAULT_THRESHOLD:g})")
    p.add_argument("--topk", type=positive_int, default=DEFAULT_TOPK, metavar="K",
                   help=f"classes reported per window (default: {DEFAULT_TOPK})")
    p.add_argument("--realtime", action="store_true",
                   help="play a file at its frame rate, like a camera (windows the model cannot keep up with are skipped)")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per window on stdout")
    p.add_argument("--out", metavar="FILE",
                   help="write the timeline: .csv (segments) or .json (windows and segments); "
                        ".mp4/.avi: an annotated copy of the video (file sources)")
    p.add_argument("--timeout", type=_seconds, default=5.0, metavar="S",
                   help="seconds to wait when opening a stream or for its next frame (default: 5)")
    p.add_argument("--retries", type=count, default=3, metavar="N",
                   help="reconnects of a dropped network stream before giving up (default: 3)")
    p.set_defaults(run=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def _within(bounds: Bounds):
    """argparse type: a number within `bounds` (core.options, shared with the engine and the window)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        try:
            return bounds.check(value)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    parse.__name__ = bounds.name  # argparse names the type in some messages
    return parse








def run(args) -> int:
    from ..core.classifier import load_classifier
    from ..core.errors import UMTError
    from ..core.options import Smoothing
    from ..core.streaming.engine import SlidingWindowEngine
    from ..core.streaming.sources import FileSource, open_source
    from ..core.streaming.timeline import ANNOTATED_CODECS, Timeline, write_annotated_video

    smoothing = Smoothing.parse(args.smoothing)
    out = Path(args.out) if args.out else None
    annotate = out is not None and out.suffix.lower() in ANNOTATED_CODECS
    if out is not None and not annotate and out.suffix.lower() not in (".csv", ".json"):
        raise UMTError(f"--out {out.name}: use .csv or .json for the timeline, or .mp4/.avi for an annotated video")
    if out is not None:
        check_output_file(out, "--out")  # before any work, not after the whole video

    source = open_source(args.source, realtime=args.realtime, timeout=args.timeout, retries=args.retries)
    if annotate and not isinstance(source, FileSource):
        raise UMTError("an annotated video (--out .mp4/.avi) needs a video file as SOURCE")
    # Open the source before loading the model: a bad source fails fast.
    source.open()
    try:
        clf = load_classifier(args.checkpoint or args.model, device=args.device, precision=args.precision,
                              labels=args.labels, compile=args.compile)
        print_compile_note(clf)
        engine = SlidingWindowEngine(
            clf, span=args.span, stride=args.stride, smoothing=smoothing, threshold=args.threshold, topk=args.topk
        )
    except BaseException:
        source.close()
        raise
    timeline = Timeline(threshold=args.threshold, span=args.span, stride=args.stride, source=str(args.source), model=clf.name)

    bar = None
    if args.jsonl and sys.stderr.isatty() and isinstance(source, FileSource) and not args.realtime:
        bar = ProgressBar("stream", source.num_frames, unit="")

    notice = notice_once()

    def on_notice(text: str) -> None:
        timeline.stride = engine.stride
        notice(text)

    clf.on_notice = notice  # a window recomputed in float32 after a float16 overflow

    def on_window(result) -> None:
        timeline.add(result)
        if args.jsonl:
            print_json(result.to_json())
        else:
            _print_window(result)
        if bar is not None:
            bar.update(engine.metrics.frames, extra=f"t={result.t:.1f}s")

    if not args.jsonl:
        kind = "live" if source.live else "file"
        print(f"{source.description}  ({kind}, span {args.span:g} s, stride {args.stride:g} s, "
              f"smoothing {smoothing}, {clf.name} on {clf.runtime.label})", file=sys.stderr)
    interrupted = False
    failure: UMTError | None = None
    summary = None
    try:
        summary = engine.run(source, on_window=on_window, on_notice=on_notice)
    except KeyboardInterrupt:
        interrupted = True  # the engine has already stopped its capture thread and released the source
    except UMTError as e:
        failure = e
    finally:
        source.close()
        if bar is not None:
            bar.close()

    if out is not None and len(timeline):
        if annotate:
            if interrupted or failure:
                print(f"umt-desktop: the annotated video was not written (stream {'interrupted' if interrupted else 'failed'})",
                      file=sys.stderr)
            else:
                write_annotated_video(source.path, out, timeline)
        else:
            timeline.save(out)
    m = engine.metrics
    if not args.jsonl or sys.stderr.isatty():
        seconds = f", {summary.seconds:.1f} s" if summary else ""
        print(f"{m.windows} windows, {m.dropped} dropped, {m.frames} frames{seconds}", file=sys.stderr)
    if failure is not None:
        raise failure
    if interrupted:
        print("umt-desktop: interrupted", file=sys.stderr)
        return 130
    return 0


def _print_window(result) -> None:
    top = result.smoothed[0]
    label = f"{top.label} {top.score * 100:5.1f}%" if result.confident else f"no confident action ({top.label} {top.score * 100:.1f}%)"
    raw = result.top[0]
    first, last = result.frames[0], result.frames[-1]
    print(f"{result.t:8.2f}s  {label}  [raw: {raw.label} {raw.score * 100:.1f}%]  frames {first}..{last}  "
          f"{result.inference_ms:.0f} ms", flush=True)
