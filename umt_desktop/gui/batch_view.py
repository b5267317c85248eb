"""The batch view: many videos classified through the evaluation pipeline, in a table.

    view = BatchView(runner, notifier)          # a QWidget; the window shows it as a tab
    view.start(classifier, ["clips/", "a.mp4"])  # folders are searched like `classify FOLDER`
    view.openRequested.connect(play_at)         # (path, seconds): double-click on a row

One row per video: file, top-1 label, score, duration and status, the top 5 on hover.
The work runs as one job on the window's `JobRunner` (`core.batch.BatchRun`: decode
worker processes, batches of views of several videos); each finished video arrives
through a queued signal, so the window never waits. Cancel keeps what finished and
Resume classifies the rest; the table sorts on every column, filters by class and
exports to .csv or .jsonl (the `classify --output` formats). A double-click finds the
video's most confident window (the player's sliding windows, computed in a job) and
asks for the video to be played there.

`DropChoice` is the bar that asks what to do with a dropped folder or several files:
Play them one after the other, or Classify all here.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.batch import BatchItem, BatchProgress, collect_videos, export_results
from ..core.errors import UMTError
from ..core.options import is_live_source
from .workers import Job

COLUMNS = ("File", "Top-1", "Score", "Duration", "Status")
FILE, LABEL, SCORE, DURATION, STATUS = range(len(COLUMNS))
ALL_CLASSES = "All classes"
FAILED = "Failed videos"
SORT_ROLE = Qt.UserRole + 1
HINT = "Double-click a row to play the video at its most confident window; hover for the top 5."


@dataclass
class BatchRow:
    video: str
    item: BatchItem | None = None

    @property
    def status(self) -> str:
        if self.item is None:
            return "waiting"
        return "failed" if self.item.failed else "done"

    @property
    def label(self) -> str:
        return self.item.top[0].label if self.item is not None and self.item.top else ""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class BatchTableModel(QAbstractTableModel):
    """The rows of one batch: display text, top-5 tooltips and the raw values the sorting uses."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[BatchRow] = []
        self.root = ""  # file names are shown relative to the videos' common folder
        self._where: dict[str, int] = {}

    def reset(self, videos: list[str]) -> None:
        self.beginResetModel()
        self.rows = [BatchRow(v) for v in videos]
        self._where = {v: i for i, v in enumerate(videos)}
        try:
            common = os.path.commonpath([os.path.abspath(v) for v in videos]) if videos else ""
        except ValueError:  # different drives
            common = ""
        self.root = common if common and not os.path.isfile(common) else os.path.dirname(common)
        self.endResetModel()

    def set_item(self, item: BatchItem) -> None:
        i = self._where.get(item.video)
        if i is None:
            return
        self.rows[i].item = item
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def pending(self) -> list[str]:
        return [r.video for r in self.rows if r.item is None]

    def finished(self) -> list[BatchItem]:
        return [r.item for r in self.rows if r.item is not None]

    def display_name(self, video: str) -> str:
        if self.root:
            try:
                return os.path.relpath(os.path.abspath(video), self.root)
            except ValueError:
                pass
        return Path(video).name

    # -- Qt model ------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role: int = Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        item = row.item
        top1 = item.top[0] if item is not None and item.top else None
        if role == Qt.DisplayRole:
            if col == FILE:
                return self.display_name(row.video)
            if col == LABEL:
                return top1.label if top1 else ""
            if col == SCORE:
                return f"{top1.score * 100:.1f}%" if top1 else ""
            if col == DURATION:
                return _duration(item.duration if item else None)
            return row.status
        if role == SORT_ROLE:
            if col == FILE:
                return self.display_name(row.video).lower()
            if col == LABEL:
                return top1.label.lower() if top1 else "\uffff"  # unlabelled rows last
            if col == SCORE:
                return top1.score if top1 else -1.0
            if col == DURATION:
                return item.duration if item is not None and item.duration is not None else -1.0
            return row.status
        if role == Qt.ToolTipRole:
            if item is None:
                return row.video
            if item.failed:
                return f"{row.video}\n{item.error}"
            lines = [row.video] + [f"{k}. {t.label}  {t.score * 100:.1f}%" for k, t in enumerate(item.top[:5], 1)]
            return "\n".join(lines)
        if role == Qt.TextAlignmentRole and col in (SCORE, DURATION):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


class ClassFilter(QSortFilterProxyModel):
    """Sorts on the raw values; shows every row, the rows of one top-1 class, or the failed ones."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.wanted: str | None = None
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_class(self, label: str | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 and later
            self.beginFilterChange()
            self.wanted = label
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.wanted = label
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        if self.wanted is None:
            return True
        row = self.sourceModel().rows[source_row]
        if self.wanted == FAILED:
            return row.status == "failed"
        return row.label == self.wanted


class _Delivery(QObject):
    """Lives in the GUI thread; the job emits each finished video through it (a queued signal)."""

    arrived = Signal(object, object)  # BatchItem, BatchProgress


def classify_batch(job: Job, classifier, videos: list[str], views: str, topk: int, workers: int | None,
                   delivery: _Delivery) -> int:
    """Work function (pool thread): every video through `BatchRun`, each result sent as it is done."""
    import torch

    from ..core.batch import BatchRun

    job.progress(0, len(videos), "Starting the decode workers")
    progress: list[BatchProgress] = []
    run = BatchRun(classifier, videos, views=views, topk=topk, workers=workers, cancelled=job.cancelled,
                   progress=progress.append)
    with torch.inference_mode():
        for item in run.run():
            delivery.arrived.emit(item, progress[-1])
    return run.done


def find_window(job: Job, classifier, video: str, label: int, span: float | None, stride: float | None):
    """Work function (pool thread): (end time, score) of the video's most confident window for `label`."""
    import torch

    from ..core.batch import most_confident_window

    job.progress(0, 0, f"Finding the most confident window of {Path(video).name}")
    with torch.inference_mode():
        return most_confident_window(classifier, video, label, span=span, stride=stride, cancelled=job.cancelled)


class BatchView(QWidget):
    """Table, progress, cancel/resume, class filter and export of one batch of videos."""

    openRequested = Signal(str, float)  # video, end (seconds) of its most confident window
    batchFinished = Signal()  # the run ended: done, cancelled or failed

    def __init__(self, runner, notifier=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.notifier = runner, notifier
        self.classifier = None
        self.views, self.topk = "4x3", 5
        self.workers: int | None = None  # decode processes; None: as many as the machine suits
        self.span: float | None = None  # the player's window (None: the defaults), for double-click
        self.stride: float | None = None
        self.job: Job | None = None
        self.find_job: Job | None = None
        self._delivery = _Delivery(self)
        self._delivery.arrived.connect(self._arrived)
        self._started_at = 0.0
        self._done_before = 0  # finished before this job (resume)
        self._last: BatchProgress | None = None
        self._classes: dict[str, int] = {}
        self._build()
        self._update_controls()

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.title = QLabel("Drop a folder or several videos on the window and choose Classify all")
        self.title.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("%v / %m videos")
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the videos being computed; what finished stays")
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Classify the videos that are still waiting")
        self.resume_button.clicked.connect(self.resume)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the results as .csv or .jsonl (the `classify --output` formats)")
        self.export_button.clicked.connect(self.choose_export)
        self.class_filter = QComboBox()
        self.class_filter.setMinimumContentsLength(18)
        self.class_filter.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.class_filter.setToolTip("Show the videos of one top-1 class")
        self.class_filter.addItem(ALL_CLASSES, None)
        self.class_filter.currentIndexChanged.connect(self._filter_chosen)

        self.model = BatchTableModel(self)
        self.proxy = ClassFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.AscendingOrder)  # the videos' own order until a header is clicked
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(FILE, QHeaderView.Stretch)
        for col in (LABEL, SCORE, DURATION, STATUS):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.setToolTip("")

        controls = QHBoxLayout()
        controls.addWidget(self.progress_bar, 1)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.resume_button)
        tools = QHBoxLayout()
        tools.addWidget(QLabel("Show:"))
        tools.addWidget(self.class_filter)
        tools.addStretch(1)
        tools.addWidget(self.export_button)
        hint = self.hint = QLabel(HINT)
        hint.setObjectName("muted")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)

    # -- running -------------------------------------------------------------------------
    def running(self) -> bool:
        return self.job is not None and not self.job.is_done()

    def start(self, classifier, paths: list[str], views: str = "4x3", topk: int = 5, found=None) -> bool:
        """Classify every video named by `paths` (folders searched recursively); False if none.
        `found`: `collect_videos(paths)` already done (in a job: a big folder never blocks the window)."""
        if self.running():
            self._say("warning", "A batch is already running: cancel it first")
            return False
        found = found if found is not None else collect_videos(paths)
        if not found.videos:
            self._say("error", "No videos in what was dropped")
            return False
        self.classifier, self.views, self.topk = classifier, views, topk
        self.model.reset(found.videos)
        self._classes = {}
        self._refresh_filter()
        self._done_before = 0
        skipped = f"; {found.skipped} other file{'s' if found.skipped != 1 else ''} skipped" if found.skipped else ""
        where = self.model.root or "the dropped files"
        self.title.setText(f"{len(found.videos)} videos in {where} · {getattr(classifier, 'name', '')}, "
                           f"{views} views{skipped}")
        self.progress_bar.setRange(0, len(found.videos))
        self.progress_bar.setValue(0)
        self._run()
        return True

    def resume(self) -> None:
        if self.running() or self.classifier is None or not self.model.pending():
            return
        self._run()

    def cancel(self) -> None:
        if self.running():
            self.job.cancel()
            self.status.setText(self.status.text() + " · stopping after the videos being computed…")
            self.cancel_button.setEnabled(False)

    def _run(self) -> None:
        todo = self.model.pending()
        self._done_before = len(self.model.rows) - len(todo)
        self._started_at = time.monotonic()
        self._last = None
        job = Job(classify_batch, self.classifier, todo, self.views, self.topk, self.workers, self._delivery,
                  name="batch classification")
        self.job = job
        self.status.setText(f"Starting: {len(todo)} videos to classify…")
        self.runner.start(job, on_finished=lambda job=job: self._job_finished(job))
        self._update_controls()

    def _arrived(self, item: BatchItem, progress: BatchProgress) -> None:
        self.model.set_item(item)
        self._last = progress
        if not item.failed and item.top:
            label = item.top[0].label
            new = label not in self._classes
            self._classes[label] = self._classes.get(label, 0) + 1
            self._refresh_filter(new)
        done = self._done_before + progress.done
        self.progress_bar.setValue(done)
        self.status.setText(self._progress_text(progress, done))
        self._update_controls()

    def _progress_text(self, p: BatchProgress, done: int) -> str:
        total = len(self.model.rows)
        failed = sum(1 for r in self.model.rows if r.status == "failed")
        eta = p.eta
        parts = [f"{done} of {total} videos", f"{p.videos_per_second:.2f} videos/s"]
        if eta is not None and done < total:
            parts.append(f"about {_duration(eta)} left")
        if failed:
            parts.append(f"{failed} failed")
        return " · ".join(parts)

    def _job_finished(self, job: Job) -> None:
        if job is not self.job:
            return
        total, left = len(self.model.rows), len(self.model.pending())
        failed = sum(1 for r in self.model.rows if r.status == "failed")
        rate = f" · {self._last.videos_per_second:.2f} videos/s" if self._last else ""
        if left == 0:
            self.status.setText(f"Done: {total} videos{rate}" + (f" · {failed} failed" if failed else ""))
        elif job.error_message:
            self.status.setText(f"Stopped by an error after {total - left} of {total} videos: "
                                f"{job.error_message} · Resume tries the rest")
        else:
            self.status.setText(f"Cancelled: {total - left} of {total} videos done · Resume classifies the rest")
        self._update_controls()
        self.batchFinished.emit()

    def _update_controls(self) -> None:
        running = self.running()
        self.cancel_button.setEnabled(running and not (self.job and self.job.cancelled()))
        self.resume_button.setEnabled(not running and self.classifier is not None and bool(self.model.pending()))
        self.export_button.setEnabled(bool(self.model.finished()))

    # -- filter, double-click, export ----------------------------------------------------------
    def _refresh_filter(self, rebuild: bool = True) -> None:
        box = self.class_filter
        current = box.currentData()
        if rebuild:
            box.blockSignals(True)
            box.clear()
            box.addItem(ALL_CLASSES, None)
            for label in sorted(self._classes, key=lambda c: (-self._classes[c], c)):
                box.addItem(label, label)
            box.addItem(FAILED, FAILED)
            box.setCurrentIndex(max(0, box.findData(current)))
            box.blockSignals(False)
        for i in range(1, box.count()):
            label = box.itemData(i)
            n = self._classes.get(label, 0) if label != FAILED else sum(
                1 for r in self.model.rows if r.status == "failed")
            box.setItemText(i, f"{label} ({n})")

    def _filter_chosen(self, index: int) -> None:
        self.proxy.set_class(self.class_filter.itemData(index))

    def _double_clicked(self, index: QModelIndex) -> None:
        row = self.model.rows[self.proxy.mapToSource(index).row()]
        if row.item is None:
            self._say("info", f"{Path(row.video).name} is not classified yet")
            return
        if row.item.failed:
            self._say("error", row.item.error)
            return
        if self.find_job is not None and not self.find_job.is_done():
            self.find_job.cancel()
        top1 = row.item.top[0]
        job = Job(find_window, self.classifier, row.video, top1.index, self.span, self.stride,
                  name="finding the most confident window")
        self.find_job = job
        self.hint.setText(f"Finding the window where {Path(row.video).name} looks most like “{top1.label}”…")
        self.runner.start(job, on_result=lambda found, video=row.video: self._window_found(video, found),
                          on_finished=lambda: self.hint.setText(HINT))

    def _window_found(self, video: str, found) -> None:
        self.openRequested.emit(video, float(found[0]) if found else 0.0)

    def choose_export(self) -> None:
        """Ask where to save (a non-modal dialog, so the batch goes on meanwhile)."""
        start = os.path.join(self.model.root or os.getcwd(), "classification.csv")
        dialog = QFileDialog(self, "Export the batch results", start,
                             "CSV table (*.csv);;JSON lines (*.jsonl)")
        dialog.setObjectName("batch-export")
        dialog.setAcceptMode(QFileDialog.AcceptSave)
        dialog.setOption(QFileDialog.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.export(path, dialog.selectedNameFilter()))
        dialog.open()

    def export(self, path: str, name_filter: str = "") -> Path | None:
        """Write the finished rows, in the table's order, as .csv or .jsonl."""
        if Path(path).suffix.lower() not in (".csv", ".jsonl"):
            path += ".jsonl" if "jsonl" in name_filter else ".csv"
        rows = []
        for r in range(self.proxy.rowCount()):
            row = self.model.rows[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
            if row.item is not None:
                rows.append(row.item.to_json())
        try:
            out = export_results(path, rows, self.topk)
        except UMTError as e:  # a full disk or a folder we may not write: say it, keep the table
            self._say("error", str(e))
            return None
        self._say("info", f"{len(rows)} results saved to {out}")
        return out

    def _say(self, level: str, text: str) -> None:
        if self.notifier is not None:
            getattr(self.notifier, level)(text)

    def shutdown(self) -> None:
        for job in (self.job, self.find_job):
            if job is not None and not job.is_done():
                job.cancel()


@dataclass
class DropSurvey:
    """What a drop holds, found off the GUI thread (`survey_drop`)."""

    items: list[str]
    choice: bool  # worth asking Play or Classify all (`DropChoice.wants_choice`)
    good: list[str]  # `sort_inputs`: what Play opens, in order
    bad: list[str]  # and one reason per refused item
    found: object = None  # `collect_videos` of the items (what Classify all classifies); None with a live source


def survey_drop(job: Job, items: list[str]) -> DropSurvey:
    """The walk of dropped folders, as a job on the window's `JobRunner` (a folder may hold thousands)."""
    from ..core.session import sort_inputs

    found = None
    if not any(is_live_source(str(i)) for i in items):
        found = collect_videos([str(i) for i in items if os.path.exists(i)])
    good, bad = sort_inputs(items)
    return DropSurvey(list(items), found is not None and len(found.videos) >= 2, good, bad, found)


class DropChoice(QFrame):
    """A bar offering Play (one after the other) or Classify all for a dropped folder or several files."""

    playChosen = Signal(list)
    classifyChosen = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drop-choice")
        self.setFrameShape(QFrame.StyledPanel)
        self.items: list[str] = []
        self.text = QLabel("")
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play the videos one after the other with live windows")
        self.classify_button = QPushButton("Classify all")
        self.classify_button.setToolTip("Classify every video in a table, as fast as the machine allows")
        self.close_button = QPushButton("Dismiss")
        self.close_button.setFlat(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.play_button)
        layout.addWidget(self.classify_button)
        layout.addWidget(self.close_button)
        self.play_button.clicked.connect(lambda: self._chosen(self.playChosen))
        self.classify_button.clicked.connect(lambda: self._chosen(self.classifyChosen))
        self.close_button.clicked.connect(self.hide)
        self.hide()

    @staticmethod
    def wants_choice(items: list[str]) -> bool:
        """Worth asking: files and folders only (no camera or URL) that hold two videos or more."""
        if any(is_live_source(str(i)) for i in items):
            return False
        return len(collect_videos([str(i) for i in items if os.path.exists(i)]).videos) >= 2

    def ask(self, items: list[str]) -> None:
        self.items = list(items)
        folders = sum(1 for i in items if os.path.isdir(i))
        files = len(items) - folders
        what = []
        if folders:
            what.append(f"{folders} folder{'s' if folders != 1 else ''}")
        if files:
            what.append(f"{files} file{'s' if files != 1 else ''}")
        self.text.setText(f"Dropped {' and '.join(what)}: play them one after the other, or classify all?")
        self.show()
        self.classify_button.setFocus()

    def _chosen(self, signal) -> None:
        self.hide()
        signal.emit(self.items)

