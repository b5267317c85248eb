"""The window and its Evaluate tab against a damaged history and an unusable data folder:
the window opens and classifies, the tab says what is wrong in one line and, for a damaged
file, offers to move it aside (renamed, never deleted)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtCore import QThreadPool  # noqa: E402
from tests.helpers.history import damage_later_pages, fill_history, other_schema  # noqa: E402

from umt_desktop.core.paths import database_path  # noqa: E402


@pytest.fixture
def window(qtbot, tiny_checkpoint):
    from umt_desktop.core.settings import Settings
    from umt_desktop.gui.main_window import MainWindow

    opened = []

    def make():
        w = MainWindow(Settings.load(), model=str(tiny_checkpoint))
        w.settings_persist = False
        qtbot.addWidget(w)
        w.resize(1280, 800)
        w.show()
        opened.append(w)
        return w

    yield make
    for w in opened:
        w.close()
    assert QThreadPool.globalInstance().waitForDone(30_000)


def _open_evaluate_tab(qtbot, w) -> None:
    bar = w.tabs.tabBar()
    [index] = [i for i in range(bar.count()) if bar.tabText(i).replace("&", "") == "Evaluate"]
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(index).center())
    assert w.tabs.currentWidget() is w.eval_page



@pytest.mark.parametrize("damage", [damage_later_pages, other_schema], ids=["damaged-pages", "other-schema"])
def test_a_damaged_history_opens_the_window_and_is_moved_aside_by_a_click(window, qtbot, damage):
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if damage is damage_later_pages:
        fill_history(path)
    damage(path)
    spoiled = path.read_bytes()
    w = window()
    qtbot.waitUntil(lambda: w.classifier is not None, timeout=60_000)  # the Classify tab works
    _open_evaluate_tab(qtbot, w)
    panel = w.eval_panel
    qtbot.waitUntil(lambda: panel.history_problem.isVisible(), timeout=30_000)
    text = panel.history_problem_label.text()
    assert str(path) in text and "Move the damaged file aside" in text and "`" not in text and "--" not in text
    assert panel.move_aside_button.isVisible()
    qtbot.mouseClick(panel.move_aside_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not panel.history_problem.isVisible(), timeout=30_000)
    [aside] = [p for p in path.parent.iterdir() if p.name.startswith(path.name + ".damaged-") and
               not p.name.endswith(("-wal", "-shm", "-journal"))]
    assert aside.read_bytes() == spoiled  # moved, not deleted nor changed
    assert str(aside) in w.notifier.last("info").text
    assert panel.history_table.rowCount() == 0  # a new, empty history


def test_a_data_folder_that_cannot_be_created_leaves_the_window_working(window, qtbot, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    folder = blocker / "data"
    monkeypatch.setenv("UMT_DESKTOP_DATA_DIR", str(folder))
    w = window()
    qtbot.waitUntil(lambda: w.classifier is not None, timeout=60_000)
    _open_evaluate_tab(qtbot, w)
    panel = w.eval_panel
    qtbot.waitUntil(lambda: panel.history_problem.isVisible(), timeout=30_000)
    text = panel.history_problem_label.text()
    assert f"cannot create the data folder {folder}" in text
    assert not panel.move_aside_button.isVisible()  # nothing to move aside
    assert not Path(folder).exists()
