"""The light and dark themes: one palette each, the window's style sheet, and switching live.

Every widget takes its colours from the application palette; custom-painted widgets read
it at paint time, so a switch repaints everything. `apply_theme` is the one place a theme
is set (at start-up and from View -> Theme).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

# Group boxes, muted captions and status bar separators of the main window.
WINDOW_STYLE = (
    "QGroupBox { font-weight: 600; border: 1px solid palette(mid); border-radius: 8px;"
    " margin-top: 1.1em; padding: 8px 8px 6px 8px; }"
    "QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; }"
    "QLabel#muted { color: palette(placeholder-text); }"  # palette.readable_palette: >= 4.5:1
    "QLabel#section { font-weight: 600; }"
    "QStatusBar QLabel { padding: 0 10px; border-left: 1px solid palette(mid); }"
    "QStatusBar QLabel:first-child { border-left: none; }"
)


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(37, 38, 43), QColor(28, 29, 33), QColor(228, 229, 234)
    accent = QColor(94, 129, 244)
    p.setColor(QPalette.Window, window)
    p.setColor(QPalette.WindowText, text)
    p.setColor(QPalette.Base, base)
    p.setColor(QPalette.AlternateBase, QColor(44, 45, 51))
    p.setColor(QPalette.ToolTipBase, QColor(50, 51, 58))
    p.setColor(QPalette.ToolTipText, text)
    p.setColor(QPalette.PlaceholderText, QColor(140, 142, 150))
    p.setColor(QPalette.Text, text)
    p.setColor(QPalette.Button, QColor(50, 51, 57))
    p.setColor(QPalette.ButtonText, text)
    p.setColor(QPalette.BrightText, QColor(255, 90, 90))
    p.setColor(QPalette.Link, accent.lighter(120))
    p.setColor(QPalette.Highlight, accent)
    p.setColor(QPalette.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.Mid, QColor(110, 112, 120))
    p.setColor(QPalette.Dark, QColor(20, 20, 24))
    p.setColor(QPalette.Light, QColor(70, 72, 80))
    p.setColor(QPalette.Midlight, QColor(60, 62, 70))
    p.setColor(QPalette.Shadow, QColor(0, 0, 0))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor(120, 122, 130))
    p.setColor(QPalette.Disabled, QPalette.Highlight, QColor(70, 72, 80))
    return p


def light_palette() -> QPalette:
    p = QPalette()
    text = QColor(30, 32, 38)
    p.setColor(QPalette.Window, QColor(243, 244, 247))
    p.setColor(QPalette.WindowText, text)
    p.setColor(QPalette.Base, QColor(255, 255, 255))
    p.setColor(QPalette.AlternateBase, QColor(246, 247, 250))
    p.setColor(QPalette.ToolTipBase, QColor(255, 255, 240))
    p.setColor(QPalette.ToolTipText, text)
    p.setColor(QPalette.Text, text)
    p.setColor(QPalette.Button, QColor(236, 237, 241))
    p.setColor(QPalette.ButtonText, text)
    p.setColor(QPalette.Highlight, QColor(59, 94, 214))
    p.setColor(QPalette.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.Link, QColor(40, 80, 200))
    p.setColor(QPalette.Mid, QColor(160, 162, 170))
    p.setColor(QPalette.Light, QColor(255, 255, 255))
    p.setColor(QPalette.Midlight, QColor(226, 228, 233))
    p.setColor(QPalette.Dark, QColor(150, 152, 160))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor(150, 152, 160))
    return p


def system_prefers_dark() -> bool:
    try:
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # Qt < 6.5
        return False


def follow_system(app: QApplication, current_theme) -> None:
    """While the theme is "system", follow the desktop's own light/dark switch as it happens.
    `current_theme()` says the theme chosen now."""
    try:
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(
            lambda _scheme: apply_theme(app, "system") if current_theme() == "system" else None)
    except AttributeError:  # Qt < 6.5
        pass


def apply_theme(app: QApplication, theme: str = "system") -> str:
    """Fusion everywhere (same look on every platform) with a light or dark palette; returns the one used."""
    from .palette import readable_palette
    from .style import indicator_style_sheet

    app.setStyle("Fusion")
    dark = theme == "dark" or (theme == "system" and system_prefers_dark())
    palette = readable_palette(dark_palette() if dark else light_palette())  # every text role at >= 4.5:1
    app.setPalette(palette)
    app.setStyleSheet(indicator_style_sheet(palette))  # check boxes that show on the dark palette too
    app.setProperty("umt_theme", "dark" if dark else "light")
    # A widget under a style sheet keeps the palette it was polished with; setting the sheet
    # again polishes it (and every child) with the new palette, so a switch repaints everything.
    for widget in app.topLevelWidgets():
        for styled in [widget, *widget.findChildren(QWidget)]:
            if styled.styleSheet():
                styled.setStyleSheet(styled.styleSheet())
    return "dark" if dark else "light"


