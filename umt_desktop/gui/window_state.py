"""The window's size, position and tool bar state, kept in the settings between sessions."""

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


def save(window) -> None:
    """Write the layout and the device choice to the settings file (one line in the banner on failure)."""
    settings = window.settings
    settings["geometry"] = _encode(window.saveGeometry())
    settings["window_state"] = _encode(window.saveState())
    settings["device"] = window.device_selector.device()
    settings["precision"] = window.device_selector.precision()
    try:
        settings.save()
    except OSError as e:
        window.notifier.error(f"Cannot save the settings: {e.strerror or e}")
