"""Fixtures of the GUI tests: real windows, real worker threads, real video files."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("PySide6")


@pytest.fixture
def make_video(tmp_path):
    from tests.helpers.videos import write_video

    def make(name: str = "clip.mp4", frames: int = 48, size=(160, 120), fps: float = 24.0, seed: int = 0):
        return write_video(tmp_path / name, frames=frames, size=size, fps=fps, seed=seed)

    return make


@pytest.fixture
def settings():
    from umt_desktop.core.settings import Settings

    s = Settings.load()
    # Short windows so the small test clips give several predictions.
    s["span"] = 1.0
    s["stride"] = 0.25
    return s


@pytest.fixture
def make_window(qtbot, settings, tiny_checkpoint):
    """A main window with the tiny model loaded; closed and checked for leftover threads at the end."""
    from umt_desktop.gui.main_window import MainWindow

    windows = []

    def make(model: str | None = "tiny", wait: bool = True) -> MainWindow:
        source = str(tiny_checkpoint) if model == "tiny" else model
        w = MainWindow(settings, model=source)
        qtbot.addWidget(w)
        w.show()
        windows.append(w)
        if wait and source:
            qtbot.waitUntil(lambda: w.classifier is not None, timeout=60000)
        return w

    yield make
    from PySide6.QtCore import QThreadPool

    for w in windows:
        if not w._closing:
            w.close()
        assert all(t.isFinished() for t in w.live.threads())
    assert QThreadPool.globalInstance().waitForDone(30000)


def drop_files(widget, paths):
    """Send a real QDropEvent with file URLs (what a file manager sends) to `widget`."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    with warnings.catch_warnings():  # PySide marks the only Qt 6 constructor as deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, drop)
    return drop


@pytest.fixture
def drop():
    return drop_files
