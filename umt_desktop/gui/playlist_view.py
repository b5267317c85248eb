"""The playlist: one row per queued source, the one playing marked, failed ones marked with why.

Double click or Enter plays a row; Delete (or the context menu's "Remove from playlist")
takes the selected row out.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QMenu, QStyle, QWidget

from ..core.session import FAILED, PlaylistItem


class PlaylistView(QListWidget):
    """Shows `Session.items`; asks the window to play or remove a row."""

    playRequested = Signal(int)
    removeRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.itemActivated.connect(lambda item: self.playRequested.emit(self.row(item)))
        self.remove_action = QAction("Remove from playlist", self)
        # Its key (Delete) comes from the window's shortcut table, like every other key.
        self.remove_action.setShortcutContext(Qt.WidgetShortcut)
        self.remove_action.triggered.connect(self._remove_current)
        self.addAction(self.remove_action)

    def show_items(self, items: list[PlaylistItem], current: int) -> None:
        selected = self.currentRow()
        self.clear()
        failed_icon = self.style().standardIcon(QStyle.SP_MessageBoxCritical)
        for i, item in enumerate(items):
            mark = "▶  " if i == current else "     "
            row = QListWidgetItem(mark + item.name)
            if item.state == FAILED:
                row.setIcon(failed_icon)
                row.setText(f"{mark}{item.name} — failed")
                row.setToolTip(f"{item.spec}\n{item.error}")
            else:
                row.setToolTip(item.spec)
            self.addItem(row)
        if 0 <= selected < self.count():
            self.setCurrentRow(selected)

    def _remove_current(self) -> None:
        row = self.currentRow()
        if row >= 0:
            self.removeRequested.emit(row)

    def contextMenuEvent(self, event) -> None:
        item = self.itemAt(event.pos())
        if item is None:
            return
        row = self.row(item)
        self.setCurrentRow(row)
        menu = QMenu(self)
        menu.addAction("Play").triggered.connect(lambda: self.playRequested.emit(row))
        menu.addAction(self.remove_action)
        menu.exec(event.globalPos())
