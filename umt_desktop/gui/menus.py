"""Actions, menus, tool bar and status bar of the main window: the one place they are declared.

`build(window)` creates every QAction (text, icon; the keys from the one table in
`shortcuts.py`), connects it to the window's slot, and lays out the menu bar, tool bar and status bar. A new menu
entry or dialog is one line in `_menus` plus the slot it calls. Each action is
also added to the window itself, so its shortcut works while the menu bar is
hidden (full screen).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QSizePolicy, QStyle, QToolBar, QToolButton, QWidget

from . import file_dialogs
from .playback import SPEEDS
from .shortcuts import SHORTCUTS, apply_shortcuts
from .widgets.device_selector import DeviceSelector


class Actions:
    """The window's actions by name (`actions.play`, `actions.export`, ...)."""

    def __init__(self, window) -> None:
        style = window.style()

        def make(text, slot, icon=None) -> QAction:
            a = QAction(text, window)
            if icon is not None:
                a.setIcon(style.standardIcon(icon))
            a.triggered.connect(slot)
            return a

        w = window
        # Keys come from the one table in shortcuts.py (also shown by Help -> Keyboard shortcuts).
        self.open = make("&Open video…", lambda: file_dialogs.choose_files(w), QStyle.SP_DialogOpenButton)
        self.url = make("Open stream &URL…", lambda: file_dialogs.choose_url(w))
        self.export = make("&Export results…", lambda: file_dialogs.choose_export(w), QStyle.SP_DialogSaveButton)
        self.snapshot = make("Save &snapshot…", lambda: file_dialogs.choose_snapshot(w))
        self.preferences = make("&Preferences…", w.show_preferences)
        self.preferences.setMenuRole(QAction.PreferencesRole)
        self.window_settings = self.preferences  # the name it had before it was a full dialog
        self.quit = make("&Quit", w.close)
        self.play = make("&Pause", w.toggle_play, QStyle.SP_MediaPause)
        self.step = make("&Step one window", w.step, QStyle.SP_MediaSeekForward)
        self.step_back = make("Step one window &back", w.playback.step_back, QStyle.SP_MediaSeekBackward)
        self.forward = make("&Forward one stride", lambda: w.playback.seek_by(+1))
        self.back = make("Back one stri&de", lambda: w.playback.seek_by(-1))
        self.speeds: dict[float, QAction] = {}
        speeds = QActionGroup(window)
        for speed in SPEEDS:
            a = QAction(f"{speed:g}×", window, checkable=True)
            a.setChecked(speed == 1.0)
            a.triggered.connect(lambda _=False, speed=speed: w.playback.set_speed(speed))
            speeds.addAction(a)
            self.speeds[speed] = a
        self.stop = make("S&top", w.stop_source, QStyle.SP_MediaStop)
        self.next = make("&Next in playlist", w.play_next, QStyle.SP_MediaSkipForward)
        self.previous = make("P&revious in playlist", w.play_previous, QStyle.SP_MediaSkipBackward)
        self.reclassify = make("Classify whole video (&4×3)", w.classify_whole_video)
        self.models = make("&Models…", w.models.show_manager, QStyle.SP_DriveHDIcon)
        self.documentation = make("&Documentation", w.show_documentation, QStyle.SP_DialogHelpButton)
        self.shortcuts = make("&Keyboard shortcuts", w.show_shortcuts)
        self.about = make("&About UMT Desktop", w.show_about)
        self.about.setMenuRole(QAction.AboutRole)
        self.models_folder = make("Open the &models folder", w.models.open_folder)
        self.full_screen = QAction("&Full screen", window, checkable=True)
        self.full_screen.toggled.connect(lambda on: w.showFullScreen() if on else w.showNormal())
        self.explain = QAction("&Why this label (saliency maps)", window, checkable=True)
        self.explain.setToolTip("Show where the model looked in the current window's 8 frames, for its top class "
                                "(click another class in the live panel to see its map)")
        self.explain.toggled.connect(w.explain_view.set_on)
        self.playlist_remove = w.page.playlist.remove_action  # Delete, while the playlist has the focus
        self.leave_full_screen = make("Leave full screen", lambda: self.full_screen.setChecked(False))
        self.leave_full_screen.setEnabled(False)  # only while full screen: Esc stays free otherwise
        apply_shortcuts({row.action: getattr(self, row.action) for row in SHORTCUTS})
        self.themes: dict[str, QAction] = {}
        group = QActionGroup(window)
        for key, text in (("system", "&System"), ("light", "&Light"), ("dark", "&Dark")):
            a = QAction(text, window, checkable=True)
            a.setChecked(w.settings["theme"] == key)
            a.triggered.connect(lambda _=False, key=key: w.set_theme(key))
            group.addAction(a)
            self.themes[key] = a
        for a in (self.open, self.url, self.play, self.step, self.step_back, self.forward, self.back, self.export,
                  self.snapshot, self.models, self.next, self.previous, self.stop, self.full_screen,
                  self.preferences, self.documentation, self.shortcuts, self.leave_full_screen, self.explain):
            window.addAction(a)  # shortcuts work while the menu bar is hidden (full screen)


def build(window) -> Actions:
    """Actions, menus, tool bar and status bar for `window` (a MainWindow)."""
    actions = Actions(window)
    _menus(window, actions)
    _toolbar(window, actions)
    _statusbar(window)
    return actions


def _menus(w, a: Actions) -> None:
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a.open)
    w.recent_menu = file_menu.addMenu("Open &recent")
    w.recent_menu.aboutToShow.connect(lambda: file_dialogs.fill_recent_menu(w))
    w.camera_menu = file_menu.addMenu("&Camera")
    w.camera_menu.aboutToShow.connect(lambda: file_dialogs.fill_camera_menu(w))
    file_menu.addAction(a.url)
    file_menu.addSeparator()
    file_menu.addAction(a.export)
    file_menu.addAction(a.snapshot)
    file_menu.addSeparator()
    file_menu.addAction(a.preferences)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)

    play_menu = bar.addMenu("&Playback")
    for action in (a.play, a.step, a.step_back, a.forward, a.back, a.stop):
        play_menu.addAction(action)
    w.speed_menu = play_menu.addMenu("Spee&d")
    for action in a.speeds.values():
        w.speed_menu.addAction(action)
    for action in (None, a.previous, a.next, None, a.reclassify):
        play_menu.addSeparator() if action is None else play_menu.addAction(action)

    model_menu = bar.addMenu("&Model")
    model_menu.addAction(a.models)
    w.model_list_menu = model_menu.addMenu("&Use model")
    w.model_list_menu.aboutToShow.connect(lambda: w.models.fill_menu(w.model_list_menu, a.models))

    view_menu = bar.addMenu("&View")
    theme_menu = view_menu.addMenu("&Theme")
    for action in a.themes.values():
        theme_menu.addAction(action)
    view_menu.addAction(a.explain)
    view_menu.addSeparator()
    view_menu.addAction(a.full_screen)

    help_menu = bar.addMenu("&Help")
    for action in (a.documentation, a.shortcuts, None, a.models_folder, None, a.about):
        help_menu.addSeparator() if action is None else help_menu.addAction(action)
    w.menus = {"file": file_menu, "playback": play_menu, "model": model_menu, "view": view_menu,
               "theme": theme_menu, "help": help_menu}


def _toolbar(w, a: Actions) -> None:
    tb = QToolBar("Main")
    tb.setObjectName("main-toolbar")
    tb.setMovable(False)
    tb.setIconSize(QSize(20, 20))
    tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    tb.addAction(a.open)
    camera_button = QToolButton()
    camera_button.setText("Camera")
    camera_button.setIcon(w.style().standardIcon(QStyle.SP_ComputerIcon))
    camera_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    camera_button.setPopupMode(QToolButton.InstantPopup)
    camera_button.setMenu(w.camera_menu)
    tb.addWidget(camera_button)
    tb.addSeparator()
    tb.addAction(a.export)
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
    tb.addWidget(spacer)
    tb.addWidget(QLabel(" Model "))
    w.model_box = QComboBox()
    w.model_box.setMinimumContentsLength(18)
    w.model_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    w.model_box.setToolTip("Active model (installed models and the checkpoint given on the command line)")
    tb.addWidget(w.model_box)
    tb.addAction(a.models)
    tb.addSeparator()
    w.device_selector = DeviceSelector(w.settings["device"], w.settings["precision"])
    tb.addWidget(w.device_selector)
    w.addToolBar(tb)
    w.toolbar = tb


def _statusbar(w) -> None:
    sb = w.statusBar()
    w.load_progress = QProgressBar()
    w.load_progress.setMaximumWidth(160)
    w.load_progress.setMaximumHeight(14)
    w.load_progress.setTextVisible(False)
    w.load_progress.setVisible(False)
    sb.addWidget(w.load_progress)
    for name, text, tip in (
        ("status_model", "No model", "Active model"),
        ("status_device", "", "Device and precision"),
        ("status_fps", "", "Windows classified per second"),
        ("status_latency", "", "Capture-to-result latency and model time of the last window"),
        ("status_dropped", "", "Windows skipped because the model was busy"),
    ):
        label = QLabel(text)
        label.setToolTip(tip)
        label.setVisible(bool(text))  # shown once they have something to say
        setattr(w, name, label)
        sb.addPermanentWidget(label)


def set_status(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))
