"""Every keyboard shortcut of the window, in one table.

The window gives its actions their keys from `SHORTCUTS` (`apply_shortcuts`), and
Help -> Keyboard shortcuts lists the same rows, so the list cannot drift from
what the keys do. Keys are written in Qt's portable form ("Ctrl+O"); menus and
the list show them in the platform's own form (Cmd on macOS).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence


@dataclass(frozen=True)
class Shortcut:
    action: str  # the name of the window's QAction (menus.Actions attribute)
    keys: tuple[str, ...]  # the first one is shown in the menus
    text: str  # what it does, as the list says it
    section: str
    standard: QKeySequence.StandardKey | None = None  # the platform's own keys for this, added after `keys`


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("open", ("Ctrl+O",), "Open videos", "File"),
    Shortcut("url", ("Ctrl+U",), "Open a stream URL", "File"),
    Shortcut("export", ("Ctrl+E",), "Export the results (JSON or CSV)", "File"),
    Shortcut("snapshot", ("Ctrl+Shift+S",), "Save the current frame with its overlay as PNG", "File"),
    Shortcut("preferences", ("Ctrl+,",), "Preferences (sliding window, smoothing, threshold, top-k)", "File"),
    Shortcut("quit", ("Ctrl+Q",), "Quit", "File"),
    Shortcut("play", ("Space",), "Play / pause (or click the video)", "Playback"),
    Shortcut("step", (".",), "Step: classify the next window, then pause", "Playback"),
    Shortcut("step_back", (",",), "Step back one window", "Playback"),
    Shortcut("forward", ("Right",), "Seek forward by one stride", "Playback"),
    Shortcut("back", ("Left",), "Seek back by one stride", "Playback"),
    Shortcut("stop", ("Ctrl+.",), "Stop", "Playback"),
    Shortcut("previous", ("PgUp",), "Previous in the playlist", "Playback"),
    Shortcut("next", ("PgDown",), "Next in the playlist", "Playback"),
    Shortcut("playlist_remove", ("Del",), "Remove the selected item from the playlist", "Playback"),
    Shortcut("reclassify", ("Ctrl+R",), "Classify the whole video again (4 clips × 3 crops)", "Playback"),
    Shortcut("models", ("Ctrl+M",), "Model manager", "Model"),
    Shortcut("explain", ("Ctrl+Shift+H",), "Why this label: where the model looked (saliency maps on the filmstrip)",
             "View"),
    Shortcut("full_screen", ("F11",), "Full screen", "View", QKeySequence.FullScreen),
    Shortcut("leave_full_screen", ("Esc",), "Leave full screen", "View"),
    Shortcut("documentation", ("F1",), "Documentation", "Help"),
    Shortcut("shortcuts", ("Ctrl+/",), "Keyboard shortcuts (this list)", "Help"),
)


def shortcut(action: str) -> Shortcut:
    for row in SHORTCUTS:
        if row.action == action:
            return row
    raise KeyError(f"no shortcut for {action!r}")


def key_sequences(row: Shortcut) -> list[QKeySequence]:
    keys = [QKeySequence(k) for k in row.keys]
    if row.standard is not None:
        keys += [k for k in QKeySequence.keyBindings(row.standard) if k not in keys]
    return keys


def native_text(row: Shortcut) -> str:
    """The keys as the platform writes them, e.g. 'Ctrl+O' or '⌘O'; several keys joined by 'or'."""
    return " or ".join(k.toString(QKeySequence.NativeText) for k in key_sequences(row))


def apply_shortcuts(actions: dict[str, QAction]) -> None:
    """Give each action its keys from the table; an action the table does not know is an error.

    The window passes every action that has a shortcut, so a new shortcut must
    be added here, where the list in Help -> Keyboard shortcuts reads it too.
    """
    known = {row.action for row in SHORTCUTS}
    unknown = set(actions) - known
    if unknown:
        raise KeyError(f"actions without a row in SHORTCUTS: {', '.join(sorted(unknown))}")
    for row in SHORTCUTS:
        action = actions.get(row.action)
        if action is not None:
            action.setShortcuts(key_sequences(row))
