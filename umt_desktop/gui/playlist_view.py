"""The playlist: one row per queued source, the one playing marked."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from ..core.session import PlaylistItem


class PlaylistView(QListWidget):
    """Shows `Session.items`; a double click / Enter asks to play a row."""

    playRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.itemActivated.connect(lambda item: self.playRequested.emit(self.row(item)))

    def show_items(self, items: list[PlaylistItem], current: int) -> None:
        self.clear()
        for i, item in enumerate(items):
            row = QListWidgetItem(("▶  " if i == current else "     ") + item.name)
            row.setToolTip(item.spec)
            self.addItem(row)
