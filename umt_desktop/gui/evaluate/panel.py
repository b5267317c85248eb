"""The Evaluate tab: measure checkpoints on a local Kinetics copy and compare them.

Interface for the main window and for headless runs::

    panel = EvalPanel(notifier, runner)          # a QWidget; runner: the window's JobRunner
    panel.configure(root, ann=None, checkpoints=["tiny_umt.pth", "umt-base-..."],
                    views="4x3", device="auto")  # device: auto, cpu, cuda:N or "all-gpus"
    panel.finished.connect(lambda ok: ...)       # ok: the run completed
    panel.start()                                 # what the Start button does
    panel.cancel()                                # stops between videos; the run can be resumed
    panel.shutdown()                              # on window close: cancel and wait
    panel.results                                 # CheckpointResult list of the shown run

Layout: the set-up form (dataset folder, annotations, checkpoints, protocol,
device, decode workers, subset) and the run controls with the live figures on the
left; the results (`ResultsView`) on the right; past runs across the bottom.
Everything slow runs as a one-shot job through the runner (evaluation, dataset
scan, history reads, export), so the window never waits on a disk or a model;
errors go to the one notifier and to the tab's status line in the tab's words.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
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
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..workers import Job, JobRunner
from . import jobs
from .results import ResultsView, compact_rows, display_name

ALL_GPUS = "all-gpus"
HISTORY_LIMIT = 200


def _wrapping(text: str = "") -> QLabel:
    """A label that wraps and never widens its column (long paths and run ids included)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class EvalPanel(QWidget):
    """Evaluation tab; see the module docstring for its interface."""

    finished = Signal(bool)

    def __init__(self, notifier=None, runner: JobRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self._own_runner = runner is None
        self.runner = runner if runner is not None else JobRunner(notifier, self)
        self.run_id: str | None = None
        self._job: Job | None = None
        self._scan_job: Job | None = None
        self._history_job: Job | None = None
        self._history_again = False
        self._run_job: Job | None = None
        self._rows: list[jobs.RunRow] = []
        self._select_after_refresh: str | None = None
        self._finished_pending: bool | None = None  # emitted once the history shows the run
        self._damaged: Path | None = None
        self._started = 0.0
        self._build()
        self.refresh_models()
        self.refresh_history()

    @property
    def results(self) -> list:
        return self.results_view.results

    # -- layout ----------------------------------------------------------------------
    def _build(self) -> None:
        self.root_edit = QLineEdit()
        self.root_edit.setPlaceholderText("Kinetics folder (class folders, or the videos of a list or CSV)")
        self.root_edit.returnPressed.connect(self.scan)
        self.ann_edit = QLineEdit()
        self.ann_edit.setPlaceholderText("optional: MMAction2 list file or Kinetics CSV")
        self.ann_edit.returnPressed.connect(self.scan)
        browse_root = QPushButton("Folder…")
        browse_root.clicked.connect(self._pick_root)
        browse_ann = QPushButton("File…")
        browse_ann.clicked.connect(self._pick_ann)
        self.scan_button = QPushButton("Detect")
        self.scan_button.setToolTip("Look at the folder: layout, videos and classes")
        self.scan_button.clicked.connect(self.scan)
        self.summary_label = _wrapping("Type or choose a folder, then press Enter or Detect to see what it holds.")

        self.model_list = QListWidget()
        self.model_list.setMinimumHeight(64)
        self.model_list.setMaximumHeight(120)
        self.model_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.add_checkpoint_button = QPushButton("Add checkpoint file…")
        self.add_checkpoint_button.clicked.connect(self._pick_checkpoint)
        self.views_combo = QComboBox()
        self.views_combo.addItems(["4x3", "1x1"])
        self.views_combo.setToolTip("4x3: 4 clips × 3 crops, the published protocol; 1x1: one centre clip, faster")
        self.device_combo = QComboBox()
        self._fill_devices()
        self.workers_spin = QSpinBox()
        self.workers_spin.setRange(0, max(1, os.cpu_count() or 1))
        self.workers_spin.setValue(min(4, max(1, (os.cpu_count() or 2) - 1)))
        self.workers_spin.setToolTip("Processes that decode videos ahead of the model (0: decode in the run itself)")
        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(0, 10_000_000)
        self.limit_spin.setSpecialValueText("all videos")
        self.limit_spin.setToolTip("Evaluate only the first N videos (a quick check)")

        form = QGridLayout()
        form.setColumnStretch(1, 1)
        row = QHBoxLayout()
        row.addWidget(self.root_edit, 1)
        row.addWidget(browse_root)
        form.addWidget(self._buddy("&Dataset", self.root_edit), 0, 0)
        form.addLayout(row, 0, 1)
        row = QHBoxLayout()
        row.addWidget(self.ann_edit, 1)
        row.addWidget(browse_ann)
        row.addWidget(self.scan_button)
        form.addWidget(self._buddy("A&nnotations", self.ann_edit), 1, 0)
        form.addLayout(row, 1, 1)
        form.addWidget(self.summary_label, 2, 1)
        col = QVBoxLayout()
        col.addWidget(self.model_list)
        col.addWidget(self.add_checkpoint_button, 0, Qt.AlignmentFlag.AlignLeft)
        form.addWidget(self._buddy("Chec&kpoints", self.model_list), 3, 0, Qt.AlignmentFlag.AlignTop)
        form.addLayout(col, 3, 1)
        options = QGridLayout()
        for i, (label, widget) in enumerate((("Pro&tocol", self.views_combo), ("Dev&ice", self.device_combo),
                                             ("Decode &workers", self.workers_spin), ("S&ubset", self.limit_spin))):
            options.addWidget(self._buddy(label, widget), i // 2, (i % 2) * 2)
            options.addWidget(widget, i // 2, (i % 2) * 2 + 1)
        options.setColumnStretch(1, 1)
        options.setColumnStretch(3, 1)
        form.addLayout(options, 4, 1)

        self.start_button = QPushButton("Start evaluation")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._start_clicked)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.setToolTip("Stop after the videos in progress; the run can be resumed later")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.status_label = _wrapping("")
        self.live_label = _wrapping("")
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
        sv.addStretch(1)

        self.results_view = ResultsView()
        self.table = self.results_view.table
        self.class_chart = self.results_view.class_chart
        self.worst_chart = self.results_view.worst_chart
        self.best_chart = self.results_view.best_chart
        self.confused_chart = self.results_view.confused_chart
        self.failed_table = self.results_view.failed_table
        self.runs_chart = self.results_view.runs_chart
        self.checkpoint_combo = self.results_view.checkpoint_combo
        results = QGroupBox("Results")
        rv = QVBoxLayout(results)
        rv.addWidget(self.results_view)

        self.history_table = QTableWidget(0, 6)
        self.history_table.setHorizontalHeaderLabels(["Run", "Started", "Status", "Protocol", "Videos",
                                                      "Top-1 of each checkpoint"])
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.history_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.history_table.setWordWrap(False)
        self.history_table.verticalHeader().setVisible(False)
        compact_rows(self.history_table)
        self.history_table.itemSelectionChanged.connect(self._run_selected)
        self.history_problem = QFrame()
        self.history_problem.setFrameShape(QFrame.Shape.StyledPanel)
        self.history_problem_label = _wrapping("")
        self.move_aside_button = QPushButton("Move the damaged file aside")
        self.move_aside_button.setToolTip("Rename the file (nothing is deleted) and start a new, empty history")
        self.move_aside_button.clicked.connect(self._move_history_aside)
        hp = QHBoxLayout(self.history_problem)
        hp.addWidget(self.history_problem_label, 1)
        hp.addWidget(self.move_aside_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.history_problem.setVisible(False)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Finish the selected run: only the videos it has not done yet are computed")
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(self.resume_selected)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the selected run's per-video predictions as CSV or JSON")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._export_selected)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh_history)
        past = QGroupBox("Past runs")
        pv = QVBoxLayout(past)
        pv.addWidget(self.history_problem)
        pv.addWidget(self.history_table, 1)
        buttons = QHBoxLayout()
        for b in (self.resume_button, self.export_button, self.refresh_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        pv.addLayout(buttons)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(setup)
        top.addWidget(results)
        top.setStretchFactor(0, 4)
        top.setStretchFactor(1, 5)
        top.setChildrenCollapsible(False)
        setup.setMinimumWidth(380)
        results.setMinimumWidth(420)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(past)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        past.setMinimumHeight(190)
        self.splitter = split
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 8, 10, 6)
        outer.addWidget(split)

    def _buddy(self, text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def _fill_devices(self) -> None:
        from ...core.device import available_devices

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
        from ...core.model.zoo import ModelStore

        checked = set(self.checkpoints())
        files = [self.model_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.model_list.count())]
        files = [f for f in files if Path(f).suffix]
        self.model_list.clear()
        try:
            installed = sorted(ModelStore().installed())
        except Exception:  # an unreadable models folder: the files added by hand still work
            installed = []
        for name in installed + files:
            self._add_checkpoint_item(name, name in checked)

    def _add_checkpoint_item(self, name: str, checked: bool = True) -> None:
        for i in range(self.model_list.count()):
            item = self.model_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        from ...core.model.zoo import published_top1

        key = Path(name).stem if Path(name).suffix else name
        text = Path(name).name if Path(name).suffix else display_name(name)
        published = published_top1(key)
        if published is not None:
            text += f"  (published {published:.2f}%)"
        item = QListWidgetItem(text)
        item.setToolTip(name)
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

    def configure(self, root, ann=None, checkpoints=(), views: str = "4x3", device: str = "auto",
                  limit: int | None = None) -> None:
        """Fill the form (`gui --eval` and a selected past run use this)."""
        self.root_edit.setText(str(root) if root else "")
        self.ann_edit.setText(str(ann) if ann else "")
        for i in range(self.model_list.count()):
            self.model_list.item(i).setCheckState(Qt.CheckState.Unchecked)
        for c in checkpoints:
            self._add_checkpoint_item(str(c), True)
        self.views_combo.setCurrentText(views)
        if device is not None:
            index = self.device_combo.findData(device)
            if index < 0:
                self.device_combo.addItem(device, device)
                index = self.device_combo.count() - 1
            self.device_combo.setCurrentIndex(index)
        self.limit_spin.setValue(int(limit or 0))
        if root:
            self.scan()

    def _ask_path(self, title: str, mode: QFileDialog.FileMode, start: str, on_chosen, filters: str = "",
                  save: bool = False) -> QFileDialog:
        """A file dialog that does not block the window; `on_chosen(path)` when the user accepts."""
        dialog = QFileDialog(self, title, start, filters)
        dialog.setFileMode(mode)
        if mode == QFileDialog.FileMode.Directory:
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_chosen)
        dialog.open()
        return dialog

    def _pick_root(self) -> None:
        def chosen(path: str) -> None:
            self.root_edit.setText(path)
            self.scan()

        self._ask_path("Kinetics folder", QFileDialog.FileMode.Directory, self.root_edit.text(), chosen)

    def _pick_ann(self) -> None:
        def chosen(path: str) -> None:
            self.ann_edit.setText(path)
            self.scan()

        self._ask_path("Annotation file", QFileDialog.FileMode.ExistingFile, self.root_edit.text(), chosen,
                       "Annotations (*.txt *.csv *.list);;All files (*)")

    def _pick_checkpoint(self) -> None:
        self._ask_path("Checkpoint", QFileDialog.FileMode.ExistingFile, "",
                       lambda path: self._add_checkpoint_item(path, True),
                       "Checkpoints (*.pth *.pt *.ckpt *.bin);;All files (*)")

    # -- dataset summary -------------------------------------------------------------------
    def scan(self) -> None:
        """Detect the layout and count videos in the background; the summary label shows the outcome."""
        root, ann = self.root_edit.text().strip(), self.ann_edit.text().strip() or None
        if not root:
            self.summary_label.setText("Type or choose the dataset folder first.")
            return
        self.summary_label.setText("Looking at the folder…")
        job = Job(jobs.scan_dataset, root, ann, self._label_classes(), name="dataset scan")
        self._scan_job = job  # the newest scan wins
        # A folder being typed is not an error for the banner: the summary line says what is wrong.
        self.runner.start(job, on_result=lambda s, j=job: self._scanned(j, s),
                          on_error=lambda msg, j=job: self._scan_failed(j, msg), notify_errors=False)

    def _label_classes(self) -> int:
        from ...core.model.zoo import ModelStore

        try:
            store = ModelStore()
            for c in self.checkpoints():
                model = store.get(c) if not Path(c).suffix else None
                if model is not None:
                    return model.num_classes
        except Exception:
            pass
        return 400

    def _scanned(self, job: Job, summary) -> None:
        if job is not self._scan_job:
            return
        text = summary.describe()
        if summary.missing:
            text += "\nmissing: " + ", ".join(summary.missing[:3]) + (" …" if len(summary.missing) > 3 else "")
        self.summary_label.setText(text)

    def _scan_failed(self, job: Job, message: str) -> None:
        if job is self._scan_job:
            self.summary_label.setText(f"⚠ {jobs.gui_words(message)}")

    # -- running ------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._job is not None

    def _start_clicked(self) -> None:
        self.start()

    def start(self, resume: str | None = None) -> bool:
        """Start the configured run (or resume the run `resume`) as a background job."""
        from ...core.evaluation.run import EvalSettings

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
        if resume is None and not settings.root:
            self._fail("Nothing to evaluate yet: choose a dataset folder (type it under Dataset, or click Folder…).")
            return False
        if resume is None and not settings.checkpoints:
            self._fail("Nothing to evaluate yet: tick at least one checkpoint, or click Add checkpoint file…")
            return False
        from ...core.evaluation.history import new_run_id

        run_id = resume or new_run_id()  # chosen here, so the tab knows its run from the start
        self.run_id = run_id
        self._select_after_refresh = run_id
        self.results_view.show_results([])
        self.results_view.run_label.setText(
            f"Run {run_id} in progress: its figures so far are under the progress bar; "
            "the full results appear here when it ends.")
        self.status_label.setText("Resuming… (loading checkpoints, starting decode workers)" if resume else
                                  "Starting… (loading checkpoints, starting decode workers)")
        self.live_label.setText("")
        self.progress_bar.setRange(0, 0)
        self._set_running(True)
        self._started = time.monotonic()
        job = Job(jobs.run_evaluation, settings, None if resume else run_id, resume, gpus, name="evaluation")
        job.latest, job.run_id = None, run_id
        self._job = job
        self.runner.start(job, on_progress=lambda *_: self._on_progress(job),
                          on_error=self._on_error, on_finished=lambda: self._on_done(job), notify_errors=False)
        return True

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.root_edit, self.ann_edit, self.model_list, self.add_checkpoint_button, self.views_combo,
                  self.device_combo, self.workers_spin, self.limit_spin):
            w.setEnabled(not running)
        self._update_run_buttons()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.status_label.setText("Stopping after the videos in progress…")

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel a run in flight and wait for it and the tab's short reads (the window is closing)."""
        job = self._job
        if job is not None:
            job.cancel()
            job.wait(timeout_ms / 1000)
        for job in (self._scan_job, self._history_job, self._run_job):
            if job is not None:
                job.wait(timeout_ms / 1000)
        if self._own_runner:
            self.runner.shutdown(timeout_ms / 1000)

    def _on_progress(self, job: Job) -> None:
        if job is not self._job:
            return
        if job.run_id and not getattr(job, "listed", False):
            job.listed = True  # the run exists in the history from its first report on
            self.run_id = job.run_id
            self._select_after_refresh = job.run_id
            self.refresh_history()
        p = job.latest
        if p is None:
            return
        self.progress_bar.setRange(0, max(1, p.total))
        self.progress_bar.setValue(p.done)
        for i, row in enumerate(self._rows):  # the run's line under Past runs follows along
            if row.id == self.run_id and self.history_table.item(i, 4) is not None:
                self.history_table.item(i, 4).setText(f"{p.done}/{p.total}")
        eta = f", about {_duration(p.eta)} left" if p.eta is not None else ""
        failed = f", {p.failed} could not be decoded" if p.failed else ""
        self.status_label.setText(
            f"Run {self.run_id}: {p.done} of {p.total} videos, {p.videos_per_second:.2f} videos/s{eta}{failed}")
        self.live_label.setText("\n".join(
            f"{display_name(c['name'])}: top-1 {c['top1']:.1f}%, top-5 {c['top5']:.1f}% on {c['videos']} videos"
            if c["videos"] else f"{display_name(c['name'])}: no prediction yet"  # never a 0 % before a prediction
            for c in p.live
        ))

    def _on_error(self, message: str) -> None:
        text = jobs.gui_words(message)
        self.status_label.setText(f"⚠ {text}")
        if self.notifier is not None:
            self.notifier.error(text)

    def _on_done(self, job: Job) -> None:
        if job is not self._job:
            return
        self._job = None
        outcome = job.value
        ok = isinstance(outcome, jobs.Finished) and job.error_message is None
        self.progress_bar.setRange(0, max(1, self.progress_bar.maximum()))
        if ok:
            self.run_id = outcome.run_id
            self.progress_bar.setValue(self.progress_bar.maximum())
            self.results_view.show_results(outcome.results)
            scores = "; ".join(f"{display_name(r.name)} top-1 {r.top1:.2f}%" for r in outcome.results)
            self.status_label.setText(
                f"Finished run {outcome.run_id} in {_duration(time.monotonic() - self._started)}: {scores}")
        elif isinstance(outcome, jobs.Stopped) or (job.error_message is None and job.cancelled()):
            run_id = getattr(outcome, "run_id", None) or job.run_id
            done, total = getattr(outcome, "done", None), getattr(outcome, "total", None)
            where = f"after {done} of {total} videos" if done is not None else "before the first videos finished"
            again = (" Select it under Past runs and click Resume to finish it." if run_id else "")
            self.status_label.setText(f"Stopped run {run_id or ''} {where}; nothing done is lost.{again}")
            if run_id:
                self.run_id = run_id
                self._load_run(run_id)
        elif getattr(job, "listed", False):  # failed after the run was recorded: show what it holds (failures)
            self.run_id = job.run_id
            self._load_run(job.run_id)
        self._select_after_refresh = self.run_id
        self._set_running(False)
        self._finished_pending = ok
        self.refresh_history()

    def _fail(self, message: str) -> None:
        self.status_label.setText(f"⚠ {message}")
        if self.notifier is not None:
            self.notifier.error(message)
        if not self.is_running():
            self.finished.emit(False)

    # -- past runs ---------------------------------------------------------------------------
    def refresh_history(self) -> None:
        """Reread the history in the background (one read at a time; a request during a read rereads after it)."""
        if self._history_job is not None:
            self._history_again = True
            return
        job = Job(jobs.read_history, HISTORY_LIMIT, name="evaluation history")
        self._history_job = job
        self.runner.start(job, on_result=self._history_read, on_finished=self._history_done)

    def _history_done(self) -> None:
        self._history_job = None
        if self._history_again:
            self._history_again = False
            self.refresh_history()
        elif self._finished_pending is not None:
            ok, self._finished_pending = self._finished_pending, None
            self.finished.emit(ok)

    def _history_read(self, view: jobs.HistoryView) -> None:
        self.history_problem.setVisible(view.problem is not None)
        self.history_problem_label.setText(f"⚠ {view.problem}" if view.problem else "")
        self.move_aside_button.setVisible(view.damaged is not None)
        self.move_aside_button.setToolTip(
            f"Rename {view.damaged} beside it (nothing is deleted) and start a new, empty history"
            if view.damaged is not None else "")
        self._damaged = view.damaged
        selected = self._select_after_refresh or self.selected_run()
        self._select_after_refresh = None
        self._rows = view.rows
        table = self.history_table
        table.blockSignals(True)
        table.clearSelection()
        table.setRowCount(len(view.rows))
        for i, r in enumerate(view.rows):
            scores = [f"{display_name(c['name'])} {c['top1']:.2f}%" for c in r.checkpoints if c["top1"] is not None]
            names = ", ".join(display_name(c["name"]) for c in r.checkpoints)
            cells = [r.id, time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)), r.status, r.views,
                     f"{r.done}/{r.total}", " · ".join(scores) if scores else f"({names})"]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(i, col, item)
            tip = "\n".join(
                f"{c['name']}: " + (f"top-1 {c['top1']:.2f}%" if c["top1"] is not None else "no figures yet")
                for c in r.checkpoints
            )
            tip = f"{r.root}\n{tip}" + (f"\n{r.error}" if r.error else "")
            for col in range(len(cells)):
                table.item(i, col).setToolTip(tip)
            if r.id == selected:
                table.selectRow(i)
        table.blockSignals(False)
        self.results_view.set_history(view.rows)
        self._update_run_buttons()

    def _selected_row(self) -> jobs.RunRow | None:
        model = self.history_table.selectionModel()
        rows = model.selectedRows() if model is not None else []
        if not rows or rows[0].row() >= len(self._rows):
            return None
        return self._rows[rows[0].row()]

    def selected_run(self) -> str | None:
        row = self._selected_row()
        return row.id if row is not None else None

    def _update_run_buttons(self) -> None:
        row = self._selected_row()
        self.resume_button.setEnabled(row is not None and row.resumable and not self.is_running())
        self.export_button.setEnabled(row is not None)

    def _run_selected(self) -> None:
        self._update_run_buttons()
        row = self._selected_row()
        if row is not None and not self.is_running():
            self._load_run(row.id, fill_form=True)

    def _load_run(self, run_id: str, fill_form: bool = False) -> None:
        job = Job(jobs.read_run, run_id, name="evaluation run")
        self._run_job = job  # the newest selection wins
        self.runner.start(job, on_result=lambda d, j=job: self._run_read(j, d, fill_form),
                          on_error=self._on_error, notify_errors=False)

    def _run_read(self, job: Job, details: jobs.RunDetails, fill_form: bool) -> None:
        if job is not self._run_job or self.is_running():
            return
        row = details.row
        self.run_id = row.id
        if fill_form:
            s = row.settings
            self.configure(s.get("root") or row.root, ann=s.get("ann") or row.ann,
                           checkpoints=s.get("checkpoints") or [c["path"] for c in row.checkpoints],
                           views=row.views, device=None, limit=s.get("limit"))
        self.results_view.show_results(details.results, run=row)

    def show_run(self, run_id: str) -> None:
        """Show the stored metrics of a past run (partial runs included)."""
        self._load_run(run_id)

    def resume_selected(self) -> bool:
        row = self._selected_row()
        return row is not None and row.resumable and self.start(resume=row.id)

    def _export_selected(self) -> None:
        run_id = self.selected_run()
        if not run_id:
            return

        def chosen(path: str) -> None:
            job = Job(jobs.export_run, run_id, path, name="export")
            self.runner.start(job, on_result=lambda dest: self.notifier and self.notifier.success(
                f"Run {run_id} saved to {dest}"), on_error=self._on_error, notify_errors=False)

        self._ask_path("Export run", QFileDialog.FileMode.AnyFile, f"{run_id}.csv", chosen,
                       "CSV (*.csv);;JSON (*.json)", save=True)

    def _move_history_aside(self) -> None:
        path = self._damaged
        if path is None or self.is_running():
            return
        self.move_aside_button.setEnabled(False)

        def moved(target: Path) -> None:
            if self.notifier is not None:
                self.notifier.info(f"The damaged history was moved to {target}; a new, empty history starts now.")
            self.refresh_history()

        job = Job(jobs.move_history_aside, path, name="moving the history aside")
        self.runner.start(job, on_result=moved, on_error=self._on_error, notify_errors=False,
                          on_finished=lambda: self.move_aside_button.setEnabled(True))


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
