"""QApplication set-up: style, light/dark palette, HiDPI, icon; `main(args)` opens the window.

PySide6 is imported only inside the GUI package, and the CLI imports this
module only when `umt-desktop gui` runs.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

APP_NAME = "UMT Desktop"


def app_icon() -> QIcon:
    """The application icon, rendered from its SVG at every common size (sharp on HiDPI too)."""
    from PySide6.QtGui import QPainter, QPixmap
    from PySide6.QtSvg import QSvgRenderer

    from ..core.resources import resource

    icon = QIcon()
    try:
        data = resource("icons", "umt-desktop.svg").read_bytes()
    except OSError:
        return icon
    renderer = QSvgRenderer(data)
    if not renderer.isValid():
        return icon
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


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


def apply_theme(app: QApplication, theme: str = "system") -> str:
    """Fusion everywhere (same look on every platform) with a light or dark palette; returns the one used."""
    app.setStyle("Fusion")
    dark = theme == "dark" or (theme == "system" and system_prefers_dark())
    app.setPalette(dark_palette() if dark else light_palette())
    app.setProperty("umt_theme", "dark" if dark else "light")
    return "dark" if dark else "light"


def application(argv: list[str] | None = None, theme: str = "system") -> QApplication:
    """The one QApplication (created on first call), set up for this app."""
    app = QApplication.instance()
    if app is None:
        # Crisp rendering on fractional-scaling displays (125 %, 150 %) instead of rounding to 1x or 2x.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationName("umt-desktop")
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName("umt-desktop")
    app.setDesktopFileName("umt-desktop")
    app.setWindowIcon(app_icon())
    apply_theme(app, theme)
    return app


def main(args=None) -> int:
    """Open the main window; `args` is the parsed `umt-desktop gui` namespace (or None)."""
    from ..core.settings import Settings
    from .main_window import MainWindow

    settings = Settings.load()
    theme = getattr(args, "theme", None) or settings["theme"]
    app = application(theme=theme)
    if args is not None and getattr(args, "device", None) not in (None, "", "auto"):
        settings["device"] = args.device
    if args is not None and getattr(args, "precision", None) not in (None, "", "auto"):
        settings["precision"] = args.precision
    model = None
    if args is not None:
        model = getattr(args, "checkpoint", None) or getattr(args, "model", None)
    window = MainWindow(settings, model=model)
    window.show()
    source = getattr(args, "source", None) if args is not None else None
    if source:
        window.open_sources([source])
    if args is not None and getattr(args, "exit_after", None):
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(args.exit_after * 1000), window.close)
    return int(app.exec())
