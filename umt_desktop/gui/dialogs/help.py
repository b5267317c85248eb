"""Help -> Documentation and Help -> Keyboard shortcuts."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..shortcuts import SHORTCUTS, native_text

GUIDE = "gui.md"


def documentation_url() -> QUrl | None:
    """The guide to the window: docs/gui.md of a source checkout, else the package's documentation URL."""
    here = Path(__file__).resolve()
    for root in here.parents[3:5]:  # <root>/umt_desktop/gui/dialogs/help.py
        guide = root / "docs" / GUIDE
        if guide.is_file():
            return QUrl.fromLocalFile(str(guide))
    try:
        urls = metadata.metadata("umt-desktop").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:  # "Documentation, https://..."
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("documentation", "docs", "homepage", "source") and url.strip():
            return QUrl(url.strip())
    return None


def open_documentation() -> QUrl | None:
    """Open the guide in the desktop's viewer; the URL opened, or None when there is none to open."""
    url = documentation_url()
    if url is not None and QDesktopServices.openUrl(url):
        return url
    return None


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut, from the same table that gives the window's actions their keys."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcuts-dialog")
        layout = QVBoxLayout(self)
        table = QTableWidget(len(SHORTCUTS), 3)
        table.setHorizontalHeaderLabels(["Keys", "Action", "Menu"])
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectRows)
        for r, row in enumerate(SHORTCUTS):
            for c, value in enumerate((native_text(row), row.text, row.section)):
                table.setItem(r, c, QTableWidgetItem(value))
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        self.table = table
        layout.addWidget(table)
        note = QLabel("The video also plays and pauses with a click; the timeline seeks with a click.")
        note.setObjectName("muted")
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(580, 600)

    def rows(self) -> list[tuple[str, str, str]]:
        t = self.table
        return [tuple(t.item(r, c).text() for c in range(3)) for r in range(t.rowCount())]
