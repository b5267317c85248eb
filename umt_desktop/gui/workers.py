"""One-shot background jobs: model loading, whole-video classification, camera listing.

A `Job` is a QRunnable on the global QThreadPool. Its work function receives the
job itself, calls core code, reports with `job.progress(done, total, text)` and
checks `job.cancelled()` between steps; it never touches a widget. The job's
signals (started, progress, result, error, cancelled, finished) arrive in the GUI
thread. `JobRunner` starts jobs, keeps them alive while they run, routes every
error to the one `Notifier`, and cancels and waits for them when the window closes.

The long-lived live stream uses the moveToThread recipe instead (stream_worker).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..core.errors import Cancelled, UMTError

log = logging.getLogger(__name__)


class JobSignals(QObject):
    started = Signal()
    progress = Signal(float, float, str)  # done, total (0 = unknown), text
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()
    finished = Signal()


class Job(QRunnable):
    """`fn(job, *args, **kwargs)` run on a pool thread; its return value is emitted as `result`."""

    def __init__(self, fn: Callable[..., Any], *args, name: str = "", **kwargs) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns the job; JobRunner drops it when finished
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.name = name or getattr(fn, "__name__", "job")
        self.signals = JobSignals()
        self._cancel = threading.Event()
        self._done = threading.Event()
        self.value: Any = None
        self.error_message: str | None = None

    # -- called from the work function (pool thread) -------------------------
    def progress(self, done: float, total: float | None = None, text: str = "") -> None:
        self._emit(self.signals.progress, float(done), float(total or 0), text)

    def _emit(self, signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the receiver side is gone (application exiting): nothing to tell
            pass

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -- called from the GUI thread -------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def is_done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def run(self) -> None:  # pool thread
        self._emit(self.signals.started)
        try:
            self.value = self.fn(self, *self.args, **self.kwargs)
        except Cancelled:
            self._emit(self.signals.cancelled)
        except UMTError as e:
            self.error_message = str(e)
            self._emit(self.signals.error, self.error_message)
        except MemoryError:
            self.error_message = f"{self.name}: out of memory"
            self._emit(self.signals.error, self.error_message)
        except Exception as e:  # a bug: say so in one line, keep the traceback in the log
            log.exception("%s failed", self.name)
            self.error_message = f"{self.name} failed unexpectedly: {type(e).__name__}: {e}"
            self._emit(self.signals.error, self.error_message)
        else:
            if self._cancel.is_set():
                self._emit(self.signals.cancelled)
            else:
                self._emit(self.signals.result, self.value)
        finally:
            self._done.set()
            self._emit(self.signals.finished)


class JobRunner(QObject):
    """Starts jobs on the global pool and is the single place their errors go."""

    def __init__(self, notifier=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.pool = QThreadPool.globalInstance()
        self.active: list[Job] = []

    def start(
        self,
        job: Job,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[float, float, str], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        notify_errors: bool = True,
    ) -> Job:
        relay = _Relay(self, job, on_result, on_error, on_progress, on_finished, notify_errors)
        job._relay = relay  # kept alive with the job
        self.active.append(job)
        self.pool.start(job)
        return job

    def _finished(self, job: Job) -> None:
        if job in self.active:
            self.active.remove(job)

    def running(self, name: str | None = None) -> list[Job]:
        return [j for j in self.active if not j.is_done() and (name is None or j.name == name)]

    def cancel_all(self) -> None:
        for job in self.active:
            job.cancel()

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Cancel every job and wait for the pool to drain (window closing)."""
        self.cancel_all()
        ok = self.pool.waitForDone(int(timeout * 1000))
        self.active.clear()
        return ok


class _Relay(QObject):
    """Receives a job's signals in the GUI thread (it lives there, so delivery is queued)
    and calls the plain callbacks, which may be lambdas, from there."""

    def __init__(self, runner, job, on_result, on_error, on_progress, on_finished, notify_errors):
        super().__init__(runner)
        self.runner, self.job = runner, job
        self.callbacks = (on_result, on_error, on_progress, on_finished)
        self.notify_errors = notify_errors
        job.signals.result.connect(self.result)
        job.signals.error.connect(self.error)
        job.signals.progress.connect(self.progress)
        job.signals.finished.connect(self.finished)

    def result(self, value) -> None:
        if self.callbacks[0]:
            self.callbacks[0](value)

    def error(self, text: str) -> None:
        if self.callbacks[1]:
            self.callbacks[1](text)
        if self.notify_errors and self.runner.notifier is not None:
            self.runner.notifier.error(text)

    def progress(self, done: float, total: float, text: str) -> None:
        if self.callbacks[2]:
            self.callbacks[2](done, total, text)

    def finished(self) -> None:
        self.runner._finished(self.job)
        if self.callbacks[3]:
            self.callbacks[3]()
        self.deleteLater()


# -- work functions (run on a pool thread; no widgets here) -------------------


def load_model(job: Job, source: str, device: str = "auto", precision: str = "auto", labels: str | None = None):
    """A ready `Classifier` for a model name or checkpoint path, loaded step by step with progress."""
    import torch

    from ..core.model.checkpoint import load_checkpoint
    from ..core.classifier import Classifier, resolve_checkpoint
    from ..core.device import resolve
    from ..core.model.labels import labels_for

    job.progress(0, 4, "Finding the checkpoint")
    name, path = resolve_checkpoint(source)
    runtime = resolve(device, precision)
    _check(job)
    job.progress(1, 4, f"Reading {Path(path).name}")
    checkpoint = load_checkpoint(path)
    _check(job)
    label_set = labels_for(checkpoint.num_classes, labels)
    job.progress(2, 4, f"Moving the model to {runtime.device}")
    try:
        classifier = Classifier(checkpoint, label_set, runtime, name=name)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        from ..core.errors import DeviceError

        raise DeviceError(f"the GPU has not enough free memory for {name}; choose the CPU or a smaller model") from None
    _check(job)
    if runtime.device.type == "cuda":
        # The first CUDA passes pay for kernel selection and, compiled, for compilation (the live window
        # and the 12 views of a whole video): pay them here, with a word, not on the first window.
        job.progress(3, 4, "Preparing the model for this GPU (compiling: a minute the first time)"
                     if classifier.compiled else "Warming up the GPU")
        import numpy as np

        if classifier.compiled:
            classifier.warm_up([1, 12])  # its passes select the kernels too
        else:
            with torch.inference_mode():
                classifier.predict_views(np.zeros((1, 8, 224, 224, 3), np.uint8))
    job.progress(4, 4, "Ready")
    return classifier


def classify_video(job: Job, classifier, path: str, views: str = "4x3", topk: int = 5):
    """The whole-video result with the published protocol (decoding happens here, off the GUI thread)."""
    import torch

    job.progress(0, 0, f"{views} classification of {Path(path).name}")
    with torch.inference_mode():
        return classifier.classify(path, views=views, topk=topk)


def list_cameras(job: Job | None = None) -> list[tuple[str, str]]:
    """(source, name) of each camera the system reports, without opening any of them."""
    cameras: list[tuple[str, str]] = []
    sysfs = Path("/sys/class/video4linux")
    if sys.platform.startswith("linux") and sysfs.is_dir():
        for node in sorted(sysfs.glob("video*"), key=lambda p: int("".join(c for c in p.name if c.isdigit()) or 0)):
            index = int("".join(c for c in node.name if c.isdigit()) or 0)
            try:
                name = (node / "name").read_text().strip()
                # A webcam exposes a metadata node next to its capture node; index 0 of each device only.
                if (node / "index").exists() and (node / "index").read_text().strip() not in ("", "0"):
                    continue
            except OSError:
                name = node.name
            cameras.append((f"camera:{index}", f"{name} (/dev/{node.name})"))
        return cameras
    try:  # QtMultimedia is not part of PySide6-Essentials; use it when installed
        from PySide6.QtMultimedia import QMediaDevices

        for i, dev in enumerate(QMediaDevices.videoInputs()):
            cameras.append((f"camera:{i}", dev.description()))
    except ImportError:
        pass
    return cameras


def _check(job: Job) -> None:
    if job.cancelled():
        raise Cancelled("cancelled")
