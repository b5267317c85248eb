"""Help -> About, Help -> Documentation, Help -> Keyboard shortcuts and File -> Preferences, used as a person does."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Slot, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from umt_desktop.core.model.zoo import zoo
from umt_desktop.core.options import EMA_ALPHA, MEAN_WINDOWS, SPAN, STRIDE, THRESHOLD, TOPK
from umt_desktop.gui.shortcuts import SHORTCUTS, key_sequences, native_text


def menu_action(window, menu: str, text: str) -> QAction:
    """The action a person clicks: `menu` in the menu bar, then the entry whose text starts with `text`."""
    top = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu)
    for action in top.actions():
        if action.text().replace("&", "").startswith(text):
            assert action.isVisible() and action.isEnabled(), f"{menu} -> {text} cannot be clicked"
            return action
    raise AssertionError(f"no {text!r} in the {menu} menu: {[a.text() for a in top.actions()]}")


def open_dialog(qtbot, window, menu: str, text: str, object_name: str):
    menu_action(window, menu, text).trigger()
    qtbot.waitUntil(lambda: _dialog(window, object_name) is not None, timeout=5000)
    return _dialog(window, object_name)


def _dialog(window, object_name: str):
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == object_name and widget.isVisible():
            return widget
    return None


def test_help_about_opens_a_dialog_with_versions_and_model_licences(qtbot, make_window):
    import torch

    w = make_window(model=None)
    dialog = open_dialog(qtbot, w, "Help", "About", "about-dialog")
    versions = dict(dialog.versions)
    from umt_desktop import __version__

    assert versions["UMT Desktop"] == __version__
    assert qVersion() in versions["Qt"]
    assert versions["PyTorch"] == torch.__version__
    assert "CUDA" in versions
    # The licence of every zoo model, as the table shows it.
    table = dialog.licence_table
    shown = {table.item(r, 1).text(): table.item(r, 3).text() for r in range(table.rowCount())}
    assert shown == {e.name: e.license for e in zoo().values()}
    # Copy versions puts them on the clipboard, e.g. for a bug report.
    qtbot.mouseClick(dialog.copy_button, Qt.LeftButton)
    assert f"PyTorch: {torch.__version__}" in QApplication.clipboard().text()
    close = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Close)
    qtbot.mouseClick(close, Qt.LeftButton)
    qtbot.waitUntil(lambda: _dialog(w, "about-dialog") is None, timeout=5000)
    assert w.notifier.last("info") is None or "UMT Desktop 0" not in w.notifier.last("info").text  # not a banner


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_help_documentation_opens_the_guide(qtbot, make_window):
    w = make_window(model=None)
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")  # Qt's own hook for what the desktop would open
    QDesktopServices.setUrlHandler("https", catcher, "open")
    try:
        menu_action(w, "Help", "Documentation").trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
        QDesktopServices.unsetUrlHandler("https")
    assert len(catcher.urls) == 1
    guide = Path(catcher.urls[0].toLocalFile())
    assert guide.name == "gui.md" and guide.is_file()
    assert "Keyboard" in guide.read_text(encoding="utf-8")


def test_keyboard_shortcuts_lists_every_shortcut_the_window_has(qtbot, make_window):
    w = make_window(model=None)
    dialog = open_dialog(qtbot, w, "Help", "Keyboard shortcuts", "shortcuts-dialog")
    rows = dialog.rows()
    assert rows == [(native_text(s), s.text, s.section) for s in SHORTCUTS]
    listed = {k.toString(QKeySequence.PortableText) for s in SHORTCUTS for k in key_sequences(s)}
    # Every key any action of the window answers to is in the list, and means what the list says.
    for action in w.findChildren(QAction):
        for seq in action.shortcuts():
            key = seq.toString(QKeySequence.PortableText)
            assert key in listed, f"{action.text()!r} has {key}, which Help -> Keyboard shortcuts does not list"
    # The menus show the same keys as the list.
    about_keys = {s.action: s.keys[0] for s in SHORTCUTS}
    assert w.commands.open.shortcut().toString(QKeySequence.PortableText) == about_keys["open"]
    assert w.commands.preferences.shortcut().toString(QKeySequence.PortableText) == about_keys["preferences"]
    assert w.commands.full_screen.shortcut().toString(QKeySequence.PortableText) == "F11"
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Close), Qt.LeftButton)
    qtbot.waitUntil(lambda: _dialog(w, "shortcuts-dialog") is None, timeout=5000)

    # The shortcut of the list itself opens it.
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    qtbot.keyClick(w, Qt.Key_Slash, Qt.ControlModifier)
    qtbot.waitUntil(lambda: _dialog(w, "shortcuts-dialog") is not None, timeout=5000)
    _dialog(w, "shortcuts-dialog").close()


def _choose(qtbot, combo, data: str, key) -> None:
    """Press `key` (an arrow) on the focused combo box until it shows the entry whose data is `data`."""
    combo.setFocus()
    while combo.currentData() != data:
        qtbot.keyClick(combo, key)


def _type(qtbot, spin, text: str) -> None:
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key_Tab)


def test_preferences_change_the_live_engine(qtbot, make_window, make_video, drop):
    w = make_window()
    drop(w, [make_video("long.mp4", frames=480)])  # 20 s: still playing when OK is pressed
    qtbot.waitUntil(lambda: w.predictions_shown >= 1, timeout=60000)
    dialog = open_dialog(qtbot, w, "File", "Preferences", "preferences-dialog")

    # The controls take the bounds the settings and the engine check against.
    assert (dialog.span.minimum(), dialog.span.maximum()) == (SPAN.low, SPAN.high)
    assert (dialog.stride.minimum(), dialog.stride.maximum()) == (STRIDE.low, STRIDE.high)
    assert (dialog.threshold.minimum(), dialog.threshold.maximum()) == (THRESHOLD.low, THRESHOLD.high)
    assert (dialog.topk.minimum(), dialog.topk.maximum()) == (TOPK.low, TOPK.high)
    assert dialog.mean_windows.maximum() == MEAN_WINDOWS.high and dialog.ema_alpha.maximum() == EMA_ALPHA.high

    # Smoothing is a choice plus a number, not CLI syntax: pick "Moving average", type 7.
    _choose(qtbot, dialog.smoothing_kind, "mean", Qt.Key_Down)
    assert dialog.smoothing_value.currentWidget().isAncestorOf(dialog.mean_windows)
    assert dialog.mean_windows.isVisible() and not dialog.ema_alpha.isVisible()
    _type(qtbot, dialog.mean_windows, "7")
    _type(qtbot, dialog.span, "1.5")
    _type(qtbot, dialog.threshold, "0.2")
    _type(qtbot, dialog.topk, "3")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)

    assert w.settings["smoothing"] == "mean:7"
    assert w.settings["span"] == 1.5 and w.settings["threshold"] == 0.2 and w.settings["topk"] == 3
    # The running view restarts with them.
    qtbot.waitUntil(lambda: w.live.engine is not None and str(w.live.engine.smoothing) == "mean:7"
                    and w.live.engine.span == 1.5, timeout=30000)
    assert w.live_panel.k == 3

    # Cancel leaves everything as it is; EMA takes its weight from its own box.
    dialog = open_dialog(qtbot, w, "File", "Preferences", "preferences-dialog")
    assert dialog.smoothing_kind.currentData() == "mean" and dialog.mean_windows.value() == 7
    _choose(qtbot, dialog.smoothing_kind, "ema", Qt.Key_Up)
    _type(qtbot, dialog.ema_alpha, "0.25")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Cancel), Qt.LeftButton)
    assert w.settings["smoothing"] == "mean:7"
    dialog = open_dialog(qtbot, w, "File", "Preferences", "preferences-dialog")
    _choose(qtbot, dialog.smoothing_kind, "ema", Qt.Key_Up)
    _type(qtbot, dialog.ema_alpha, "0.25")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    assert w.settings["smoothing"] == "ema:0.25"
