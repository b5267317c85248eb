"""Desktop conventions of the main window: F11 full screen, the layout and tab remembered,
and feedback while files are dragged over the window."""

from __future__ import annotations

import warnings

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from tests.helpers.gui import menu_action

from umt_desktop.core.settings import Settings


def test_f11_toggles_full_screen_and_the_view_menu_shows_it(qtbot, make_window):
    w = make_window(model=None, wait=False)
    entry = menu_action(w, "View", "Full screen")
    assert entry.shortcut().toString() == "F11"  # what the menu shows next to the entry
    w.activateWindow()
    qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=5000)
    qtbot.keyClick(w, Qt.Key_F11)
    qtbot.waitUntil(lambda: w.isFullScreen(), timeout=5000)
    assert entry.isChecked()
    qtbot.keyClick(w, Qt.Key_Escape)  # Esc leaves full screen
    qtbot.waitUntil(lambda: not w.isFullScreen(), timeout=5000)
    assert not entry.isChecked()
    entry.trigger()  # and the menu entry does the same
    qtbot.waitUntil(lambda: w.isFullScreen(), timeout=5000)
    qtbot.keyClick(w, Qt.Key_F11)
    qtbot.waitUntil(lambda: not w.isFullScreen(), timeout=5000)


def test_splitter_and_tab_are_remembered(qtbot, make_window):
    from umt_desktop.gui.main_window import MainWindow

    w = make_window(model=None, wait=False)
    w.resize(max(780, w.minimumSizeHint().width()), 700)  # the offscreen screen is 800 wide
    qtbot.waitUntil(lambda: w.page.splitter.sizes()[1] > 0, timeout=5000)
    splitter = w.page.splitter
    before = splitter.sizes()
    handle = splitter.handle(1)
    middle = QPoint(handle.width() // 2, handle.height() // 2)
    qtbot.mousePress(handle, Qt.LeftButton, pos=middle)
    qtbot.mouseMove(handle, QPoint(middle.x() - 120, middle.y()))
    qtbot.mouseRelease(handle, Qt.LeftButton, pos=QPoint(middle.x() - 120, middle.y()))
    qtbot.waitUntil(lambda: splitter.sizes() != before, timeout=5000)
    moved = splitter.sizes()
    assert moved[1] > before[1]  # the right column got wider
    bar = w.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(1).center())
    assert w.tabs.currentIndex() == 1
    size = (w.width(), w.height())
    w.close()

    again = MainWindow(Settings.load(), model=None)
    qtbot.addWidget(again)
    again.show()
    assert (again.width(), again.height()) == size
    assert again.tabs.currentIndex() == 1 and again.tabs.tabText(1) == "Evaluate"
    bar = again.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(0).center())  # back to Classify: the same split
    qtbot.waitUntil(lambda: again.page.splitter.sizes() == moved, timeout=5000)
    again.close()


def _mime(paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _enter(w, mime):
    pos = QPoint(w.width() // 2, w.height() // 2)
    with warnings.catch_warnings():  # PySide marks the only Qt 6 constructor as deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        move = QDragMoveEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, enter)
    QApplication.sendEvent(w, move)
    return enter


def test_dragging_files_over_the_window_says_what_a_drop_would_do(qtbot, make_window, make_video, tmp_path):
    w = make_window(model=None, wait=False)
    video = make_video("clip.mp4", frames=12)
    overlay = w.drop_overlay
    assert not overlay.isVisible()

    enter = _enter(w, _mime([video]))
    assert enter.isAccepted()
    assert overlay.isVisible() and overlay.text == "Drop to open clip.mp4"
    assert overlay.geometry() == w.centralWidget().rect()
    QApplication.sendEvent(w, QDragLeaveEvent())  # dragged away again
    assert not overlay.isVisible()

    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    _enter(w, _mime([notes]))
    assert overlay.isVisible() and not overlay.accepting and overlay.text == "notes.txt is not a video"
    QApplication.sendEvent(w, QDragLeaveEvent())

    other = make_video("other.mp4", frames=12, seed=1)
    _enter(w, _mime([video, other, notes]))
    assert overlay.text == "Drop to play or classify 2 videos (1 other item skipped)"
    QApplication.sendEvent(w, QDragLeaveEvent())

    mime = _mime([video])
    _enter(w, mime)
    assert overlay.isVisible()
    drop = QDropEvent(QPointF(w.width() / 2, w.height() / 2), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(w, drop)
    assert drop.isAccepted() and not overlay.isVisible()  # dropped: the veil goes, the video opens
    assert w.source == str(video)
