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


_DARK_TEXT, _LIGHT_TEXT = QColor(228, 229, 234), QColor(30, 32, 38)
_DARK_ACCENT = QColor(94, 129, 244)

# Each theme: role -> colour for every colour group, then the Disabled group's own colours.
# A role a theme leaves out keeps QPalette's default.
PALETTES: dict[str, tuple[dict, dict]] = {
    "dark": (
        {
            QPalette.Window: QColor(37, 38, 43),
            QPalette.WindowText: _DARK_TEXT,
            QPalette.Base: QColor(28, 29, 33),
            QPalette.AlternateBase: QColor(44, 45, 51),
            QPalette.ToolTipBase: QColor(50, 51, 58),
            QPalette.ToolTipText: _DARK_TEXT,
            QPalette.PlaceholderText: QColor(140, 142, 150),
            QPalette.Text: _DARK_TEXT,
            QPalette.Button: QColor(50, 51, 57),
            QPalette.ButtonText: _DARK_TEXT,
            QPalette.BrightText: QColor(255, 90, 90),
            QPalette.Link: _DARK_ACCENT.lighter(120),
            QPalette.Highlight: _DARK_ACCENT,
            QPalette.HighlightedText: QColor(255, 255, 255),
            QPalette.Mid: QColor(110, 112, 120),
            QPalette.Dark: QColor(20, 20, 24),
            QPalette.Light: QColor(70, 72, 80),
            QPalette.Midlight: QColor(60, 62, 70),
            QPalette.Shadow: QColor(0, 0, 0),
        },
        {
            QPalette.WindowText: QColor(120, 122, 130),
            QPalette.Text: QColor(120, 122, 130),
            QPalette.ButtonText: QColor(120, 122, 130),
            QPalette.Highlight: QColor(70, 72, 80),
        },
    ),
    "light": (
        {
            QPalette.Window: QColor(243, 244, 247),
            QPalette.WindowText: _LIGHT_TEXT,
            QPalette.Base: QColor(255, 255, 255),
            QPalette.AlternateBase: QColor(246, 247, 250),
            QPalette.ToolTipBase: QColor(255, 255, 240),
            QPalette.ToolTipText: _LIGHT_TEXT,
            QPalette.Text: _LIGHT_TEXT,
            QPalette.Button: QColor(236, 237, 241),
            QPalette.ButtonText: _LIGHT_TEXT,
            QPalette.Highlight: QColor(59, 94, 214),
            QPalette.HighlightedText: QColor(255, 255, 255),
            QPalette.Link: QColor(40, 80, 200),
            QPalette.Mid: QColor(160, 162, 170),
            QPalette.Light: QColor(255, 255, 255),
            QPalette.Midlight: QColor(226, 228, 233),
            QPalette.Dark: QColor(150, 152, 160),
        },
        {
            QPalette.WindowText: QColor(150, 152, 160),
            QPalette.Text: QColor(150, 152, 160),
            QPalette.ButtonText: QColor(150, 152, 160),
        },
    ),
}


def theme_palette(theme: str) -> QPalette:
    """The palette of "dark" or "light", from its table."""
    roles, disabled = PALETTES[theme]
    p = QPalette()
    for role, colour in roles.items():
        p.setColor(role, colour)
    for role, colour in disabled.items():
        p.setColor(QPalette.Disabled, role, colour)
    return p


def dark_palette() -> QPalette:
    return theme_palette("dark")


def light_palette() -> QPalette:
    return theme_palette("light")


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


