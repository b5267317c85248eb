"""The window's file and source choosers: open videos, a stream URL, a camera, a recent
file; where to export the results and save a snapshot. Each takes the MainWindow `w`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit

from ..core.options import is_live_source as is_live_spec
from ..core.video.readers import VIDEO_EXTENSIONS
from .workers import list_cameras


def choose_files(w) -> None:
    patterns = " ".join(f"*{e}" for e in VIDEO_EXTENSIONS)
    files, _ = QFileDialog.getOpenFileNames(w, "Open videos", w.settings["last_folder"],
                                            f"Videos ({patterns});;All files (*)")
    if files:
        w.open_sources(files)


def choose_url(w) -> None:
    url, ok = QInputDialog.getText(w, "Open stream URL", "rtsp://, http(s)://, udp:// … URL:",
                                   QLineEdit.Normal, "rtsp://")
    url = url.strip()
    if ok and url and url != "rtsp://":
        if "://" not in url:
            w.notifier.error(f"{url} is not a stream URL (it needs a scheme such as rtsp:// or http://)")
            return
        w.open_sources([url])


def fill_recent_menu(w) -> None:
    """File → Open recent, filled as it opens."""
    menu = w.recent_menu
    menu.clear()
    recent = w.settings.recent_files()
    if not recent:
        menu.addAction("No recent files").setEnabled(False)
        return
    for i, item in enumerate(recent):
        text = item if is_live_spec(item) else f"{Path(item).name}  —  {Path(item).parent}"
        a = menu.addAction(f"&{i + 1}  {text}" if i < 9 else text)
        a.triggered.connect(lambda _=False, item=item: w.open_sources([item]))
    menu.addSeparator()
    menu.addAction("Clear the list").triggered.connect(lambda: w.settings.__setitem__("recent_files", []))


def fill_camera_menu(w) -> None:
    menu = w.camera_menu
    menu.clear()
    cameras = list_cameras()
    for spec, name in cameras:
        menu.addAction(name).triggered.connect(lambda _=False, spec=spec: w.open_sources([spec]))
    if not cameras:
        menu.addAction("No camera found").setEnabled(False)
        menu.addSeparator()
        menu.addAction("Try camera 0 anyway").triggered.connect(lambda: w.open_sources(["camera:0"]))


def choose_export(w) -> None:
    if not w.session.can_export():
        w.notifier.info("Nothing to export yet: open a video first")
        return
    start = str(Path(w.settings["last_folder"] or ".") / w.session.export_name(".umt.json"))
    path, _ = QFileDialog.getSaveFileName(w, "Export results", start, "JSON (*.json);;CSV (*.csv)")
    if path:
        try:
            w.export(path)
        except OSError:
            pass


def choose_snapshot(w) -> None:
    if w.video.image is None:
        w.notifier.info("No frame to save yet")
        return
    start = str(Path(w.settings["last_folder"] or ".") / w.session.export_name(".png"))
    path, _ = QFileDialog.getSaveFileName(w, "Save snapshot", start, "PNG image (*.png)")
    if path:
        try:
            w.snapshot(path)
        except OSError:
            pass

