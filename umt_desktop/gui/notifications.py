"""One path for every message the window shows: a `Notifier` and the banner that displays it.

Workers, dialogs and the main window call `notifier.error(text)` (or `.info`,
`.warning`); the banner at the top of the window shows it without blocking
anything. Errors stay until dismissed, other messages fade after a few seconds.
Nothing here ever opens a modal box.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

log = logging.getLogger(__name__)

LEVELS = ("info", "success", "warning", "error")
_COLOURS = {  # (background, border, text) readable on light and dark palettes
    "info": ("#1f4e79", "#2f6ea8", "#ffffff"),
    "success": ("#1e5631", "#2e7d46", "#ffffff"),
    "warning": ("#7a5a00", "#a57c00", "#ffffff"),
    "error": ("#7f1d1d", "#b42318", "#ffffff"),
}
_ICONS = {"info": "ℹ", "success": "✓", "warning": "⚠", "error": "✕"}
MAX_VISIBLE = 3


@dataclass
class Notification:
    text: str
    level: str = "info"
    timeout: float | None = None  # seconds; None = default for the level
    action: tuple[str, object] | None = None  # (button text, callable)
    time: float = field(default_factory=time.time)


class Notifier(QObject):
    """Collects messages from anywhere in the GUI thread; the banner listens."""

    posted = Signal(object)  # Notification

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history: list[Notification] = []

    def notify(self, text: str, level: str = "info", timeout: float | None = None, action=None) -> Notification:
        if level not in LEVELS:
            level = "info"
        note = Notification(str(text), level, timeout, action)
        self.history.append(note)
        del self.history[:-200]  # bounded: a dying stream may report often
        (log.warning if level in ("warning", "error") else log.info)("%s: %s", level, text)
        self.posted.emit(note)
        return note

    def info(self, text: str, **kw) -> Notification:
        return self.notify(text, "info", **kw)

    def success(self, text: str, **kw) -> Notification:
        return self.notify(text, "success", **kw)

    def warning(self, text: str, **kw) -> Notification:
        return self.notify(text, "warning", **kw)

    def error(self, text: str, **kw) -> Notification:
        return self.notify(text, "error", **kw)

    def last(self, level: str | None = None) -> Notification | None:
        for note in reversed(self.history):
            if level is None or note.level == level:
                return note
        return None


class _Toast(QFrame):
    closed = Signal(object)

    def __init__(self, note: Notification, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = note
        self._dismissed = False
        bg, border, fg = _COLOURS[note.level]
        self.setObjectName("toast")
        self.setStyleSheet(
            f"#toast {{ background: {bg}; border: 1px solid {border}; border-radius: 6px; }}"
            f"#toast QLabel {{ color: {fg}; background: transparent; }}"
            f"#toast QToolButton {{ color: {fg}; border: none; background: transparent; font-weight: bold; }}"
            f"#toast QPushButton {{ color: {fg}; background: rgba(255,255,255,0.15); border: 1px solid {border};"
            " border-radius: 4px; padding: 2px 10px; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        icon = QLabel(_ICONS[note.level])
        icon.setStyleSheet("font-weight: bold;")
        self.label = QLabel(note.text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        row.addWidget(icon)
        row.addWidget(self.label, 1)
        if note.action is not None:
            text, callback = note.action
            button = QPushButton(text)
            button.clicked.connect(callback)
            button.clicked.connect(self.dismiss)
            row.addWidget(button)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        row.addWidget(close)
        timeout = note.timeout if note.timeout is not None else (None if note.level == "error" else 6.0)
        if timeout:
            QTimer.singleShot(int(timeout * 1000), self, self.dismiss)

    def dismiss(self) -> None:
        if self._dismissed:
            return
        self._dismissed = True
        self.hide()
        self.closed.emit(self)
        self.deleteLater()


class NotificationBanner(QWidget):
    """A stack of dismissable messages, newest at the bottom, at most a few at once."""

    def __init__(self, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self._layout.setSpacing(4)
        self.toasts: list[_Toast] = []
        notifier.posted.connect(self.show_notification)
        self.setVisible(False)

    def show_notification(self, note: Notification) -> None:
        # The same text again replaces the older copy instead of stacking up.
        for toast in list(self.toasts):
            if toast.note.text == note.text:
                toast.dismiss()
        toast = _Toast(note, self)
        toast.closed.connect(self._remove)
        self.toasts.append(toast)
        self._layout.addWidget(toast)
        while len(self.toasts) > MAX_VISIBLE:
            self.toasts[0].dismiss()
        self.setVisible(True)

    def visible_texts(self) -> list[str]:
        return [t.note.text for t in self.toasts]

    def clear(self) -> None:
        for toast in list(self.toasts):
            toast.dismiss()

    def _remove(self, toast) -> None:
        if toast in self.toasts:
            self.toasts.remove(toast)
            self._layout.removeWidget(toast)
            toast.hide()
        self.setVisible(bool(self.toasts))


def muted_text_colour(widget: QWidget) -> QColor:
    colour = widget.palette().color(QPalette.WindowText)
    colour.setAlphaF(0.6)
    return colour
