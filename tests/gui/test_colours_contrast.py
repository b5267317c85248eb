"""Colours and legibility of the window, checked on what it actually paints.

One colour per class everywhere (bars, chart, timeline, overlay, filmstrip), read
back from the rendered pixels; a legend and hover text for the timeline; a time
axis on the chart; text contrast >= 4.5:1 in both themes; check boxes that show
on the dark palette; the 4x3 timing line that never leaves a unit alone on a line.
"""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette, QTextLayout, QTextOption
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QListWidget, QListWidgetItem, QToolTip, QVBoxLayout, QWidget
from tests.helpers.gui import pixel, same_colour

from umt_desktop.gui import palette as pal_mod
from umt_desktop.gui.palette import (
    CLASS_PALETTE,
    OVERLAY_BACKING,
    OVERLAY_TEXT,
    class_colour,
    class_colours,
    contrast_ratio,
    muted_text,
    text_on,
)
from umt_desktop.gui.widgets import format_time


def _distance(a: QColor, b: QColor) -> float:
    return sum((u - v) ** 2 for u, v in zip(a.getRgb()[:3], b.getRgb()[:3])) ** 0.5


def _bar(panel, row: int) -> tuple[float, float]:
    """(top, height) of row `row`'s score bar, as the panel lays it out."""
    rh = panel._row_height()
    return 3 + row * rh + panel.fontMetrics().height() + 2, max(5.0, rh * 0.2)


def _bar_outline_pixel(panel, row: int) -> QColor:
    """The top edge of row `row`'s score bar just past its rounded left end: its outline."""
    top, height = _bar(panel, row)
    return pixel(panel, height * 1.5, top + 0.5)


def _bar_pixel(panel, row: int) -> QColor:
    """The middle of the left end of row `row`'s score bar (always drawn, at least a bar-height wide)."""
    top, height = _bar(panel, row)
    return pixel(panel, height / 2, top + height / 2)


@pytest.fixture
def theme():
    return "light"


@pytest.fixture
def played(qtbot, make_window, make_video, drop, theme):
    """A window (in `theme`) that has played a 3-second clip to the end, with its whole-video result in."""
    from umt_desktop.gui.theme import apply_theme

    apply_theme(QApplication.instance(), theme)
    w = make_window()
    w.resize(1280, 800)
    drop(w, [make_video("clip.mp4", frames=72)])
    qtbot.waitUntil(lambda: w.whole is not None and w.predictions_shown >= 4, timeout=120000)
    qtbot.waitUntil(lambda: not w.live.running(), timeout=120000)
    qtbot.wait(50)
    yield w
    apply_theme(QApplication.instance(), "light")


def test_one_colour_per_class_in_every_widget(qtbot, played):
    w = played
    whole = w.whole_panel.rows
    live = w.live_panel.rows
    assert len(whole) == 5 and live

    # The whole-video leaders have clearly different colours (no two near-identical greens).
    colours = [_bar_pixel(w.whole_panel, i) for i in range(len(whole))]
    for (i, a), (j, b) in itertools.combinations(enumerate(colours), 2):
        assert _distance(a, b) > 60, f"{whole[i].label} and {whole[j].label} look alike: {a.name()} {b.name()}"

    # Bars: each row painted in its class's colour, the same class the same colour in both panels.
    seen: dict[int, QColor] = {}
    for panel in (w.whole_panel, w.live_panel):
        for i, row in enumerate(panel.rows):
            painted = _bar_pixel(panel, i)
            if panel is w.live_panel and w.live_panel.dimmed:
                # translucent below the threshold, inside an outline of the class's own colour
                if panel.width() * row.score > 2 * _bar(panel, i)[1]:  # a straight top edge
                    outline = _bar_outline_pixel(panel, i)
                    assert _distance(outline, class_colour(row.index)) < 40, (row.label, outline.name())
                continue
            assert same_colour(painted, class_colour(row.index)), (row.label, painted.name())
            if row.index in seen:
                assert same_colour(painted, seen[row.index]), f"{row.label} differs between the panels"
            seen[row.index] = painted

    # Score chart: each line's legend swatch has its class's colour (not a colour by rank).
    g = w.chart.geometry_now()
    assert g["legend"]
    for cls, swatch, _ in g["legend"]:
        painted = pixel(w.chart, swatch.center().x(), swatch.center().y())
        assert same_colour(painted, class_colour(cls)), (w.classifier.labels.names[cls], painted.name())
        if cls in seen:
            assert same_colour(painted, seen[cls])

    # Timeline: every confident segment in its class's colour.
    track = w.timeline._track()
    scale = track.width() / w.timeline.duration
    checked = 0
    for start, end, e in w.timeline.segments():
        if not e.confident or (end - start) * scale < 4:
            continue
        x = track.left() + (start + end) / 2 * scale
        painted = pixel(w.timeline, x, track.top() + 2)
        assert same_colour(painted, class_colour(e.index)), (e.label, painted.name())
        checked += 1
    assert checked

    # Overlay on the video and the filmstrip's underline: the last window's top-1 class.
    top = w.results[-1].smoothed[0]
    if w.results[-1].confident:
        r = w.video.label_rect
        assert same_colour(pixel(w.video, r.left() + 4, r.center().y()), class_colour(top.index))
        cell_h = w.filmstrip.height() - w.filmstrip.fontMetrics().height() - 4
        assert same_colour(pixel(w.filmstrip, 20, cell_h - 2), class_colour(top.index))


def test_timeline_has_a_legend_and_names_every_segment_on_hover(qtbot, played):
    w = played
    legend = w.page.timeline_legend
    assert legend.isVisible()
    classes = w.timeline.classes()
    assert [label for _, label in legend.entries()] == [label for _, label, _ in classes]
    placed, hidden = legend.layout_entries()
    assert placed and len(placed) + hidden == len(classes)
    for rect, index, label in placed:  # each swatch in its class's colour
        swatch = rect.left() + legend.fontMetrics().height() * 0.4
        assert same_colour(pixel(legend, swatch, rect.center().y()), class_colour(index)), label

    # Hovering over the shortest segment (the ones too narrow for a label) names its class.
    track = w.timeline._track()
    scale = track.width() / w.timeline.duration
    start, end, e = min(w.timeline.segments(), key=lambda s: s[1] - s[0])
    x = int(track.left() + (start + end) / 2 * scale)
    qtbot.mouseMove(w.timeline, QPoint(x, int(track.center().y())))
    qtbot.waitUntil(lambda: QToolTip.isVisible() and QToolTip.text() != "", timeout=5000)
    expected = e.label if e.confident else "no confident action"
    assert expected in QToolTip.text()
    QToolTip.hideText()


def test_score_chart_has_a_time_axis(qtbot, played):
    w = played
    ticks = w.chart.geometry_now()["ticks"]
    assert len(ticks) >= 2
    labels = [label for _, _, label in ticks]
    assert labels[0] == format_time(w.results[-1].t)  # the newest window is labelled with its time
    assert all(":" in label for label in labels)
    xs = [x for x, _, _ in ticks]
    assert xs == sorted(xs, reverse=True)  # older windows to the left


def test_whole_video_timing_line_never_wraps_a_lone_unit(qtbot, played):
    """The 4x3 result's timing line, laid out as its label wraps it at any width the column takes."""
    label = played.whole_header
    text = label.text()
    assert "decode" in text and "model" in text
    for width in range(120, 420, 4):
        layout = QTextLayout(text, label.font())
        option = QTextOption()
        option.setWrapMode(QTextOption.WordWrap)
        layout.setTextOption(option)
        layout.beginLayout()
        lines = []
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            lines.append(text[line.textStart(): line.textStart() + line.textLength()].strip())
        layout.endLayout()
        for line in lines:
            assert line not in ("s", "s)", "s,", "ms", "ms)"), f"{line!r} alone on a line at {width} px: {lines}"
            assert not line.startswith(("s ", "s)", "s,")), f"a unit starts a line at {width} px: {lines}"


def _roles_text_on_background(palette: QPalette):
    yield "window text", palette.color(QPalette.WindowText), palette.color(QPalette.Window)
    yield "text", palette.color(QPalette.Text), palette.color(QPalette.Base)
    yield "button text", palette.color(QPalette.ButtonText), palette.color(QPalette.Button)
    yield "selected text", palette.color(QPalette.HighlightedText), palette.color(QPalette.Highlight)
    yield "tooltip", palette.color(QPalette.ToolTipText), palette.color(QPalette.ToolTipBase)
    yield "link", palette.color(QPalette.Link), palette.color(QPalette.Base)
    for role in (QPalette.Window, QPalette.Base, QPalette.AlternateBase, QPalette.Button):
        yield f"muted on {role.name}", palette.color(QPalette.PlaceholderText), palette.color(role)
        yield f"painted muted on {role.name}", muted_text(palette), palette.color(role)


def _theme_action(window, name: str):
    view = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View")
    themes = next(a.menu() for a in view.actions() if a.menu() and a.text().replace("&", "") == "Theme")
    return next(a for a in themes.actions() if a.text().replace("&", "") == name)


def test_text_contrast_in_both_themes(qtbot, played):
    """Switched with View -> Theme while the window shows a result, as a person would."""
    for theme in ("Dark", "Light"):
        _theme_action(played, theme).trigger()
        qtbot.wait(50)
        _check_contrast(played, theme)


def _check_contrast(w, theme: str) -> None:
    app_palette = QApplication.palette()
    for name, fg, bg in _roles_text_on_background(app_palette):
        assert contrast_ratio(fg, bg) >= 4.5, f"{theme}: {name} {fg.name()} on {bg.name()}"

    # Every label the window shows (muted captions included), in the colour its style gives it.
    labels = [lab for lab in w.findChildren(QLabel) if lab.isVisible() and lab.text().strip()]
    assert any(lab.objectName() == "muted" for lab in labels)
    for lab in labels:
        fg = lab.palette().color(lab.foregroundRole())
        bg = lab.palette().color(QPalette.Window)
        assert contrast_ratio(fg, bg) >= 4.5, f"{theme}: {lab.text()!r} {fg.name()} on {bg.name()}"

    # Painted text: labels on timeline segments, the overlay's class label and its caption.
    for hex_colour in CLASS_PALETTE:
        colour = QColor(hex_colour)
        assert contrast_ratio(text_on(colour), colour) >= 4.5, hex_colour
    for frame in (QColor("white"), QColor("black"), QColor(220, 200, 120)):  # any picture under the caption
        backing = pal_mod.composite(OVERLAY_BACKING, frame)
        assert contrast_ratio(OVERLAY_TEXT, backing) >= 4.5, frame.name()
    assert w.video.caption_rect is not None  # the caption was drawn, on its backing


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_unchecked_boxes_are_visible(qtbot, theme):
    from umt_desktop.gui.theme import apply_theme

    apply_theme(QApplication.instance(), theme)
    try:
        _check_boxes(qtbot)
    finally:
        apply_theme(QApplication.instance(), "light")


def _check_boxes(qtbot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    lay = QVBoxLayout(host)
    box = QCheckBox("unchecked")
    lay.addWidget(box)
    items = QListWidget()
    item = QListWidgetItem("checkpoint")
    item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
    item.setCheckState(Qt.Unchecked)
    items.addItem(item)
    lay.addWidget(items)
    host.resize(240, 160)
    host.show()
    qtbot.waitExposed(host)

    def strongest_edge(widget, rect, background: QColor) -> float:
        image = widget.grab().toImage()
        best = 1.0
        for x in range(rect.left(), rect.right() + 1):
            for y in range(rect.top(), rect.bottom() + 1):
                best = max(best, contrast_ratio(QColor(image.pixel(x, y)), background))
        return best

    style = box.style()
    from PySide6.QtWidgets import QStyle, QStyleOptionButton

    opt = QStyleOptionButton()
    opt.initFrom(box)
    indicator = style.subElementRect(QStyle.SE_CheckBoxIndicator, opt, box)
    window = box.palette().color(QPalette.Window)
    assert strongest_edge(box, indicator, window) >= 3.0  # WCAG non-text contrast

    rect = items.visualItemRect(item)
    square = rect.adjusted(0, 0, -(rect.width() - rect.height()), 0)  # the indicator sits at the left
    base = items.palette().color(QPalette.Base)
    assert strongest_edge(items.viewport(), square, base) >= 3.0


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_faded_bars_below_the_threshold_keep_their_class_colour_at_the_edge(qtbot, theme):
    """Below the confidence threshold the live bars are translucent; faded yellow and faded olive looked
    alike on the dark theme, so each bar keeps an outline of its class's own colour."""
    from umt_desktop.gui.theme import apply_theme
    from umt_desktop.gui.widgets.topk_panel import ScoreRow, TopKPanel

    apply_theme(QApplication.instance(), theme)
    try:
        panel = TopKPanel(rows=8, colour_group="live")
        qtbot.addWidget(panel)
        panel.resize(320, 400)
        panel.show()
        rows = [ScoreRow(i, f"class {i}", 0.6 - 0.05 * i, 0.5) for i in range(8)]
        panel.set_rows(rows, dimmed=True)
        qtbot.wait(20)
        for i, row in enumerate(rows):
            want = class_colours().colour_in("live", row.index)
            edge, fill = _bar_outline_pixel(panel, i), _bar_pixel(panel, i)
            assert _distance(edge, want) < 40, (theme, row.label, edge.name(), want.name())
            assert _distance(fill, want) > 20  # the inside is faded
    finally:
        apply_theme(QApplication.instance(), "light")
