"""Driving the window as a person does: menu entries found by their visible text, real clicks."""

from __future__ import annotations


def _plain(text: str) -> str:
    return text.replace("&", "").replace("…", "").strip()


def menu_action(window, *path: str):
    """The QAction at menu bar → `path` (visible texts, without '&' and '…'; a prefix is enough).
    Each menu on the way is opened the way Qt opens it (`aboutToShow`), so menus filled on
    demand (Open recent, Camera) hold their entries."""
    actions = window.menuBar().actions()
    for depth, name in enumerate(path):
        matches = [a for a in actions if _plain(a.text()).startswith(name)]
        assert matches, f"no menu entry {name!r} in {[_plain(a.text()) for a in actions]}"
        action = matches[0]
        if depth == len(path) - 1:
            return action
        menu = action.menu()
        menu.aboutToShow.emit()
        actions = menu.actions()
    raise AssertionError("empty menu path")


def menu_texts(window, *path: str) -> list[str]:
    """The visible texts of the entries of the menu at `path`."""
    menu = menu_action(window, *path).menu()
    menu.aboutToShow.emit()
    return [_plain(a.text()) for a in menu.actions() if not a.isSeparator()]


def pixel(widget, x: float, y: float):
    """The colour painted at (x, y) of `widget` (logical pixels), as a QColor."""
    from PySide6.QtGui import QColor

    image = widget.grab().toImage()
    scale = image.devicePixelRatio()
    return QColor(image.pixel(int(x * scale), int(y * scale)))


def same_colour(a, b, tol: int = 3) -> bool:
    """Two QColors equal in R, G and B within `tol`."""
    return all(abs(u - v) <= tol for u, v in zip(a.getRgb()[:3], b.getRgb()[:3]))
