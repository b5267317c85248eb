"""The results side of the Evaluate tab: a table of every checkpoint of the shown run
and, for the checkpoint chosen in "Details of", its classes, best and worst classes,
confused pairs, failed videos and its top-1 over past runs.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .charts import BarChart, ClassBars, ConfusedChart, RunsChart

COLUMNS = ["Checkpoint", "Top-1", "Published", "Δ", "Top-5", "Mean class", "Videos", "Failed"]
COLUMN_TIPS = [
    "Checkpoint name (hover a row for its file)",
    "Top-1 accuracy on the videos that decoded",
    "Top-1 published for this checkpoint (4 clips × 3 crops)",
    "Measured minus published top-1, in points (4x3 runs only: the published figure is a 4x3 figure)",
    "Top-5 accuracy",
    "Mean of the per-class accuracies",
    "Videos with a prediction",
    "Videos that could not be decoded (see Failed videos)",
]
SHOWN_CLASSES = 8


def display_name(name: str) -> str:
    """A zoo model's title (`UMT-B/16 Kinetics-400 (MMAction2)`), else the name itself."""
    from ...core.model.zoo import zoo

    entry = zoo().get(name)
    return entry.title if entry is not None else name


def best_and_worst(per_class: list[dict], k: int = SHOWN_CLASSES) -> tuple[list[dict], list[dict], str, str]:
    """(best, worst, note on best, note on worst): disjoint lists of at most `k` classes each.

    A class at 100 % is never among the worst, a class at 0 % never among the best;
    with few classes each list takes at most half of them. Ties are broken by name,
    and the note says how many more classes share the last value shown.
    """
    ranked = sorted(per_class, key=lambda c: (c["accuracy"], c["label"]))
    half = max(1, math.ceil(len(ranked) / 2)) if ranked else 0
    worst = [c for c in ranked if c["accuracy"] < 100.0][: min(k, half)]
    taken = {c["label"] for c in worst}
    rest = sorted((c for c in ranked if c["label"] not in taken and c["accuracy"] > 0.0),
                  key=lambda c: (-c["accuracy"], c["label"]))
    best = rest[: min(k, len(ranked) - len(worst))]

    def note(shown: list[dict], pool: list[dict]) -> str:
        if not shown:
            return ""
        edge = shown[-1]["accuracy"]
        more = sum(c["accuracy"] == edge for c in pool) - sum(c["accuracy"] == edge for c in shown)
        return f"and {more} more class{'es' if more != 1 else ''} at {edge:.1f} %" if more > 0 else ""

    return best, worst, note(best, rest), note(worst, [c for c in ranked if c["accuracy"] < 100.0])


class ResultsView(QWidget):
    """Shows a list of `CheckpointResult` and the history of each checkpoint."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results: list = []
        self.history_rows: list = []
        self.run_id: str | None = None

        self.run_label = QLabel("Start an evaluation, or select a past run, to see its results here.")
        self.run_label.setWordWrap(True)
        self.run_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        for col, tip in enumerate(COLUMN_TIPS):
            self.table.horizontalHeaderItem(col).setToolTip(tip)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(36)
        self.table.verticalHeader().setVisible(False)
        compact_rows(self.table)
        self.table.itemSelectionChanged.connect(self._table_selected)
        self._fit_table()

        self.checkpoint_combo = QComboBox()
        self.checkpoint_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.checkpoint_combo.setMinimumContentsLength(16)
        self.checkpoint_combo.currentIndexChanged.connect(self._show_details)
        self.checkpoint_combo.setEnabled(False)
        details_row = QHBoxLayout()
        details_label = QLabel("Details of")
        details_label.setBuddy(self.checkpoint_combo)
        details_row.addWidget(details_label)
        details_row.addWidget(self.checkpoint_combo, 1)

        self.class_chart = ClassBars()
        class_scroll = QScrollArea()
        class_scroll.setWidgetResizable(True)
        class_scroll.setFrameShape(QFrame.Shape.NoFrame)
        class_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        class_scroll.setWidget(self.class_chart)
        self.worst_chart = BarChart("Worst classes")
        self.best_chart = BarChart("Best classes")
        extremes = QWidget()
        ev = QVBoxLayout(extremes)
        ev.addWidget(self.worst_chart)
        ev.addWidget(self.best_chart)
        ev.addStretch(1)
        extremes_scroll = QScrollArea()
        extremes_scroll.setWidgetResizable(True)
        extremes_scroll.setFrameShape(QFrame.Shape.NoFrame)
        extremes_scroll.setWidget(extremes)
        self.confused_chart = ConfusedChart()
        confused = QWidget()
        cv = QVBoxLayout(confused)
        cv.addWidget(self.confused_chart)
        cv.addStretch(1)
        self.failed_table = QTableWidget(0, 2)
        self.failed_table.setHorizontalHeaderLabels(["Video", "Error"])
        self.failed_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.failed_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.failed_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.failed_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.failed_table.verticalHeader().setVisible(False)
        compact_rows(self.failed_table)
        self.failed_table.setWordWrap(True)
        self.failed_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.runs_chart = RunsChart()

        self.details = QTabWidget()
        self.details.addTab(class_scroll, "Classes")
        self.details.addTab(extremes_scroll, "Best and worst")
        self.details.addTab(confused, "Confused pairs")
        self.details.addTab(self.failed_table, "Failed videos")
        self.details.addTab(self.runs_chart, "Over runs")
        self._failed_tab = 3

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.run_label)
        layout.addWidget(self.table)
        layout.addLayout(details_row)
        layout.addWidget(self.details, 1)

    # -- data ------------------------------------------------------------------------------
    def show_results(self, results: list, run=None) -> None:
        """`results`: CheckpointResult list; `run`: its RunRow when known (planned videos, status)."""
        self.results = list(results)
        self.run_id = results[0].run_id if results else (run.id if run is not None else None)
        self.run_label.setText(self._run_text(run))
        self.table.setRowCount(len(self.results))
        for row, r in enumerate(self.results):
            comparable = r.published_top1 is not None and r.views == "4x3"
            measured = r.videos > 0  # no prediction: no figure (never a 0 % that reads as measured)
            cells = [
                display_name(r.name),
                f"{r.top1:.2f}%" if measured else "–",
                f"{r.published_top1:.2f}%" if r.published_top1 is not None else "–",
                f"{r.top1 - r.published_top1:+.2f}" if comparable and measured else "–",
                f"{r.top5:.2f}%" if measured else "–",
                f"{r.mean_class_accuracy:.2f}%" if measured else "–",
                str(r.videos),
                str(len(r.failed)),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
            self.table.item(row, 0).setToolTip(f"{r.name}\n{r.path}")
            if not measured:
                for col in (1, 4, 5):
                    self.table.item(row, col).setToolTip("no video could be evaluated: see Failed videos")
            if r.published_top1 is not None and not comparable:
                self.table.item(row, 3).setToolTip("the published figure is for 4 clips × 3 crops; this run used "
                                                   f"{r.views}")
        self._fit_table()
        self.checkpoint_combo.blockSignals(True)
        self.checkpoint_combo.clear()
        for r in self.results:
            self.checkpoint_combo.addItem(display_name(r.name), r.name)
        self.checkpoint_combo.setEnabled(len(self.results) > 1)
        self.checkpoint_combo.blockSignals(False)
        self.checkpoint_combo.setCurrentIndex(0 if self.results else -1)
        self._show_details()

    def set_history(self, rows: list) -> None:
        """Past runs (RunRow list) for the accuracy-over-runs chart."""
        self.history_rows = list(rows)
        self._show_runs_chart()

    def current(self):
        i = self.checkpoint_combo.currentIndex()
        return self.results[i] if 0 <= i < len(self.results) else None

    # -- views -------------------------------------------------------------------------------
    def _run_text(self, run) -> str:
        if not self.results:
            return "Start an evaluation, or select a past run, to see its results here."
        r = self.results[0]
        failed = len(r.failed)
        planned = run.total if run is not None else None
        parts = [f"Run {r.run_id}", f"protocol {r.views}"]
        evaluated = f"{r.videos + failed} of {planned} videos done" if planned else f"{r.videos + failed} videos"
        parts.append(evaluated + (f" ({failed} could not be decoded)" if failed else ""))
        if r.missing:
            parts.append(f"{len(r.missing)} listed but missing on disk")
        if r.videos_per_second:
            parts.append(f"{r.videos_per_second:.2f} videos/s")
        text = " · ".join(parts)
        if not all(x.complete for x in self.results):
            text += "\nNot finished: the figures cover the videos done so far."
        elif not any(x.videos for x in self.results):
            text += "\nNo video could be evaluated: every one failed (see Failed videos), so there are no figures."
        return text

    def _fit_table(self) -> None:
        # Tall enough for every row (up to 5) without an inner scroll bar.
        rows = max(1, min(5, self.table.rowCount()))
        height = self.table.horizontalHeader().sizeHint().height() + 2 * self.table.frameWidth()
        height += sum(self.table.rowHeight(i) for i in range(min(rows, self.table.rowCount())))
        height += self.table.verticalHeader().defaultSectionSize() * max(0, rows - self.table.rowCount())
        self.table.setFixedHeight(height + 2)

    def _table_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() != self.checkpoint_combo.currentIndex():
            self.checkpoint_combo.setCurrentIndex(rows[0].row())

    def _show_details(self) -> None:
        r = self.current()
        name = display_name(r.name) if r is not None else ""
        self.class_chart.set_classes(r.per_class if r else [], title=f"Per-class accuracy of {name}" if r else
                                     "Per-class accuracy")
        best, worst, best_note, worst_note = best_and_worst(r.per_class if r else [])
        self.worst_chart.title = f"Worst classes of {name}" if r else "Worst classes"
        self.best_chart.title = f"Best classes of {name}" if r else "Best classes"
        self.worst_chart.set_items([(c["label"], c["accuracy"]) for c in worst], maximum=100.0, note=worst_note,
                                   empty="Every class at 100 %" if r and r.per_class else None)
        self.best_chart.set_items([(c["label"], c["accuracy"]) for c in best], maximum=100.0, note=best_note,
                                  empty="Every class at 0 %" if r and r.per_class else None)
        self.confused_chart.title = f"Most confused pairs of {name} (true class → predicted class)" if r else \
            "Most confused pairs (true class → predicted class)"
        self.confused_chart.set_pairs(r.confused[:10] if r else [])
        failed = r.failed if r else []
        self.failed_table.setRowCount(len(failed))
        for i, f in enumerate(failed):
            video = QTableWidgetItem(str(f["video"]))
            video.setToolTip(str(f["video"]))
            error = QTableWidgetItem(str(f["error"]))
            error.setToolTip(str(f["error"]))
            self.failed_table.setItem(i, 0, video)
            self.failed_table.setItem(i, 1, error)
        if failed:
            self.failed_table.setColumnWidth(0, min(260, max(120, self.failed_table.sizeHintForColumn(0) + 12)))
            if len(failed) <= 200:
                self.failed_table.resizeRowsToContents()
        self.details.setTabText(self._failed_tab, f"Failed videos ({len(failed)})" if r else "Failed videos")
        self._show_runs_chart()
        if r is not None and self.table.currentRow() != self.checkpoint_combo.currentIndex():
            self.table.blockSignals(True)
            self.table.selectRow(self.checkpoint_combo.currentIndex())
            self.table.blockSignals(False)

    def _show_runs_chart(self) -> None:
        r = self.current()
        if r is None:
            self.runs_chart.set_series("", [], None)
            return
        points = []
        published = r.published_top1
        for row in self.history_rows:
            if not row.finished:
                continue
            for c in row.checkpoints:
                if c["name"] == r.name and c.get("top1") is not None:
                    points.append({"created": row.created, "top1": c["top1"], "views": row.views,
                                   "run_id": row.id})
                    published = published if published is not None else c.get("published_top1")
        self.runs_chart.set_series(display_name(r.name), points, published, current=r.run_id)


def compact_rows(table: QTableWidget) -> None:
    """Rows one text line tall (plus a little air) instead of the style's roomy default."""
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
