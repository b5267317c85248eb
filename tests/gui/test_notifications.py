"""The one notification path: history, banner stacking, dismissal, no modal boxes."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from umt_desktop.gui.notifications import MAX_VISIBLE, NotificationBanner, Notifier


def test_banner_stacks_dedupes_and_dismisses(qtbot):
    notifier = Notifier()
    banner = NotificationBanner(notifier)
    qtbot.addWidget(banner)
    banner.show()
    assert not banner.isVisible() or banner.visible_texts() == []
    notifier.error("camera 0 is busy")
    notifier.error("camera 0 is busy")  # the same text again replaces, not stacks
    assert banner.visible_texts() == ["camera 0 is busy"]
    for i in range(MAX_VISIBLE + 2):
        notifier.warning(f"warning {i}")
    assert len(banner.visible_texts()) == MAX_VISIBLE
    assert banner.visible_texts()[-1] == f"warning {MAX_VISIBLE + 1}"
    banner.toasts[-1].dismiss()
    assert f"warning {MAX_VISIBLE + 1}" not in banner.visible_texts()
    banner.clear()
    assert banner.visible_texts() == [] and not banner.isVisible()
    assert [n.level for n in notifier.history[:2]] == ["error", "error"]
    assert QApplication.activeModalWidget() is None


def test_info_fades_errors_stay(qtbot):
    notifier = Notifier()
    banner = NotificationBanner(notifier)
    qtbot.addWidget(banner)
    banner.show()
    notifier.info("saved", timeout=0.1)
    notifier.error("download failed: connection refused")
    qtbot.waitUntil(lambda: banner.visible_texts() == ["download failed: connection refused"], timeout=5000)
    qtbot.wait(300)
    assert banner.visible_texts() == ["download failed: connection refused"]


def test_action_button_runs_and_dismisses(qtbot):
    from PySide6.QtWidgets import QPushButton

    notifier = Notifier()
    banner = NotificationBanner(notifier)
    qtbot.addWidget(banner)
    banner.show()
    clicked = []
    notifier.warning("No model is installed yet", action=("Models…", lambda: clicked.append(True)))
    button = banner.toasts[0].findChild(QPushButton)
    button.click()
    assert clicked == [True] and banner.visible_texts() == []
    assert notifier.last("warning").text == "No model is installed yet"


def test_application_icon_and_palettes(qtbot):
    from PySide6.QtGui import QPalette

    from umt_desktop.gui.app import app_icon
    from umt_desktop.gui.theme import dark_palette, light_palette

    icon = app_icon()
    assert not icon.isNull() and max(s.width() for s in icon.availableSizes()) >= 256
    dark, light = dark_palette(), light_palette()
    assert dark.color(QPalette.Window).lightness() < 80 < light.color(QPalette.Window).lightness()
    # Text stays readable on both: strong contrast between window and text.
    for p in (dark, light):
        assert abs(p.color(QPalette.Window).lightness() - p.color(QPalette.WindowText).lightness()) > 150
