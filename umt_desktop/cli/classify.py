"""`umt-desktop classify PATH... [--list FILE] [--output FILE.jsonl|FILE.csv] (--model NAME | --checkpoint FILE)`."""

from __future__ import annotations

import argparse
import os
import sys

from ..core.options import DEFAULT_PROTOCOL, DEFAULT_READER, PROTOCOL_NAMES, READER_NAMES
from .common import (add_device_options, add_model_options, count, notice_once, positive_int, print_compile_note,
                     print_json)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "classify",
        help="classify whole videos, folders of videos and lists of videos (top-k Kinetics classes)",
        description=(
            "Classify whole videos with the published 4 clips x 3 crops protocol (or 1x1). A folder "
            "contributes every video under it; several videos are decoded in worker processes and "
            "batched as `eval` does. With --output each result is appended to a .jsonl or .csv file as "
            "soon as it is done, and running the same command again skips the videos already in it."
        ),
    )
    p.add_argument("videos", nargs="*", metavar="PATH", help="video files and folders (searched recursively)")
    p.add_argument("--list", action="append", default=[], type=list_file, metavar="FILE",
                   help="a file with one video or folder per line (# comments; relative to the file)")
    p.add_argument("--output", type=output_file, metavar="FILE",
                   help="append each result to FILE.jsonl or FILE.csv; skip the videos already in it")
    add_model_options(p)
    add_device_options(p)
    p.add_argument("--views", default=DEFAULT_PROTOCOL, choices=PROTOCOL_NAMES, help="test protocol (default: 4x3, the published one)")
    p.add_argument("--topk", type=positive_int, default=5, metavar="K")
    p.add_argument("--workers", type=count, metavar="N",
                   help="decode worker processes (default: one per spare core up to 8; none for fewer than 16 videos)")
    p.add_argument("--batch-size", type=positive_int, metavar="N",
                   help="views per forward pass (default: 12 on the CPU, 48 on a GPU)")
    p.add_argument("--reader", default=DEFAULT_READER, choices=READER_NAMES, help="video decoder (default: decord)")
    p.add_argument("--json", action="store_true", help="one JSON object per video per line")
    p.add_argument("--explain", metavar="DIR", help="also write, per clip, a PNG of the 8 frames with where the model looked")
    p.add_argument("--explain-class", metavar="LABEL", help="class to explain, by name or index (default: each video's top-1)")
    p.set_defaults(run=run, parser=p)


def list_file(text: str) -> str:
    """argparse type: a readable list file."""
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text} is not a file")
    return text


def output_file(text: str) -> str:
    """argparse type: a results file name ending in .jsonl or .csv."""
    if os.path.splitext(text)[1].lower() not in (".jsonl", ".csv"):
        raise argparse.ArgumentTypeError(f"{text}: results are written as .jsonl or .csv")
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is a folder")
    return text


def run(args) -> int:
    from ..core.batch import BatchRun, ResultsFile, collect_videos
    from ..core.classifier import load_classifier
    from ..core.evaluation.pipeline import default_batch_size
    from ..core.errors import UMTError

    if not args.videos and not args.list:
        args.parser.error("name at least one video or folder, or a --list file")
    found = collect_videos(args.videos, args.list)
    if not found.videos:
        where = ", ".join(list(args.videos) + list(args.list))
        raise UMTError(f"no video files in {where}" + (f" ({_n(found.skipped, 'other file')} skipped)"
                                                        if found.skipped else ""))
    out = ResultsFile(args.output, args.topk) if args.output else None
    try:
        todo = [v for v in found.videos if out is None or v not in out]
        earlier_failed = sum(1 for v in found.videos if out is not None and v in out
                             and "error" in out.done[_key(v)])
        batch = len(found.videos) > 1 or found.folders or args.list or out is not None
        if not todo:
            _say_plan(found, 0, out)
            print(f"nothing left to do: {_n(len(out.rows), 'result')} in {out.path}", file=sys.stderr)
            return 1 if earlier_failed else 0
        clf = load_classifier(args.checkpoint or args.model, device=args.device, precision=args.precision,
                              labels=args.labels, reader=args.reader, compile=args.compile)
        print_compile_note(clf)
        clf.batch_size = args.batch_size or default_batch_size(clf.device)
        clf.on_notice = notice_once()  # e.g. a batch recomputed in float32 after a float16 overflow
        if batch:  # after the model loaded: a bad checkpoint stays a one-line error
            _say_plan(found, len(todo), out)
        runner = BatchRun(clf, todo, views=args.views, topk=args.topk, workers=args.workers,
                          batch_size=args.batch_size, reader=args.reader, output=out)
        bar = _Progress(len(todo)) if batch and len(todo) > 1 else None
        explain_failed = 0
        if bar is not None:
            runner.progress = bar.update
        try:
            for item in runner.run():
                if bar is not None:
                    bar.clear()
                _show(item, args, clf, quiet=out is not None and not args.json)
                if args.explain and not item.failed:
                    explain_failed += not _explain(clf, item.video, args)
        except KeyboardInterrupt:
            if bar is not None:
                bar.close()
                bar = None
            again = " (run the same command again to finish)" if out is not None else ""
            print(f"umt-desktop: interrupted after {runner.done} of {len(todo)} videos{again}", file=sys.stderr)
            return 130
        finally:
            if bar is not None:
                bar.close()
        if out is not None:
            print(f"{_n(len(out.rows), 'result')} in {out.path}", file=sys.stderr)
        return 1 if runner.failed or earlier_failed or explain_failed else 0
    finally:
        if out is not None:
            out.close()


def _explain(clf, video: str, args) -> bool:
    """Write the video's saliency strips; False (and one line on stderr) when that failed."""
    from ..core.errors import UMTError
    from ..core.explain import explain_video

    try:
        written = explain_video(clf, video, args.explain, views=args.views, class_label=args.explain_class)
    except UMTError as e:
        print(f"{video}: error: {e}", file=sys.stderr, flush=True)
        return False
    print(f"{video}: saliency in {', '.join(str(p) for p in written)}", file=sys.stderr, flush=True)
    return True


def _key(video: str) -> str:
    from ..core.batch import result_key

    return result_key(video)


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _say_plan(found, todo: int, out) -> None:
    parts = [_n(len(found.videos), "video")]
    if found.skipped:
        parts.append(f"{_n(found.skipped, 'non-video file')} skipped")
    if out is not None and todo < len(found.videos):
        parts.append(f"{len(found.videos) - todo} already in {out.name}")
    print(f"classify: {', '.join(parts)}", file=sys.stderr, flush=True)


def _show(item, args, clf, quiet: bool) -> None:
    if item.failed:
        if args.json and not quiet:
            print_json(item.to_json())
        else:
            print(f"{item.video}: error: {item.error}", file=sys.stderr, flush=True)
        return
    if quiet:
        return
    if args.json:
        print_json(item.to_json())
        return
    result = item.result
    print(f"{item.video}  ({result.views}, {result.seconds:.2f} s, {clf.name} on {clf.runtime.label})")
    for rank, t in enumerate(result.top, 1):
        print(f"  {rank}. {t.score * 100:6.2f}%  {t.label}  [{t.index}]")
    sys.stdout.flush()


class _Progress:
    """The CLI's progress bar fed by `BatchProgress`: videos done/total, videos/s, ETA, failures."""

    def __init__(self, total: int) -> None:
        from .common import ProgressBar

        self.bar = ProgressBar("classify", total=total, unit="video")

    def update(self, p) -> None:
        extra = f"{p.videos_per_second:.2f} videos/s" + (f", {p.failed} failed" if p.failed else "")
        self.bar.update(p.done, p.total, extra)

    def clear(self) -> None:
        self.bar.clear()

    def close(self) -> None:
        self.bar.close()
