"""Check boxes that show on every palette, as a style sheet fragment for the application.

Qt's Fusion style outlines an unchecked box with the window colour darkened, which
all but vanishes on a dark palette (and so do the check boxes in lists). The
fragment from `indicator_style_sheet(palette)` draws every check-box indicator
(plain check boxes, checkable list and table items) with an outline derived from
the palette at >= 3:1 contrast against the background, the WCAG minimum for
controls, and a white tick on the selection colour when checked.

(A style sheet rather than a QProxyStyle subclass: a Python override of
`drawPrimitive` runs for every primitive of every paint, and the bindings tested
here lose a reference to None on each call, which ends the interpreter.)
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QPalette

from .palette import TEXT_BACKGROUNDS, contrast_ratio, mix

MIN_CONTROL_CONTRAST = 3.0  # WCAG 2.1 non-text contrast


def control_outline(palette: QPalette, target: float = 3.4) -> QColor:
    """The outline of check boxes: the text colour moved toward the window while it keeps `target` contrast."""
    text = palette.color(QPalette.Active, QPalette.WindowText)
    backgrounds = [palette.color(QPalette.Active, role) for role in TEXT_BACKGROUNDS]
    best = QColor(text)
    for step in range(1, 41):
        candidate = mix(text, backgrounds[0], step / 40)
        if min(contrast_ratio(candidate, bg) for bg in backgrounds) < target:
            break
        best = candidate
    return best


def _icon_url(name: str) -> str | None:
    from ..core.resources import resource

    try:
        path = Path(str(resource("icons", name)))
    except (OSError, TypeError):
        return None
    return path.as_posix() if path.is_file() else None


def indicator_style_sheet(palette: QPalette) -> str:
    """Style sheet rules for check-box indicators readable on `palette`."""
    outline = control_outline(palette).name()
    disabled = QColor(outline)
    disabled.setAlphaF(0.45)
    disabled_rgba = f"rgba({disabled.red()}, {disabled.green()}, {disabled.blue()}, {disabled.alpha()})"
    tick, partial = _icon_url("check.svg"), _icon_url("partial.svg")
    boxes = "QCheckBox::indicator, QAbstractItemView::indicator, QGroupBox::indicator"

    def each(state: str) -> str:
        return ", ".join(f"{box.strip()}:{state}" for box in boxes.split(","))

    rules = [
        f"{boxes} {{ width: 13px; height: 13px; border: 1px solid {outline}; border-radius: 3px;"
        " background: palette(base); }",
        f"{each('checked')} {{ background: palette(highlight); border-color: palette(highlight);"
        + (f" image: url({tick});" if tick else "") + " }",
        f"{each('indeterminate')} {{ background: palette(highlight); border-color: palette(highlight);"
        + (f" image: url({partial});" if partial else "") + " }",
        f"{each('disabled')} {{ border-color: {disabled_rgba}; }}",
    ]
    return "\n".join(rules)
