"""Evaluating checkpoints on a local Kinetics copy: `EvalRun`.

    run = EvalRun(EvalSettings(root="k400/val", checkpoints=["tiny_umt.pth"], views="4x3"))
    run.prepare()            # dataset discovery; run.summary says what was found
    results = run.run()      # one CheckpointResult per checkpoint
    results[0].top1, results[0].to_json()

A run is a list of independent work items (videos with stable ids). The label-free
`pipeline` does the work: worker processes decode and preprocess videos (the same code
as `Classifier.classify`) while the main process runs batches of views from several
videos through every checkpoint (`Classifier.predict_views`), so each video is decoded once however many checkpoints are compared. Each finished
video is written to the history database at once; `EvalRun(resume=RUN_ID)` picks up
an interrupted run and computes only what is missing. Failed decodes are stored
with their error, counted apart and left out of the accuracy.

The same loop runs under torchrun (see `distributed`): rank 0 plans and stores,
every rank computes its share, predictions are merged by video id.

For benchmarks, `measure_throughput()` runs the pipeline over a folder without
touching the history: the whole pipeline, decoding alone, or the model alone.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .dataset import DatasetSummary, KineticsFolder, VideoItem
from .distributed import DistEnv, DistributedError, detect, init_group, rank_device
from ..errors import Cancelled, DatasetError, DiskFullError, NumericError, UMTError
from .history import History, Prediction, check_run_id
from .pipeline import (  # decode_views and decode_stream are also imported from here
    Cancellation, Staging, ViewBatch, ViewBatcher, classify_stream, decode_stream, decode_views, default_batch_size,
    overlapped, queue_views, split_views,
)
from ..video.protocols import get_protocol
from ..video.readers import DEFAULT_READER

TOPK = 5


@dataclass
class EvalSettings:
    """What to evaluate (stored with the run) and how to run it (may change on resume)."""

    root: str
    checkpoints: list[str]
    ann: str | None = None
    views: str = "4x3"
    labels: str | None = None
    limit: int | None = None
    per_class: int | None = None
    seed: int = 0
    reader: str = DEFAULT_READER
    # runtime only
    device: str = "auto"
    precision: str = "auto"
    workers: int = 2
    batch_size: int | None = None  # views per forward pass; None: 12 on CPU, 48 on CUDA
    compile: bool = True  # torch.compile on CUDA

    STORED = ("root", "checkpoints", "ann", "views", "labels", "limit", "per_class", "seed", "reader")

    def stored(self) -> dict:
        return {k: getattr(self, k) for k in self.STORED}


@dataclass
class EvalProgress:
    """Where a run stands, for progress bars and live metrics (reported by rank 0)."""

    done: int  # videos with a result (this and earlier sessions)
    total: int
    failed: int
    elapsed: float  # this session
    videos_per_second: float  # this session
    live: list[dict] = field(default_factory=list)  # per checkpoint: name, top1, top5, videos

    @property
    def eta(self) -> float | None:
        if self.videos_per_second <= 0:
            return None
        return (self.total - self.done) / self.videos_per_second


@dataclass
class CheckpointResult:
    """The metrics of one checkpoint in one run (percentages 0-100)."""

    run_id: str
    index: int
    name: str
    path: str
    views: str
    top1: float
    top5: float
    mean_class_accuracy: float
    videos: int
    failed: list[dict]
    missing: list[str]
    videos_per_second: float
    views_per_second: float
    published_top1: float | None
    per_class: list[dict]  # index, label, accuracy, videos (classes present in the data)
    confused: list[dict]  # true, predicted, count: most frequent mistakes
    complete: bool = True

    def to_json(self) -> dict:
        """The `eval --json` object (accuracies null for a checkpoint that has no prediction)."""
        some = self.videos > 0
        return {
            "top1": self.top1 if some else None,
            "top5": self.top5 if some else None,
            "mean_class_accuracy": self.mean_class_accuracy if some else None,
            "videos": self.videos,
            "failed": self.failed,
            "missing": self.missing,
            "videos_per_second": self.videos_per_second,
            "run_id": self.run_id,
            "checkpoint": self.name,
            "views": self.views,
            "views_per_second": self.views_per_second,
            "published_top1": self.published_top1,
        }

    def metrics(self) -> dict:
        """Everything, as stored in the history."""
        return asdict(self)


@dataclass
class PlannedCheckpoint:
    """One checkpoint of a run, as stored in the history."""

    name: str
    path: str
    num_classes: int
    label_set: str
    published_top1: float | None


@dataclass
class RunPlan:
    """What a run computes: built by rank 0, broadcast to every rank (it pickles)."""

    run_id: str
    settings: dict  # EvalSettings.stored()
    checkpoints: list[PlannedCheckpoint]
    items: list[tuple[str, str]]  # (stable video id, file), sorted by id
    targets: list[list[int | None]]  # per item: its class index under each checkpoint's labels
    work: list[tuple[int, list[int]]]  # (item index, checkpoints still to compute), in item order
    done: int  # items complete before this session


# -- metrics -------------------------------------------------------------------
class RunningAccuracy:
    """The accuracy counts of one checkpoint, fed one prediction at a time.

    The one place where predictions become top-1/top-5/per-class figures: the live figures of
    a run in progress and the final metrics (`compute_metrics`) are the same counts.
    """

    def __init__(self) -> None:
        self.videos = 0  # predictions with a class ranking (failed decodes left out)
        self.correct1 = 0
        self.correct5 = 0
        self.per_class: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # target -> [correct, videos]
        self.mistakes: Counter = Counter()  # (target, predicted) -> count
        self.failed: list[Prediction] = []

    def add(self, p: Prediction) -> None:
        if p.failed:
            self.failed.append(p)
            return
        self.videos += 1
        hit = p.pred == p.target
        self.correct1 += hit
        self.correct5 += p.target in [i for i, _ in (p.top5 or [])]
        counts = self.per_class[p.target]
        counts[1] += 1
        if hit:
            counts[0] += 1
        else:
            self.mistakes[(p.target, p.pred)] += 1

    @property
    def top1(self) -> float:
        return _pct(self.correct1, self.videos)

    @property
    def top5(self) -> float:
        return _pct(self.correct5, self.videos)

    @property
    def mean_class_accuracy(self) -> float:
        if not self.per_class:
            return 0.0
        return round(float(np.mean([good / total for good, total in self.per_class.values()]) * 100), 4)

    def metrics(self, labels, confused_pairs: int = 10) -> dict:
        """top1/top5/mean class accuracy (0-100), failed videos, per-class accuracy, most confused pairs."""
        classes = [
            {"index": c, "label": _label(labels, c), "accuracy": _pct(good, total), "videos": total}
            for c, (good, total) in sorted(self.per_class.items())
        ]
        confused = [
            {"true": _label(labels, t), "predicted": _label(labels, p), "count": c,
             "true_index": t, "predicted_index": p}
            for (t, p), c in sorted(self.mistakes.items(), key=lambda kv: (-kv[1], kv[0]))[:confused_pairs]
        ]
        return {
            "top1": self.top1,
            "top5": self.top5,
            "mean_class_accuracy": self.mean_class_accuracy,
            "videos": self.videos,
            "failed": [{"video": p.video_id, "error": p.error} for p in self.failed],
            "per_class": classes,
            "confused": confused,
        }


def compute_metrics(predictions: list[Prediction], labels, confused_pairs: int = 10) -> dict:
    """top1/top5/mean class accuracy (0-100), per-class accuracy and the most confused pairs."""
    counts = RunningAccuracy()
    for p in predictions:
        counts.add(p)
    return counts.metrics(labels, confused_pairs)


class LiveMetrics:
    """The running figures of every checkpoint of a run in progress (rank 0), for `EvalProgress.live`."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.accuracy = [RunningAccuracy() for _ in names]
        self._failed_videos: set[str] = set()

    def add(self, rows: list[Prediction]) -> None:
        for p in rows:
            if p.failed:
                self._failed_videos.add(p.video_id)
            if 0 <= p.checkpoint < len(self.accuracy):
                self.accuracy[p.checkpoint].add(p)

    @property
    def failed(self) -> int:
        """Videos that failed to decode."""
        return len(self._failed_videos)

    def view(self) -> list[dict]:
        return [{"name": name, "top1": a.top1, "top5": a.top5, "videos": a.videos}
                for name, a in zip(self.names, self.accuracy)]


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


def _label(labels, index: int | None) -> str:
    if index is None:
        return "?"
    try:
        return labels[index]
    except (IndexError, TypeError):
        return str(index)


# -- runs ------------------------------------------------------------------------
class EvalRun:
    """One evaluation run: new (`settings`) or resumed (`resume=RUN_ID`), in one process or under torchrun.

    `progress(EvalProgress)` is called after each batch (on rank 0); `cancel()` (any
    thread) or a `cancelled()` callable returning True stops between videos, keeping
    what finished. `stop_after=N` stops once N more videos are done (quick checks and
    tests of resume). `run_id`: the id of a new run, chosen by the launcher (`history.new_run_id()`)
    and passed to every process (`eval --run-id`); a fresh one by default.
    """

    def __init__(
        self,
        settings: EvalSettings | None = None,
        *,
        resume: str | None = None,
        history: History | None = None,
        progress: Callable[[EvalProgress], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        stop_after: int | None = None,
        dist_env: DistEnv | None | str = "detect",
        run_id: str | None = None,
    ) -> None:
        if settings is None and resume is None:
            raise DatasetError("an evaluation needs settings or a run id to resume")
        if run_id is not None and resume is not None:
            raise DatasetError("give either a run id for a new run or a run to resume, not both")
        self._new_id = check_run_id(run_id) if run_id is not None else None
        self.settings = settings
        self.resume_id = resume
        self.progress = progress
        self._should_stop = Cancellation(cancelled)
        self.stop_after = stop_after
        self.env = detect() if dist_env == "detect" else dist_env
        self._history = history
        self._own_history = False
        self.group = None
        self.run_id: str | None = resume or run_id
        self.summary: DatasetSummary | None = None
        self.classifiers: list = []
        self._plan: RunPlan | None = None
        self._claimed = False  # this run holds the run in the history (created or claimed it)
        self.computed = 0  # videos computed in this session (all ranks)

    @property
    def is_main(self) -> bool:
        return self.env is None or self.env.rank == 0

    def cancel(self) -> None:
        self._should_stop.cancel()

    @property
    def history(self) -> History:
        if self._history is None:
            self._history = History()
            self._own_history = True
        return self._history

    # -- planning (rank 0) ---------------------------------------------------------
    def prepare(self) -> DatasetSummary | None:
        """Join the process group, find the videos, create or reopen the run. Idempotent."""
        if self._plan is not None:
            return self.summary
        if self.group is None:
            device = self.settings.device if self.settings else "auto"
            self._device = rank_device(device, self.env)
            self.group = init_group(self.env, self._device)
        plan: RunPlan | str | None = None
        if self.group.is_main:
            try:
                plan = self._make_plan()
            except UMTError as e:
                self._abandon()
                self.group.broadcast(str(e))  # the other ranks stop quietly: rank 0 reports it
                raise
            except BaseException:
                self._abandon()
                raise
        plan = self.group.broadcast(plan)
        if isinstance(plan, str):
            raise DistributedError(plan, quiet=True)
        self._plan = plan
        self.run_id = plan.run_id
        if not self.group.is_main:
            self.settings = EvalSettings(**{**plan.settings, **self._runtime()})
        return self.summary

    def _runtime(self) -> dict:
        s = self.settings
        if s is None:
            return {}
        return {"device": s.device, "precision": s.precision, "workers": s.workers, "batch_size": s.batch_size,
                "compile": s.compile}

    def _make_plan(self) -> RunPlan:
        from ..classifier import resolve_checkpoint

        history = self.history
        if self.resume_id is None:
            s = self.settings
            if not s.checkpoints:
                raise DatasetError("choose at least one checkpoint (--model NAME or --checkpoint FILE)")
            get_protocol(s.views)
            paths = [(name, str(path)) for name, path in (resolve_checkpoint(c) for c in s.checkpoints)]
            return self._plan_new(history, paths)
        record = history.get_run(self.resume_id)
        stored = dict(record.settings)
        if self.settings is not None and self.settings.root and Path(self.settings.root) != Path(stored["root"]):
            stored["root"] = self.settings.root  # the dataset moved; the plan stays the same
        self.settings = EvalSettings(**{**stored, **self._runtime()})
        history.claim_run(self.resume_id, world_size=self.group.world_size)  # RunBusyError if another works on it
        self._claimed = True
        return self._plan_resumed(history, record)

    def _abandon(self) -> None:
        """Planning failed after the run was created or claimed: leave it interrupted, let it go."""
        if not self._claimed:
            return
        try:
            self.history.set_status(self.run_id, "interrupted")
        except UMTError:
            pass  # a run that no process works on reads as interrupted anyway
        self.history.release_run(self.run_id)
        self._claimed = False

    def _load(self, paths: list[tuple[str, str]]) -> list[PlannedCheckpoint]:
        from ..classifier import load_classifier
        from ..model.zoo import published_top1

        s = self.settings
        self.classifiers = [
            load_classifier(path, device=self._device, precision=s.precision, labels=s.labels,
                            batch_size=self._batch_size(), reader=s.reader, name=name, compile=s.compile)
            for name, path in paths
        ]
        return [
            PlannedCheckpoint(name=name, path=path, num_classes=clf.num_classes, label_set=clf.labels.name,
                              published_top1=published_top1(name))
            for (name, path), clf in zip(paths, self.classifiers)
        ]

    def _plan_new(self, history: History, paths: list[tuple[str, str]]) -> RunPlan:
        s = self.settings
        checkpoints = self._load(paths)
        labels = self.classifiers[0].labels
        folder = KineticsFolder.open(s.root, s.ann)
        items = folder.select(labels, limit=s.limit, per_class=s.per_class, seed=s.seed)
        self.summary = folder.summary(labels, items)
        if not items:
            raise DatasetError(f"no videos with a {labels.name} label found in {s.root}")
        root = Path(s.root)
        run_id = history.create_run(
            root=str(s.root), ann=s.ann, layout=folder.layout, views=s.views,
            settings=s.stored(), summary=self.summary.to_json(), checkpoints=[asdict(c) for c in checkpoints],
            videos=[(it.id, _relative(root, it.path), it.label, it.label_index) for it in items],
            world_size=self.group.world_size, run_id=self._new_id,
        )
        self.run_id, self._claimed = run_id, True
        return self._plan_of(history, run_id, checkpoints, items)

    def _plan_resumed(self, history: History, record) -> RunPlan:
        s = self.settings
        get_protocol(s.views)
        checkpoints = self._load([(c["name"], c["path"]) for c in record.checkpoints])
        root = Path(s.root)
        items = [VideoItem(vid, _join(root, rel), label, index)
                 for vid, rel, label, index in history.run_videos(record.id)]
        self.summary = DatasetSummary(**record.summary)
        self.summary.root = s.root
        return self._plan_of(history, record.id, checkpoints, items)

    def _plan_of(self, history: History, run_id: str, checkpoints: list[PlannedCheckpoint],
                 items: list[VideoItem]) -> RunPlan:
        self.run_id = run_id
        done = history.done(run_id)
        work = []
        for i, it in enumerate(items):
            needed = [c for c in range(len(checkpoints)) if c not in done.get(it.id, ())]
            if needed:
                work.append((i, needed))
        return RunPlan(
            run_id=run_id,
            settings=self.settings.stored(),
            checkpoints=checkpoints,
            items=[(it.id, str(it.path)) for it in items],
            targets=[[it.target(clf.labels) for clf in self.classifiers] for it in items],
            work=work,
            done=len(items) - len(work),
        )

    def _batch_size(self) -> int:
        if self.settings.batch_size:
            return int(self.settings.batch_size)
        return default_batch_size(self._device)

    # -- running ---------------------------------------------------------------------
    def run(self) -> list[CheckpointResult]:
        """Evaluate what is left; raise `Cancelled` when stopped early (progress is kept).

        A disk that fills up raises `DiskFullError` saying how to resume; the run is left interrupted.
        """
        started = settled = False
        try:
            self.prepare()
            started = True
            if self._loop():
                if self.is_main:
                    self.history.set_status(self.run_id, "interrupted")
                settled = True
                raise Cancelled(
                    f"evaluation {self.run_id} stopped after {self._plan.done + self.computed} of "
                    f"{len(self._plan.items)} videos; resume with `umt-desktop eval --resume {self.run_id}`"
                )
            results = self.results() if self.is_main else []
            if self.is_main:
                check_evaluated(results)  # nothing evaluated: a failed run, never a 0 % result
                for r in results:
                    self.history.set_metrics(self.run_id, r.index, r.metrics())
                self.history.set_status(self.run_id, "finished")
        except BaseException as e:
            if self.is_main and self.run_id is not None and started and not settled:
                stopped = (KeyboardInterrupt, Cancelled, DistributedError, DiskFullError)
                status = "interrupted" if isinstance(e, stopped) else "failed"
                try:
                    self.history.set_status(self.run_id, status, error=str(e) or type(e).__name__)
                except Exception:
                    pass  # e.g. still no space: a run whose process is done reads as interrupted anyway
            self._close()
            if isinstance(e, DiskFullError) and started:
                raise DiskFullError(
                    f"the disk holding the evaluation history {e.path} is full; finished videos are saved: "
                    f"free some space, then resume with `umt-desktop eval --resume {self.run_id}`", e.path) from None
            raise
        self._close()
        return results

    def _close(self) -> None:
        if self._claimed and self._history is not None:
            self._history.release_run(self.run_id)
            self._claimed = False
        if self.group is not None:
            self.group.close()
            self.group = None
        if self._own_history and self._history is not None:
            self._history.close()
            self._history = None
            self._own_history = False

    def _load_classifiers(self) -> None:
        if self.classifiers:
            return
        self._load([(c.name, c.path) for c in self._plan.checkpoints])

    def _loop(self) -> bool:
        """Compute this rank's share; True when stopped before the end.

        Decoded views are staged once per batch (`Staging`); on a GPU each batch is queued on
        every checkpoint before the previous one is read back, so the model never waits for
        the gathering of the next batch. A batch queued when the run stops is still read back
        and saved.
        """
        plan, group = self._plan, self.group
        self._load_classifiers()
        s = self.settings
        items, targets = plan.items, plan.targets
        work = plan.work[group.rank :: group.world_size]
        needed = dict(work)
        jobs = [(i, items[i][1]) for i, _ in work]
        batch_size = self._batch_size()
        live = self._live_metrics() if group.is_main else None
        done_total = plan.done
        t0 = last = time.perf_counter()
        stream = decode_stream(jobs, s.views, s.reader, s.workers, hold=1)
        batcher = ViewBatcher(stream, batch_size, self._should_stop, staging=Staging(self._device),
                              views_per_video=get_protocol(s.views).views)
        defer = overlapped(self._device)
        queued = None  # the batch queued on the device, read back after the next is queued
        local_done = not jobs
        stop = False

        def record(rows: list[Prediction]) -> None:
            nonlocal last, done_total
            new_videos = len({r.video_id for r in rows})
            self.computed += new_videos
            if not group.is_main:
                return
            now = time.perf_counter()
            self.history.add_predictions(self.run_id, rows)
            self.history.add_time(self.run_id, now - last, new_videos)
            last = now
            done_total += new_videos
            live.add(rows)
            if self.progress is not None:
                elapsed = now - t0
                self.progress(EvalProgress(
                    done=done_total, total=len(items), failed=live.failed, elapsed=elapsed,
                    videos_per_second=self.computed / elapsed if elapsed > 0 else 0.0,
                    live=live.view(),
                ))

        try:
            while True:
                rows: list[Prediction] = []
                if not local_done and not stop:
                    batch = batcher.next_batch()
                    local_done = batcher.exhausted
                    for d in batch.failed:
                        rows += [
                            Prediction(c, items[d.index][0], targets[d.index][c], error=d.error,
                                       seconds=d.seconds, rank=group.rank)
                            for c in needed[d.index]
                        ]
                    now_queued = self._queue(batch, needed)
                    if queued is not None:
                        rows += self._rows(queued, items, targets, group.rank)
                        queued = None
                    if defer:
                        queued = now_queued
                    else:
                        rows += self._rows(now_queued, items, targets, group.rank)
                stop = stop or self._should_stop()
                if queued is not None and (local_done or stop):
                    rows += self._rows(queued, items, targets, group.rank)
                    queued = None
                rows, more, any_stop = group.exchange(rows, not local_done, stop)
                record(rows)
                if group.is_main and self.stop_after is not None and self.computed >= self.stop_after:
                    stop = True
                if any_stop:
                    if defer:  # every rank: one more exchange for the batch still queued
                        rows = self._rows(queued, items, targets, group.rank) if queued is not None else []
                        queued = None
                        rows, _, _ = group.exchange(rows, False, True)
                        record(rows)
                    return more or not local_done
                if not more:
                    return False
        finally:
            stream.close()

    def _queue(self, batch: ViewBatch, needed):
        """Queue the batch on every checkpoint that needs some of its videos: (batch, [(c, videos, pending)], t0)."""
        t0 = time.perf_counter()
        queued = []
        for c, clf in enumerate(self.classifiers):
            chosen = [d for d in batch.decoded if c in needed[d.index]]
            if chosen:
                staged = batch.staged if len(chosen) == len(batch.decoded) else None
                queued.append((c, chosen, queue_views(clf, chosen, staged)))
        return batch, queued, t0

    def _rows(self, queued, items, targets, rank: int) -> list[Prediction]:
        """The predictions of a queued batch, read back (see `_queue`)."""
        batch, per_checkpoint, t0 = queued
        rows = []
        for c, chosen, pending in per_checkpoint:
            for d, v in zip(chosen, split_views(pending.result(), chosen)):
                p = v.mean(axis=0)
                if not np.isfinite(p).all():  # never a prediction: a failed video
                    rows.append(Prediction(c, items[d.index][0], targets[d.index][c], rank=rank,
                                           error=str(NumericError.scores(Path(items[d.index][1]).name))))
                    continue
                order = np.argsort(-p, kind="stable")[:TOPK]
                rows.append(Prediction(
                    c, items[d.index][0], targets[d.index][c], pred=int(order[0]),
                    top5=[(int(i), float(p[i])) for i in order], seconds=None, rank=rank,
                ))
        if batch.decoded:
            per_video = (time.perf_counter() - t0) / len(batch.decoded)
            decode_seconds = {items[d.index][0]: d.seconds for d in batch.decoded}
            for r in rows:
                r.seconds = decode_seconds[r.video_id] + per_video
        return rows

    # -- live metrics (rank 0) ------------------------------------------------------------
    def _live_metrics(self) -> LiveMetrics:
        live = LiveMetrics([c.name for c in self._plan.checkpoints])
        live.add(self.history.predictions(self.run_id))
        return live

    # -- results ---------------------------------------------------------------------------
    def results(self) -> list[CheckpointResult]:
        """Metrics of every checkpoint from what the history holds now (partial runs included)."""
        if self.run_id is None:
            return []
        return results_of(self.history, self.run_id, self.classifiers or None)


def results_of(history: History, run_id: str, classifiers: list | None = None) -> list[CheckpointResult]:
    """The metrics of a stored run, computed from its per-video predictions."""
    from ..model.labels import labels_for

    record = history.get_run(run_id)
    total = len(history.run_videos(run_id))
    missing = list(record.summary.get("missing", []))
    views = get_protocol(record.views).views
    vps = record.computed / record.seconds if record.seconds > 0 else 0.0
    out = []
    for c in record.checkpoints:
        preds = history.predictions(run_id, c["index"])
        if classifiers is not None:
            labels = classifiers[c["index"]].labels
        else:
            try:
                labels = labels_for(c["num_classes"], record.settings.get("labels"))
            except UMTError:
                labels = None
        m = compute_metrics(preds, labels)
        out.append(CheckpointResult(
            run_id=run_id, index=c["index"], name=c["name"], path=c["path"], views=record.views,
            top1=m["top1"], top5=m["top5"], mean_class_accuracy=m["mean_class_accuracy"],
            videos=m["videos"], failed=m["failed"], missing=missing,
            videos_per_second=round(vps, 3), views_per_second=round(vps * views, 3),
            published_top1=c["published_top1"], per_class=m["per_class"], confused=m["confused"],
            complete=len(preds) >= total,
        ))
    return out


def check_evaluated(results: list[CheckpointResult]) -> None:
    """Raise `DatasetError` when a finished run has no prediction at all (every video failed):
    its accuracy would read 0 %, a wrong answer shown as a right one."""
    if not results or any(r.videos or not r.complete for r in results):
        return
    failed: dict[str, str] = {}
    for r in results:
        for f in r.failed:
            failed.setdefault(f["video"], f["error"] or "")
    if not failed:
        return
    video, reason = next(iter(failed.items()))
    reason = " ".join(reason.split()) or "unknown error"
    raise DatasetError(f"no video could be evaluated: all {len(failed)} failed (first: {video}: {reason})")


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _join(root: Path, rel: str) -> Path:
    p = Path(rel)
    return p if p.is_absolute() else root / p


# -- throughput, for benchmarks --------------------------------------------------------------
def measure_throughput(
    root: str | Path,
    checkpoint: str | Path | None = None,
    *,
    ann: str | Path | None = None,
    views: str = "4x3",
    workers: int = 2,
    mode: str = "full",
    device: str = "auto",
    precision: str = "auto",
    batch_size: int | None = None,
    limit: int | None = None,
    labels: str | Path | None = None,
    reader: str = DEFAULT_READER,
    compile: bool = True,
) -> dict:
    """Run the evaluation pipeline over a folder, outside the history, and time it.

    mode "full": decode workers feeding batched inference (what `eval` does);
    "decode": decoding and preprocessing only (no model, no checkpoint needed);
    "model": the model only, on the first video's views repeated for every video.
    Returns {"mode", "videos", "views", "seconds", "videos_per_second", "views_per_second",
    "startup_seconds" (until the first video came out: worker start-up), "steady_videos_per_second"
    (after the first video; None in model mode or for one video), "workers", "warmup_seconds"
    (compilation on CUDA, before the timing)}.
    """
    from ..classifier import load_classifier

    if mode not in ("full", "decode", "model"):
        raise UMTError(f"unknown throughput mode {mode!r} (choose full, decode or model)")
    folder = KineticsFolder.open(root, ann)
    clf = None
    items = folder.items  # decoding needs no labels
    if mode != "decode":
        if checkpoint is None:
            raise UMTError("a checkpoint is needed to time the model")
        clf = load_classifier(checkpoint, device=device, precision=precision, labels=labels, reader=reader,
                              batch_size=batch_size or 12, compile=compile)
        clf.batch_size = batch_size or default_batch_size(clf.device)
        items = folder.labelled(clf.labels)[0]
    items = sorted(items, key=lambda it: it.id)[: limit or None]
    if not items:
        raise DatasetError(f"no videos to time in {root}")
    jobs = [(i, str(it.path)) for i, it in enumerate(items)]
    warmup = clf.warm_up([s for s in clf.compiled_sizes() if s > 1]) if clf is not None else 0.0
    if mode == "model":  # one video's views repeated, staged once: the model's rate as the pipeline feeds it
        first = decode_views(jobs[0][1], views, reader)
        per_batch = max(1, clf.batch_size // len(first))
        batch = Staging(clf.device, count=1).take(per_batch * len(first))
        for k in range(per_batch):
            batch[k * len(first) : (k + 1) * len(first)].numpy()[...] = first
        n_views = 0
        t0 = time.perf_counter()
        left = len(jobs)
        queued = None  # read back after the next is queued, as in the pipeline
        first_at = None  # the first batch read back: steady from there on
        while left > 0:
            k = min(per_batch, left)
            pending = clf.predict_async(batch[: k * len(first)])
            if queued is not None:
                queued.result()
                first_at = first_at or time.perf_counter()
            queued = pending
            left -= k
            n_views += k * len(first)
        queued.result()
        timing = PipelineTiming(len(jobs), n_views, t0, first_at, time.perf_counter(), first_videos=per_batch)
    else:  # decoding alone, or exactly what `eval` and batch classification run
        timing = time_pipeline(jobs, views, clf=clf, reader=reader, workers=workers,
                               batch_size=clf.batch_size if clf is not None else None)
    return {"mode": mode, **timing.to_json(), "workers": workers, "warmup_seconds": warmup}


@dataclass
class PipelineTiming:
    """How long a pass of the pipeline took (perf_counter times)."""

    videos: int
    views: int
    start: float
    first_at: float | None  # when the first video came out (decode worker start-up before it)
    end: float
    first_videos: int = 1  # videos out at first_at (a whole batch in the model-only timing)

    def to_json(self) -> dict:
        seconds = self.end - self.start
        n, first = self.videos, self.first_at
        return {
            "videos": n,
            "views": self.views,
            "seconds": seconds,
            "videos_per_second": n / seconds if seconds > 0 else 0.0,
            "views_per_second": self.views / seconds if seconds > 0 else 0.0,
            "startup_seconds": (first - self.start) if first is not None else 0.0,
            # after the first video: without worker start-up
            "steady_videos_per_second": (n - self.first_videos) / (self.end - first)
            if first is not None and n > self.first_videos and self.end > first else None,
        }


def time_pipeline(jobs: list[tuple[int, str]], views: str, *, clf=None, reader: str = DEFAULT_READER,
                  workers: int = 2, batch_size: int | None = None, overlap: bool | None = None) -> PipelineTiming:
    """The one timed pass over `jobs` for benchmarks: decode workers alone (`clf` None) or feeding
    batches of `batch_size` views through `clf` (`classify_stream`, what `eval` runs; `overlap`:
    see there)."""
    n_views = 0
    first_at = None
    t0 = time.perf_counter()
    if clf is None:
        for d in decode_stream(jobs, views, reader, workers):
            if first_at is None:
                first_at = time.perf_counter()
            n_views += len(d.views) if d.views is not None else 0
    else:
        for r in classify_stream(clf, jobs, views, reader=reader, workers=workers, batch_size=batch_size,
                                 overlap=overlap):
            if first_at is None:
                first_at = time.perf_counter()
            n_views += r.views
        _sync(clf)
    return PipelineTiming(len(jobs), n_views, t0, first_at, time.perf_counter())


def _sync(clf) -> None:
    if clf.device.type == "cuda":
        import torch

        torch.cuda.synchronize(clf.device)
