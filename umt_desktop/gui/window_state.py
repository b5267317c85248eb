"""The window's layout kept in the settings between sessions: size and position, tool bar,
the split between the video and the results, and the tab shown last."""

from __future__ import annotations

import base64

from PySide6.QtCore import QByteArray


def _decode(text: str) -> QByteArray | None:
    try:
        return QByteArray(base64.b64decode(text))
    except (ValueError, TypeError):
        return None


def _encode(data) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def restore(window) -> None:
    """Geometry and state saved by `save`; a default size when there is none (or it is damaged)."""
    settings = window.settings
    geometry = _decode(settings["geometry"]) if settings["geometry"] else None
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(1280, 800)
    state = _decode(settings["window_state"]) if settings["window_state"] else None
    if state is not None:
        window.restoreState(state)
    tabs = window.tabs
    for i in range(tabs.count()):
        if settings["tab"] and tabs.tabText(i).replace("&", "") == settings["tab"]:
            tabs.setCurrentIndex(i)


def restore_split(window) -> None:
    """The split between the video and the results; once the window is shown (before that
    the splitter has no size of its own to share out)."""
    split = _decode(window.settings["splitter"]) if window.settings["splitter"] else None
    if split is not None:
        window.page.splitter.restoreState(split)


def save(window) -> None:
    """Write the layout and the device choice to the settings file (one line in the banner on failure)."""
    settings = window.settings
    settings["geometry"] = _encode(window.saveGeometry())
    settings["window_state"] = _encode(window.saveState())
    settings["splitter"] = _encode(window.page.splitter.saveState())
    settings["tab"] = window.tabs.tabText(window.tabs.currentIndex()).replace("&", "")
    settings["device"] = window.device_selector.device()
    settings["precision"] = window.device_selector.precision()
    try:
        settings.save()
    except OSError as e:
        window.notifier.error(f"Cannot save the settings: {e.strerror or e}")
