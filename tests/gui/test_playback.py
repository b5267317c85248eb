"""Playing a file as a person does: click the timeline, the transport buttons, the arrow keys,
the speed menu. A seek lands on the end of a window: playhead, frame and window agree."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from tests.helpers.gui import menu_action

# The window fixture uses span 1 s and stride 0.25 s; the clips run at 24 fps.


def _open_and_pause(qtbot, w, video):
    w.open_sources([str(video)])
    qtbot.waitUntil(lambda: w.timeline.duration > 0 and w.predictions_shown >= 2, timeout=60000)
    qtbot.mouseClick(w.page.play_button, Qt.LeftButton)
    assert w.live.paused() and w.commands.play.text() == "&Play"


def _click_timeline(qtbot, w, seconds):
    x = round(w.timeline.x_for(seconds))
    qtbot.mouseClick(w.timeline, Qt.LeftButton, pos=QPoint(x, w.timeline.height() // 3))


def _wait_window_at(qtbot, w, seconds):
    """Until the frame at `seconds` and the window ending there are on screen."""
    qtbot.waitUntil(lambda: w.video.prediction is not None and w.video.prediction["t"] == pytest.approx(seconds)
                    and w.video.frame_time == pytest.approx(seconds), timeout=60000)


def test_clicking_the_timeline_while_paused_shows_that_window_and_stays_paused(qtbot, make_window, make_video):
    w = make_window()
    _open_and_pause(qtbot, w, make_video("long.mp4", frames=240))
    _click_timeline(qtbot, w, 6.0)
    assert w.timeline.position == pytest.approx(6.0)  # where clicked, not one span earlier
    assert w.video.prediction is None  # the old window's label does not sit on the new picture
    _wait_window_at(qtbot, w, 6.0)
    assert w.results[-1].t == pytest.approx(6.0) and w.results[-1].start == pytest.approx(5.0)
    assert w.video.frame_index == 144  # the frame at 0:06.0
    assert w.live_panel.rows and w.live_panel.rows[0].label == w.results[-1].smoothed[0].label
    assert w.live.paused() and w.commands.play.text() == "&Play"
    shown = (len(w.results), w.video.frame_index)
    qtbot.wait(1500)  # paused means paused: no frame, no window
    assert (len(w.results), w.video.frame_index) == shown and w.timeline.position == pytest.approx(6.0)

    qtbot.mouseClick(w.page.play_button, Qt.LeftButton)  # and it plays on from there
    qtbot.waitUntil(lambda: w.results[-1].t > 6.0, timeout=60000)
    assert w.results[-1].t == pytest.approx(6.25)


def test_clicking_the_timeline_while_playing_plays_on_from_there(qtbot, make_window, make_video):
    w = make_window()
    w.open_sources([str(make_video("long.mp4", frames=240))])
    qtbot.waitUntil(lambda: w.timeline.duration > 0 and w.predictions_shown >= 1, timeout=60000)
    _click_timeline(qtbot, w, 7.0)
    assert w.timeline.position == pytest.approx(7.0) and w.video.prediction is None
    qtbot.waitUntil(lambda: w.video.prediction is not None, timeout=60000)
    assert w.video.prediction["t"] == pytest.approx(7.0)
    assert not w.live.paused() and w.commands.play.text() == "&Pause"
    qtbot.waitUntil(lambda: w.results[-1].t > 7.0, timeout=60000)


def test_arrow_keys_step_buttons_and_shortcuts_move_one_stride(qtbot, make_window, make_video):
    w = make_window()
    _open_and_pause(qtbot, w, make_video("long.mp4", frames=240))
    _click_timeline(qtbot, w, 5.0)
    _wait_window_at(qtbot, w, 5.0)
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=5000)
    for press, where in [
        (lambda: qtbot.keyClick(w, Qt.Key_Right), 5.25),
        (lambda: qtbot.keyClick(w, Qt.Key_Left), 5.0),
        (lambda: qtbot.mouseClick(w.page.step_button, Qt.LeftButton), 5.25),
        (lambda: qtbot.mouseClick(w.page.step_back_button, Qt.LeftButton), 5.0),
        (lambda: qtbot.keyClick(w, Qt.Key_Period), 5.25),
        (lambda: qtbot.keyClick(w, Qt.Key_Period), 5.5),
        (lambda: qtbot.keyClick(w, Qt.Key_Comma), 5.25),
    ]:
        press()
        _wait_window_at(qtbot, w, where)
        assert w.timeline.position == pytest.approx(where)
        assert w.live.paused()
    # The Playback menu shows each key.
    for entry, key in [("Forward one stride", "Right"), ("Back one stride", "Left"), ("Step one window back", ","),
                       ("Step one window", ".")]:
        assert menu_action(w, "Playback", entry).shortcut().toString() == key


def test_playback_speed_from_the_menu_and_the_transport(qtbot, make_window, make_video):
    w = make_window()
    w.open_sources([str(make_video("long.mp4", frames=240))])
    qtbot.waitUntil(lambda: w.predictions_shown >= 1, timeout=60000)
    menu_action(w, "Playback", "Speed", "2×").trigger()
    assert w.page.speed_button.text() == "2×"
    assert w.live.source.speed == 2.0
    _click_timeline(qtbot, w, 4.0)  # a new run keeps the speed
    assert w.live.source.speed == 2.0
    menu_action(w, "Playback", "Speed", "0.5×").trigger()
    assert w.live.source.speed == 0.5 and w.page.speed_button.text() == "0.5×"
    assert [a.text() for a in w.page.speed_button.menu().actions()] == ["0.25×", "0.5×", "1×", "1.5×", "2×"]
