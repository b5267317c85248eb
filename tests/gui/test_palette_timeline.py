"""A long file's timeline with more classes than colours, as the window paints it.

Played for real (tiny model, every window confident): each class on the timeline with a
colour of its own differs from every other in the bar and in its legend, and has the
colour it has in the panels and the chart; the classes past the palette's size are one
grey "other" entry. Read back from the widgets' state and from their pixels.
"""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtGui import QColor
from tests.helpers.gui import pixel, same_colour

from umt_desktop.gui.palette import CLASS_PALETTE, OTHER_CLASSES, class_colour, class_colours


def _all_differ(colours: list[QColor]) -> bool:
    return all(not same_colour(a, b) for a, b in itertools.combinations(colours, 2))


@pytest.fixture
def settings(settings):
    settings["threshold"] = 0.0  # every window counts: the timeline fills with classes
    return settings


@pytest.fixture
def played_long(qtbot, make_window, make_video, drop):
    w = make_window()
    w.resize(2400, 800)  # wide enough for every legend entry
    drop(w, [make_video("long.mp4", frames=336)])  # 14 s, a window every 0.25 s
    qtbot.waitUntil(lambda: w.whole is not None and w.predictions_shown >= 4, timeout=240000)
    qtbot.waitUntil(lambda: not w.live.running(), timeout=240000)
    qtbot.wait(50)
    return w


def test_timeline_classes_never_share_a_colour_and_the_rest_is_one_grey_other(qtbot, played_long):
    w = played_long
    n = len(CLASS_PALETTE)
    classes = w.timeline.classes()
    assert len(classes) > n, [label for _, label, _ in classes]  # more classes than colours

    # The legend: the n longest classes in their own colours, then "other" for the rest, in grey.
    legend = w.page.timeline_legend
    entries = legend.entries()
    assert [i for i, _ in entries] == [i for i, _, _ in classes[:n]] + [None]
    assert entries[-1][1] == f"other ({len(classes) - n} class{'es' if len(classes) - n > 1 else ''})"
    swatches = [legend.colour(i) for i, _ in entries]
    assert _all_differ(swatches), [c.name() for c in swatches]
    assert same_colour(swatches[-1], OTHER_CLASSES)
    placed, hidden = legend.layout_entries()
    assert hidden == 0 and len(placed) == len(entries)
    painted = []
    for rect, index, label in placed:
        colour = pixel(legend, rect.left() + legend.fontMetrics().height() * 0.4, rect.center().y())
        assert same_colour(colour, legend.colour(index)), (label, colour.name())
        painted.append(colour)
    assert _all_differ(painted), [c.name() for c in painted]

    # Narrower, the legend counts the classes that do not fit, and still ends with "other".
    w.resize(1100, 800)
    qtbot.waitUntil(lambda: legend.layout_entries()[1] > 0, timeout=5000)
    placed, hidden = legend.layout_entries()
    assert placed[-1][1:] == entries[-1] and len(placed) - 1 + hidden == len(entries) - 1
    rect = placed[-1][0]
    assert rect.right() <= legend.width()
    swatch = pixel(legend, rect.left() + legend.fontMetrics().height() * 0.4, rect.center().y())
    assert same_colour(swatch, OTHER_CLASSES), swatch.name()
    w.resize(2400, 800)
    qtbot.waitUntil(lambda: legend.layout_entries()[1] == 0, timeout=5000)

    # The bar: each segment in its legend entry's colour, the shortest classes in the grey.
    own = {i for i, _ in entries if i is not None}
    track = w.timeline._track()
    scale = track.width() / w.timeline.duration
    seen: dict[int, QColor] = {}
    for start, end, e in w.timeline.segments():
        if (end - start) * scale < 4:
            continue
        colour = pixel(w.timeline, track.left() + (start + end) / 2 * scale, track.top() + 2)
        assert same_colour(colour, legend.colour(e.index if e.index in own else None)), (e.label, colour.name())
        seen[e.index] = colour
    assert len({i for i in seen if i in own}) >= 2 and set(seen) - own  # coloured and grey segments drawn
    assert _all_differ([seen[i] for i in seen if i in own])

    # Across widgets: a class keeps its colour (panels, chart, timeline), and in each widget the
    # classes shown together differ.
    for panel in (w.whole_panel, w.live_panel):
        shown = [class_colours().colour_in(panel.colour_group, r.index) for r in panel.rows]
        assert _all_differ(shown), [r.label for r in panel.rows]
        for row, colour in zip(panel.rows, shown):
            assert same_colour(colour, class_colour(row.index))
            if row.index in own:
                assert same_colour(colour, w.timeline.colour(row.index)), row.label
    g = w.chart.geometry_now()
    lines = [pixel(w.chart, swatch.center().x(), swatch.center().y()) for _, swatch, _ in g["legend"]]
    assert len(lines) >= 2 and _all_differ(lines)
    for (cls, _, _), colour in zip(g["legend"], lines):
        assert same_colour(colour, class_colour(cls))
        if cls in own:
            assert same_colour(colour, w.timeline.colour(cls)), w.classifier.labels.names[cls]
