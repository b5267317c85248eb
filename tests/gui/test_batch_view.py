"""The batch view on its own: a real job on the JobRunner, the table sorted, filtered and exported by hand."""

from __future__ import annotations

import csv
import json
import os
import shutil

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from umt_desktop.core.batch import most_confident_window
from umt_desktop.gui.batch_view import COLUMNS, DURATION, FILE, LABEL, SCORE, STATUS, BatchView
from umt_desktop.gui.notifications import Notifier
from umt_desktop.gui.workers import JobRunner

WAIT = 300_000  # ms; generous for a loaded machine, never a timing assertion


@pytest.fixture
def view(qtbot):
    notifier = Notifier()
    runner = JobRunner(notifier)
    v = BatchView(runner, notifier)
    v.resize(900, 500)
    qtbot.addWidget(v)
    v.show()
    yield v
    runner.shutdown()


@pytest.fixture
def folder(tmp_path, make_video, reference_videos):
    root = tmp_path / "clips"
    (root / "sub").mkdir(parents=True)
    shutil.copy(reference_videos[0][0], root / "a.mp4")
    shutil.copy(reference_videos[1][0], root / "sub" / "b.mp4")
    make_video("c.mp4", frames=36, fps=12.0, seed=5).rename(root / "sub" / "c.mp4")
    (root / "sub" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    (root / "readme.txt").write_text("notes")
    return root


def _cell(view, row, col, role=Qt.DisplayRole):
    return view.proxy.index(row, col).data(role)


def _column(view, col):
    return [_cell(view, r, col) for r in range(view.proxy.rowCount())]


def _click_header(qtbot, view, col):
    header = view.table.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=QPoint(x, header.height() // 2))


@pytest.mark.timeout(900)
def test_batch_fills_the_table_sorts_filters_exports_and_opens_the_best_window(
        qtbot, view, folder, tiny_classifier, tmp_path):
    view.workers = 1  # real decode worker processes
    with qtbot.waitSignal(view.batchFinished, timeout=WAIT):
        assert view.start(tiny_classifier, [str(folder)])
    assert [view.model.headerData(c, Qt.Horizontal) for c in range(len(COLUMNS))] == list(COLUMNS)
    assert _column(view, FILE) == ["a.mp4", "sub/b.mp4", "sub/broken.mp4", "sub/c.mp4"]
    assert _column(view, STATUS) == ["done", "done", "failed", "done"]
    assert "4 videos" in view.title.text() and "1 other file skipped" in view.title.text()
    assert view.status.text().startswith("Done: 4 videos") and "1 failed" in view.status.text()
    assert view.progress_bar.value() == view.progress_bar.maximum() == 4
    assert not view.cancel_button.isEnabled() and not view.resume_button.isEnabled()

    # The numbers are one-by-one classify's.
    for r in (0, 1, 3):
        video = str(folder / _cell(view, r, FILE))
        one = tiny_classifier.classify(video, views="4x3")
        assert _cell(view, r, LABEL) == one.top[0].label
        assert _cell(view, r, SCORE) == f"{one.top[0].score * 100:.1f}%"
        tip = _cell(view, r, FILE, Qt.ToolTipRole).splitlines()
        assert tip[0] == video and len(tip) == 6 and tip[1].startswith(f"1. {one.top[0].label}")
        np.testing.assert_allclose(view.model.rows[r].item.result.probs, one.probs, atol=1e-5, rtol=0)
    assert _cell(view, 3, DURATION) == "0:03"
    assert "cannot be opened" in _cell(view, 2, FILE, Qt.ToolTipRole)

    # Sort by score with a click on its header: highest first after the second click, failed last.
    _click_header(qtbot, view, SCORE)
    _click_header(qtbot, view, SCORE)
    scores = [float(s.rstrip("%")) for s in _column(view, SCORE) if s]
    assert scores == sorted(scores, reverse=True) and _column(view, STATUS)[-1] == "failed"

    # Filter by the class of the best-scored video, chosen in the combo box with the keyboard.
    best = _cell(view, 0, LABEL)
    combo = view.class_filter
    combo.setFocus()
    while combo.currentData() != best:
        qtbot.keyClick(combo, Qt.Key_Down)
    shown = _column(view, LABEL)
    assert shown and set(shown) == {best} and combo.currentText().startswith(f"{best} (")
    while combo.currentData() is not None:
        qtbot.keyClick(combo, Qt.Key_Up)
    assert view.proxy.rowCount() == 4

    # Double-click a row: its most confident window is found, the player is asked to open it there.
    row_a = _column(view, FILE).index("a.mp4")
    rect = view.table.visualRect(view.proxy.index(row_a, FILE))
    with qtbot.waitSignal(view.openRequested, timeout=WAIT) as opened:
        qtbot.mouseClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())
    path, seconds = opened.args
    label = view.model.rows[0].item.top[0].index
    assert path == str(folder / "a.mp4")
    assert seconds == most_confident_window(tiny_classifier, path, label)[0]
    qtbot.waitUntil(lambda: view.hint.text().startswith("Double-click"))

    # Export through the real (Qt) file dialog: paste the name (typed key by key, the dialog's
    # completer walks into each folder), press Enter.
    target = tmp_path / "labels.jsonl"
    qtbot.mouseClick(view.export_button, Qt.LeftButton)
    dialog = view.findChild(QFileDialog, "batch-export")
    qtbot.waitUntil(dialog.isVisible)
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    name.selectAll()
    QApplication.clipboard().setText(str(target))
    qtbot.keyClick(name, Qt.Key_V, Qt.ControlModifier)
    qtbot.keyClick(name, Qt.Key_Return)
    qtbot.waitUntil(target.exists)
    rows = [json.loads(ln) for ln in target.read_text().splitlines()]
    assert len(rows) == 4 and {os.path.relpath(r["video"], folder) for r in rows} == {
        "a.mp4", "sub/b.mp4", "sub/broken.mp4", "sub/c.mp4"}
    assert rows[0]["top"][0]["label"] == best and "error" in rows[-1]  # the table's order


@pytest.mark.timeout(900)
def test_cancel_keeps_what_finished_and_resume_does_the_rest(qtbot, view, tmp_path, make_video, tiny_classifier):
    clip = make_video("clip.mp4", frames=24, size=(96, 72))
    root = tmp_path / "many"
    root.mkdir()
    for i in range(40):
        os.symlink(clip, root / f"v{i:02d}.mp4")
    view.workers = 0
    first = []

    def cancel_at_first(*_):
        if not first:
            first.append(True)
            qtbot.mouseClick(view.cancel_button, Qt.LeftButton)

    view.model.dataChanged.connect(cancel_at_first)
    with qtbot.waitSignal(view.batchFinished, timeout=WAIT):
        view.start(tiny_classifier, [str(root)], views="1x1")
    done = _column(view, STATUS).count("done")
    assert 1 <= done < 40 and _column(view, STATUS).count("waiting") == 40 - done
    assert view.status.text().startswith(f"Cancelled: {done} of 40") and view.resume_button.isEnabled()
    view.model.dataChanged.disconnect(cancel_at_first)

    with qtbot.waitSignal(view.batchFinished, timeout=WAIT):
        qtbot.mouseClick(view.resume_button, Qt.LeftButton)
    assert _column(view, STATUS) == ["done"] * 40
    assert view.status.text().startswith("Done: 40 videos") and view.progress_bar.value() == 40

    target = tmp_path / "all.csv"
    assert view.export(str(target)) == target
    table = list(csv.DictReader(target.open()))
    assert len(table) == 40 and len({r["video"] for r in table}) == 40
