"""The Evaluation tab: measure checkpoints on a local Kinetics copy and compare them.

Interface for the main window and for headless runs::

    panel = EvalPanel(notifier=None)      # a QWidget; embed it as a tab
    panel.configure(root, ann=None, checkpoints=["tiny_umt.pth", "umt-base-..."],
                    views="4x3", device="auto")   # device: auto, cpu, cuda:N or "all-gpus"
    panel.finished.connect(lambda ok: ...)        # ok: the run completed
    panel.start()                                  # runs in a background thread
    panel.cancel()                                 # stops between videos; the run can be resumed
    panel.shutdown()                               # on window close: cancel and wait
    panel.results                                  # CheckpointResult list of the last shown run

`umt-desktop gui --eval ROOT [--ann FILE] --checkpoint ... --screenshot PNG` calls
`configure()` and `start()` and grabs the window when `finished` fires.

The panel picks a folder and an optional annotation file and shows the detected
layout (discovery runs on a pool thread); checkpoints are the installed zoo models
plus any files added; the protocol is 4x3 or 1x1. A run is an `EvalRun` in an
`EvalWorker` moved to a QThread (never the GUI thread); its progress (done, ETA,
videos/s, live top-1/top-5 per checkpoint) arrives by signal. With several local
GPUs, "all N GPUs" starts `torchrun --standalone --nproc-per-node N -m umt_desktop
eval ...` in a subprocess and follows it through the history database. Results are
a side-by-side table (measured and published top-1) and three small QPainter
charts: per-class accuracy, worst classes and most confused pairs. Past runs come
from the history database; an interrupted one can be resumed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QThread, QThreadPool, Signal, Slot
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import Cancelled, UMTError

ALL_GPUS = "all-gpus"


# -- charts ------------------------------------------------------------------------
class BarChart(QWidget):
    """Labelled horizontal bars (worst classes, confused pairs), drawn with QPainter."""

    def __init__(self, title: str, suffix: str = "%", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.suffix = title, suffix
        self.items: list[tuple[str, float]] = []
        self.maximum = 100.0
        self.setMinimumHeight(140)

    def set_items(self, items: list[tuple[str, float]], maximum: float | None = None) -> None:
        self.items = list(items)
        self.maximum = maximum if maximum is not None else max([v for _, v in items] + [1.0])
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(320, 40 + 18 * max(4, len(self.items)))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        accent = pal.color(QPalette.ColorRole.Highlight)
        p.setPen(text)
        fm = p.fontMetrics()
        p.drawText(QRectF(4, 2, self.width() - 8, fm.height()), Qt.AlignmentFlag.AlignLeft, self.title)
        if not self.items:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no data yet")
            return
        top = fm.height() + 8
        row = max(12.0, min(22.0, (self.height() - top - 4) / len(self.items)))
        label_w = min(self.width() * 0.5, max(fm.horizontalAdvance(label) for label, _ in self.items) + 8)
        value_w = fm.horizontalAdvance(f"100.0{self.suffix}") + 8
        bar_w = max(10.0, self.width() - label_w - value_w - 8)
        for i, (label, value) in enumerate(self.items):
            y = top + i * row
            p.setPen(text)
            shown = fm.elidedText(label, Qt.TextElideMode.ElideRight, int(label_w - 6))
            p.drawText(QRectF(4, y, label_w - 6, row), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, shown)
            frac = 0.0 if self.maximum <= 0 else max(0.0, min(1.0, value / self.maximum))
            p.fillRect(QRectF(label_w, y + row * 0.2, bar_w * frac, row * 0.6), accent)
            number = f"{value:.1f}{self.suffix}" if self.suffix == "%" else f"{value:g}{self.suffix}"
            p.drawText(QRectF(label_w + bar_w * frac + 4, y, value_w, row), Qt.AlignmentFlag.AlignVCenter, number)


class ClassAccuracyChart(QWidget):
    """Per-class accuracy as one thin column per class, best to worst, with the mean as a line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: list[tuple[str, float]] = []
        self.setMinimumHeight(120)

    def set_classes(self, per_class: list[dict]) -> None:
        self.values = sorted(((c["label"], c["accuracy"]) for c in per_class), key=lambda kv: -kv[1])
        if self.values:
            self.setToolTip("\n".join(f"{label}: {acc:.1f}%" for label, acc in self.values[:40]))
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        accent = pal.color(QPalette.ColorRole.Highlight)
        fm = p.fontMetrics()
        p.setPen(text)
        title = f"Per-class accuracy ({len(self.values)} classes)"
        p.drawText(QRectF(4, 2, self.width() - 8, fm.height()), Qt.AlignmentFlag.AlignLeft, title)
        if not self.values:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no data yet")
            return
        top, bottom = fm.height() + 8, self.height() - 4
        left, right = 4 + fm.horizontalAdvance("100%") + 4, self.width() - 4
        height = max(1.0, bottom - top)
        p.setPen(QColor(text.red(), text.green(), text.blue(), 90))
        for level in (0, 50, 100):
            y = bottom - height * level / 100
            p.drawLine(int(left), int(y), int(right), int(y))
            p.drawText(QRectF(2, y - fm.height() / 2, left - 6, fm.height()), Qt.AlignmentFlag.AlignRight, f"{level}%")
        width = (right - left) / len(self.values)
        for i, (_, acc) in enumerate(self.values):
            h = height * acc / 100
            p.fillRect(QRectF(left + i * width, bottom - h, max(1.0, width - (1 if width > 3 else 0)), h), accent)
        mean = sum(acc for _, acc in self.values) / len(self.values)
        y = bottom - height * mean / 100
        p.setPen(QColor(220, 80, 60))
        p.drawLine(int(left), int(y), int(right), int(y))
        p.drawText(QRectF(right - 120, y - fm.height() - 1, 118, fm.height()), Qt.AlignmentFlag.AlignRight,
                   f"mean {mean:.1f}%")


# -- worker --------------------------------------------------------------------------
class EvalWorker(QObject):
    """Runs one evaluation in its own QThread; reports by signal, never touches widgets."""

    progress = Signal(object)  # EvalProgress
    started_run = Signal(str)  # run id, once known
    result = Signal(object)  # list[CheckpointResult]
    error = Signal(str)
    cancelled = Signal(str)
    finished = Signal()

    def __init__(self, settings, resume: str | None = None, gpus: int = 0) -> None:
        super().__init__()
        self.settings, self.resume, self.gpus = settings, resume, gpus
        self._run = None
        self._stop = False

    def cancel(self) -> None:
        self._stop = True
        if self._run is not None:
            self._run.cancel()

    @Slot()
    def work(self) -> None:
        try:
            results = self._torchrun() if self.gpus > 1 else self._in_process()
            self.result.emit(results)
        except Cancelled as e:
            self.cancelled.emit(str(e))
        except UMTError as e:
            self.error.emit(str(e))
        except Exception as e:  # a bug must not leave the panel hanging
            self.error.emit(f"evaluation failed: {type(e).__name__}: {e}")
        finally:
            self.finished.emit()

    def _in_process(self):
        from ..core.evaluation.run import EvalRun

        self._run = EvalRun(self.settings, resume=self.resume, progress=self.progress.emit,
                            cancelled=lambda: self._stop, dist_env=None)
        self._run.prepare()
        self.started_run.emit(self._run.run_id)
        return self._run.run()

    def _torchrun(self):
        """All local GPUs: the same `eval` under torchrun, followed through the history database."""
        from ..core.evaluation.run import EvalProgress, results_of
        from ..core.evaluation.history import History

        s = self.settings
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(self.gpus),
               "-m", "umt_desktop", "eval", "--json", "--workers", str(s.workers)]
        if self.resume:
            cmd += ["--resume", self.resume]
        else:
            cmd += [s.root, "--views", s.views, "--seed", str(s.seed)]
            cmd += ["--ann", s.ann] if s.ann else []
            cmd += ["--limit", str(s.limit)] if s.limit else []
            for c in s.checkpoints:
                cmd += ["--checkpoint", c]
        began = time.time()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
            run_id = self.resume
            with History() as history:
                interrupted = False
                while proc.poll() is None:
                    if self._stop and not interrupted:
                        proc.send_signal(signal.SIGINT)  # torchrun stops every rank; the run stays resumable
                        interrupted = True
                    if run_id is None:
                        recent = [r for r in history.runs(5) if r.created >= began - 1]
                        if recent:
                            run_id = recent[0].id
                            self.started_run.emit(run_id)
                    if run_id is not None:
                        total = len(history.run_videos(run_id))
                        elapsed = time.time() - began
                        done = history.count_done(run_id)
                        self.progress.emit(EvalProgress(done, total, 0, elapsed, done / elapsed if elapsed else 0.0))
                    time.sleep(0.5)
                err.seek(0)
                message = [ln for ln in err.read().splitlines() if ln.startswith("umt-desktop:")]
                if self._stop or proc.returncode == 130:
                    raise Cancelled(message[-1] if message else "evaluation stopped")
                if proc.returncode != 0:
                    raise UMTError(message[-1][len("umt-desktop: "):] if message else
                                   f"torchrun failed with exit code {proc.returncode}")
                out.seek(0)
                lines = [ln for ln in out.read().splitlines() if ln.startswith("{")]
                run_id = json.loads(lines[-1])["run_id"] if lines else run_id
                return results_of(history, run_id)


# -- the panel ---------------------------------------------------------------------------
class EvalPanel(QWidget):
    """Evaluation tab; see the module docstring for its interface."""

    finished = Signal(bool)

    def __init__(self, notifier=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.results: list = []
        self.run_id: str | None = None
        self._thread: QThread | None = None
        self._worker: EvalWorker | None = None
        self._scan_job = None
        self._build()
        self.refresh_models()
        self.refresh_history()

    # -- layout ----------------------------------------------------------------------
    def _build(self) -> None:
        self.root_edit = QLineEdit()
        self.root_edit.setPlaceholderText("Kinetics folder (class folders, or videos for a list/CSV)")
        self.ann_edit = QLineEdit()
        self.ann_edit.setPlaceholderText("optional: MMAction2 list file or Kinetics CSV")
        browse_root = QPushButton("Folder…")
        browse_root.clicked.connect(self._pick_root)
        browse_ann = QPushButton("File…")
        browse_ann.clicked.connect(self._pick_ann)
        self.scan_button = QPushButton("Detect")
        self.scan_button.clicked.connect(self.scan)
        self.summary_label = QLabel("Pick a folder to see what it holds.")
        self.summary_label.setWordWrap(True)

        self.model_list = QListWidget()
        self.model_list.setMaximumHeight(110)
        add_file = QPushButton("Add checkpoint file…")
        add_file.clicked.connect(self._pick_checkpoint)
        self.views_combo = QComboBox()
        self.views_combo.addItems(["4x3", "1x1"])
        self.device_combo = QComboBox()
        self._fill_devices()
        self.workers_spin = QSpinBox()
        self.workers_spin.setRange(0, max(1, os.cpu_count() or 1))
        self.workers_spin.setValue(min(4, max(1, (os.cpu_count() or 2) - 1)))
        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(0, 10_000_000)
        self.limit_spin.setSpecialValueText("all videos")

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.root_edit, 1)
        row.addWidget(browse_root)
        form.addRow("Dataset", row)
        row = QHBoxLayout()
        row.addWidget(self.ann_edit, 1)
        row.addWidget(browse_ann)
        row.addWidget(self.scan_button)
        form.addRow("Annotations", row)
        form.addRow("", self.summary_label)
        col = QVBoxLayout()
        col.addWidget(self.model_list)
        col.addWidget(add_file, 0, Qt.AlignmentFlag.AlignLeft)
        form.addRow("Checkpoints", col)
        options = QHBoxLayout()
        for label, widget in (("Protocol", self.views_combo), ("Device", self.device_combo),
                              ("Decode workers", self.workers_spin), ("Subset", self.limit_spin)):
            options.addWidget(QLabel(label))
            options.addWidget(widget)
        options.addStretch(1)
        form.addRow("", options)

        self.start_button = QPushButton("Start evaluation")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status_label = QLabel("")
        self.live_label = QLabel("")
        run_row = QHBoxLayout()
        run_row.addWidget(self.start_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress_bar, 1)

        setup = QGroupBox("Evaluate")
        sv = QVBoxLayout(setup)
        sv.addLayout(form)
        sv.addLayout(run_row)
        sv.addWidget(self.status_label)
        sv.addWidget(self.live_label)

        self.table = QTableWidget(0, 10)
        self.table.setHorizontalHeaderLabels(["Checkpoint", "Top-1", "Published", "Δ", "Top-5", "Mean class",
                                              "Videos", "Failed", "Missing", "Videos/s"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMaximumHeight(130)
        self.class_chart = ClassAccuracyChart()
        self.worst_chart = BarChart("Worst classes")
        self.confused_chart = BarChart("Most confused (true → predicted)", suffix="")
        charts = QGridLayout()
        charts.addWidget(self.class_chart, 0, 0, 1, 2)
        charts.addWidget(self.worst_chart, 1, 0)
        charts.addWidget(self.confused_chart, 1, 1)
        results = QGroupBox("Results")
        rv = QVBoxLayout(results)
        rv.addWidget(self.table)
        rv.addLayout(charts, 1)

        self.history_table = QTableWidget(0, 6)
        self.history_table.setHorizontalHeaderLabels(["Run", "Started", "Status", "Protocol", "Videos", "Top-1"])
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history_table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.history_table.setWordWrap(False)
        self.history_table.verticalHeader().setVisible(False)
        self.history_table.itemSelectionChanged.connect(self._show_selected_run)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(self.resume_selected)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self._export_selected)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_history)
        past = QGroupBox("Past runs")
        pv = QVBoxLayout(past)
        pv.addWidget(self.history_table)
        buttons = QHBoxLayout()
        for b in (self.resume_button, self.export_button, refresh):
            buttons.addWidget(b)
        buttons.addStretch(1)
        pv.addLayout(buttons)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(results)
        right.addWidget(past)
        right.setStretchFactor(0, 3)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(setup)
        lv.addStretch(1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 6)
        outer.addWidget(split)

    def _fill_devices(self) -> None:
        from ..core.device import available_devices

        self.device_combo.clear()
        self.device_combo.addItem("auto", "auto")
        devices = available_devices()
        for d in devices:
            self.device_combo.addItem(d, d)
        gpus = sum(d.startswith("cuda") for d in devices)
        if gpus > 1:
            self.device_combo.addItem(f"all {gpus} GPUs (torchrun)", ALL_GPUS)

    def showEvent(self, event) -> None:
        # Models may have been installed and runs made elsewhere since the tab was last shown.
        if not self.is_running():
            self.refresh_models()
            self.refresh_history()
        super().showEvent(event)

    # -- configuration ------------------------------------------------------------------
    def refresh_models(self) -> None:
        """Installed zoo models (checkable), keeping files added by hand and the checked state."""
        from ..core.model.zoo import ModelStore

        checked = set(self.checkpoints())
        files = [self.model_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.model_list.count())]
        files = [f for f in files if Path(f).suffix]
        self.model_list.clear()
        try:
            installed = sorted(ModelStore().installed())
        except Exception:
            installed = []
        for name in installed + files:
            self._add_checkpoint_item(name, name in checked)

    def _add_checkpoint_item(self, name: str, checked: bool = True) -> None:
        for i in range(self.model_list.count()):
            item = self.model_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        from ..core.model.zoo import published_top1

        text = Path(name).name if Path(name).suffix else name
        published = published_top1(Path(name).stem if Path(name).suffix else name)
        if published is not None:
            text += f"  (published {published:.2f}%)"
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.model_list.addItem(item)

    def checkpoints(self) -> list[str]:
        return [
            self.model_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.model_list.count())
            if self.model_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def configure(self, root, ann=None, checkpoints=(), views: str = "4x3", device: str = "auto") -> None:
        """Fill the form (the main window and `gui --eval` use this before `start()`)."""
        self.root_edit.setText(str(root) if root else "")
        self.ann_edit.setText(str(ann) if ann else "")
        for i in range(self.model_list.count()):
            self.model_list.item(i).setCheckState(Qt.CheckState.Unchecked)
        for c in checkpoints:
            self._add_checkpoint_item(str(c), True)
        self.views_combo.setCurrentText(views)
        index = self.device_combo.findData(device)
        if index < 0:
            self.device_combo.addItem(device, device)
            index = self.device_combo.count() - 1
        self.device_combo.setCurrentIndex(index)
        if root:
            self.scan()

    def _pick_root(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Kinetics folder", self.root_edit.text())
        if path:
            self.root_edit.setText(path)
            self.scan()

    def _pick_ann(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Annotation file", self.root_edit.text(),
                                              "Annotations (*.txt *.csv *.list);;All files (*)")
        if path:
            self.ann_edit.setText(path)
            self.scan()

    def _pick_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Checkpoint", "", "Checkpoints (*.pth *.pt *.ckpt *.bin)")
        if path:
            self._add_checkpoint_item(path, True)

    # -- dataset summary (pool thread) ---------------------------------------------------
    def scan(self) -> None:
        """Detect the layout and count videos in the background; the summary label shows the outcome."""
        from .workers import Job

        root, ann = self.root_edit.text().strip(), self.ann_edit.text().strip() or None
        if not root:
            return
        self.summary_label.setText("Looking at the folder…")
        job = Job(_scan, root, ann, self._label_classes(), name="dataset scan")
        job.signals.result.connect(self._scanned)
        job.signals.error.connect(lambda msg: self.summary_label.setText(f"⚠ {msg}"))
        self._scan_job = job  # keep it alive while it runs
        QThreadPool.globalInstance().start(job)

    def _label_classes(self) -> int:
        from ..core.model.zoo import ModelStore

        for c in self.checkpoints():
            model = ModelStore().get(c) if not Path(c).suffix else None
            if model is not None:
                return model.num_classes
        return 400

    @Slot(object)
    def _scanned(self, summary) -> None:
        text = summary.describe()
        if summary.missing:
            text += "\nmissing: " + ", ".join(summary.missing[:3]) + (" …" if len(summary.missing) > 3 else "")
        self.summary_label.setText(text)

    # -- running ------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, resume: str | None = None) -> bool:
        """Start the configured run (or resume `resume`) in a background thread."""
        from ..core.evaluation.run import EvalSettings

        if self.is_running():
            return False
        device = self.device_combo.currentData() or "auto"
        gpus = 0
        if device == ALL_GPUS:
            import torch

            gpus, device = torch.cuda.device_count(), "cuda"
        settings = EvalSettings(
            root=self.root_edit.text().strip(),
            checkpoints=self.checkpoints(),
            ann=self.ann_edit.text().strip() or None,
            views=self.views_combo.currentText(),
            device=device,
            workers=self.workers_spin.value(),
            limit=self.limit_spin.value() or None,
        )
        if resume is None and (not settings.root or not settings.checkpoints):
            self._fail("choose a dataset folder and at least one checkpoint")
            return False
        self.results = []
        self._show_results([])
        self.status_label.setText("Starting… (loading checkpoints, starting decode workers)")
        self.live_label.setText("")
        self.progress_bar.setRange(0, 0)
        self.start_button.setEnabled(False)
        self.resume_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._started = time.monotonic()
        worker = EvalWorker(settings, resume=resume, gpus=gpus)
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.work)
        worker.progress.connect(self._on_progress)
        worker.started_run.connect(self._on_started_run)
        worker.result.connect(self._on_result)
        worker.error.connect(self._on_error)
        worker.cancelled.connect(self._on_cancelled)
        worker.finished.connect(thread.quit)
        thread.finished.connect(self._on_thread_done)
        self._worker, self._thread = worker, thread
        self._outcome = False
        thread.start()
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.status_label.setText("Stopping after the current videos…")

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel a run in flight and wait for its thread (the window is closing)."""
        if self._thread is not None:
            self.cancel()
            self._thread.wait(timeout_ms)

    @Slot(str)
    def _on_started_run(self, run_id: str) -> None:
        self.run_id = run_id
        self.refresh_history()

    @Slot(object)
    def _on_progress(self, p) -> None:
        self.progress_bar.setRange(0, max(1, p.total))
        self.progress_bar.setValue(p.done)
        eta = p.eta
        eta_text = f", ETA {_duration(eta)}" if eta is not None else ""
        failed = f", {p.failed} failed" if p.failed else ""
        self.status_label.setText(f"{p.done} / {p.total} videos, {p.videos_per_second:.2f} videos/s{eta_text}{failed}")
        self.live_label.setText("   ".join(
            f"{c['name']}: top-1 {c['top1']:.1f}%  top-5 {c['top5']:.1f}%" for c in p.live
        ))

    @Slot(object)
    def _on_result(self, results) -> None:
        self._outcome = True
        self.results = results
        self._show_results(results)
        seconds = time.monotonic() - self._started
        self.status_label.setText(f"Finished run {self.run_id or ''} in {_duration(seconds)}")

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self._fail(message)

    @Slot(str)
    def _on_cancelled(self, message: str) -> None:
        self.status_label.setText(message.replace("`", ""))

    @Slot()
    def _on_thread_done(self) -> None:
        if self._thread is not None:
            self._thread.deleteLater()
        if self._worker is not None:
            self._worker.deleteLater()
        self._thread = self._worker = None
        self.progress_bar.setRange(0, max(1, self.progress_bar.maximum()))
        self.start_button.setEnabled(True)
        self.resume_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.refresh_history()
        self.finished.emit(self._outcome)

    def _fail(self, message: str) -> None:
        self.status_label.setText(f"⚠ {message}")
        notifier = self.notifier or getattr(self.window(), "notifier", None)
        if notifier is not None:
            notifier.error(message)
        if not self.is_running():
            self.finished.emit(False)

    # -- results ------------------------------------------------------------------------
    def _show_results(self, results) -> None:
        self.table.setRowCount(len(results))
        for row, r in enumerate(results):
            delta = f"{r.top1 - r.published_top1:+.2f}" if r.published_top1 is not None else "–"
            cells = [r.name, f"{r.top1:.2f}%", f"{r.published_top1:.2f}%" if r.published_top1 is not None else "–",
                     delta, f"{r.top5:.2f}%", f"{r.mean_class_accuracy:.2f}%", str(r.videos), str(len(r.failed)),
                     str(len(r.missing)), f"{r.videos_per_second:.2f}"]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        first = results[0] if results else None
        self.class_chart.set_classes(first.per_class if first else [])
        worst = sorted(first.per_class, key=lambda c: (c["accuracy"], c["label"]))[:8] if first else []
        self.worst_chart.set_items([(c["label"], c["accuracy"]) for c in worst], maximum=100.0)
        self.confused_chart.set_items([(f"{c['true']} → {c['predicted']}", c["count"]) for c in (first.confused if first else [])[:8]])

    # -- history ---------------------------------------------------------------------------
    def refresh_history(self) -> None:
        from ..core.evaluation.history import History

        try:
            with History() as history:
                rows = [(r, history.count_done(r.id), len(history.run_videos(r.id))) for r in history.runs(200)]
        except UMTError as e:
            self.status_label.setText(f"⚠ {e}")
            return
        self.history_table.blockSignals(True)
        self.history_table.setRowCount(len(rows))
        for i, (r, done, total) in enumerate(rows):
            scores = ", ".join(f"{c['metrics']['top1']:.2f}%" for c in r.checkpoints if c.get("metrics"))
            cells = [r.id, time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)), r.status, r.views,
                     f"{done}/{total}", scores]
            for col, text in enumerate(cells):
                self.history_table.setItem(i, col, QTableWidgetItem(text))
        self.history_table.blockSignals(False)

    def selected_run(self) -> str | None:
        rows = self.history_table.selectionModel().selectedRows() if self.history_table.selectionModel() else []
        if not rows:
            return None
        item = self.history_table.item(rows[0].row(), 0)
        return item.text() if item else None

    def show_run(self, run_id: str) -> None:
        """Show the stored metrics of a past run (partial runs included)."""
        from ..core.evaluation.run import results_of
        from ..core.evaluation.history import History

        try:
            with History() as history:
                self.results = results_of(history, run_id)
        except UMTError as e:
            self._fail(str(e))
            return
        self.run_id = run_id
        self._show_results(self.results)

    def _show_selected_run(self) -> None:
        run_id = self.selected_run()
        if run_id and not self.is_running():
            self.show_run(run_id)

    def resume_selected(self) -> bool:
        run_id = self.selected_run()
        return bool(run_id) and self.start(resume=run_id)

    def _export_selected(self) -> None:
        run_id = self.selected_run()
        if not run_id:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export run", f"{run_id}.csv", "CSV (*.csv);;JSON (*.json)")
        if path:
            from ..core.evaluation.history import History

            try:
                with History() as history:
                    history.export(run_id, path)
            except UMTError as e:
                self._fail(str(e))


def _scan(job, root: str, ann: str | None, classes: int):
    from ..core.evaluation.dataset import KineticsFolder
    from ..core.model.labels import kinetics

    folder = KineticsFolder.open(root, ann)
    return folder.summary(kinetics(classes))


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
