"""Colours of the window in one place: one colour per class, readable text on any background.

Every widget that shows a class (live and whole-video bars, the score chart, the
timeline, the overlay on the video, the filmstrip, the legend) asks
`class_colour(index)`, so a class has the same colour everywhere at any moment.
The colours are the Okabe-Ito set (Okabe & Ito, "Color Universal Design", 2008)
followed by the olive of Paul Tol's muted set, chosen to stay distinct for the
common forms of colour blindness; the first seven are the most distinct.

With 400 classes and 8 colours, classes must share colours; `ClassColours`
hands them out so that the classes shown together never do. Each widget
registers the classes it shows as a named group (`show`), and the colours are
dealt over all groups at once: a class differs from every class it is shown
with in any widget, while keeping one colour in all of them. Groups earlier in
`GROUP_ORDER` keep their colours first, so the whole-video leaders keep theirs
while the live bars change. A widget paints with `colour_in(group, index)`: a
class that cannot have a colour of its own there (a group with more classes
than colours, e.g. a long timeline) is painted `OTHER_CLASSES` grey in that
widget, and its legend names those "other".

Text colours follow WCAG 2.1: a contrast ratio of at least 4.5:1 for text.
`text_on(colour)` picks black or white, whichever reads better on a class
colour (always >= 4.58:1), and `muted_text(palette)` derives secondary text from
the palette so that it stays >= 4.5:1 on the window, base and button colours.
"""

from __future__ import annotations

import weakref

from PySide6.QtGui import QColor, QPalette

# Okabe-Ito without black (it is the text colour): blue, orange, bluish green,
# reddish purple, sky blue, vermillion, yellow; then Tol's olive, so that the
# whole-video top 5 and the live top 5 rarely have to share. All of mid
# lightness: bars and lines show on the light and the dark window. (A ninth,
# purple, read as a second reddish purple next to the fourth.)
CLASS_PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
                                  "#999933")

# Windows below the confidence threshold: neutral, so they never read as a class.
NOT_CONFIDENT = QColor(128, 128, 128, 90)

# Classes a widget cannot give a colour of their own (more classes than colours): one
# opaque mid grey, unlike every class colour and unlike the translucent NOT_CONFIDENT.
OTHER_CLASSES = QColor("#8C8C8C")

# Backing of text drawn over video frames (any picture, from black to white).
OVERLAY_BACKING = QColor(0, 0, 0, 178)
OVERLAY_TEXT = QColor(255, 255, 255)

# Groups of classes shown together, first keeps its colours first.
GROUP_ORDER: tuple[str, ...] = ("whole", "live", "chart", "timeline")

MIN_TEXT_CONTRAST = 4.5  # WCAG 2.1 AA for normal text
BLACK, WHITE = QColor(0, 0, 0), QColor(255, 255, 255)


# -- contrast (WCAG 2.1) ---------------------------------------------------------
def _channel(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: QColor) -> float:
    return 0.2126 * _channel(colour.redF()) + 0.7152 * _channel(colour.greenF()) + 0.0722 * _channel(colour.blueF())


def composite(colour: QColor, background: QColor) -> QColor:
    """`colour` (with its alpha) painted over an opaque `background`."""
    a = colour.alphaF()
    return QColor.fromRgbF(colour.redF() * a + background.redF() * (1 - a),
                           colour.greenF() * a + background.greenF() * (1 - a),
                           colour.blueF() * a + background.blueF() * (1 - a))


def contrast_ratio(foreground: QColor, background: QColor) -> float:
    """WCAG contrast ratio (1 to 21); a translucent foreground is first painted over the background."""
    background = composite(background, WHITE) if background.alpha() < 255 else background
    foreground = composite(foreground, background) if foreground.alpha() < 255 else foreground
    a, b = relative_luminance(foreground) + 0.05, relative_luminance(background) + 0.05
    return max(a, b) / min(a, b)


def text_on(background: QColor) -> QColor:
    """Black or white, whichever has more contrast on `background` (never below 4.58:1)."""
    return QColor(BLACK) if contrast_ratio(BLACK, background) >= contrast_ratio(WHITE, background) else QColor(WHITE)


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """(1 - t) * a + t * b, opaque."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


TEXT_BACKGROUNDS = (QPalette.Window, QPalette.Base, QPalette.AlternateBase, QPalette.Button)


def muted_text(palette: QPalette, target: float = 4.8) -> QColor:
    """Secondary text: the window text moved toward the background as far as `target` contrast allows.

    Checked against every background text sits on (window, base, alternate base,
    button), so it reads the same in group boxes, lists and dialogs.
    """
    text = palette.color(QPalette.Active, QPalette.WindowText)
    backgrounds = [palette.color(QPalette.Active, role) for role in TEXT_BACKGROUNDS]
    toward = backgrounds[0]
    best = QColor(text)
    for step in range(1, 41):
        candidate = mix(text, toward, step / 40)
        if min(contrast_ratio(candidate, bg) for bg in backgrounds) < target:
            break
        best = candidate
    return best


def with_contrast(colour: QColor, against: QColor, target: float = 4.6) -> QColor:
    """`colour`, moved away from `against` (toward black or white) until the two reach `target` contrast."""
    if contrast_ratio(colour, against) >= target:
        return QColor(colour)
    toward = BLACK if relative_luminance(against) > 0.18 else WHITE
    for step in range(1, 41):
        candidate = mix(colour, toward, step / 40)
        if contrast_ratio(candidate, against) >= target:
            return candidate
    return QColor(toward)


# (text role, background role, which of the two may move): text roles a theme must keep readable.
TEXT_PAIRS = (
    (QPalette.WindowText, QPalette.Window, "text"),
    (QPalette.Text, QPalette.Base, "text"),
    (QPalette.ButtonText, QPalette.Button, "text"),
    (QPalette.ToolTipText, QPalette.ToolTipBase, "text"),
    (QPalette.Link, QPalette.Base, "text"),
    (QPalette.HighlightedText, QPalette.Highlight, "background"),  # keep white on the accent, deepen it
)


def readable_palette(palette: QPalette) -> QPalette:
    """`palette` with every text role at >= 4.5:1 on its background, and muted text derived to match.

    The placeholder role carries the muted text colour (`muted_text`), so labels
    styled `color: palette(placeholder-text)` and line edits' placeholders meet
    the minimum in both themes; a selection accent too light for white text is deepened.
    """
    for group in (QPalette.Active, QPalette.Inactive):
        for fg_role, bg_role, moves in TEXT_PAIRS:
            fg, bg = palette.color(group, fg_role), palette.color(group, bg_role)
            if moves == "text":
                palette.setColor(group, fg_role, with_contrast(fg, bg))
            else:
                palette.setColor(group, bg_role, with_contrast(bg, fg))
    colour = muted_text(palette)
    for group in (QPalette.Active, QPalette.Inactive):
        palette.setColor(group, QPalette.PlaceholderText, colour)
    return palette


# -- one colour per class ------------------------------------------------------------
class ClassColours:
    """Hands out the palette's colours so that classes shown together get different ones.

    Plain Python (no QObject): the one instance lives as long as the process, past the
    QApplication, so it holds widgets only weakly and repaints them itself.
    """

    # How many colours a round of dealing may try before it settles for greys (a round
    # that needs no second try takes one per class; 500 take about 5 ms).
    SEARCH_STEPS = 500

    def __init__(self, palette: tuple[str, ...] = CLASS_PALETTE) -> None:
        self._watchers: weakref.WeakSet = weakref.WeakSet()
        self.colours = [QColor(c) for c in palette]
        self.slots: dict[int, int] = {}  # class index -> palette slot
        self.groups: dict[str, list[int]] = {}
        self.others: dict[str, set[int]] = {}  # group -> its classes painted OTHER_CLASSES there
        self._next = 0

    def slot(self, index: int) -> int:
        """The class's slot; a class seen for the first time takes the next free one."""
        index = int(index)
        if index not in self.slots:
            used = {self.slots[c] for c in self._held()}
            self.slots[index] = self._free_slot(used)
        return self.slots[index]

    def colour(self, index: int) -> QColor:
        return QColor(self.colours[self.slot(index)])

    def colour_in(self, group: str, index: int) -> QColor:
        """What `group`'s widget paints class `index` with: its colour, or OTHER_CLASSES grey when
        the class cannot have a colour of its own among the group's classes."""
        if int(index) in self.others.get(group, ()):
            return QColor(OTHER_CLASSES)
        return self.colour(index)

    def is_other(self, group: str, index: int) -> bool:
        return int(index) in self.others.get(group, ())

    def show(self, group: str, indices) -> None:
        """The classes `group` shows now (ranked); colours are re-dealt so that shown classes differ."""
        indices = [int(i) for i in dict.fromkeys(int(i) for i in indices)]
        if self.groups.get(group) == indices:
            return
        self.groups[group] = indices
        self._resolve()
        self._repaint()

    def release(self, group: str) -> None:
        """`group` shows nothing now (its widget was cleared)."""
        if self.groups.pop(group, None) is not None:
            self._resolve()
            self._repaint()

    def reset(self) -> None:
        """Forget every class (a new model: indices mean other classes)."""
        self.slots.clear()
        self.groups.clear()
        self.others.clear()
        self._next = 0
        self._repaint()

    def watch(self, widget) -> None:
        """Repaint `widget` whenever colours are dealt again (it paints with `colour`)."""
        self._watchers.add(widget)

    def _repaint(self) -> None:
        for widget in list(self._watchers):
            try:
                widget.update()
            except RuntimeError:  # its C++ side is gone (window closed)
                self._watchers.discard(widget)

    # -- internals ----------------------------------------------------------------
    def _order(self) -> list[str]:
        return [g for g in GROUP_ORDER if g in self.groups] + [g for g in self.groups if g not in GROUP_ORDER]

    def _held(self) -> list[int]:
        return list(dict.fromkeys(c for g in self._order() for c in self.groups[g]))

    def _free_slot(self, used: set[int]) -> int:
        n = len(self.colours)
        for k in range(n):
            candidate = (self._next + k) % n
            if candidate not in used:
                self._next = (candidate + 1) % n
                return candidate
        candidate = self._next
        self._next = (self._next + 1) % n
        return candidate

    def _resolve(self) -> None:
        """Deal the colours again over every group at once.

        Each group's first len(palette) classes must differ from one another: two classes
        that any widget shows together are neighbours, and no neighbours share a colour
        (a class's colour is the same in every widget). Classes are dealt most important
        first (GROUP_ORDER, then rank); each keeps its colour when no neighbour has it, else
        takes a colour no shown class has, else one that only classes it is never shown
        with have (the least important of them). When a class has no colour left, the
        classes dealt before it are dealt again (a bounded search). A class that still
        cannot differ from a more important one in some group, and the classes past the
        palette's size in a group, are painted grey in that group (`colour_in`).
        """
        n = len(self.colours)
        order = self._order()
        coloured = {g: self.groups[g][:n] for g in order}
        rank: dict[int, tuple[int, int]] = {}  # class -> (group rank, position) where it counts most
        neighbours: dict[int, set[int]] = {}
        for r, group in enumerate(order):
            for position, c in enumerate(coloured[group]):
                rank.setdefault(c, (r, position))
                neighbours.setdefault(c, set()).update(coloured[group])
        for c, near in neighbours.items():
            near.discard(c)
        classes = sorted(rank, key=rank.__getitem__)
        start = self._next

        def choices(c: int, decided: dict[int, int]) -> list[int]:
            taken = {decided[x] for x in neighbours[c] if x in decided}
            holder: dict[int, tuple[int, int]] = {}  # slot -> the most important class that has it
            for x, s in decided.items():
                holder[s] = min(holder.get(s, rank[x]), rank[x])
            # Colours the classes still to deal have now: taken last, so that they can keep them.
            kept = {self.slots[x] for x in classes if x not in decided and x != c and x in self.slots}
            current = self.slots.get(c)
            fresh = [(start + k) % n for k in range(n) if (start + k) % n not in holder]
            shared = sorted((s for s in holder if s not in taken), key=lambda s: holder[s], reverse=True)
            out = ([current] if current is not None and current not in taken and current not in holder else [])
            out += [s for s in fresh if s not in kept] + fresh
            out += ([current] if current is not None and current not in taken else []) + shared
            return [s for s in dict.fromkeys(out) if s not in taken]

        decided: dict[int, int] = {}
        steps = 0

        def deal(i: int) -> bool:
            nonlocal steps
            if i == len(classes):
                return True
            c = classes[i]
            for s in choices(c, decided):
                steps += 1
                if steps > self.SEARCH_STEPS:
                    return False
                decided[c] = s
                if deal(i + 1):
                    return True
                del decided[c]
            return False

        if not deal(0):  # no way found: deal greedily, sharing the least important neighbour's colour
            decided = {}
            for c in classes:
                options = choices(c, decided)
                if options:
                    decided[c] = options[0]
                else:
                    near = [x for x in neighbours[c] if x in decided]
                    decided[c] = decided[max(near, key=rank.__getitem__)]
        for c in classes:
            if self.slots.get(c) != decided[c]:
                self.slots[c] = decided[c]
                self._next = (decided[c] + 1) % n  # the next new class starts after it
        self.others = {}
        for group in order:
            seen: set[int] = set()
            for position, c in enumerate(self.groups[group]):
                if position >= n or self.slots[c] in seen:
                    self.others.setdefault(group, set()).add(c)
                else:
                    seen.add(self.slots[c])


_instance: ClassColours | None = None


def class_colours() -> ClassColours:
    """The application's one class-colour map (every widget reads this one)."""
    global _instance
    if _instance is None:
        _instance = ClassColours()
    return _instance


def class_colour(index: int) -> QColor:
    """The colour of class `index` now, the same in every widget."""
    return class_colours().colour(index)
