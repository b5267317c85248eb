"""Classify all from the window: a real drop of a folder, the choice bar, the Batch tab, the player."""

from __future__ import annotations

import csv
import os
import shutil

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from umt_desktop.gui.batch_view import FILE, LABEL, SCORE, STATUS

WAIT = 300_000  # ms; generous for a loaded machine, never a timing assertion


def _column(view, col):
    return [view.proxy.index(r, col).data() for r in range(view.proxy.rowCount())]


@pytest.mark.timeout(900)
def test_drop_a_folder_classify_all_sort_filter_export_and_play_the_best_window(
        qtbot, make_window, drop, tmp_path, reference_videos, tiny_classifier):
    root = tmp_path / "clips"
    (root / "day2" / "cam").mkdir(parents=True)
    shutil.copy(reference_videos[0][0], root / "a.mp4")
    shutil.copy(reference_videos[1][0], root / "day2" / "b.mp4")
    shutil.copy(reference_videos[0][0], root / "day2" / "cam" / "c.mp4")
    (root / "day2" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    (root / "list.txt").write_text("not a video")
    w = make_window()

    drop(w, [root])
    bar = w.drop_choice
    qtbot.waitUntil(bar.isVisible, timeout=WAIT)  # the folder is read in a job
    assert bar.isVisible() and "1 folder" in bar.text.text()
    assert w.source is None  # nothing plays before the choice
    view = w.batch_view
    qtbot.mouseClick(bar.classify_button, Qt.LeftButton)
    assert not bar.isVisible() and w.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: not view.running() and "Done" in view.status.text(), timeout=WAIT)
    assert w.source is None  # classified, not played

    assert _column(view, FILE) == ["a.mp4", "day2/b.mp4", "day2/broken.mp4", "day2/cam/c.mp4"]
    assert _column(view, STATUS) == ["done", "done", "failed", "done"]
    assert "1 other file skipped" in view.title.text() and "1 failed" in view.status.text()
    one = {name: tiny_classifier.classify(root / name, topk=5) for name in ("a.mp4", "day2/b.mp4")}
    assert _column(view, LABEL)[:2] == [one["a.mp4"].top[0].label, one["day2/b.mp4"].top[0].label]
    assert _column(view, LABEL)[3] == _column(view, LABEL)[0]  # c.mp4 is a copy of a.mp4

    # Sort by label with a click on the header, then filter to a's class with the combo box.
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(LABEL) + header.sectionSize(LABEL) // 2
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=QPoint(x, header.height() // 2))
    labels = [lab for lab in _column(view, LABEL) if lab]
    assert labels == sorted(labels, key=str.lower) and _column(view, STATUS)[-1] == "failed"
    wanted = one["a.mp4"].top[0].label
    combo = view.class_filter
    combo.setFocus()
    while combo.currentData() != wanted:
        qtbot.keyClick(combo, Qt.Key_Down)
    assert one["day2/b.mp4"].top[0].label != wanted  # the fixtures differ
    assert set(_column(view, FILE)) == {"a.mp4", "day2/cam/c.mp4"} and combo.currentText() == f"{wanted} (2)"

    # Export what the filter shows, as CSV, through the dialog.
    target = tmp_path / "out" / "labels.csv"
    target.parent.mkdir()
    qtbot.mouseClick(view.export_button, Qt.LeftButton)
    dialog = view.findChild(QFileDialog, "batch-export")
    qtbot.waitUntil(dialog.isVisible)
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    name.selectAll()
    QApplication.clipboard().setText(str(target))
    qtbot.keyClick(name, Qt.Key_V, Qt.ControlModifier)
    qtbot.keyClick(name, Qt.Key_Return)
    qtbot.waitUntil(target.exists)
    table = list(csv.DictReader(target.open()))
    assert {os.path.relpath(r["video"], root) for r in table} == set(_column(view, FILE))
    assert all(r["top1_label"] == wanted for r in table)
    assert float(table[0]["top1_score"]) == pytest.approx(one["a.mp4"].top[0].score, abs=1e-5)

    # Double-click a.mp4: the Classify page plays it from its most confident window.
    row = _column(view, FILE).index("a.mp4")
    rect = view.table.visualRect(view.proxy.index(row, SCORE))
    qtbot.mouseClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: w.source == str(root / "a.mp4"), timeout=WAIT)
    assert w.tabs.currentWidget() is w.page
    qtbot.waitUntil(lambda: w.predictions_shown > 0, timeout=WAIT)

