"""The class-colour map and the contrast helpers on their own (the window-level checks are in test_colours_contrast)."""

from __future__ import annotations

import itertools
import random

from PySide6.QtGui import QColor, QPalette

from umt_desktop.gui.theme import dark_palette, light_palette
from umt_desktop.gui.palette import (
    CLASS_PALETTE,
    OTHER_CLASSES,
    ClassColours,
    contrast_ratio,
    muted_text,
    readable_palette,
    text_on,
)


def test_classes_shown_together_never_share_a_colour_while_colours_last():
    colours = ClassColours()
    for c in (3, 11, 19, 27):  # seen earlier, one after another (as on a timeline)
        colours.colour(c)
    whole = [11, 27, 40, 48, 56]
    colours.show("whole", whole)
    slots = [colours.slot(c) for c in whole]
    assert len(set(slots)) == len(whole)
    live = [11, 3, 99, 107, 115]  # shares one class with the whole-video list
    colours.show("live", live)
    assert [colours.slot(c) for c in whole] == slots  # the whole-video colours stay
    shown = list(dict.fromkeys(whole + live))
    assert len(shown) == len(CLASS_PALETTE) + 1  # one more class than colours: exactly one pair shares
    assert len({colours.slot(c) for c in shown}) == len(CLASS_PALETTE)
    colours.show("live", [11, 3, 99])  # fewer live classes: all distinct again
    shown = list(dict.fromkeys(whole + [11, 3, 99]))
    assert len({colours.slot(c) for c in shown}) == len(shown)


def test_same_class_same_colour_until_reset():
    colours = ClassColours()
    first = colours.colour(7)
    colours.show("live", [1, 2, 3])
    assert colours.colour(7) == first
    colours.reset()
    assert colours.slots == {}


def test_text_on_class_colours_and_the_contrast_formula():
    assert round(contrast_ratio(QColor("black"), QColor("white")), 2) == 21.0
    assert round(contrast_ratio(QColor("#777777"), QColor("white")), 2) == 4.48  # WCAG's own example
    for hex_colour in CLASS_PALETTE:
        assert contrast_ratio(text_on(QColor(hex_colour)), QColor(hex_colour)) >= 4.5


def test_readable_palette_lifts_muted_and_selected_text_to_4_5():
    for base in (light_palette(), dark_palette()):
        p = readable_palette(base)
        for role in (QPalette.Window, QPalette.Base, QPalette.AlternateBase, QPalette.Button):
            assert contrast_ratio(p.color(QPalette.PlaceholderText), p.color(role)) >= 4.5
            assert contrast_ratio(muted_text(p), p.color(role)) >= 4.5
        assert contrast_ratio(p.color(QPalette.HighlightedText), p.color(QPalette.Highlight)) >= 4.5
        # Muted is still muted: lighter than the text on light, darker on dark.
        assert contrast_ratio(muted_text(p), p.color(QPalette.Window)) < contrast_ratio(
            p.color(QPalette.WindowText), p.color(QPalette.Window))


def test_each_group_keeps_its_own_classes_apart_when_colours_run_out():
    colours = ClassColours()
    colours.show("whole", [1, 2, 3, 4, 5])
    colours.show("live", [6, 7, 8, 1, 2])  # 8 classes: every colour in use
    chart = [6, 9, 1, 7]  # 9 is a ninth class
    colours.show("chart", chart)
    assert len({colours.slot(c) for c in chart}) == len(chart)  # the chart's lines never look alike
    assert len({colours.slot(c) for c in [1, 2, 3, 4, 5]}) == 5  # the whole-video colours stay apart
    # The shared colour is taken from the least important class (a live one), not a whole-video one.
    assert colours.slot(9) not in {colours.slot(c) for c in [1, 2, 3, 4, 5]}


def test_a_new_class_avoids_the_colours_of_classes_listed_after_it():
    colours = ClassColours()
    colours.show("whole", [1, 2, 3, 4, 5])
    colours.show("live", [6, 7, 8])
    colours.show("chart", [6, 9, 8, 1])  # 9 comes before 8 and 1, which already have colours
    assert len({colours.slot(c) for c in [6, 9, 8, 1]}) == 4


def test_classes_on_the_timeline_never_share_a_colour_when_earlier_groups_ran_out():
    # What the window showed in the gallery's "explain" state: the whole-video and live panels
    # hold 8 classes between them (every colour), the chart brings a ninth, punching person (P),
    # which took the colour of triple jump (J); both were then on the timeline in the same pink.
    W, B, T, A, N, D, C, J, P = range(10, 19)
    colours = ClassColours()
    colours.show("whole", [W, B, T, A, N])
    colours.show("live", [D, A, C, T, J])
    colours.show("chart", [C, P, D, T])
    timeline = [C, D, T, P, J, W]
    colours.show("timeline", timeline)
    for group in ("whole", "live", "chart", "timeline"):
        shown = colours.groups[group]
        assert len({colours.colour(c).name() for c in shown}) == len(shown), group
    for group in ("whole", "live", "chart", "timeline"):  # and each widget paints them so (none is grey)
        assert all(colours.colour_in(group, c) == colours.colour(c) for c in colours.groups[group])


def test_a_group_with_more_classes_than_colours_paints_the_rest_grey():
    colours = ClassColours()
    colours.show("whole", [1, 2, 3])
    timeline = list(range(20, 31))  # 11 classes, longest first
    colours.show("timeline", timeline)
    n = len(CLASS_PALETTE)
    first = [colours.colour_in("timeline", c).name() for c in timeline[:n]]
    assert len(set(first)) == n and OTHER_CLASSES.name() not in first
    assert all(colours.colour_in("timeline", c) == colours.colour(c) for c in timeline[:n])
    assert [colours.is_other("timeline", c) for c in timeline] == [False] * n + [True] * (len(timeline) - n)
    assert all(colours.colour_in("timeline", c) == OTHER_CLASSES for c in timeline[n:])
    assert all(not colours.is_other("whole", c) for c in (1, 2, 3))
    colours.show("timeline", timeline[:4])  # a shorter timeline: nobody grey any more
    assert not any(colours.is_other("timeline", c) for c in timeline)


def test_when_no_colour_per_class_keeps_every_widget_apart_the_later_widget_paints_grey():
    colours = ClassColours()
    colours.show("whole", [1, 2, 3, 4, 5, 6, 7, 8])  # top-8 panels: all colours
    colours.show("live", [1, 2, 3, 4, 5, 6, 7, 9])  # 9 can only have 8's colour
    colours.show("timeline", [8, 9, 10])  # ... but 8 and 9 are on the timeline together
    for group in ("whole", "live"):
        assert len({colours.colour_in(group, c).name() for c in colours.groups[group]}) == 8
    assert colours.is_other("timeline", 9) and not colours.is_other("timeline", 8)
    assert len({colours.colour_in("timeline", c).name() for c in (8, 9, 10)}) == 3


def _colourable(groups: dict[str, list[int]], n: int) -> bool:
    """Whether one colour per class can keep every group's first n classes apart (by trying them all)."""
    classes = sorted({c for g in groups.values() for c in g[:n]})
    pairs = {(a, b) for g in groups.values() for a in g[:n] for b in g[:n] if a < b}
    return any(all(colour[classes.index(a)] != colour[classes.index(b)] for a, b in pairs)
               for colour in itertools.product(range(n), repeat=len(classes)))


def test_shown_classes_differ_in_every_widget_whenever_one_colour_per_class_allows():
    rng = random.Random(7)
    colours = ClassColours(CLASS_PALETTE[:3])  # three colours: collisions at every turn
    groups = ("whole", "live", "chart", "timeline")
    for _ in range(300):
        group = rng.choice(groups)
        colours.show(group, rng.sample(range(8), rng.randint(0, 4)))
        shown = {g: colours.groups[g] for g in groups if g in colours.groups}
        for g, classes in shown.items():
            painted = [colours.colour_in(g, c).name() for c in classes if not colours.is_other(g, c)]
            assert len(set(painted)) == len(painted), (g, shown)  # never two alike in one widget
            assert all(colours.colour_in(g, c) == colours.colour(c) for c in classes if not colours.is_other(g, c))
        if _colourable(shown, 3):  # then nobody among a group's first three is grey
            assert not any(colours.is_other(g, c) for g, classes in shown.items() for c in classes[:3]), shown
