"""Dragging files over the window and dropping them: while something is dragged, a veil
over the window says what a drop would open ("Drop to open clip.mp4") or why it would not
("notes.txt is not a video"); a drop hands the items to the window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QWidget

from ..core.options import is_live_source
from ..core.session import sort_inputs


def dropped_items(mime) -> list[str]:
    """The sources named by dragged or dropped data: local files, URLs, or lines of text."""
    if mime.hasUrls():
        return [url.toLocalFile() if url.isLocalFile() else url.toString() for url in mime.urls()]
    if mime.hasText():
        return [line.strip() for line in mime.text().splitlines() if line.strip()]
    return []


def drop_message(items: list[str]) -> tuple[bool, str]:
    """(whether a drop would open something, what to say about it)."""
    good, bad = sort_inputs(items)
    if not good:
        return False, bad[0] if len(bad) == 1 else f"{bad[0]} (and {len(bad) - 1} more): nothing to open"
    first = good[0] if is_live_source(good[0]) else Path(good[0]).name
    text = f"Drop to open {first}" if len(good) == 1 else f"Drop to play or classify {len(good)} videos"
    if bad:
        text += f" ({len(bad)} other item{'s' if len(bad) > 1 else ''} skipped)"
    return True, text


class DropOverlay(QWidget):
    """Covers `parent` while something is dragged over `window`; `on_drop(items)` gets a drop.

    It watches the window's drag events itself, so the window needs no drag handlers."""

    def __init__(self, window: QWidget, parent: QWidget, on_drop) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.accepting = True
        self.text = ""
        self.on_drop = on_drop
        self.hide()
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        parent.installEventFilter(self)

    def show_for(self, items: list[str]) -> bool:
        """Show what dropping `items` would do; returns whether it would open something."""
        self.accepting, self.text = drop_message(items)
        self.setGeometry(self.parentWidget().rect())
        self.raise_()
        self.show()
        self.update()
        return self.accepting

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.parentWidget():
            if kind == QEvent.Resize and self.isVisible():
                self.setGeometry(self.parentWidget().rect())
            return False
        if kind == QEvent.DragEnter:
            mime = event.mimeData()
            if mime.hasUrls() or mime.hasText():
                # Accepted even when nothing can be opened: the drop then says why in the banner.
                event.acceptProposedAction()
                self.show_for(dropped_items(mime))
            return True
        if kind == QEvent.DragMove:
            if event.mimeData().hasUrls() or event.mimeData().hasText():
                event.acceptProposedAction()
            return True
        if kind == QEvent.DragLeave:
            self.hide()
            return True
        if kind == QEvent.Drop:
            self.hide()
            event.acceptProposedAction()
            self.on_drop(dropped_items(event.mimeData()))
            return True
        return False

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        veil = QColor(pal.color(QPalette.Window))
        veil.setAlpha(200)
        p.fillRect(self.rect(), veil)
        accent = pal.color(QPalette.Highlight) if self.accepting else QColor(180, 35, 24)
        box = QRectF(self.rect()).adjusted(28, 28, -28, -28)
        p.setPen(QPen(accent, 3, Qt.DashLine))
        p.setBrush(Qt.NoBrush)
        p.drawRoundedRect(box, 16, 16)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        p.setFont(font)
        # The message on a solid card, readable whatever lies under the veil.
        fm = p.fontMetrics()
        width = min(box.width() - 48, fm.horizontalAdvance(self.text) + 56)
        card = fm.boundingRect(0, 0, int(width) - 40, 10_000, Qt.AlignCenter | Qt.TextWordWrap, self.text)
        height = card.height() + 36
        card_rect = QRectF(box.center().x() - width / 2, box.center().y() - height / 2, width, height)
        p.setPen(QPen(accent, 2))
        p.setBrush(pal.color(QPalette.Window))
        p.drawRoundedRect(card_rect, 12, 12)
        p.setPen(pal.color(QPalette.WindowText))
        p.drawText(card_rect.adjusted(20, 0, -20, 0), Qt.AlignCenter | Qt.TextWordWrap, self.text)
