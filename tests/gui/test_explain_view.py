"""Why this label: the saliency toggle over the filmstrip, clicked as a person does, on a real file
played by the real stream worker with the tiny fixture model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from tests.helpers.gui import menu_action

# The window fixture uses span 1 s and stride 0.25 s; the clips run at 24 fps.


def _pixels(widget) -> np.ndarray:
    """What the widget paints, (h, w, 3) RGB."""
    from PySide6.QtGui import QImage

    image = widget.grab().toImage().convertToFormat(QImage.Format_RGB888)
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h).reshape(h, -1)
    return rows[:, : w * 3].reshape(h, w, 3).copy()


def _click_row(qtbot, panel, i):
    qtbot.mouseClick(panel, Qt.LeftButton, pos=panel.row_rect(i).center())


def _open_and_pause(qtbot, w, video):
    w.open_sources([str(video)])
    qtbot.waitUntil(lambda: w.timeline.duration > 0 and w.predictions_shown >= 3, timeout=60000)
    qtbot.mouseClick(w.page.play_button, Qt.LeftButton)
    assert w.live.paused()
    settled = [len(w.results)]

    def still():  # a window already being classified when pause was clicked may still arrive
        qtbot.wait(400)
        done = len(w.results) == settled[0]
        settled[0] = len(w.results)
        return done

    qtbot.waitUntil(still, timeout=30000)
    qtbot.waitUntil(lambda: w.filmstrip.frames and all(img is not None for _, img in w.filmstrip.frames), timeout=10000)


def test_paused_file_maps_on_the_filmstrip_switch_class_on_a_click_and_vanish_when_off(qtbot, make_window, make_video):
    w = make_window()
    _open_and_pause(qtbot, w, make_video("long.mp4", frames=240))
    strip, panel, button = w.filmstrip, w.live_panel, w.page.explain_button
    shown = w.results[-1]
    plain = _pixels(strip)
    assert button.isVisible() and button.isCheckable() and not button.isChecked()
    assert w.live.maps_computed == 0 and strip.heat is None and panel.marked is None

    qtbot.mouseClick(button, Qt.LeftButton)
    assert button.isChecked() and menu_action(w, "View", "Why this label").isChecked()
    qtbot.waitUntil(lambda: strip.showing_heat, timeout=60000)
    heat = strip.heat
    top = shown.smoothed[0]
    assert heat.t == pytest.approx(shown.t) and heat.frames == shown.frames and not strip.heat_older
    assert heat.class_index == top.index and heat.label == top.label
    assert heat.maps.shape[0] == 8 and np.isfinite(heat.maps).all() and 0 <= heat.maps.min() and heat.maps.max() <= 1
    assert panel.marked == top.index  # the panel says which class the map is for
    assert w.page.explain_label.text() == f"where the model looked for: {top.label}"
    with_maps = _pixels(strip)
    assert with_maps.shape == plain.shape and (np.abs(with_maps.astype(int) - plain).sum(axis=2) > 30).sum() > 500
    assert w.results[-1] is shown  # still paused on the same window

    # Another class in the live panel: its map, over the same frames.
    second = panel.rows[1]
    _click_row(qtbot, panel, 1)
    qtbot.waitUntil(lambda: strip.heat is not None and strip.heat.class_index == second.index, timeout=60000)
    assert strip.heat.label == second.label and strip.heat.frames == shown.frames
    assert not np.allclose(strip.heat.maps, heat.maps)
    assert panel.marked == second.index
    assert w.page.explain_label.text() == f"where the model looked for: {second.label}"
    assert (np.abs(_pixels(strip).astype(int) - with_maps).sum(axis=2) > 30).sum() > 100
    # A click on the top class follows the top class again.
    _click_row(qtbot, panel, 0)
    qtbot.waitUntil(lambda: strip.heat is not None and strip.heat.class_index == top.index, timeout=60000)
    computed = w.live.maps_computed
    assert computed >= 3

    # Off: the plain frames again, and nothing more is computed.
    qtbot.mouseClick(button, Qt.LeftButton)
    assert not button.isChecked() and strip.heat is None and panel.marked is None
    assert w.page.explain_label.text() == ""
    np.testing.assert_array_equal(_pixels(strip), plain)
    _click_row(qtbot, panel, 1)  # a class click while off computes nothing either
    qtbot.mouseClick(w.page.play_button, Qt.LeftButton)  # play on: windows come, no maps
    n = len(w.results)
    qtbot.waitUntil(lambda: len(w.results) >= n + 4, timeout=60000)
    qtbot.wait(300)
    assert w.live.maps_computed == computed and w.live.worker.explaining() is False and strip.heat is None


def test_while_playing_maps_follow_the_newest_window_and_stop_when_off(qtbot, make_window, make_video):
    w = make_window()
    w.open_sources([str(make_video("long.mp4", frames=240))])
    qtbot.waitUntil(lambda: w.predictions_shown >= 2, timeout=60000)
    before = w.live.maps_computed
    assert before == 0
    n = len(w.results)
    qtbot.waitUntil(lambda: len(w.results) >= n + 3, timeout=60000)
    assert w.live.maps_computed == 0  # off: windows come, no map is computed

    qtbot.mouseClick(w.page.explain_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: w.filmstrip.showing_heat, timeout=60000)
    first = w.filmstrip.heat
    qtbot.waitUntil(lambda: w.filmstrip.heat.t > first.t, timeout=60000)  # newer windows get theirs
    heat = w.filmstrip.heat
    window = next(r for r in w.results if r.t == pytest.approx(heat.t))  # a map is of one window's frames
    assert heat.frames == window.frames
    assert heat.class_index == window.smoothed[0].index  # for that window's top class
    # Never drawn over other frames: either the shown window's map, or marked as an earlier window's.
    assert w.filmstrip.heat_older == (abs(heat.t - w.results[-1].t) > 1e-6)
    if w.filmstrip.heat_older:
        assert "(the live one's map is coming)" in w.page.explain_label.text()

    qtbot.mouseClick(w.page.explain_button, Qt.LeftButton)
    assert w.filmstrip.heat is None
    qtbot.wait(200)  # a map in progress when it was turned off is not delivered
    computed = w.live.maps_computed
    n = len(w.results)
    qtbot.waitUntil(lambda: len(w.results) >= n + 4, timeout=60000)
    assert w.live.maps_computed == computed and w.filmstrip.heat is None


def test_the_toggle_is_in_the_view_menu_and_the_shortcut_table(qtbot, make_window, make_video):
    from umt_desktop.gui.shortcuts import shortcut

    w = make_window()
    action = menu_action(w, "View", "Why this label")
    assert action.isCheckable() and action is w.commands.explain
    assert shortcut("explain").keys == ("Ctrl+Shift+H",)
    assert action.shortcut() == QKeySequence("Ctrl+Shift+H")
    _open_and_pause(qtbot, w, make_video("clip.mp4", frames=96))
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=5000)
    qtbot.keyClick(w, Qt.Key_H, Qt.ControlModifier | Qt.ShiftModifier)
    assert w.page.explain_button.isChecked()
    qtbot.waitUntil(lambda: w.filmstrip.showing_heat, timeout=60000)
    action.trigger()  # the menu entry turns it off
    assert not w.page.explain_button.isChecked() and w.filmstrip.heat is None


def test_a_failed_map_is_one_line_and_the_toggle_stays_usable(qtbot, make_window, make_video, monkeypatch):
    from umt_desktop.core import explain
    from umt_desktop.core.errors import NumericError

    real = explain.window_saliency
    failing = [True]

    def window_saliency(*args, **kwargs):
        if failing[0]:  # what a checkpoint whose gradients overflow gives
            raise NumericError("the model gave NaN or infinite gradients, so there is no saliency map")
        return real(*args, **kwargs)

    monkeypatch.setattr(explain, "window_saliency", window_saliency)
    w = make_window()
    _open_and_pause(qtbot, w, make_video("clip.mp4", frames=96))
    qtbot.mouseClick(w.page.explain_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "no map for this window" in w.page.explain_label.text(), timeout=60000)
    said = [n.text for n in w.notifier.history if "saliency" in n.text]
    assert said == ["No saliency map for this window: the model gave NaN or infinite gradients, so there is no "
                    "saliency map"]  # one line, once
    assert any("NaN or infinite gradients" in t for t in w.banner.visible_texts())
    assert w.filmstrip.heat is None and w.page.explain_button.isChecked() and w.page.explain_button.isEnabled()
    _click_row(qtbot, w.live_panel, 2)  # fails again: not said twice
    qtbot.wait(1000)
    assert len([n for n in w.notifier.history if "saliency" in n.text]) == 1
    failing[0] = False
    _click_row(qtbot, w.live_panel, 1)  # still usable: another class's map now works
    qtbot.waitUntil(lambda: w.filmstrip.showing_heat, timeout=60000)
    assert w.filmstrip.heat.class_index == w.live_panel.rows[1].index
