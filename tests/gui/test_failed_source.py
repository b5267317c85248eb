"""A source that cannot be played, as a person meets it: one message, no panel pretending
otherwise, the playlist says which one failed and lets it go, Open recent stays clean."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication
from tests.helpers.gui import menu_action, menu_texts


def _errors(w):
    return [n.text for n in w.notifier.history if n.level == "error"]


def _select_row(qtbot, playlist, row):
    rect = playlist.visualItemRect(playlist.item(row))
    qtbot.mouseClick(playlist.viewport(), Qt.LeftButton, pos=rect.center())
    assert playlist.currentRow() == row


def test_a_corrupt_file_is_one_message_clears_the_panels_and_can_be_removed(qtbot, make_window, make_video,
                                                                              drop, tmp_path):
    w = make_window()
    good = make_video("good.mp4", frames=48)
    drop(w, [good])
    qtbot.waitUntil(lambda: w.predictions_shown >= 1 and w.whole is not None, timeout=60000)  # panels full
    broken = tmp_path / "corrupt.mp4"
    broken.write_bytes(b"\x00not really a video" * 500)
    drop(w, [broken])
    assert w.source == str(broken)
    qtbot.waitUntil(lambda: bool(_errors(w)), timeout=60000)
    qtbot.waitUntil(lambda: not w.live.running() and w.classify_job is None, timeout=60000)
    qtbot.wait(300)  # anything else that was going to say something has said it

    assert len(_errors(w)) == 1 and "corrupt.mp4" in _errors(w)[0]  # the stream and the 4x3 job: one message
    assert [t for t in w.banner.visible_texts() if "corrupt.mp4" in t] == _errors(w)
    # Nothing left from the good file, nothing that says "wait" or "drop a video".
    assert w.video.image is None and w.video.prediction is None
    assert w.video.placeholder[0] == "Cannot play corrupt.mp4" and "corrupt.mp4" in w.video.placeholder[1]
    assert not w.live_panel.rows and "could not be played" in w.live_panel.empty_text
    assert not w.whole_panel.rows and not w.timeline.entries and not w.chart.windows and not w.filmstrip.frames
    # The playlist marks it, shows why, and takes it away with Delete.
    playlist = w.page.playlist
    assert w.playlist_box.isVisibleTo(w) and "failed" in playlist.item(1).text()
    assert "corrupt.mp4" in playlist.item(1).toolTip().splitlines()[-1]
    assert "failed" not in playlist.item(0).text()
    # What cannot act is disabled; Open recent has the good file only.
    for path in [("File", "Export results"), ("File", "Save snapshot"), ("Playback", "Classify whole video"),
                 ("Playback", "Play"), ("Playback", "Step one window back")]:
        assert not menu_action(w, *path).isEnabled(), path
    recent = menu_texts(w, "File", "Open recent")
    assert any("good.mp4" in t for t in recent) and not any("corrupt.mp4" in t for t in recent)
    _select_row(qtbot, playlist, 1)
    qtbot.keyClick(playlist, Qt.Key_Delete)
    assert w.playlist == [str(good)] and w.source is None
    assert not w.playlist_box.isVisibleTo(w)  # one file left, nothing failed
    assert w.video.placeholder[0] != "Cannot play corrupt.mp4"


def test_a_missing_camera_is_marked_failed_and_removed_from_its_context_menu(qtbot, make_window):
    w = make_window()
    assert w.open_sources(["camera:57"])
    qtbot.waitUntil(lambda: bool(_errors(w)), timeout=30000)
    qtbot.waitUntil(lambda: not w.live.running(), timeout=10000)
    qtbot.wait(300)
    assert len(_errors(w)) == 1 and "camera" in _errors(w)[0].lower()
    assert "First window" not in w.live_panel.empty_text and w.video.placeholder[0] == "Cannot play camera:57"
    assert not menu_action(w, "File", "Export results").isEnabled()
    assert not any("camera:57" in t for t in menu_texts(w, "File", "Open recent"))
    playlist = w.page.playlist
    assert w.playlist_box.isVisibleTo(w) and "failed" in playlist.item(0).text()

    def choose_remove():
        menu = QApplication.activePopupWidget()
        remove = next(a for a in menu.actions() if a.text() == "Remove from playlist")
        menu.setActiveAction(remove)
        qtbot.keyClick(menu, Qt.Key_Return)

    QTimer.singleShot(100, choose_remove)
    pos = playlist.visualItemRect(playlist.item(0)).center()
    event = QContextMenuEvent(QContextMenuEvent.Mouse, pos, playlist.viewport().mapToGlobal(pos))
    QApplication.sendEvent(playlist.viewport(), event)
    assert w.playlist == [] and w.source is None
    assert not w.playlist_box.isVisibleTo(w)
