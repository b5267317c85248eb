"""The Evaluation panel through pytest-qt: a real run on a background thread, cancel and resume."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.helpers.mini_kinetics import TINY, expected_metrics, make_folders, probabilities, truth

from umt_desktop.core.evaluation.history import History
from umt_desktop.gui.eval_panel import EvalPanel


@pytest.fixture
def panel(qtbot):
    widget = EvalPanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    yield widget
    widget.shutdown()


def _configure(panel, root):
    panel.configure(root, checkpoints=[str(TINY)], views="1x1", device="cpu")
    panel.workers_spin.setValue(0)


def test_a_run_shows_metrics_charts_and_history(panel, qtbot, tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets)
    _configure(panel, root)
    qtbot.waitUntil(lambda: "videos in" in panel.summary_label.text(), timeout=30_000)
    assert "class folders" in panel.summary_label.text()
    with qtbot.waitSignal(panel.finished, timeout=120_000) as blocker:
        assert panel.start()
        assert not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
    assert blocker.args == [True]
    [result] = panel.results
    want = expected_metrics(probs, targets)
    assert result.top1 == pytest.approx(want["top1"], abs=1e-3)
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 0).text() == "tiny_umt"
    assert panel.table.item(0, 1).text() == f"{result.top1:.2f}%"
    assert panel.table.item(0, 7).text() == "1"  # the corrupt video
    assert len(panel.class_chart.values) == len(set(targets))
    assert panel.worst_chart.items and panel.progress_bar.value() == panel.progress_bar.maximum()
    assert panel.history_table.rowCount() == 1 and panel.history_table.item(0, 2).text() == "finished"
    assert not panel.grab().isNull()  # charts and tables paint


def test_cancel_then_resume_from_the_history(panel, qtbot, tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    _configure(panel, root)
    with qtbot.waitSignal(panel.finished, timeout=120_000) as blocker:
        panel.start()
        panel.cancel()
    assert blocker.args == [False]
    with History() as history:
        [run] = history.runs()
        assert run.status == "interrupted"
    panel.history_table.selectRow(0)
    with qtbot.waitSignal(panel.finished, timeout=120_000) as blocker:
        assert panel.resume_selected()
    assert blocker.args == [True]
    assert panel.results[0].run_id == run.id
    assert panel.results[0].top1 == pytest.approx(expected_metrics(probs, targets)["top1"], abs=1e-3)
    assert panel.history_table.item(0, 2).text() == "finished"


def test_start_without_a_folder_reports_why(panel, qtbot):
    with qtbot.waitSignal(panel.finished, timeout=5_000) as blocker:
        assert not panel.start()
    assert blocker.args == [False]
    assert "choose a dataset folder" in panel.status_label.text()


def test_gui_eval_screenshot_runs_headless(tmp_path):
    root = make_folders(tmp_path / "k", truth(probabilities("1x1")), corrupt=False)
    png = tmp_path / "eval.png"
    proc = subprocess.run(
        [sys.executable, "-m", "umt_desktop", "gui", "--eval", str(root), "--checkpoint", str(TINY),
         "--views", "1x1", "--device", "cpu", "--screenshot", str(png)],
        capture_output=True, text=True, timeout=240, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert png.stat().st_size > 10_000
