"""The class-colour map and the contrast helpers on their own (the window-level checks are in test_colours_contrast)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

from umt_desktop.gui.theme import dark_palette, light_palette
from umt_desktop.gui.palette import CLASS_PALETTE, ClassColours, contrast_ratio, muted_text, readable_palette, text_on


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
