"""View → Theme while a video plays: every part of the window takes the new palette at once."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from tests.helpers.gui import menu_action


def _luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _painted(widget) -> list[QColor]:
    """The colours of a row of pixels across the middle of what the widget paints now."""
    image = widget.grab().toImage()
    y = image.height() // 2
    return [image.pixelColor(x, y) for x in range(0, image.width(), max(1, image.width() // 60))]


@pytest.fixture
def light_app():
    from umt_desktop.gui.theme import apply_theme

    apply_theme(QApplication.instance(), "light")
    yield
    apply_theme(QApplication.instance(), "light")


@pytest.mark.parametrize("to, dark", [("Dark", True), ("Light", False)])
def test_switching_theme_while_playing_repaints_every_widget(qtbot, make_window, make_video, light_app, to, dark):
    from umt_desktop.gui.theme import dark_palette, light_palette

    w = make_window()
    if not dark:  # the other way round: start dark, switch to light
        menu_action(w, "View", "Theme", "Dark").trigger()
    w.open_sources([str(make_video("long.mp4", frames=240))])
    qtbot.waitUntil(lambda: w.predictions_shown >= 2, timeout=60000)
    menu_action(w, "View", "Theme", to).trigger()
    assert w.settings["theme"] == to.lower()
    palette = dark_palette() if dark else light_palette()
    window_colour, text_colour = palette.color(QPalette.Window), palette.color(QPalette.WindowText)

    page = w.page
    parts = {
        "menu bar": w.menuBar(), "tool bar": w.toolbar, "status bar": w.statusBar(), "tabs": w.tabs.tabBar(),
        "time label": page.time_label, "source label": page.source_label, "live panel": page.live_panel,
        "whole panel": page.whole_panel, "chart": page.chart,
        "timeline": page.timeline, "filmstrip": page.filmstrip, "Evaluate tab": w.eval_panel,
        "status model": w.status_model, "status fps": w.status_fps,
    }
    for name, widget in parts.items():
        pal = widget.palette()
        assert pal.color(QPalette.Window) == window_colour, name
        assert pal.color(QPalette.WindowText) == text_colour, name
    # Muted captions follow too (their colour is the new palette's, not the old one's).
    assert page.live_header.palette().color(QPalette.Window) == window_colour
    assert page.live_header.palette().color(QPalette.WindowText) != (light_palette() if dark else dark_palette()).color(
        QPalette.Mid)
    # What is painted, not only what is set: backgrounds of the window's chrome follow the theme.
    for name in ("menu bar", "tool bar", "status bar", "tabs"):
        colours = _painted(parts[name])
        background = max(set(c.name() for c in colours), key=[c.name() for c in colours].count)
        assert (QColor(background).lightness() < 100) == dark, (name, background)
    # Text drawn by labels and custom-painted widgets is readable on the new background.
    for name in ("time label", "source label", "status model", "status fps"):
        assert contrast(parts[name].palette().color(QPalette.WindowText), window_colour) >= 4.5, name
    # The transport icons are drawn in the text colour of the new theme.
    icon = w.commands.play.icon().pixmap(32).toImage()
    ink = [icon.pixelColor(x, y) for x in range(32) for y in range(32) if icon.pixelColor(x, y).alpha() > 200]
    assert ink and all(contrast(c, window_colour) >= 4.5 for c in ink)
    # The timeline's tick labels: the darkest (light theme) or lightest (dark) ink under the track.
    timeline = page.timeline.grab().toImage()
    y0 = int(timeline.height() * 0.75)
    ticks = [timeline.pixelColor(x, y) for x in range(timeline.width()) for y in range(y0, timeline.height())]
    best = max(ticks, key=lambda c: contrast(c, window_colour))
    assert contrast(best, window_colour) >= 4.5
