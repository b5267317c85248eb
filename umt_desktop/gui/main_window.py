"""The main window: wiring of the session, the live stream and the jobs to the views.

What is open and what came back lives in the Qt-free `core.session.Session`; the
views are the Classify page (`classify_page`), the Evaluate tab (`eval_panel`) and
the menus, tool bar and status bar (`menus`); model choice and loading is
`model_control`. Decoding and inference run in the live stream's threads (`live`)
and in pool jobs through the one `JobRunner`; every error reaches the window
through the one `Notifier`.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QMainWindow,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.session import FAILED, Session, refusal_message, sort_inputs
from ..core.settings import Settings
from . import menus, window_state
from .batch_view import BatchView, DropChoice, DropSurvey, survey_drop
from .classify_page import DROP_HINT, LIVE_EMPTY, WHOLE_EMPTY, ClassifyPage
from .drop_overlay import DropOverlay
from .evaluate import EvalPanel
from .explain_view import ExplainView
from .menus import set_status
from .model_control import DEFAULT_ZOO_MODEL, ModelControl  # noqa: F401  (DEFAULT_ZOO_MODEL: public name)
from .playback import Playback
from .whole_video import WholeVideo
from .notifications import NotificationBanner, Notifier
from .palette import class_colours
from .theme import WINDOW_STYLE, apply_theme
from .widgets import format_time, glyph_icon
from .widgets.timeline import TimelineEntry
from .widgets.topk_panel import ScoreRow
from .workers import Job, JobRunner

WINDOW_SETTINGS = ("span", "stride", "smoothing", "threshold", "topk")


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
        self.session = Session()
        self.models = ModelControl(self, model or self.settings["model"] or "")
        self.predictions_shown = 0
        self.closing = False
        self.settings_persist = True  # False for headless captures: leave the user's settings alone

        self.setWindowTitle("UMT Desktop")
        self._build_views()
        self._build_live()
        self.playback = Playback(self)
        self.whole_video = WholeVideo(self)
        self.explain_view = ExplainView(self)
        self.commands = menus.build(self)
        self.explain_view.attach(self.commands.explain)
        self.play_action = self.commands.play  # the names tests and captures know
        self.page.play_button.setDefaultAction(self.commands.play)
        self.page.step_button.setDefaultAction(self.commands.step)
        self.page.step_back_button.setDefaultAction(self.commands.step_back)
        self.page.speed_button.setMenu(self.speed_menu)
        self.speed_menu.triggered.connect(lambda a: self.page.speed_button.setText(a.text()))
        self.model_box.activated.connect(self.models.box_activated)
        self.device_selector.changed.connect(self.models.set_device)
        self.models.loaded.connect(self._model_loaded)
        self.models.missing.connect(lambda: self._set_no_model(True))
        window_state.restore(self)
        self.models.refresh_box()
        self.set_playing(False)
        self._start_up()

    # ------------------------------------------------------------------ views
    def _build_views(self) -> None:
        self.banner = NotificationBanner(self.notifier)
        page = self.page = ClassifyPage(self.settings["topk"])
        page.video.clicked.connect(self.toggle_play)
        page.timeline.seekRequested.connect(self.seek)
        page.playlist.playRequested.connect(self.play_index)
        page.playlist.removeRequested.connect(self.remove_item)
        page.download_default_button.clicked.connect(self.models.download_default)
        page.import_button.clicked.connect(self.models.import_checkpoint)
        page.manager_button.clicked.connect(self.models.show_manager)
        # Short names for the views the window fills most.
        self.video, self.timeline, self.filmstrip, self.chart = page.video, page.timeline, page.filmstrip, page.chart
        self.live_panel, self.whole_panel, self.whole_header = page.live_panel, page.whole_panel, page.whole_header
        self.whole_box, self.playlist_box, self.no_model_box = page.whole_box, page.playlist_box, page.no_model_box

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(page, "Classify")
        self.eval_panel = EvalPanel(notifier=self.notifier, runner=self.runner)
        # In a scroll area, so the panel's own minimum size never forces a big window.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setWidget(self.eval_panel)
        self.eval_page = scroll
        self.tabs.addTab(scroll, "Evaluate")
        self.batch_view = BatchView(self.runner, self.notifier)
        self.batch_view.openRequested.connect(self._open_from_batch)
        self.tabs.addTab(self.batch_view, "Batch")
        self.drop_choice = DropChoice()  # a dropped folder or several files: Play or Classify all
        self._drop_job: Job | None = None  # the walk of dropped folders (newest drop wins)
        self._drop_survey: DropSurvey | None = None  # its result, while the choice bar asks
        self.drop_choice.playChosen.connect(self.open_sources)
        self.drop_choice.classifyChosen.connect(self.classify_all)

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.banner)
        outer.addWidget(self.drop_choice)
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.drop_overlay = DropOverlay(self, central, self.open_dropped)
        self.setStyleSheet(WINDOW_STYLE)

    def _build_live(self) -> None:
        from .live import LiveStream

        self.live = LiveStream(self)
        self.live.frame.connect(self._on_frame)
        self.live.window.connect(self._on_window)
        self.live.metrics.connect(self._on_metrics)
        self.live.error.connect(self._on_stream_error)
        self.live.opened.connect(self._on_opened)
        self.live.finished.connect(self._on_stream_finished)

    # -------------------------------------------------------- what is open
    @property
    def classifier(self):
        return self.models.classifier

    @property
    def source(self) -> str | None:
        return self.session.source

    @property
    def playlist(self) -> list[str]:
        return self.session.playlist

    @property
    def results(self) -> list:
        return self.session.windows

    @property
    def whole(self):
        return self.session.whole

    def load_model(self, source: str) -> Job:
        return self.models.load(source)

    # --------------------------------------------------------------- start-up
    def _start_up(self) -> None:
        source = self.models.initial()
        if source:
            self.models.load(source)
        else:
            self._show_no_model()

    def _set_no_model(self, missing: bool) -> None:
        self.page.set_no_model(missing)
        if missing:
            self.status_model.setText("No model")

    def _show_no_model(self) -> None:
        self._set_no_model(True)
        self.video.set_placeholder(
            "No model installed",
            "Download the UMT-B/16 Kinetics-400 model or import a checkpoint (panel on the right) — "
            "then drop a video here.",
        )
        self.notifier.warning("No model is installed yet: download one or import a .pth file",
                              action=("Models…", self.models.show_manager), timeout=0)
        self.update_actions()

    def _model_loaded(self, classifier) -> None:
        names = list(classifier.labels.names)
        if names != getattr(self, "_colour_labels", None):
            class_colours().reset()  # class indices now name other classes
            self._colour_labels = names
        self._set_no_model(False)
        set_status(self.status_device, classifier.runtime.label)
        self.chart.set_labels(classifier.labels.names)
        self.video.set_placeholder(*DROP_HINT)
        self.modelReady.emit(classifier)
        if self.live.running():
            self.live.set_classifier(classifier)
            self.chart.clear()
        elif self.source:
            self._start_stream(self.source)
        if self.session.is_file:
            self.classify_whole_video()
        self.update_actions()

    # ----------------------------------------------------------------- sources
    def open_sources(self, items: list[str]) -> bool:
        """Open the first usable item and queue the others; refuse non-videos without changing anything."""
        survey = self._drop_survey
        if survey is not None and survey.items == list(items):
            good, bad = survey.good, survey.bad  # sorted in the drop's job: no second walk here
        else:
            good, bad = sort_inputs(items)
        if bad:
            (self.notifier.warning if good else self.notifier.error)(refusal_message(bad, bool(good)))
        if not good:
            return False
        self.play_index(self.session.add(good))
        return True

    def play_index(self, index: int) -> None:
        if 0 <= index < len(self.session.items):
            self.open_source(index)

    def play_next(self) -> None:
        if self.session.has_next():
            self.play_index(self.session.index + 1)

    def play_previous(self) -> None:
        if self.session.has_previous():
            self.play_index(self.session.index - 1)

    def _refresh_playlist(self) -> None:
        items = self.session.items
        self.page.playlist.show_items(items, self.session.index)
        # One file needs no list, unless it failed: then the list says so and offers to remove it.
        self.playlist_box.setVisible(len(items) > 1 or any(i.state == FAILED for i in items))
        self.update_actions()

    def remove_item(self, index: int) -> None:
        """Take playlist item `index` out (Delete, or the playlist's context menu)."""
        if not 0 <= index < len(self.session.items):
            return
        if self.session.remove(index):  # the one shown: stop it and show nothing
            self.live.stop()
            self.page.clear_results(LIVE_EMPTY)
            self.video.clear()
            self.video.set_placeholder(*DROP_HINT)
            self.page.source_label.setText("")
            self.setWindowTitle("UMT Desktop")
            self.set_playing(False)
        self._refresh_playlist()

    def open_source(self, index: int) -> None:
        """Show playlist item `index` (a file, camera:N or a URL): live windows, and for files the 4x3 result."""
        self.live.stop()
        self.session.open(index)
        self._refresh_playlist()
        s = self.session
        self.predictions_shown = 0
        self.explain_view.reset()
        self.page.clear_results(f"First window after {self.settings['span']:g} s of video…")
        self.video.clear()
        self.video.set_placeholder(f"Opening {s.name}…", "")
        self.whole_box.setEnabled(s.is_file)
        self.timeline.setVisible(s.is_file)
        self.page.source_label.setText(s.name)
        self.video.caption = s.name
        self.setWindowTitle(f"{s.name} — UMT Desktop")
        if s.is_file:
            self.settings["last_folder"] = str(Path(s.source).parent)
        if self.classifier is None:
            if self.models.job is None:
                self.notifier.warning("Choose a model first: the video starts once a model is loaded",
                                      action=("Models…", self.models.show_manager))
            self.video.set_placeholder("Loading the model…" if self.models.job else "No model loaded",
                                       f"{s.name} will start as soon as a model is ready")
        else:
            self._start_stream(s.source)
            if s.is_file:
                self.classify_whole_video()
        self.update_actions()

    def _start_stream(self, source: str, start: float = 0.0) -> None:
        self.playback.start(start)

    def stop_source(self) -> None:
        self.live.stop()
        self.set_playing(False)

    # ------------------------------------------------------------ drag & drop
    def open_dropped(self, items: list[str]) -> None:
        """What was dropped on the window (the drop overlay hands it over)."""
        self._drop_job = self._drop_survey = None
        if not items:
            self.notifier.error("Nothing to open in what was dropped")
        elif any(os.path.isdir(i) for i in items):  # a folder may hold thousands of files: walked in a job
            job = Job(survey_drop, list(items), name="looking for videos in what was dropped")
            self._drop_job = job
            self.runner.start(job, on_result=lambda survey, job=job: self._dropped(job, survey))
        elif DropChoice.wants_choice(items):
            self.drop_choice.ask(items)
        else:
            self.open_sources(items)

    def _dropped(self, job: Job, survey: DropSurvey) -> None:
        if job is not self._drop_job or self.closing:
            return  # a newer drop since
        self._drop_job = None
        self._drop_survey = survey
        if survey.choice:
            self.drop_choice.ask(survey.items)
        else:
            self.open_sources(survey.items)

    def classify_all(self, items: list[str]) -> None:
        """Every video in `items` (folders searched recursively) classified in the Batch tab."""
        if self.classifier is None:
            self.notifier.warning("Choose a model first: Classify all needs a loaded model",
                                  action=("Models…", self.models.show_manager))
            return
        view = self.batch_view
        view.span, view.stride = self.settings["span"], self.settings["stride"]
        survey = self._drop_survey
        found = survey.found if survey is not None and survey.items == list(items) else None
        if view.start(self.classifier, items, found=found):
            self.tabs.setCurrentWidget(view)

    def _open_from_batch(self, video: str, seconds: float) -> None:
        """Play a video of the batch from its most confident window (a double-click in the table)."""
        self.tabs.setCurrentWidget(self.page)
        if self.open_sources([video]) and seconds > 0:
            self.seek(seconds)

    # -------------------------------------------------------------- playback
    def toggle_play(self) -> None:
        self.playback.toggle()

    def step(self) -> None:
        self.playback.step()

    def seek(self, seconds: float) -> None:
        self.playback.seek(seconds)

    def show_time(self, t: float) -> None:
        d = self.session.duration
        self.page.time_label.setText(format_time(t) + (f" / {format_time(d)}" if d else ""))

    def set_playing(self, playing: bool) -> None:
        colour = self.palette().color(QPalette.WindowText)
        self.commands.play.setIcon(glyph_icon("pause" if playing else "play", colour))
        self.commands.step.setIcon(glyph_icon("step", colour))
        self.commands.step_back.setIcon(glyph_icon("step-back", colour))
        self.commands.play.setText("&Pause" if playing else "&Play")
        self.update_actions()

    # ---------------------------------------------------------- live results
    def _on_opened(self, duration: float) -> None:
        if duration > 0:
            self.session.duration = duration
            self.timeline.set_duration(duration)

    def _on_frame(self, image: np.ndarray, index: int, t: float) -> None:
        first, held_back = self.session.frame_arrived()
        if first:  # it plays: worth keeping in Open recent (a source that never opened is not)
            self.settings.add_recent_file(self.source)
            if held_back:
                self.notifier.error(held_back)
        self.video.set_frame(image, index, t)
        if first:
            self.update_actions()  # a frame to save
        self.timeline.set_position(t)
        self.show_time(t)

    def _on_window(self, result, thumbs: dict | None = None) -> None:
        self.session.add_window(result)
        smooth, raw = result.smoothed, result.probs
        rows = [ScoreRow(t.index, t.label, t.score, float(raw[t.index])) for t in smooth]
        self.live_panel.set_rows(rows, dimmed=not result.confident)
        top = smooth[0]
        self.video.set_prediction(top.label, top.score, top.index, result.confident, result.t, source="live")
        self.page.live_header.setText(f"window {format_time(result.start)}–{format_time(result.t)} · "
                                      f"frames {result.frames[0]}–{result.frames[-1]}")
        self.chart.add_window(result.smoothed_probs, result.t)
        self.timeline.add_entry(TimelineEntry((result.start + result.t) / 2, top.index, top.label, top.score,
                                              result.confident, end=result.t))
        thumbs = thumbs or {}
        self.filmstrip.set_frames([(i, thumbs.get(i)) for i in result.frames], top.index, result.confident)
        self.explain_view.on_window(result)
        self.predictions_shown += 1
        if self.predictions_shown == 1:
            self.update_actions()  # results to export
        self.predictionShown.emit(result)
        self.playback.on_window()

    def _on_metrics(self, m) -> None:
        set_status(self.status_fps, f"{m.windows_per_second:.1f} windows/s")
        set_status(self.status_latency, f"latency {m.latency_ms:.0f} ms · model {m.inference_ms:.0f} ms")
        set_status(self.status_dropped, f"dropped {m.dropped}" if m.dropped else "")

    def _on_stream_error(self, message: str) -> None:
        self._source_failed(message, self.session.runs.current)

    def _source_failed(self, message: str, run) -> None:
        """The source cannot be played: one message, no panel left saying otherwise."""
        if not self.session.fail(message, run):
            return  # said already (or about a source no longer shown)
        self.notifier.error(message)
        s = self.session
        if not s.windows:  # nothing came: clear what an earlier source or the waiting text left
            self.page.clear_results("No windows: this source could not be played",
                                    "No whole-video result" if s.is_file else WHOLE_EMPTY)
            self.video.clear()
            self.video.set_placeholder(f"Cannot play {s.name}", message)
        self.page.whole_progress.setVisible(False)
        self.set_playing(False)
        self._refresh_playlist()

    def _on_stream_finished(self) -> None:
        self.set_playing(False)
        if self.closing:
            return
        held_back = None if self.session.failed else self.session.finish()
        if held_back:
            self.notifier.error(held_back)
        if self.session.is_file and self.session.has_next():
            run = self.session.runs.current
            QTimer.singleShot(800, lambda: self.play_next() if self.session.is_current(run) else None)

    # ------------------------------------------------------ whole-video 4x3
    def classify_whole_video(self) -> Job | None:
        return self.whole_video.classify()

    @property
    def classify_job(self) -> Job | None:
        return self.whole_video.job

    # ----------------------------------------------------------------- export
    def export_data(self) -> dict:
        return self.session.export_data(**self._export_meta())

    def _export_meta(self) -> dict:
        clf = self.classifier
        return {"model": clf.name if clf else None, "device": clf.runtime.label if clf else None,
                "settings": {k: self.settings[k] for k in WINDOW_SETTINGS}}

    def export(self, path: str | Path) -> Path:
        """Write the results as JSON or CSV (by extension); returns the path."""
        try:
            path = self.session.write_export(path, **self._export_meta())
        except OSError as e:
            self.notifier.error(f"Cannot write {path}: {e.strerror or e}")
            raise
        self.notifier.success(f"Exported {len(self.results)} windows to {path.name}")
        return path

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

    # --------------------------------------------------------------- settings
    def show_preferences(self):
        """File -> Preferences: applied to the running view when OK is pressed."""
        from .dialogs.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.apply_window_settings(dialog.values()))
        dialog.open()  # window-modal without blocking the event loop: the video keeps playing
        return dialog

    show_window_settings = show_preferences

    def apply_window_settings(self, values: dict) -> None:
        """New span/stride/smoothing/threshold/top-k; a running file restarts where it is."""
        for key, value in values.items():
            self.settings[key] = value  # validated by Settings (raises on a bad value)
        self.live_panel.set_k(self.settings["topk"])
        self.whole_panel.set_k(self.settings["topk"])
        if self.live.running() and self.source:
            here = 0.0 if self.session.is_live else max(0.0, self.timeline.position - self.settings["span"])
            self.chart.clear()
            self._start_stream(self.source, start=here)

    def set_theme(self, theme: str) -> None:
        self.settings["theme"] = theme
        apply_theme(QApplication.instance(), theme)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_shown", False):
            self._shown = True
            window_state.restore_split(self)

    def changeEvent(self, event) -> None:
        # The glyph icons are drawn in the text colour: redraw them whenever the palette changes
        # (View → Theme, Preferences, or the system's own light/dark switch).
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange) and hasattr(self, "commands"):
            self.set_playing(self.live.running() and not self.live.paused())
        elif event.type() == QEvent.WindowStateChange and hasattr(self, "commands"):
            self.commands.full_screen.setChecked(self.isFullScreen())  # also when the system changed it
            self.commands.leave_full_screen.setEnabled(self.isFullScreen())
        super().changeEvent(event)

    def show_about(self):
        from .dialogs.about import AboutDialog

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_shortcuts(self):
        from .dialogs.help import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_documentation(self) -> None:
        from .dialogs.help import open_documentation

        if open_documentation() is None:
            self.notifier.info("The guide to this window is docs/gui.md in the UMT Desktop source distribution")

    def update_actions(self) -> None:
        a, s = getattr(self, "commands", None), self.session
        if a is None:
            return
        has_source = s.source is not None
        running = self.live.running()
        a.play.setEnabled(has_source and self.classifier is not None and not s.failed)
        seekable = s.is_file and self.classifier is not None and not s.failed
        a.step.setEnabled(running)
        for action in (a.step_back, a.forward, a.back):
            action.setEnabled(seekable)
        a.stop.setEnabled(running)
        a.export.setEnabled(s.can_export())
        a.snapshot.setEnabled(self.video.image is not None)
        a.reclassify.setEnabled(has_source and self.classifier is not None and s.is_file and not s.failed)
        a.next.setEnabled(s.has_next())
        a.previous.setEnabled(s.has_previous())

    # --------------------------------------------------------------- shutdown
    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop the stream (releasing the camera) and every job; True when all threads ended."""
        self.closing = True
        ok = self.live.shutdown(timeout)
        self.models.shutdown()
        return self.runner.shutdown(timeout) and ok

    def closeEvent(self, event) -> None:
        if self.settings_persist:
            window_state.save(self)
        self.shutdown()
        self.models.close()
        self.eval_panel.shutdown()
        super().closeEvent(event)

    @property
    def _closing(self) -> bool:  # the name the test fixtures check
        return self.closing
