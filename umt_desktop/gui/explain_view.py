"""Why this label: saliency maps of the live window on the filmstrip.

The toggle (View → Why this label, the button over the filmstrip, Ctrl+Shift+H) asks
the live stream for maps of the newest window (`LiveStream.set_explain`); they are
computed in the stream worker's threads from the 8 frames the engine classified,
never here. Off, nothing is computed. A click on a class in the live panel shows that
class's map (the panel outlines it, the filmstrip's title names it); a click on the
top class goes back to following each window's top class. A map is only ever drawn
over the frames it was computed for: while the map of a newer window is not ready,
the earlier one stays marked as earlier (a dashed frame and the window's times).
A map that fails is one line in the banner (said once until a map succeeds) and
the toggle stays usable.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt

from .widgets import format_time

TIME_EPS = 1e-6


class ExplainView(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        page = window.page
        self.strip, self.panel = page.filmstrip, page.live_panel
        self.label, self.button = page.explain_label, page.explain_button
        self.on = False
        self.chosen: int | None = None  # a class clicked in the live panel; None: each window's top class
        self.window = None  # the WindowResult on screen
        self.error: str | None = None  # the last failure said in the banner
        self.action = None
        window.live.saliency.connect(self._on_maps)
        window.live.saliency_error.connect(self._on_error)
        self.panel.rowClicked.connect(self.choose)

    def attach(self, action) -> None:
        """The window's checkable action: the button over the filmstrip shows and toggles it."""
        self.action = action
        action.setIconText("Why this label?")
        self.button.setDefaultAction(action)
        self.button.setToolTip(action.toolTip())

    # -- what the map is for -------------------------------------------------------------
    @property
    def class_index(self) -> int | None:
        """The class the map shown (or being computed) is for."""
        if self.chosen is not None:
            return self.chosen
        return self.window.smoothed[0].index if self.window is not None else None

    def _label_of(self, index: int) -> str:
        clf = self.w.classifier
        try:
            return clf.labels[index] if clf is not None else str(index)
        except (IndexError, KeyError):
            return str(index)

    # -- controls --------------------------------------------------------------------------
    def set_on(self, on: bool) -> None:
        on = bool(on)
        if on == self.on:
            return
        self.on, self.chosen, self.error = on, None, None
        self.strip.clear_heat()
        self.w.live.set_explain(on, None)
        self.panel.setCursor(Qt.PointingHandCursor if on else Qt.ArrowCursor)
        self._show()

    def choose(self, class_index: int) -> None:
        """A class clicked in the live panel: its map from now on (the top class: follow the top again)."""
        if not self.on:
            return
        top = self.window.smoothed[0].index if self.window is not None else None
        self.chosen = None if class_index == top else int(class_index)
        if self.strip.heat is not None and self.strip.heat.class_index != class_index:
            self.strip.clear_heat()  # another class's map must not sit under this class's name
        self.w.live.set_explain(True, self.chosen)
        self._show()

    def on_window(self, result) -> None:
        """A new window is on screen: a map of another window is now an earlier one."""
        self.window = result
        if self.on and self.strip.heat is not None:
            self.strip.mark_heat_older(abs(self.strip.heat.t - result.t) > TIME_EPS)
        self._show()

    def reset(self) -> None:
        """Another source: no map, and each window's top class again."""
        self.window, self.chosen, self.error = None, None, None
        self.strip.clear_heat()
        if self.on:
            self.w.live.set_explain(True, None)
        self._show()

    # -- from the worker -------------------------------------------------------------------
    def _on_maps(self, maps) -> None:
        if not self.on or (self.chosen is not None and maps.class_index != self.chosen):
            return  # off, or a map asked for before another class was chosen
        self.error = None
        older = self.window is not None and abs(maps.t - self.window.t) > TIME_EPS
        self.strip.set_heat(maps, older)
        self._show()

    def _on_error(self, message: str) -> None:
        if not self.on:
            return
        self.strip.clear_heat()  # no earlier map left standing in for this window's
        if message != self.error:
            self.error = message
            self.w.notifier.warning(f"No saliency map for this window: {message}")
        self._show()

    # -- what it says ------------------------------------------------------------------------
    def _show(self) -> None:
        self.panel.set_marked(self.class_index if self.on else None)
        heat = self.strip.heat
        if not self.on:
            text = ""
        elif heat is not None:
            text = f"where the model looked for: {heat.label}"
            if self.strip.heat_older:
                text += f" · window {format_time(heat.start)}–{format_time(heat.t)} (the live one's map is coming)"
        elif self.error is not None:
            text = "no map for this window: see the message above"
        elif self.class_index is None:
            text = "maps appear with the next window"
        else:
            text = f"computing where the model looked for: {self._label_of(self.class_index)}…"
        self.label.setText(text)
        self.label.setToolTip(text)
        self.panel.setToolTip(self.panel.toolTip().split("\n\n")[0] + (
            "\n\nClick a class to see where the model looked for it" if self.on else ""))
