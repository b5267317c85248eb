"""`umt-desktop eval ROOT (--model NAME | --checkpoint FILE)...`: accuracy on a local Kinetics copy."""

from __future__ import annotations

import argparse
import sys
import time

from ..core.options import DEFAULT_PROTOCOL, DEFAULT_READER, PROTOCOL_NAMES, READER_NAMES
from .common import ProgressBar, add_device_options, count, positive_int, print_compile_note, print_json

EPILOG = """\
layouts:
  ROOT/<class name>/<video>          class folders (spaces or underscores)
  --ann list.txt                     MMAction2 list: `relative/path.mp4 LABEL_INDEX`
  --ann val.csv                      Kinetics CSV: label,youtube_id,time_start,time_end,split

history:
  umt-desktop eval --list                      past runs
  umt-desktop eval --export RUN_ID out.csv     per-video predictions (.csv or .json)
  umt-desktop eval --resume RUN_ID             finish an interrupted run

data-parallel, one process per GPU (or per CPU process with --device cpu):
  one node:
    torchrun --standalone --nproc-per-node 8 -m umt_desktop eval ROOT --checkpoint FILE
  several nodes (run on every node; NODE_RANK 0..N-1, HOST:PORT reachable from all):
    torchrun --nnodes 2 --nproc-per-node 8 --rdzv-backend c10d \\
      --rdzv-endpoint HOST:29400 --rdzv-id eval1 -m umt_desktop eval ROOT --checkpoint FILE
  rank 0 prints the progress and the results and keeps the history; --resume works
  with any number of processes.
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="measure top-1/top-5 accuracy on a local Kinetics folder",
        description="Evaluate one or several checkpoints on a local Kinetics copy (class folders, "
        "an MMAction2 list file or the official CSV) with the published 4x3 protocol or 1x1.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("root", nargs="?", metavar="ROOT", help="dataset folder")
    p.add_argument("--ann", metavar="FILE", help="MMAction2 list file or Kinetics CSV (default: class folders)")
    p.add_argument("--labels", metavar="FILE", help="label map, one class per line (default: Kinetics by class count)")
    p.add_argument("--model", dest="checkpoints", action="append", metavar="NAME", help="installed zoo model; repeat to compare")
    p.add_argument("--checkpoint", dest="checkpoints", action="append", metavar="FILE", help="checkpoint file; repeat to compare")
    p.add_argument("--views", default=DEFAULT_PROTOCOL, choices=PROTOCOL_NAMES, help="test protocol (default: 4x3, the published one)")
    add_device_options(p)
    p.add_argument("--workers", type=count, default=2, metavar="N", help="decode processes (default: 2; 0 decodes in the main process)")
    p.add_argument("--batch-size", type=positive_int, default=None, metavar="N", help="views per forward pass (default: 12 on CPU, 48 on CUDA)")
    subset = p.add_mutually_exclusive_group()
    subset.add_argument("--limit", type=positive_int, metavar="N", help="evaluate a seeded random subset of N videos")
    subset.add_argument("--per-class", type=positive_int, metavar="K", help="evaluate K seeded random videos per class")
    p.add_argument("--seed", type=int, default=0, help="seed of the subset (default: 0)")
    p.add_argument("--reader", default=DEFAULT_READER, choices=READER_NAMES, help="video decoder (default: decord)")
    p.add_argument("--resume", metavar="RUN_ID", help="finish an interrupted run (its dataset, checkpoints and protocol)")
    p.add_argument("--json", action="store_true", help="print one JSON object per checkpoint, one per line")
    p.add_argument("--list", action="store_true", help="list past runs and exit")
    p.add_argument("--export", nargs=2, metavar=("RUN_ID", "FILE"), help="write a run's predictions to FILE (.csv or .json)")
    p.add_argument("--run-id", metavar="ID", help="the id of the new run (default: a fresh one); lets a launcher "
                   "follow the run it started")
    p.add_argument("--stop-after", type=positive_int, help=argparse.SUPPRESS)  # interrupt after N videos (resume tests)
    p.set_defaults(run=run)

def run(args) -> int:
    from ..core.errors import DatasetError

    if args.list:
        return _list_runs(args.json)
    if args.export:
        return _export(*args.export)
    if args.resume is not None and args.run_id is not None:
        raise DatasetError("--run-id names a new run; --resume continues an existing one: give one of them")
    if args.resume is None:
        if not args.root:
            raise DatasetError("give the dataset folder ROOT (or --resume RUN_ID, --list)")
        if not args.checkpoints:
            raise DatasetError("choose a checkpoint with --model NAME or --checkpoint FILE (repeat to compare)")
    return _evaluate(args)


def _evaluate(args) -> int:
    from ..core.evaluation.distributed import DistributedError, detect
    from ..core.errors import Cancelled, UMTError
    from ..core.evaluation.run import EvalRun, EvalSettings

    env = detect()
    main = env is None or env.rank == 0
    settings = EvalSettings(
        root=args.root or "",
        checkpoints=args.checkpoints or [],
        ann=args.ann,
        views=args.views,
        labels=args.labels,
        limit=args.limit,
        per_class=args.per_class,
        seed=args.seed,
        reader=args.reader,
        device=args.device,
        precision=args.precision,
        workers=args.workers,
        batch_size=args.batch_size,
        compile=args.compile,
    )
    bar: ProgressBar | None = None

    def progress(p) -> None:
        nonlocal bar
        if bar is None:
            bar = ProgressBar("eval", p.total, unit="")
        extra = f"{p.videos_per_second:.1f} videos/s"
        if p.live and p.live[0]["videos"]:  # no figure before a video has a prediction
            extra += f" top-1 {p.live[0]['top1']:.1f}%"
        if p.failed:
            extra += f" failed {p.failed}"
        bar.update(p.done, p.total, extra)

    run = EvalRun(settings, resume=args.resume, progress=progress if main else None,
                  stop_after=args.stop_after, dist_env=env, run_id=args.run_id)
    if env is not None:
        _stop_on_sigterm(run, env)
    try:
        run.prepare()
        if main:
            summary = run.summary
            ranks = f", {env.world_size} processes" if env else ""
            action = "resuming" if args.resume else "run"
            print(f"{summary.describe()}", file=sys.stderr)
            print(f"{action} {run.run_id}: {run.settings.views} views, {len(run.classifiers)} checkpoint(s) on "
                  f"{run.classifiers[0].runtime.label}{ranks}", file=sys.stderr)
            print_compile_note(run.classifiers[0])
            for m in summary.missing[:5]:
                print(f"  missing: {m}", file=sys.stderr)
            if len(summary.missing) > 5:
                print(f"  ... and {len(summary.missing) - 5} more missing", file=sys.stderr)
        results = run.run()
    except Cancelled as e:
        if bar is not None:
            bar.close()
        if main:
            print(f"umt-desktop: {e}", file=sys.stderr)
        return 130
    except DistributedError as e:
        if bar is not None:
            bar.close()
        if e.quiet:
            return 1
        raise
    except UMTError:
        if bar is not None:
            bar.close()  # the error line comes after the bar's last line
        raise
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        if main and run.run_id:
            print(f"umt-desktop: interrupted; resume with `umt-desktop eval --resume {run.run_id}`", file=sys.stderr)
        return 130
    if bar is not None:
        bar.close()
    if not main:
        return 0
    for r in results:
        if args.json:
            print_json(r.to_json())
        else:
            _print_result(r)
    return 0


def _stop_on_sigterm(run, env) -> None:
    """torchrun sends SIGTERM to every rank when one fails: leave a clear line and a resumable run."""
    import signal

    from ..core.evaluation.distributed import DistributedError

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        hint = f"`umt-desktop eval --resume {run.run_id}`" if run.run_id else "`umt-desktop eval --resume RUN_ID`"
        raise DistributedError(
            f"rank {env.rank}: the launch is stopping because another process failed or was stopped; "
            f"finished videos are saved, resume with {hint}",
            quiet=env.rank != 0,
        )

    signal.signal(signal.SIGTERM, handler)


def _print_result(r) -> None:
    published = f"   (published {r.published_top1:.2f}%)" if r.published_top1 is not None else ""
    print(f"{r.name}  ({r.views}, run {r.run_id})")
    if not r.videos:  # another checkpoint of the run had predictions: no 0 % figures for this one
        print(f"  no video could be evaluated ({len(r.failed)} failed, {len(r.missing)} missing)")
        for f in r.failed[:10]:
            print(f"  failed               {f['video']}: {f['error']}")
        sys.stdout.flush()
        return
    print(f"  top-1                {r.top1:7.2f}%{published}")
    print(f"  top-5                {r.top5:7.2f}%")
    print(f"  mean class accuracy  {r.mean_class_accuracy:7.2f}%")
    print(f"  videos               {r.videos} evaluated, {len(r.failed)} failed, {len(r.missing)} missing")
    print(f"  speed                {r.videos_per_second:.2f} videos/s, {r.views_per_second:.1f} views/s")
    worst = sorted(r.per_class, key=lambda c: (c["accuracy"], c["label"]))[:5]
    if worst and len(r.per_class) > 1:
        print("  worst classes        " + ", ".join(f"{c['label']} {c['accuracy']:.0f}%" for c in worst))
    for c in r.confused[:5]:
        print(f"  confused             {c['true']} -> {c['predicted']} ({c['count']})")
    for f in r.failed[:10]:
        print(f"  failed               {f['video']}: {f['error']}")
    sys.stdout.flush()


def _list_runs(as_json: bool) -> int:
    from ..core.evaluation.history import History

    with History() as history:
        runs = history.runs()
        if as_json:
            for rec in runs:
                doc = rec.to_json()
                doc["done"] = history.count_done(rec.id)
                doc["total"] = history.count_videos(rec.id)
                print_json(doc)
            return 0
        if not runs:
            print("no evaluation runs yet")
            return 0
        for rec in runs:
            total = history.count_videos(rec.id)
            done = history.count_done(rec.id)
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec.created))
            scores = ", ".join(
                f"{c['name']} {c['metrics']['top1']:.2f}%" if c.get("metrics") else c["name"] for c in rec.checkpoints
            )
            print(f"{rec.id}  {when}  {rec.status:<11} {rec.views}  {done}/{total} videos  {scores}  {rec.root}")
    return 0


def _export(run_id: str, dest: str) -> int:
    from ..core.evaluation.export import export_run

    path = export_run(run_id, dest)  # the destination is checked before the history is opened
    print(f"exported run {run_id} to {path}", file=sys.stderr)
    return 0
