"""The main window: video with live predictions, whole-video result, timeline, filmstrip, chart.

The window only arranges widgets and reacts to signals. Decoding and inference
run in the stream worker's thread (live sliding window) and in pool jobs
(model loading, downloads, whole-video 4x3 classification); their errors all
reach the window through the one `Notifier`.
"""

from __future__ import annotations

import base64
import csv
import json
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStyle,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.options import SPAN, STRIDE, THRESHOLD, TOPK, file_path_of, is_live_source
from ..core.settings import Settings
from ..core.video.readers import VIDEO_EXTENSIONS, is_video_path
from .eval_panel import EvalPanel
from .notifications import NotificationBanner, Notifier
from .widgets import format_time, glyph_icon
from .widgets.device_selector import DeviceSelector
from .widgets.filmstrip import Filmstrip
from .widgets.model_manager import ModelManagerDialog
from .widgets.score_chart import ScoreChart
from .widgets.timeline import Timeline, TimelineEntry
from .widgets.topk_panel import ScoreRow, TopKPanel
from .widgets.video_view import VideoView
from .workers import Job, JobRunner, classify_video, list_cameras, load_model

DEFAULT_ZOO_MODEL = "umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb"
MAX_RESULTS = 10000  # windows kept for export (a bound for hours-long camera sessions)


def is_stream_spec(text: str) -> bool:
    """camera:N or a stream URL (a file:// URL is a file): the core's one definition."""
    return is_live_source(text)


class MainWindow(QMainWindow):
    """The application window. `model` overrides the model stored in the settings."""

    predictionShown = Signal(object)  # the first and every later live window shown
    wholeVideoShown = Signal(object)  # a whole-video (4x3) result shown
    modelReady = Signal(object)  # a classifier finished loading

    def __init__(self, settings: Settings | None = None, model: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else Settings.load()
        self.notifier = Notifier(self)
        self.runner = JobRunner(self.notifier, self)
        self.classifier = None
        self.model_source = model or self.settings["model"] or ""
        self.model_job: Job | None = None
        self.classify_job: Job | None = None
        self.source: str | None = None
        self.playlist: list[str] = []
        self.playlist_index = -1
        self.results: list = []  # WindowResult of the current source
        self.whole = None  # Classification of the current file
        self.duration = 0.0
        self.predictions_shown = 0
        self._step_pending = False
        self._closing = False
        self.settings_persist = True  # False for headless captures: leave the user's settings alone
        self._generation = 0  # bumps when the source changes; stale job results are ignored

        self.setWindowTitle("UMT Desktop")
        self.setAcceptDrops(True)
        self._build_widgets()
        self._build_live()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_statusbar()
        self._restore_geometry()
        self._refresh_model_box()
        self._set_playing(False)
        self._start_up()

    # ------------------------------------------------------------------ layout
    def _build_widgets(self) -> None:
        self.banner = NotificationBanner(self.notifier)
        self.video = VideoView()
        self.video.clicked.connect(self.toggle_play)
        self.timeline = Timeline()
        self.timeline.seekRequested.connect(self.seek)
        self.filmstrip = Filmstrip()
        self.time_label = QLabel("")
        self.time_label.setMinimumWidth(120)
        self.play_button = QToolButton()
        self.play_button.setAutoRaise(True)
        self.play_button.setIconSize(QSize(22, 22))
        self.step_button = QToolButton()
        self.step_button.setAutoRaise(True)
        self.step_button.setIconSize(QSize(22, 22))
        self.source_label = QLabel("")
        self.source_label.setTextInteractionFlags(Qt.TextSelectableByMouse)

        transport = QHBoxLayout()
        transport.setContentsMargins(0, 0, 0, 0)
        transport.addWidget(self.play_button)
        transport.addWidget(self.step_button)
        transport.addWidget(self.time_label)
        transport.addStretch(1)
        transport.addWidget(self.source_label)

        film_title = _section_label("Frames of the current window")
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(6)
        lv.addWidget(self.video, 1)
        lv.addLayout(transport)
        lv.addWidget(self.timeline)
        lv.addWidget(film_title)
        lv.addWidget(self.filmstrip)

        # Right column: live top-k, whole-video result, chart, playlist.
        k = self.settings["topk"]
        self.live_panel = TopKPanel(k, show_raw=True)
        self.live_panel.empty_text = "Open a video or a camera"
        self.live_header = QLabel("")
        self.live_header.setObjectName("muted")
        live_box = QGroupBox("Live · sliding window")
        lb = QVBoxLayout(live_box)
        lb.addWidget(self.live_panel)
        legend = QLabel("thick bar: smoothed · thin line: raw window")
        legend.setObjectName("muted")
        lb.addWidget(self.live_header)
        lb.addWidget(legend)

        self.whole_panel = TopKPanel(k, show_raw=False)
        self.whole_panel.empty_text = "Whole-video result of a file appears here"
        self.whole_header = QLabel("")
        self.whole_header.setObjectName("muted")
        self.whole_header.setWordWrap(True)
        self.whole_progress = QProgressBar()
        self.whole_progress.setRange(0, 0)
        self.whole_progress.setMaximumHeight(6)
        self.whole_progress.setTextVisible(False)
        self.whole_progress.setVisible(False)
        whole_box = QGroupBox("Whole video · 4 clips × 3 crops")
        wb = QVBoxLayout(whole_box)
        wb.addWidget(self.whole_panel)
        wb.addWidget(self.whole_progress)
        wb.addWidget(self.whole_header)
        self.whole_box = whole_box

        self.chart = ScoreChart()
        chart_box = QGroupBox("Scores over recent windows")
        cb = QVBoxLayout(chart_box)
        cb.addWidget(self.chart)

        self.playlist_widget = QListWidget()
        self.playlist_widget.setMaximumHeight(110)
        self.playlist_widget.itemActivated.connect(self._playlist_activated)
        self.playlist_box = QGroupBox("Playlist")
        pb = QVBoxLayout(self.playlist_box)
        pb.addWidget(self.playlist_widget)
        self.playlist_box.setVisible(False)

        # Shown instead of the result panels while no model is available.
        self.no_model_box = QGroupBox("No model yet")
        nm = QVBoxLayout(self.no_model_box)
        text = QLabel(
            "UMT needs a checkpoint to recognise actions. Download the published UMT-B/16 "
            "Kinetics-400 model (87.3% top-1, about 350 MB) or import a <code>.pth</code> you already have."
        )
        text.setWordWrap(True)
        self.download_default_button = QPushButton("Download UMT-B/16 (Kinetics-400)")
        self.download_default_button.clicked.connect(self.download_default_model)
        import_button = QPushButton("Import a checkpoint…")
        import_button.clicked.connect(self.import_checkpoint)
        manager_button = QPushButton("Open the model manager…")
        manager_button.clicked.connect(self.show_model_manager)
        nm.addWidget(text)
        nm.addWidget(self.download_default_button)
        nm.addWidget(import_button)
        nm.addWidget(manager_button)
        self.no_model_box.setVisible(False)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.setSpacing(8)
        self.result_boxes = [live_box, whole_box, chart_box]
        rv.addWidget(self.no_model_box)
        rv.addWidget(live_box)
        rv.addWidget(whole_box)
        rv.addWidget(chart_box, 1)
        rv.addWidget(self.playlist_box)
        self._right_filler = QWidget()  # takes the chart's room while there is no model
        self._right_filler.setVisible(False)
        rv.addWidget(self._right_filler, 1)
        # Scrollable, so small screens (1366x768) still fit the window.
        right_scroll = QScrollArea()
        right_scroll.setWidgetResizable(True)
        right_scroll.setFrameShape(QFrame.NoFrame)
        right_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        right_scroll.setWidget(right)
        right_scroll.setMinimumWidth(310)
        right_scroll.setMaximumWidth(540)
        right.setMinimumWidth(290)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right_scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        classify_page = QWidget()
        cp = QVBoxLayout(classify_page)
        cp.setContentsMargins(10, 8, 10, 6)
        cp.addWidget(self.splitter)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(classify_page, "Classify")
        self.eval_panel = EvalPanel(notifier=self.notifier)
        # In a scroll area, so the panel's own minimum size never forces a big window.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setWidget(self.eval_panel)
        self.eval_page = scroll
        self.tabs.addTab(scroll, "Evaluate")

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.banner)
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.setStyleSheet(
            "QGroupBox { font-weight: 600; border: 1px solid palette(mid); border-radius: 8px;"
            " margin-top: 1.1em; padding: 8px 8px 6px 8px; }"
            "QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }"
            "QLabel#muted { color: palette(mid); }"
            "QLabel#section { font-weight: 600; }"
            "QStatusBar QLabel { padding: 0 10px; border-left: 1px solid palette(mid); }"
            "QStatusBar QLabel:first-child { border-left: none; }"
        )

    def _build_live(self) -> None:
        from .live import LiveStream

        self.live = LiveStream(self)
        self.live.frame.connect(self._on_frame)
        self.live.window.connect(self._on_window)
        self.live.metrics.connect(self._on_metrics)
        self.live.error.connect(self._on_stream_error)
        self.live.opened.connect(self._on_opened)
        self.live.finished.connect(self._on_stream_finished)

    def _build_actions(self) -> None:
        style = self.style()
        self.open_action = QAction(style.standardIcon(QStyle.SP_DialogOpenButton), "&Open video…", self)
        self.open_action.setShortcut(QKeySequence.Open)
        self.open_action.triggered.connect(self.choose_files)
        self.url_action = QAction("Open stream &URL…", self)
        self.url_action.setShortcut(QKeySequence("Ctrl+U"))
        self.url_action.triggered.connect(self.choose_url)
        self.play_action = QAction(style.standardIcon(QStyle.SP_MediaPause), "&Pause", self)
        self.play_action.setShortcut(QKeySequence(Qt.Key_Space))
        self.play_action.triggered.connect(self.toggle_play)
        self.step_action = QAction(style.standardIcon(QStyle.SP_MediaSeekForward), "&Step one window", self)
        self.step_action.setShortcuts([QKeySequence(Qt.Key_Period), QKeySequence(Qt.Key_Right)])
        self.step_action.triggered.connect(self.step)
        self.stop_action = QAction(style.standardIcon(QStyle.SP_MediaStop), "S&top", self)
        self.stop_action.setShortcut(QKeySequence("Ctrl+."))
        self.stop_action.triggered.connect(self.stop_source)
        self.next_action = QAction(style.standardIcon(QStyle.SP_MediaSkipForward), "&Next in playlist", self)
        self.next_action.setShortcut(QKeySequence(Qt.Key_PageDown))
        self.next_action.triggered.connect(self.play_next)
        self.prev_action = QAction(style.standardIcon(QStyle.SP_MediaSkipBackward), "P&revious in playlist", self)
        self.prev_action.setShortcut(QKeySequence(Qt.Key_PageUp))
        self.prev_action.triggered.connect(self.play_previous)
        self.export_action = QAction(style.standardIcon(QStyle.SP_DialogSaveButton), "&Export results…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self.choose_export)
        self.snapshot_action = QAction("Save &snapshot…", self)
        self.snapshot_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.snapshot_action.triggered.connect(self.choose_snapshot)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.Quit)
        self.quit_action.triggered.connect(self.close)
        self.models_action = QAction(style.standardIcon(QStyle.SP_DriveHDIcon), "&Models…", self)
        self.models_action.setShortcut(QKeySequence("Ctrl+M"))
        self.models_action.triggered.connect(self.show_model_manager)
        self.window_settings_action = QAction("Sliding &window settings…", self)
        self.window_settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.window_settings_action.triggered.connect(self.show_window_settings)
        self.reclassify_action = QAction("Classify whole video (&4×3)", self)
        self.reclassify_action.setShortcut(QKeySequence("Ctrl+R"))
        self.reclassify_action.triggered.connect(self.classify_whole_video)
        for a in (self.open_action, self.url_action, self.play_action, self.step_action, self.export_action,
                  self.snapshot_action, self.models_action, self.next_action, self.prev_action, self.stop_action):
            self.addAction(a)  # shortcuts work while the menu bar is hidden (full screen)
        self.play_button.setDefaultAction(self.play_action)
        self.step_button.setDefaultAction(self.step_action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.camera_menu = file_menu.addMenu("&Camera")
        self.camera_menu.aboutToShow.connect(self._fill_camera_menu)
        file_menu.addAction(self.url_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.snapshot_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        play_menu = bar.addMenu("&Playback")
        for a in (self.play_action, self.step_action, self.stop_action):
            play_menu.addAction(a)
        play_menu.addSeparator()
        play_menu.addAction(self.prev_action)
        play_menu.addAction(self.next_action)
        play_menu.addSeparator()
        play_menu.addAction(self.reclassify_action)
        play_menu.addAction(self.window_settings_action)

        model_menu = bar.addMenu("&Model")
        model_menu.addAction(self.models_action)
        self.model_list_menu = model_menu.addMenu("&Use model")
        self.model_list_menu.aboutToShow.connect(self._fill_model_menu)

        view_menu = bar.addMenu("&View")
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        for key, text in (("system", "&System"), ("light", "&Light"), ("dark", "&Dark")):
            a = QAction(text, self, checkable=True)
            a.setChecked(self.settings["theme"] == key)
            a.triggered.connect(lambda _=False, key=key: self.set_theme(key))
            group.addAction(a)
            theme_menu.addAction(a)
        full = QAction("&Full screen", self, checkable=True)
        full.setShortcut(QKeySequence.FullScreen)
        full.toggled.connect(lambda on: self.showFullScreen() if on else self.showNormal())
        view_menu.addAction(full)

        help_menu = bar.addMenu("&Help")
        about = QAction("&About UMT Desktop", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)
        folder = QAction("Open the &models folder", self)
        folder.triggered.connect(self._open_models_folder)
        help_menu.addAction(folder)

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        tb.addAction(self.open_action)
        camera_button = QToolButton()
        camera_button.setText("Camera")
        camera_button.setIcon(self.style().standardIcon(QStyle.SP_ComputerIcon))
        camera_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        camera_button.setPopupMode(QToolButton.InstantPopup)
        camera_button.setMenu(self.camera_menu)
        tb.addWidget(camera_button)
        tb.addSeparator()
        tb.addAction(self.export_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        tb.addWidget(spacer)
        tb.addWidget(QLabel(" Model "))
        self.model_box = QComboBox()
        self.model_box.setMinimumContentsLength(18)
        self.model_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.model_box.setToolTip("Active model (installed models and the checkpoint given on the command line)")
        self.model_box.activated.connect(self._model_box_activated)
        tb.addWidget(self.model_box)
        tb.addAction(self.models_action)
        tb.addSeparator()
        self.device_selector = DeviceSelector(self.settings["device"], self.settings["precision"])
        self.device_selector.changed.connect(self.set_device)
        tb.addWidget(self.device_selector)
        self.addToolBar(tb)
        self.toolbar = tb

    def _build_statusbar(self) -> None:
        sb = self.statusBar()
        self.status_model = QLabel("No model")
        self.status_device = QLabel("")
        self.status_fps = QLabel("")
        self.status_latency = QLabel("")
        self.status_dropped = QLabel("")
        self.load_progress = QProgressBar()
        self.load_progress.setMaximumWidth(160)
        self.load_progress.setMaximumHeight(14)
        self.load_progress.setTextVisible(False)
        self.load_progress.setVisible(False)
        for w in (self.status_model, self.status_device, self.status_fps, self.status_latency, self.status_dropped):
            w.setToolTip({self.status_model: "Active model", self.status_device: "Device and precision",
                          self.status_fps: "Windows classified per second",
                          self.status_latency: "Capture-to-result latency and model time of the last window",
                          self.status_dropped: "Windows skipped because the model was busy"}[w])
        for w in (self.status_device, self.status_fps, self.status_latency, self.status_dropped):
            w.setVisible(False)  # shown once they have something to say
        sb.addWidget(self.load_progress)
        sb.addPermanentWidget(self.status_model)
        sb.addPermanentWidget(self.status_device)
        sb.addPermanentWidget(self.status_fps)
        sb.addPermanentWidget(self.status_latency)
        sb.addPermanentWidget(self.status_dropped)

    # --------------------------------------------------------------- start-up
    def _start_up(self) -> None:
        if self._closing:
            return
        source = self._initial_model()
        if source:
            self.load_model(source)
        else:
            self._show_no_model()

    def _initial_model(self) -> str:
        """The model to load: asked for, else last used (if still there), else any installed one."""
        from ..core.model.zoo import ModelStore

        wanted = self.model_source
        installed = ModelStore().installed()
        if wanted:
            if Path(wanted).suffix in (".pth", ".pt", ".ckpt", ".bin") or Path(wanted).is_file() or wanted in installed:
                return wanted
            if self.settings["model"] == wanted:
                self.notifier.warning(f"The last used model {wanted} is no longer installed")
            else:
                return wanted  # asked for explicitly: let loading report why it fails
        if installed:
            return DEFAULT_ZOO_MODEL if DEFAULT_ZOO_MODEL in installed else next(iter(installed))
        return ""

    def _set_no_model(self, missing: bool) -> None:
        self.no_model_box.setVisible(missing)
        for box in self.result_boxes:
            box.setVisible(not missing)
        self._right_filler.setVisible(missing)

    def _show_no_model(self) -> None:
        self.classifier = None
        self._set_no_model(True)
        self.status_model.setText("No model")
        self.video.set_placeholder(
            "No model installed",
            "Download the UMT-B/16 Kinetics-400 model or import a checkpoint (panel on the right) — "
            "then drop a video here.",
        )
        self.notifier.warning("No model is installed yet: download one or import a .pth file",
                              action=("Models…", self.show_model_manager), timeout=0)
        self._update_actions()

    # ------------------------------------------------------------------ models
    def load_model(self, source: str) -> Job:
        """Load a model (name or checkpoint path) in the background; the current one stays until it is ready."""
        if Path(source).is_file():
            source = str(Path(source).resolve())  # saved in the settings: must work from any folder
        self.model_source = source
        self._refresh_model_box()
        self.load_progress.setRange(0, 0)
        self.load_progress.setVisible(True)
        self.status_model.setText(f"Loading {Path(source).stem if Path(source).suffix else source}…")
        self.statusBar().showMessage("Loading the model…")
        device, precision = self.device_selector.device(), self.device_selector.precision()
        job = Job(load_model, source, device, precision, name="model loading")
        self.model_job = job
        self.runner.start(job, on_result=lambda clf, job=job: self._model_loaded(job, clf),
                          on_progress=self._model_progress, on_error=self._model_failed,
                          on_finished=lambda job=job: self._model_job_done(job))
        return job

    def _model_progress(self, done: float, total: float, text: str) -> None:
        if total > 0:
            self.load_progress.setRange(0, int(total))
            self.load_progress.setValue(int(done))
        if text:
            self.statusBar().showMessage(text)

    def _model_loaded(self, job: Job, classifier) -> None:
        if job is not self.model_job or self._closing:
            return  # a newer request replaced this one
        self.classifier = classifier
        self._set_no_model(False)
        self.settings["model"] = self.model_source
        self.status_model.setText(f"{classifier.name} · {len(classifier.labels)} classes")
        self.status_model.setToolTip(f"{classifier.name}\n{classifier.model.config.name}")
        _status(self.status_device, classifier.runtime.label)
        self.chart.set_labels(classifier.labels.names)
        self.video.set_placeholder("Drop a video here", "or press Ctrl+O to open one, or pick a camera")
        self.statusBar().showMessage(f"{classifier.name} ready", 4000)
        if self.model_manager is not None:
            self.model_manager.set_active(self.model_source)
        self.modelReady.emit(classifier)
        if self.live.running():
            self.live.set_classifier(classifier)
            self.chart.clear()
        elif self.source:
            self._start_stream(self.source)
        if self.source and not is_stream_spec(self.source):
            self.classify_whole_video()
        self._update_actions()

    def _model_failed(self, message: str) -> None:
        if self.classifier is None:
            self._set_no_model(True)
            self.status_model.setText("No model")

    def _model_job_done(self, job: Job) -> None:
        if job is self.model_job:
            self.model_job = None
            self.load_progress.setVisible(False)
            self.statusBar().clearMessage()
            if self.classifier is not None:
                self.status_model.setText(f"{self.classifier.name} · {len(self.classifier.labels)} classes")

    def set_device(self, device: str, precision: str) -> None:
        self.settings["device"] = device
        self.settings["precision"] = precision
        if self.model_source:
            self.load_model(self.model_source)

    @property
    def model_manager(self) -> ModelManagerDialog | None:
        return getattr(self, "_model_manager", None)

    def show_model_manager(self) -> ModelManagerDialog:
        if self.model_manager is None:
            dialog = ModelManagerDialog(self.runner, self.notifier, active=self.model_source, parent=self)
            dialog.activated.connect(self.load_model)
            dialog.modelsChanged.connect(self._models_changed)
            self._model_manager = dialog
        self.model_manager.refresh()
        self.model_manager.show()
        self.model_manager.raise_()
        return self.model_manager

    def download_default_model(self) -> None:
        dialog = self.show_model_manager()
        dialog.select(DEFAULT_ZOO_MODEL)
        dialog.download(DEFAULT_ZOO_MODEL)

    def import_checkpoint(self) -> None:
        self.show_model_manager().choose_import()

    def _models_changed(self) -> None:
        from ..core.model.zoo import ModelStore

        self._refresh_model_box()
        installed = ModelStore().installed()
        if self.classifier is None and self.model_job is None and installed:
            self.load_model(DEFAULT_ZOO_MODEL if DEFAULT_ZOO_MODEL in installed else next(iter(installed)))

    def _refresh_model_box(self) -> None:
        from ..core.model.zoo import ModelStore

        box = self.model_box
        box.blockSignals(True)
        box.clear()
        names = list(ModelStore().installed())
        current = self.model_source
        for name in names:
            box.addItem(name, name)
        if current and current not in names:
            box.addItem(Path(current).name if Path(current).suffix else current, current)
        if not names and not current:
            box.addItem("No model installed", "")
        box.setCurrentIndex(max(0, box.findData(current)))
        box.blockSignals(False)

    def _model_box_activated(self, index: int) -> None:
        source = self.model_box.itemData(index)
        if source and source != self.model_source:
            self.load_model(source)
        elif not source:
            self.show_model_manager()

    def _fill_model_menu(self) -> None:
        from ..core.model.zoo import ModelStore

        self.model_list_menu.clear()
        installed = ModelStore().installed()
        if not installed:
            a = self.model_list_menu.addAction("No model installed")
            a.setEnabled(False)
        for name, model in installed.items():
            a = self.model_list_menu.addAction(f"{name}  ({model.arch})")
            a.setCheckable(True)
            a.setChecked(name == self.model_source)
            a.triggered.connect(lambda _=False, name=name: self.load_model(name))
        self.model_list_menu.addSeparator()
        self.model_list_menu.addAction(self.models_action)

    # ----------------------------------------------------------------- sources
    def open_sources(self, items: list[str]) -> bool:
        """Open the first usable item and queue the others; refuse non-videos without changing anything."""
        good, bad = [], []
        for item in items:
            text = file_path_of(str(item))  # file:///a.mp4 is the file /a.mp4
            if is_stream_spec(text):
                good.append(text)
                continue
            path = Path(text)
            if path.is_file() and is_video_path(path):
                good.append(str(path))
            elif path.is_dir():
                videos = sorted(p for p in path.iterdir() if p.is_file() and is_video_path(p))
                if videos:
                    good.extend(str(p) for p in videos)  # a dropped folder queues its videos
                else:
                    bad.append(f"{path.name} is a folder without videos")
            elif not path.exists():
                bad.append(f"{path.name} does not exist")
            else:
                bad.append(f"{path.name} is not a video")
        if bad:
            shown = "; ".join(bad[:3]) + (f" (and {len(bad) - 3} more)" if len(bad) > 3 else "")
            kinds = ", ".join(e.lstrip(".") for e in VIDEO_EXTENSIONS[:6])
            level = self.notifier.warning if good else self.notifier.error
            level(f"{shown} — open a video file ({kinds}, …)" + ("; the others were opened" if good else ""))
        if not good:
            return False
        insert_at = self.playlist_index + 1 if self.playlist_index >= 0 else len(self.playlist)
        for offset, item in enumerate(good):
            self.playlist.insert(insert_at + offset, item)
        self._refresh_playlist()
        self.play_index(insert_at)
        return True

    def play_index(self, index: int) -> None:
        if not 0 <= index < len(self.playlist):
            return
        self.playlist_index = index
        self._refresh_playlist()
        self.open_source(self.playlist[index])

    def play_next(self) -> None:
        if self.playlist_index + 1 < len(self.playlist):
            self.play_index(self.playlist_index + 1)

    def play_previous(self) -> None:
        if self.playlist_index > 0:
            self.play_index(self.playlist_index - 1)

    def _playlist_activated(self, item: QListWidgetItem) -> None:
        self.play_index(self.playlist_widget.row(item))

    def _refresh_playlist(self) -> None:
        self.playlist_widget.clear()
        for i, item in enumerate(self.playlist):
            name = item if is_stream_spec(item) else Path(item).name
            row = QListWidgetItem(("▶  " if i == self.playlist_index else "     ") + name)
            row.setToolTip(item)
            self.playlist_widget.addItem(row)
        self.playlist_box.setVisible(len(self.playlist) > 1)
        self._update_actions()

    def open_source(self, source: str) -> None:
        """Show `source` (a file, camera:N or a URL): live windows, and for files the 4x3 result."""
        self._generation += 1
        self.live.stop()
        self.source = source
        self.results = []
        self.whole = None
        self.duration = 0.0
        self.predictions_shown = 0
        self.timeline.clear()
        self.filmstrip.clear()
        self.chart.clear()
        self.video.clear()
        self.live_panel.clear(f"First window after {self.settings['span']:g} s of video…")
        self.live_header.setText("")
        self.whole_panel.clear("Whole-video result of a file appears here")
        self.whole_header.setText("")
        is_file = not is_stream_spec(source)
        self.whole_box.setEnabled(is_file)
        self.timeline.setVisible(is_file)
        name = Path(source).name if is_file else source
        self.source_label.setText(name)
        self.video.caption = name
        self.setWindowTitle(f"{name} — UMT Desktop")
        self.settings.add_recent_file(source)
        self.settings["last_folder"] = str(Path(source).parent) if is_file else self.settings["last_folder"]
        if self.classifier is None:
            if self.model_job is None:
                self.notifier.warning("Choose a model first: the video starts once a model is loaded",
                                      action=("Models…", self.show_model_manager))
            self.video.set_placeholder("Loading the model…" if self.model_job else "No model loaded",
                                       f"{name} will start as soon as a model is ready")
        else:
            self._start_stream(source)
            if is_file:
                self.classify_whole_video()
        self._update_actions()

    def _start_stream(self, source: str, start: float = 0.0) -> None:
        s = self.settings
        self.live.start(source, self.classifier, span=s["span"], stride=s["stride"], smoothing=s["smoothing"],
                        threshold=s["threshold"], topk=s["topk"], start=start)
        self._set_playing(True)

    def stop_source(self) -> None:
        self.live.stop()
        self._set_playing(False)

    def choose_files(self) -> None:
        patterns = " ".join(f"*{e}" for e in VIDEO_EXTENSIONS)
        files, _ = QFileDialog.getOpenFileNames(self, "Open videos", self.settings["last_folder"],
                                                f"Videos ({patterns});;All files (*)")
        if files:
            self.open_sources(files)

    def choose_url(self) -> None:
        url, ok = QInputDialog.getText(self, "Open stream URL", "rtsp://, http(s)://, udp:// … URL:",
                                       QLineEdit.Normal, "rtsp://")
        url = url.strip()
        if ok and url and url != "rtsp://":
            if "://" not in url:
                self.notifier.error(f"{url} is not a stream URL (it needs a scheme such as rtsp:// or http://)")
                return
            self.open_sources([url])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        if not recent:
            a = self.recent_menu.addAction("No recent files")
            a.setEnabled(False)
            return
        for i, item in enumerate(recent):
            text = item if is_stream_spec(item) else f"{Path(item).name}  —  {Path(item).parent}"
            a = self.recent_menu.addAction(f"&{i + 1}  {text}" if i < 9 else text)
            a.triggered.connect(lambda _=False, item=item: self.open_sources([item]))
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear the list")
        clear.triggered.connect(lambda: self.settings.__setitem__("recent_files", []))

    def _fill_camera_menu(self) -> None:
        self.camera_menu.clear()
        cameras = list_cameras()
        for spec, name in cameras:
            a = self.camera_menu.addAction(name)
            a.triggered.connect(lambda _=False, spec=spec: self.open_sources([spec]))
        if not cameras:
            a = self.camera_menu.addAction("No camera found")
            a.setEnabled(False)
            self.camera_menu.addSeparator()
            a = self.camera_menu.addAction("Try camera 0 anyway")
            a.triggered.connect(lambda: self.open_sources(["camera:0"]))

    # ------------------------------------------------------------ drag & drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        items = []
        if mime.hasUrls():
            for url in mime.urls():
                items.append(url.toLocalFile() if url.isLocalFile() else url.toString())
        elif mime.hasText():
            items = [line.strip() for line in mime.text().splitlines() if line.strip()]
        if not items:
            self.notifier.error("Nothing to open in what was dropped")
            return
        event.acceptProposedAction()
        self.open_sources(items)

    # -------------------------------------------------------------- playback
    def toggle_play(self) -> None:
        if not self.live.running():
            if self.source and self.classifier is not None:
                self._start_stream(self.source)
            return
        if self.live.paused():
            self.live.resume()
            self._set_playing(True)
        else:
            self.live.pause()
            self._set_playing(False)

    def step(self) -> None:
        """Advance by one window while paused (resume until the next window arrives)."""
        if not self.live.running():
            return
        self._step_pending = True
        self.live.resume()

    def seek(self, seconds: float) -> None:
        if not self.source or is_stream_spec(self.source) or self.classifier is None:
            return
        self.timeline.set_position(seconds)
        was_paused = self.live.running() and self.live.paused()
        self._start_stream(self.source, start=max(0.0, seconds - self.settings["span"]))
        if was_paused:
            self._step_pending = True

    def _set_playing(self, playing: bool) -> None:
        colour = self.palette().color(QPalette.WindowText)
        self.play_action.setIcon(glyph_icon("pause" if playing else "play", colour))
        self.step_action.setIcon(glyph_icon("step", colour))
        self.play_action.setText("&Pause" if playing else "&Play")
        self._update_actions()

    # ---------------------------------------------------------- live results
    def _on_opened(self, duration: float) -> None:
        if duration > 0:
            self.duration = duration
            self.timeline.set_duration(duration)

    def _on_frame(self, image: np.ndarray, index: int, t: float) -> None:
        self.video.set_frame(image, index, t)
        self.timeline.set_position(t)
        self.time_label.setText(format_time(t) + (f" / {format_time(self.duration)}" if self.duration else ""))

    def _on_window(self, result, thumbs: dict | None = None) -> None:
        if len(self.results) < MAX_RESULTS:
            self.results.append(result)
        smooth, raw = result.smoothed, result.probs
        rows = [ScoreRow(t.index, t.label, t.score, float(raw[t.index])) for t in smooth]
        self.live_panel.set_rows(rows, dimmed=not result.confident)
        top = smooth[0]
        self.video.set_prediction(top.label, top.score, top.index, result.confident, result.t, source="live")
        self.live_header.setText(f"window {format_time(result.start)}–{format_time(result.t)} · "
                                 f"frames {result.frames[0]}–{result.frames[-1]}")
        self.chart.add_window(result.smoothed_probs)
        self.timeline.add_entry(TimelineEntry((result.start + result.t) / 2, top.index, top.label, top.score,
                                              result.confident, end=result.t))
        thumbs = thumbs or {}
        self.filmstrip.set_frames([(i, thumbs.get(i)) for i in result.frames])
        self.predictions_shown += 1
        self.predictionShown.emit(result)
        if self._step_pending:
            self._step_pending = False
            self.live.pause()
            self._set_playing(False)

    def _on_metrics(self, m) -> None:
        _status(self.status_fps, f"{m.windows_per_second:.1f} windows/s")
        _status(self.status_latency, f"latency {m.latency_ms:.0f} ms · model {m.inference_ms:.0f} ms")
        _status(self.status_dropped, f"dropped {m.dropped}" if m.dropped else "")

    def _on_stream_error(self, message: str) -> None:
        self.notifier.error(message)
        self._set_playing(False)

    def _on_stream_finished(self) -> None:
        self._set_playing(False)
        if self._closing:
            return
        if self.source and not is_stream_spec(self.source) and self.playlist_index + 1 < len(self.playlist):
            generation = self._generation
            QTimer.singleShot(800, lambda: self.play_next() if generation == self._generation else None)

    # ------------------------------------------------------ whole-video 4x3
    def classify_whole_video(self) -> Job | None:
        if self.classifier is None or not self.source or is_stream_spec(self.source):
            return None
        generation = self._generation
        path, clf = self.source, self.classifier
        self.whole_progress.setVisible(True)
        self.whole_panel.clear("Classifying the whole video (4 clips × 3 crops)…")
        self.whole_header.setText("")
        job = Job(classify_video, clf, path, "4x3", self.settings["topk"], name="whole-video classification")
        self.classify_job = job
        started = time.perf_counter()
        self.runner.start(
            job,
            on_result=lambda result: self._whole_done(result, generation, clf, time.perf_counter() - started),
            on_error=lambda _msg: self._whole_failed(generation),
            on_finished=lambda: self._whole_finished(job),
        )
        return job

    def _whole_done(self, result, generation: int, clf, wall: float) -> None:
        if generation != self._generation or clf is not self.classifier or self._closing:
            return  # another file or another model since this job started
        self.whole = result
        self.whole_model = clf.name
        self.whole_panel.set_rows([ScoreRow(t.index, t.label, t.score) for t in result.top])
        t = result.timings
        self.whole_header.setText(
            f"{result.seconds:.2f} s with {clf.name} (decode {t.get('decode', 0):.2f} s, "
            f"model {t.get('model', 0):.2f} s)")
        self.whole_header.setToolTip(f"12 views; {clf.runtime.label}")
        self.wholeVideoShown.emit(result)

    def _whole_failed(self, generation: int) -> None:
        if generation == self._generation:
            self.whole_panel.clear("The whole video could not be classified")

    def _whole_finished(self, job: Job) -> None:
        if job is self.classify_job:
            self.classify_job = None
            self.whole_progress.setVisible(False)

    # ----------------------------------------------------------------- export
    def export_data(self) -> dict:
        clf = self.classifier
        return {
            "source": self.source,
            "model": clf.name if clf else None,
            "device": clf.runtime.label if clf else None,
            "settings": {k: self.settings[k] for k in ("span", "stride", "smoothing", "threshold", "topk")},
            "whole_video": None if self.whole is None else {
                **self.whole.to_json(), "model": getattr(self, "whole_model", None)},
            "windows": [r.to_json() | {"start": round(r.start, 6), "confident": bool(r.confident)}
                        for r in self.results],
        }

    def export(self, path: str | Path) -> Path:
        """Write the results as JSON or CSV (by extension); returns the path."""
        path = Path(path)
        data = self.export_data()
        try:
            if path.suffix.lower() == ".csv":
                with path.open("w", newline="", encoding="utf-8") as f:
                    w = csv.writer(f)
                    w.writerow(["source", "kind", "start", "end", "frames", "top1_label", "top1_score",
                                "smoothed_label", "smoothed_score", "confident", "latency_ms", "inference_ms"])
                    if self.whole is not None:
                        top = self.whole.top[0]
                        w.writerow([self.source, "whole_video_" + self.whole.views, 0, "", "", top.label,
                                    f"{top.score:.6f}", "", "", "", "", ""])
                    for r in self.results:
                        w.writerow([self.source, "window", f"{r.start:.3f}", f"{r.t:.3f}",
                                    " ".join(str(i) for i in r.frames), r.top[0].label, f"{r.top[0].score:.6f}",
                                    r.smoothed[0].label, f"{r.smoothed[0].score:.6f}", int(bool(r.confident)),
                                    f"{r.latency_ms:.1f}", f"{r.inference_ms:.1f}"])
            else:
                path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        except OSError as e:
            self.notifier.error(f"Cannot write {path}: {e.strerror or e}")
            raise
        self.notifier.success(f"Exported {len(self.results)} windows to {path.name}")
        return path

    def choose_export(self) -> None:
        if not self.results and self.whole is None:
            self.notifier.info("Nothing to export yet: open a video first")
            return
        stem = Path(self.source).stem if self.source and not is_stream_spec(self.source) else "stream"
        start = str(Path(self.settings["last_folder"] or ".") / f"{stem}.umt.json")
        path, _ = QFileDialog.getSaveFileName(self, "Export results", start, "JSON (*.json);;CSV (*.csv)")
        if path:
            try:
                self.export(path)
            except OSError:
                pass

    def snapshot(self, path: str | Path) -> Path:
        image = self.video.grab_frame()
        if image is None:
            raise OSError("no frame to save")
        path = Path(path)
        if not image.save(str(path)):
            self.notifier.error(f"Cannot write {path}")
            raise OSError(f"cannot write {path}")
        self.notifier.success(f"Saved snapshot {path.name}")
        return path

    def choose_snapshot(self) -> None:
        if self.video.image is None:
            self.notifier.info("No frame to save yet")
            return
        stem = Path(self.source).stem if self.source and not is_stream_spec(self.source) else "camera"
        start = str(Path(self.settings["last_folder"] or ".") / f"{stem}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save snapshot", start, "PNG image (*.png)")
        if path:
            try:
                self.snapshot(path)
            except OSError:
                pass

    # --------------------------------------------------------------- settings
    def show_window_settings(self) -> None:
        dialog = WindowSettingsDialog(self.settings, self)
        if dialog.exec() == QDialog.Accepted:
            self.apply_window_settings(dialog.values())

    def apply_window_settings(self, values: dict) -> None:
        """New span/stride/smoothing/threshold/top-k; a running file restarts where it is."""
        for key, value in values.items():
            self.settings[key] = value  # validated by Settings (raises on a bad value)
        self.live_panel.set_k(self.settings["topk"])
        self.whole_panel.set_k(self.settings["topk"])
        if self.live.running() and self.source:
            here = 0.0 if is_stream_spec(self.source) else max(0.0, self.timeline.position - self.settings["span"])
            self.chart.clear()
            self._start_stream(self.source, start=here)

    def set_theme(self, theme: str) -> None:
        from .app import apply_theme

        self.settings["theme"] = theme
        apply_theme(QApplication.instance(), theme)
        self._set_playing(self.live.running() and not self.live.paused())

    def show_about(self) -> None:
        from .. import __version__

        self.notifier.info(
            f"UMT Desktop {__version__} — video action recognition with Unmasked Teacher (Li et al., ICCV 2023)",
            timeout=10)

    def _open_models_folder(self) -> None:
        from ..core.paths import models_dir

        models_dir().mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(models_dir())))

    def _update_actions(self) -> None:
        has_source = self.source is not None
        self.play_action.setEnabled(has_source and self.classifier is not None)
        self.step_action.setEnabled(self.live.running() if hasattr(self, "live") else False)
        self.stop_action.setEnabled(self.live.running() if hasattr(self, "live") else False)
        self.export_action.setEnabled(has_source)
        self.snapshot_action.setEnabled(has_source)
        self.reclassify_action.setEnabled(has_source and self.classifier is not None
                                          and not is_stream_spec(self.source or ""))
        self.next_action.setEnabled(self.playlist_index + 1 < len(self.playlist))
        self.prev_action.setEnabled(self.playlist_index > 0)

    def _restore_geometry(self) -> None:
        geometry = self.settings["geometry"]
        restored = False
        if geometry:
            try:
                restored = self.restoreGeometry(QByteArray(base64.b64decode(geometry)))
            except (ValueError, TypeError):
                restored = False
        if not restored:
            self.resize(1280, 800)
        state = self.settings["window_state"]
        if state:
            try:
                self.restoreState(QByteArray(base64.b64decode(state)))
            except (ValueError, TypeError):
                pass

    def save_settings(self) -> None:
        self.settings["geometry"] = base64.b64encode(bytes(self.saveGeometry())).decode("ascii")
        self.settings["window_state"] = base64.b64encode(bytes(self.saveState())).decode("ascii")
        self.settings["device"] = self.device_selector.device()
        self.settings["precision"] = self.device_selector.precision()
        try:
            self.settings.save()
        except OSError as e:
            self.notifier.error(f"Cannot save the settings: {e.strerror or e}")

    # --------------------------------------------------------------- shutdown
    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop the stream (releasing the camera) and every job; True when all threads ended."""
        self._closing = True
        ok = self.live.shutdown(timeout)
        if self.model_manager is not None:
            self.model_manager.cancel_download()
        ok = self.runner.shutdown(timeout) and ok
        return ok

    def closeEvent(self, event) -> None:
        if self.settings_persist:
            self.save_settings()
        self.shutdown()
        if self.model_manager is not None:
            self.model_manager.close()
        self.eval_panel.shutdown()
        super().closeEvent(event)


class WindowSettingsDialog(QDialog):
    """Span, stride, smoothing, threshold and top-k of the live sliding window."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sliding window")
        self.settings = settings
        form = QFormLayout(self)
        self.span = QDoubleSpinBox(minimum=SPAN.low, maximum=SPAN.high, singleStep=0.5, suffix=" s", decimals=2)
        self.span.setValue(settings["span"])
        self.span.setToolTip("Seconds of video the 8 frames of a window are spread over")
        self.stride = QDoubleSpinBox(minimum=STRIDE.low, maximum=STRIDE.high, singleStep=0.1, suffix=" s", decimals=2)
        self.stride.setValue(settings["stride"])
        self.stride.setToolTip("Seconds between two windows")
        self.smoothing = QLineEdit(settings["smoothing"])
        self.smoothing.setToolTip("off, ema:ALPHA (weight of the newest window, 0–1) or mean:N windows")
        self.threshold = QDoubleSpinBox(minimum=THRESHOLD.low, maximum=THRESHOLD.high, singleStep=0.05, decimals=2)
        self.threshold.setValue(settings["threshold"])
        self.threshold.setToolTip("Below this smoothed score the window shows “no confident action”")
        self.topk = QSpinBox(minimum=int(TOPK.low), maximum=int(TOPK.high))
        self.topk.setValue(settings["topk"])
        form.addRow("Span", self.span)
        form.addRow("Stride", self.stride)
        form.addRow("Smoothing", self.smoothing)
        form.addRow("Threshold", self.threshold)
        form.addRow("Top-k", self.topk)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #d9534f;")
        form.addRow(self.error)

    def _accept(self) -> None:
        try:
            Settings(path=self.settings.path)["smoothing"] = self.smoothing.text().strip().lower()
        except ValueError as e:
            self.error.setText(str(e))
            return
        self.accept()

    def values(self) -> dict:
        return {
            "span": self.span.value(),
            "stride": self.stride.value(),
            "smoothing": self.smoothing.text().strip().lower(),
            "threshold": self.threshold.value(),
            "topk": self.topk.value(),
        }


def _section_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("section")
    return label


def _status(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _vline() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.VLine)
    line.setFrameShadow(QFrame.Sunken)
    return line
