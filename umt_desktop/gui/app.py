"""QApplication set-up: style and theme (see `theme`), HiDPI, icon; `main(args)` opens the window.

PySide6 is imported only inside the GUI package, and the CLI imports this
module only when `umt-desktop gui` runs.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from .theme import apply_theme, follow_system

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
    follow_system(app, lambda: settings["theme"])
    window.show()
    source = getattr(args, "source", None) if args is not None else None
    if source:
        window.open_sources([source])
    if args is not None and getattr(args, "exit_after", None):
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(args.exit_after * 1000), window.close)
    return int(app.exec())
