"""The Classify tab: video with its transport and timeline on the left, results on the right.

Only layout lives here. The main window fills these widgets from the session and
connects their signals; nothing here decodes, loads or runs a model.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .playlist_view import PlaylistView
from .widgets.filmstrip import Filmstrip
from .widgets.legend import ClassLegend
from .widgets.score_chart import ScoreChart
from .widgets.timeline import Timeline
from .widgets.topk_panel import TopKPanel
from .widgets.video_view import VideoView

LIVE_EMPTY = "Open a video or a camera"
WHOLE_EMPTY = "Whole-video result of a file appears here"
DROP_HINT = ("Drop a video here", "or press Ctrl+O to open one, or pick a camera")


class ClassifyPage(QWidget):
    """Video, transport, timeline and filmstrip | live top-k, whole-video result, chart, playlist."""

    def __init__(self, topk: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.video = VideoView()
        self.timeline = Timeline()
        self.filmstrip = Filmstrip()
        self.time_label = QLabel("")
        self.time_label.setMinimumWidth(120)
        self.play_button = _transport_button()
        self.step_button = _transport_button()
        self.step_back_button = _transport_button()
        self.speed_button = QToolButton()
        self.speed_button.setAutoRaise(True)
        self.speed_button.setPopupMode(QToolButton.InstantPopup)
        self.speed_button.setText("1×")
        self.speed_button.setToolTip("Playback speed of files")
        self.source_label = QLabel("")
        self.source_label.setTextInteractionFlags(Qt.TextSelectableByMouse)

        transport = QHBoxLayout()
        transport.setContentsMargins(0, 0, 0, 0)
        self.transport = transport
        for w in (self.step_back_button, self.play_button, self.step_button, self.time_label, self.speed_button):
            transport.addWidget(w)
        transport.addStretch(1)
        transport.addWidget(self.source_label)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(6)
        lv.addWidget(self.video, 1)
        lv.addLayout(transport)
        lv.addWidget(self.timeline)
        self.timeline_legend = ClassLegend(self.timeline)  # shown and hidden with the timeline
        lv.addWidget(self.timeline_legend)
        # Over the filmstrip: its title, what the saliency maps show, and the toggle (explain_view wires them).
        self.explain_label = _muted("")
        self.explain_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # long class names never widen the window
        self.explain_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.explain_button = QToolButton()
        self.explain_button.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.explain_button.setObjectName("explain-toggle")
        self.explain_button.setStyleSheet(  # on reads as on, in both themes (the highlight pair is >= 4.5:1)
            "QToolButton#explain-toggle { padding: 2px 8px; border: 1px solid palette(mid); border-radius: 4px;"
            " background: palette(button); color: palette(button-text); }"
            "QToolButton#explain-toggle:checked { background: palette(highlight); color: palette(highlighted-text);"
            " border-color: palette(highlight); }")
        strip_header = QHBoxLayout()
        strip_header.setContentsMargins(0, 0, 0, 0)
        strip_header.addWidget(_section_label("Frames of the current window"))
        strip_header.addWidget(self.explain_label, 1)
        strip_header.addWidget(self.explain_button)
        lv.addLayout(strip_header)
        lv.addWidget(self.filmstrip)

        # Right column: live top-k, whole-video result, chart, playlist.
        self.live_panel = TopKPanel(topk, show_raw=True)
        self.live_panel.empty_text = LIVE_EMPTY
        self.live_header = _muted("")
        live_box = QGroupBox("Live · sliding window")
        lb = QVBoxLayout(live_box)
        lb.addWidget(self.live_panel)
        lb.addWidget(self.live_header)
        lb.addWidget(_muted("thick bar: smoothed · thin line: raw window"))

        self.whole_panel = TopKPanel(topk, show_raw=False)
        self.whole_panel.empty_text = WHOLE_EMPTY
        self.whole_header = _muted("")
        self.whole_header.setWordWrap(True)
        self.whole_progress = QProgressBar()
        self.whole_progress.setRange(0, 0)
        self.whole_progress.setMaximumHeight(6)
        self.whole_progress.setTextVisible(False)
        self.whole_progress.setVisible(False)
        self.whole_box = QGroupBox("Whole video · 4 clips × 3 crops")
        wb = QVBoxLayout(self.whole_box)
        wb.addWidget(self.whole_panel)
        wb.addWidget(self.whole_progress)
        wb.addWidget(self.whole_header)

        self.chart = ScoreChart()
        chart_box = QGroupBox("Scores over recent windows")
        QVBoxLayout(chart_box).addWidget(self.chart)

        self.playlist = PlaylistView()
        self.playlist.setMaximumHeight(110)
        self.playlist_box = QGroupBox("Playlist")
        QVBoxLayout(self.playlist_box).addWidget(self.playlist)
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
        self.import_button = QPushButton("Import a checkpoint…")
        self.manager_button = QPushButton("Open the model manager…")
        for w in (text, self.download_default_button, self.import_button, self.manager_button):
            nm.addWidget(w)
        self.no_model_box.setVisible(False)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.setSpacing(8)
        self.result_boxes = [live_box, self.whole_box, chart_box]
        rv.addWidget(self.no_model_box)
        rv.addWidget(live_box)
        rv.addWidget(self.whole_box)
        rv.addWidget(self.playlist_box)  # above the chart: never scrolled out of sight
        rv.addWidget(chart_box, 1)
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
        self.splitter.setObjectName("classify-splitter")
        self.splitter.addWidget(left)
        self.splitter.addWidget(right_scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        page = QVBoxLayout(self)
        page.setContentsMargins(10, 8, 10, 6)
        page.addWidget(self.splitter)

    def set_no_model(self, missing: bool) -> None:
        self.no_model_box.setVisible(missing)
        for box in self.result_boxes:
            box.setVisible(not missing)
        self._right_filler.setVisible(missing)

    def clear_results(self, live_text: str, whole_text: str = WHOLE_EMPTY) -> None:
        """Empty every result view (a new source, or one that failed)."""
        self.timeline.clear()
        self.filmstrip.clear()
        self.chart.clear()
        self.live_panel.clear(live_text)
        self.live_header.setText("")
        self.whole_panel.clear(whole_text)
        self.whole_header.setText("")
        self.whole_header.setToolTip("")
        self.time_label.setText("")


def _transport_button() -> QToolButton:
    button = QToolButton()
    button.setAutoRaise(True)
    button.setIconSize(QSize(22, 22))
    return button


def _section_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("section")
    return label


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    return label
