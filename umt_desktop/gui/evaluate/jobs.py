"""The Evaluate tab's background work: one-shot jobs for the window's `JobRunner`.

Each function here runs on a pool thread (`Job(fn, ...)`), calls core code and
returns plain data; none touches a widget. The evaluation reports its progress as
`job.progress(done, total)` and leaves the newest `EvalProgress` (with the live
per-checkpoint scores) and the run id on the job (`job.latest`, `job.run_id`), so
the tab always shows the newest figures however many reports queue up.

`gui_words()` rewrites the hints the core gives for the command line (`--ann`,
`umt-desktop eval --resume ID`) into the tab's own buttons and fields.
"""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ...core.errors import Cancelled, UMTError


# -- outcomes ---------------------------------------------------------------------------
@dataclass
class Finished:
    run_id: str
    results: list  # CheckpointResult per checkpoint


@dataclass
class Stopped:
    run_id: str | None
    done: int | None
    total: int | None


@dataclass
class RunRow:
    """What the Past runs table and the accuracy-over-runs chart need of one run."""

    id: str
    created: float
    status: str
    views: str
    root: str
    ann: str | None
    settings: dict
    done: int
    total: int
    error: str | None
    checkpoints: list[dict] = field(default_factory=list)  # name, path, top1 (None: no metrics), published_top1

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    @property
    def resumable(self) -> bool:
        """Stopped before the end and no process on it now ("running" means one is); a failed run
        only while videos are left (one where every video failed would fail again)."""
        return self.status == "interrupted" or (self.status == "failed" and self.done < self.total)


@dataclass
class HistoryView:
    rows: list[RunRow]
    problem: str | None = None  # why the history cannot be read
    damaged: Path | None = None  # a damaged database file that can be moved aside


@dataclass
class RunDetails:
    row: RunRow
    results: list


# -- evaluation ---------------------------------------------------------------------------
def run_evaluation(job, settings, run_id: str | None = None, resume: str | None = None, gpus: int = 0):
    """A whole evaluation, new (under `run_id`, chosen by the tab) or resumed: `Finished`,
    or `Stopped` when cancelled."""
    from PySide6.QtCore import QThreadPool

    job.latest, job.run_id = None, resume or run_id
    pool = QThreadPool.globalInstance()
    # An evaluation holds its thread for hours: give its pool slot back so short jobs
    # (history reads, scans, model loads) never queue behind it.
    pool.releaseThread()
    try:
        if gpus > 1:
            return _torchrun(job, settings, run_id, resume, gpus)
        return _in_process(job, settings, run_id, resume)
    finally:
        pool.reserveThread()


def _report(job, run_id: str | None, p=None) -> None:
    job.run_id = run_id
    if p is not None:
        job.latest = p
    job.progress(p.done if p is not None else 0, p.total if p is not None else 0, "")


def _stopped(job) -> Stopped:
    p = job.latest
    return Stopped(job.run_id, p.done if p is not None else None, p.total if p is not None else None)


def _in_process(job, settings, run_id, resume):
    from ...core.evaluation.run import EvalRun

    run = EvalRun(settings, resume=resume, run_id=None if resume else run_id, cancelled=job.cancelled, dist_env=None,
                  progress=lambda p: _report(job, run.run_id, p))
    try:
        run.prepare()
        _report(job, run.run_id)
        return Finished(run.run_id, run.run())
    except Cancelled:
        return _stopped(job)


def _torchrun(job, settings, run_id, resume, gpus):
    """All local GPUs: the same `eval` under torchrun (the core's command line), followed
    through the history database under the run id the tab chose."""
    from ...core.evaluation.history import History
    from ...core.evaluation.launch import torchrun_command
    from ...core.evaluation.run import EvalProgress, results_of

    run_id = resume or run_id
    cmd = torchrun_command(settings, gpus, run_id=None if resume else run_id, resume=resume)
    began = time.time()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, text=True)
        with History() as history:
            interrupted = False
            total = None
            while proc.poll() is None:
                if job.cancelled() and not interrupted:
                    proc.send_signal(signal.SIGINT)  # torchrun stops every rank; the run stays resumable
                    interrupted = True
                if total is None:
                    total = history.count_videos(run_id) or None  # rank 0 records the plan in one go
                if total is not None:
                    elapsed = time.time() - began
                    done = history.count_done(run_id)
                    _report(job, run_id, EvalProgress(done, total, 0, elapsed, done / elapsed if elapsed else 0.0))
                time.sleep(0.5)
            err.seek(0)
            message = [ln for ln in err.read().splitlines() if ln.startswith("umt-desktop:")]
            if job.cancelled() or proc.returncode == 130:
                return _stopped(job)
            if proc.returncode != 0:
                raise UMTError(message[-1][len("umt-desktop: "):].removeprefix("error: ") if message else
                               f"torchrun failed with exit code {proc.returncode}")
            return Finished(run_id, results_of(history, run_id))


# -- dataset and history ----------------------------------------------------------------------
def scan_dataset(job, root: str, ann: str | None, classes: int):
    """The layout and video count of a dataset folder (`DatasetSummary`)."""
    from ...core.evaluation.dataset import KineticsFolder
    from ...core.model.labels import kinetics

    return KineticsFolder.open(root, ann).summary(kinetics(classes))


def _row(history, record) -> RunRow:
    return RunRow(
        id=record.id, created=record.created, status=record.status, views=record.views, root=record.root,
        ann=record.ann, settings=dict(record.settings), done=history.count_done(record.id),
        total=history.count_videos(record.id), error=record.error,
        checkpoints=[
            {"name": c["name"], "path": c["path"], "published_top1": c.get("published_top1"),
             "top1": (c.get("metrics") or {}).get("top1")}
            for c in record.checkpoints
        ],
    )


def read_history(job, limit: int = 200) -> HistoryView:
    """The newest `limit` runs with their progress (counted in SQL, no video rows loaded).
    A history that cannot be read is not an error of the job: the view says why, and
    names the file when it is damaged and can be moved aside."""
    from ...core.errors import HistoryDamagedError, HistoryError
    from ...core.evaluation.history import History

    try:
        with History() as history:
            return HistoryView([_row(history, r) for r in history.runs(limit)])
    except HistoryDamagedError as e:
        return HistoryView([], problem=gui_words(str(e)), damaged=Path(e.path) if e.path else None)
    except HistoryError as e:
        return HistoryView([], problem=gui_words(str(e)))


def move_history_aside(job, path: Path) -> Path:
    """Rename the damaged history file (never deleted); the next read starts a new history."""
    from ...core.evaluation.history import move_aside

    return move_aside(path)


def read_run(job, run_id: str) -> RunDetails:
    """A past run's row and metrics (partial runs included)."""
    from ...core.evaluation.history import History
    from ...core.evaluation.run import results_of

    with History() as history:
        return RunDetails(_row(history, history.get_run(run_id)), results_of(history, run_id))


def export_run(job, run_id: str, path: str) -> Path:
    """The run's per-video predictions with class names, written by the same export as `eval --export`."""
    from ...core.evaluation.export import export_run as export

    return export(run_id, path)


# -- words ---------------------------------------------------------------------------------------
_CLI_HINTS = [
    (re.compile(r"resume with `umt-desktop eval --resume [^`]*`"),
     "select the run under Past runs and click Resume"),
    (re.compile(r"set UMT_DESKTOP_DATA_DIR to a folder you can write"),
     "start the app with UMT_DESKTOP_DATA_DIR set to a folder you can write"),
    (re.compile(r";?\s*see `umt-desktop eval --list`"), ""),
    (re.compile(r"move it aside to start a new history"),
     "click Move the damaged file aside (under Past runs) to start a new history"),
    (re.compile(r"\(--model NAME or --checkpoint FILE\)"), "(tick one under Checkpoints)"),
    (re.compile(r"pass --ann with"), "choose in Annotations"),
    (re.compile(r"--ann\b"), "the Annotations field"),
    (re.compile(r"`umt-desktop models [^`]*`"), "the model manager (Model → Models…)"),
]


def gui_words(message: str) -> str:
    """A core message with its command-line hints replaced by what to do in this tab."""
    for pattern, replacement in _CLI_HINTS:
        message = pattern.sub(replacement, message)
    return message.replace("`", "")
