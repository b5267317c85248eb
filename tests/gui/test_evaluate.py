"""The Evaluate tab driven as a person drives it: typing the folder, picking checkpoints in
the list and the file dialog, clicking Start / Cancel / Resume and past runs, reading the
figures from the widgets. Real runs on worker threads, a real history database."""

from __future__ import annotations

import csv
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from tests.helpers.mini_kinetics import TINY, expected_metrics, make_folders, names, probabilities, truth

from umt_desktop.core.evaluation.history import History
from umt_desktop.core.evaluation.run import EvalRun, EvalSettings
from umt_desktop.core.paths import database_path
from umt_desktop.gui.evaluate import EvalPanel
from umt_desktop.gui.evaluate.results import best_and_worst
from umt_desktop.gui.notifications import Notifier

RUN_TIMEOUT = 180_000


@pytest.fixture
def notifier():
    return Notifier()


@pytest.fixture
def panel(qtbot, notifier):
    widget = EvalPanel(notifier=notifier)  # with its own JobRunner (the window passes its own)
    qtbot.addWidget(widget)
    widget.resize(1260, 740)
    widget.show()
    yield widget
    widget.shutdown()


# -- what a person does -----------------------------------------------------------------------
def type_text(qtbot, edit, text: str, enter: bool = False) -> None:
    qtbot.mouseClick(edit, Qt.LeftButton)
    qtbot.keyClick(edit, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(edit, text)
    if enter:
        qtbot.keyClick(edit, Qt.Key_Return)


def choose(qtbot, combo, text: str) -> None:
    """Pick an entry of a closed combo box by typing its first letters (keyboard search)."""
    combo.setFocus()
    qtbot.keyClicks(combo, text)
    assert combo.currentText().startswith(text)


def set_number(qtbot, spin, value: int) -> None:
    type_text(qtbot, spin, str(value), enter=True)
    assert spin.value() == value


def add_checkpoint_file(qtbot, panel, path) -> None:
    """Click "Add checkpoint file…", paste the path into the dialog's file name, press Enter.
    (Typed key by key, the dialog's completer walks into each folder as it goes.)"""
    qtbot.mouseClick(panel.add_checkpoint_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: _open_dialog(panel) is not None, timeout=5_000)
    dialog = _open_dialog(panel)
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    QApplication.clipboard().setText(str(path))
    qtbot.keyClick(name, Qt.Key_V, Qt.ControlModifier)
    qtbot.keyClick(name, Qt.Key_Return)
    qtbot.waitUntil(lambda: _open_dialog(panel) is None, timeout=5_000)


def _open_dialog(panel):
    dialogs = [d for d in panel.findChildren(QFileDialog) if d.isVisible()]
    return dialogs[0] if dialogs else None


def click_item(qtbot, view, rect) -> None:
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())


def click_checkbox(qtbot, list_widget, text: str) -> None:
    """Click the check box of the list entry whose text starts with `text`."""
    [item] = [list_widget.item(i) for i in range(list_widget.count()) if list_widget.item(i).text().startswith(text)]
    rect = list_widget.visualItemRect(item)
    qtbot.mouseClick(list_widget.viewport(), Qt.LeftButton, pos=QPoint(rect.left() + 10, rect.center().y()))


def click_history_row(qtbot, panel, row: int) -> None:
    table = panel.history_table
    click_item(qtbot, table, table.visualItemRect(table.item(row, 0)))


def fill_form(qtbot, panel, root, checkpoint=TINY) -> None:
    type_text(qtbot, panel.root_edit, str(root), enter=True)
    add_checkpoint_file(qtbot, panel, checkpoint)
    choose(qtbot, panel.views_combo, "1x1")
    choose(qtbot, panel.device_combo, "cpu")
    set_number(qtbot, panel.workers_spin, 0)


def history_shows(panel, status: str, row: int = 0) -> bool:
    item = panel.history_table.item(row, 2)
    return item is not None and item.text() == status


# -- tests ---------------------------------------------------------------------------------------
def test_a_run_started_by_clicking_shows_metrics_charts_and_history(panel, qtbot, tmp_path, notifier):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets)
    fill_form(qtbot, panel, root)
    qtbot.waitUntil(lambda: "videos in" in panel.summary_label.text(), timeout=30_000)
    assert "class folders" in panel.summary_label.text()
    assert panel.checkpoints() == [str(TINY)]
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(panel.start_button, Qt.LeftButton)
        assert not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
    assert blocker.args == [True], panel.status_label.text()
    assert notifier.last("error") is None
    [result] = panel.results
    want = expected_metrics(probs, targets)
    assert result.top1 == pytest.approx(want["top1"], abs=1e-3)
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 0).text() == "tiny_umt"
    assert panel.table.item(0, 1).text() == f"{result.top1:.2f}%"
    assert panel.table.item(0, 7).text() == "1"  # the corrupt video
    assert panel.table.item(0, 3).text() == "–"  # no published figure to compare with
    assert f"top-1 {result.top1:.2f}%" in panel.status_label.text()
    assert "tiny_umt: top-1" in panel.live_label.text()
    # Per-class bars name every class of the data, 0 % classes included.
    assert sorted(label for label, _, _ in panel.class_chart.values) == sorted(set(names(targets)))
    assert any(acc == 0.0 for _, acc, _ in panel.class_chart.values)
    assert panel.worst_chart.items and all(acc < 100 for _, acc in panel.worst_chart.items)
    assert all(acc > 0 for _, acc in panel.best_chart.items)
    assert {label for label, _ in panel.worst_chart.items}.isdisjoint(label for label, _ in panel.best_chart.items)
    # Confused pairs carry both names.
    assert panel.confused_chart.items
    assert all(true and pred and true != pred for true, pred, _ in panel.confused_chart.items)
    # The failed video is listed with its error.
    assert panel.failed_table.rowCount() == 1
    assert "zz_corrupt.mp4" in panel.failed_table.item(0, 0).text()
    assert panel.failed_table.item(0, 1).text()
    assert panel.results_view.details.tabText(3) == "Failed videos (1)"
    assert panel.progress_bar.value() == panel.progress_bar.maximum()
    assert panel.history_table.rowCount() == 1 and panel.history_table.item(0, 2).text() == "finished"
    assert panel.history_table.item(0, 5).text() == f"tiny_umt {result.top1:.2f}%"
    assert [q["top1"] for q in panel.runs_chart.points] == [result.top1]
    assert not panel.grab().isNull()  # charts and tables paint


def test_cancel_then_resume_by_clicking(panel, qtbot, tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    fill_form(qtbot, panel, root)
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(panel.start_button, Qt.LeftButton)
        qtbot.mouseClick(panel.cancel_button, Qt.LeftButton)
    assert blocker.args == [False]
    with History() as history:
        [run] = history.runs()
        assert run.status == "interrupted"
    status = panel.status_label.text()
    assert "Resume" in status and "umt-desktop" not in status and "--" not in status
    # The stopped run is selected under Past runs, ready to resume.
    assert panel.selected_run() == run.id and panel.resume_button.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(panel.resume_button, Qt.LeftButton)
    assert blocker.args == [True], panel.status_label.text()
    assert panel.results[0].run_id == run.id
    assert panel.results[0].top1 == pytest.approx(expected_metrics(probs, targets)["top1"], abs=1e-3)
    assert panel.history_table.item(0, 2).text() == "finished"
    assert panel.selected_run() == run.id and not panel.resume_button.isEnabled()  # nothing left to resume


def test_start_without_a_folder_reports_why(panel, qtbot, notifier):
    with qtbot.waitSignal(panel.finished, timeout=5_000) as blocker:
        qtbot.mouseClick(panel.start_button, Qt.LeftButton)
    assert blocker.args == [False]
    assert "choose a dataset folder" in panel.status_label.text()
    assert "--" not in notifier.last("error").text


def test_start_without_a_checkpoint_reports_why(panel, qtbot, tmp_path):
    type_text(qtbot, panel.root_edit, str(tmp_path), enter=True)
    add_checkpoint_file(qtbot, panel, TINY)
    assert panel.checkpoints() == [str(TINY)]
    click_checkbox(qtbot, panel.model_list, "tiny_umt.pth")
    assert panel.checkpoints() == []
    with qtbot.waitSignal(panel.finished, timeout=5_000) as blocker:
        qtbot.mouseClick(panel.start_button, Qt.LeftButton)
    assert blocker.args == [False]
    assert "tick at least one checkpoint" in panel.status_label.text()


def test_a_folder_without_classes_is_explained_in_the_tabs_words(panel, qtbot, tmp_path):
    type_text(qtbot, panel.root_edit, str(tmp_path), enter=True)
    qtbot.waitUntil(lambda: panel.summary_label.text().startswith("⚠"), timeout=30_000)
    text = panel.summary_label.text()
    assert "no class folders" in text and "Annotations" in text and "--ann" not in text


def _stored_run(tmp_path, checkpoints, stop_after=None, views="1x1") -> str:
    targets = truth(probabilities("1x1"))
    root = make_folders(tmp_path / "k", targets, corrupt=False) if not (tmp_path / "k").exists() else tmp_path / "k"
    run = EvalRun(EvalSettings(root=str(root), checkpoints=[str(c) for c in checkpoints], views=views,
                               device="cpu", workers=0, batch_size=1), stop_after=stop_after, dist_env=None)
    try:
        run.run()
    except Exception:
        if stop_after is None:
            raise
    return run.run_id


def test_a_past_run_clicked_fills_the_form_and_resume_only_for_unfinished(qtbot, tmp_path, notifier):
    finished = _stored_run(tmp_path, [TINY])
    stopped = _stored_run(tmp_path, [TINY], stop_after=2)
    panel = EvalPanel(notifier=notifier)
    qtbot.addWidget(panel)
    panel.resize(1260, 740)
    panel.show()
    qtbot.waitUntil(lambda: panel.history_table.rowCount() == 2, timeout=30_000)
    assert [panel.history_table.item(i, 0).text() for i in range(2)] == [stopped, finished]
    assert panel.history_table.item(0, 2).text() == "interrupted"
    assert not panel.resume_button.isEnabled() and not panel.export_button.isEnabled()

    click_history_row(qtbot, panel, 1)
    qtbot.waitUntil(lambda: bool(panel.results) and panel.results[0].run_id == finished, timeout=30_000)
    assert panel.root_edit.text() == str(tmp_path / "k")
    assert panel.views_combo.currentText() == "1x1"
    assert panel.checkpoints() == [str(TINY)]
    assert not panel.resume_button.isEnabled() and panel.export_button.isEnabled()
    assert panel.table.item(0, 0).text() == "tiny_umt"

    click_history_row(qtbot, panel, 0)
    qtbot.waitUntil(lambda: bool(panel.results) and panel.results[0].run_id == stopped, timeout=30_000)
    assert panel.resume_button.isEnabled()
    assert "Not finished" in panel.results_view.run_label.text()
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(panel.resume_button, Qt.LeftButton)
    assert blocker.args == [True], panel.status_label.text()
    assert panel.results[0].run_id == stopped
    panel.shutdown()


def test_export_a_past_run_with_class_names(qtbot, tmp_path, notifier):
    run_id = _stored_run(tmp_path, [TINY])
    panel = EvalPanel(notifier=notifier)
    qtbot.addWidget(panel)
    panel.resize(1260, 740)
    panel.show()
    qtbot.waitUntil(lambda: history_shows(panel, "finished"), timeout=30_000)
    click_history_row(qtbot, panel, 0)
    dest = tmp_path / "out.csv"
    qtbot.mouseClick(panel.export_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: _open_dialog(panel) is not None, timeout=5_000)
    name = _open_dialog(panel).findChild(QLineEdit, "fileNameEdit")
    QApplication.clipboard().setText(str(dest))
    qtbot.keyClick(name, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClick(name, Qt.Key_V, Qt.ControlModifier)
    qtbot.keyClick(name, Qt.Key_Return)
    qtbot.waitUntil(lambda: notifier.last("success") is not None, timeout=30_000)
    assert str(dest) in notifier.last("success").text and run_id in notifier.last("success").text
    rows = list(csv.DictReader(dest.open()))
    assert len(rows) == len(truth(probabilities("1x1")))
    labels = set(names(truth(probabilities("1x1"))))
    assert all(r["target_label"] in labels for r in rows)  # class names, not only indices
    panel.shutdown()


def test_a_run_that_a_live_process_works_on_cannot_be_resumed(qtbot, notifier):
    with History() as history:
        run_id = history.create_run(
            root="/data/k400", ann=None, layout="folders", views="1x1",
            settings={"root": "/data/k400", "checkpoints": ["/m/a.pth"], "views": "1x1"}, summary={},
            checkpoints=[{"name": "a", "path": "/m/a.pth", "num_classes": 400}],
            videos=[("c/0.mp4", "c/0.mp4", "abseiling", None)],
        )  # owned by this process, which is alive: "running"
        panel = EvalPanel(notifier=notifier)
        qtbot.addWidget(panel)
        panel.show()
        qtbot.waitUntil(lambda: history_shows(panel, "running"), timeout=30_000)
        click_history_row(qtbot, panel, 0)
        qtbot.waitUntil(lambda: panel.root_edit.text() == "/data/k400", timeout=30_000)
        assert panel.selected_run() == run_id
        assert not panel.resume_button.isEnabled() and panel.export_button.isEnabled()
        panel.shutdown()
        history.release_run(run_id)


def test_the_tab_never_waits_on_the_history(qtbot, notifier):
    """Another process holds the history's write lock: the tab opens and stays usable; its
    reads wait on a worker thread and show the runs once the lock is released."""
    with History() as history:
        history.create_run(
            root="/data/k400", ann=None, layout="folders", views="1x1", settings={"root": "/data/k400"},
            summary={}, checkpoints=[{"name": "a", "path": "/m/a.pth", "num_classes": 400}],
            videos=[("c/0.mp4", "c/0.mp4", "abseiling", None)],
        )
        history.set_status(history.runs()[0].id, "interrupted")
    blocker = sqlite3.connect(database_path(), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        panel = EvalPanel(notifier=notifier)
        qtbot.addWidget(panel)
        panel.show()
        assert panel.history_table.rowCount() == 0  # not read yet, and the tab is here
        qtbot.mouseClick(panel.refresh_button, Qt.LeftButton)
        type_text(qtbot, panel.root_edit, "/data/k400")
        assert panel.root_edit.text() == "/data/k400"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    qtbot.waitUntil(lambda: history_shows(panel, "interrupted"), timeout=60_000)
    panel.shutdown()


def test_two_checkpoints_compared_with_a_chart_each(qtbot, tmp_path, notifier):
    other = shutil.copyfile(TINY, tmp_path / "other_umt.pth")
    first = _stored_run(tmp_path, [TINY, other])
    second = _stored_run(tmp_path, [TINY, other])
    panel = EvalPanel(notifier=notifier)
    qtbot.addWidget(panel)
    panel.resize(1260, 740)
    panel.show()
    qtbot.waitUntil(lambda: panel.history_table.rowCount() == 2, timeout=30_000)
    scores = panel.history_table.item(0, 5).text()
    assert "tiny_umt " in scores and "other_umt " in scores  # each number says whose it is

    click_history_row(qtbot, panel, 0)
    qtbot.waitUntil(lambda: len(panel.results) == 2 and panel.results[0].run_id == second, timeout=30_000)
    assert [panel.table.item(i, 0).text() for i in range(2)] == ["tiny_umt", "other_umt"]
    assert panel.checkpoint_combo.currentText() == "tiny_umt"
    assert "tiny_umt" in panel.class_chart.title
    choose(qtbot, panel.checkpoint_combo, "other")
    assert "other_umt" in panel.class_chart.title and "other_umt" in panel.worst_chart.title
    assert panel.runs_chart.name == "other_umt"
    assert [q["run_id"] for q in panel.runs_chart.points] == [first, second]
    # Clicking a row of the results table chooses that checkpoint too.
    click_item(qtbot, panel.table, panel.table.visualItemRect(panel.table.item(0, 0)))
    assert panel.checkpoint_combo.currentText() == "tiny_umt" and "tiny_umt" in panel.class_chart.title
    panel.shutdown()


def test_the_all_gpus_choice_runs_the_cores_torchrun_command_under_the_tabs_run_id(qtbot, tmp_path, notifier):
    """What "all N GPUs (torchrun)" starts, here with two CPU processes: the run is the one
    whose id the tab chose, followed through the history, with the same figures."""
    from umt_desktop.core.evaluation.history import new_run_id
    from umt_desktop.gui.evaluate import jobs
    from umt_desktop.gui.workers import Job, JobRunner

    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    settings = EvalSettings(root=str(root), checkpoints=[str(TINY)], views="1x1", device="cpu", workers=0)
    run_id = new_run_id()
    runner = JobRunner(notifier)
    job = Job(jobs.run_evaluation, settings, run_id, None, 2, name="evaluation")
    with qtbot.waitSignal(job.signals.finished, timeout=RUN_TIMEOUT):
        runner.start(job)
    assert job.error_message is None and notifier.last("error") is None
    assert isinstance(job.value, jobs.Finished) and job.value.run_id == run_id
    assert job.latest is not None and job.latest.total == len(targets)
    assert job.value.results[0].top1 == pytest.approx(expected_metrics(probs, targets)["top1"], abs=1e-3)
    with History() as history:
        assert [r.id for r in history.runs()] == [run_id]
        assert history.get_run(run_id).world_size == 2


def test_best_and_worst_classes_with_few_classes():
    per_class = [
        {"label": "a", "accuracy": 100.0}, {"label": "b", "accuracy": 100.0},
        {"label": "c", "accuracy": 0.0}, {"label": "d", "accuracy": 50.0},
    ]
    best, worst, _, _ = best_and_worst(per_class)
    assert [c["label"] for c in worst] == ["c", "d"]
    assert [c["label"] for c in best] == ["a", "b"]
    best, worst, _, _ = best_and_worst([{"label": "a", "accuracy": 100.0}, {"label": "b", "accuracy": 100.0}])
    assert worst == [] and [c["label"] for c in best] == ["a", "b"]
    best, worst, _, _ = best_and_worst([{"label": "a", "accuracy": 0.0}, {"label": "b", "accuracy": 0.0}])
    assert best == [] and [c["label"] for c in worst] == ["a"]
    many = [{"label": f"c{i:02d}", "accuracy": 0.0} for i in range(30)] + [{"label": "z", "accuracy": 90.0}]
    best, worst, best_note, worst_note = best_and_worst(many)
    assert len(worst) == 8 and worst_note == "and 22 more classes at 0.0 %"
    assert [c["label"] for c in best] == ["z"] and best_note == ""


def test_the_tab_fits_the_default_window(make_window, qtbot, tmp_path):
    other = shutil.copyfile(TINY, tmp_path / "a_checkpoint_with_a_rather_long_file_name_umt.pth")
    _stored_run(tmp_path, [TINY, other])
    window = make_window()
    window.resize(1280, 800)
    window.tabs.setCurrentWidget(window.eval_page)
    panel = window.eval_panel
    qtbot.waitUntil(lambda: panel.history_table.rowCount() == 1, timeout=30_000)
    click_history_row(qtbot, panel, 0)
    qtbot.waitUntil(lambda: len(panel.results) == 2, timeout=30_000)
    panel.status_label.setText("Run 20261126-013532-364d: " + "a long status line that must wrap " * 8)
    QApplication.processEvents()
    page = window.eval_page
    assert page.horizontalScrollBar().maximum() == 0  # no sideways scrolling of the tab
    for table in (panel.table, panel.history_table):
        assert table.horizontalHeader().length() <= table.viewport().width()
    header = panel.table.horizontalHeader()
    assert header.sectionSize(0) >= 140  # checkpoint names stay readable
    for col in range(1, panel.table.columnCount()):  # every figure shows in full
        assert header.sectionSize(col) >= panel.table.sizeHintForColumn(col)
    assert panel.status_label.height() > panel.status_label.fontMetrics().height() * 2  # it wrapped


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


def test_a_run_where_every_video_fails_says_so_instead_of_a_zero_accuracy(panel, qtbot, tmp_path, notifier):
    from tests.helpers.mini_kinetics import make_corrupt_folders

    root = make_corrupt_folders(tmp_path / "k", 3)
    fill_form(qtbot, panel, root)
    qtbot.waitUntil(lambda: "3 videos in" in panel.summary_label.text(), timeout=30_000)
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(panel.start_button, Qt.LeftButton)
    assert blocker.args == [False]
    status = panel.status_label.text()
    assert status.startswith("⚠ no video could be evaluated: all 3 failed (first: ") and "%" not in status
    assert notifier.last("error").text == status[2:]
    assert panel.live_label.text() == "tiny_umt: no prediction yet"  # the live figures gave no 0 % either
    assert history_shows(panel, "failed") and "%" not in panel.history_table.item(0, 5).text()
    # The failed run is shown: its failures, and no 0 % figures.
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=30_000)
    assert panel.selected_run() == panel.results[0].run_id
    assert [panel.table.item(0, col).text() for col in (1, 3, 4, 5, 6, 7)] == ["–", "–", "–", "–", "0", "3"]
    assert "No video could be evaluated" in panel.results_view.run_label.text()
    assert panel.failed_table.rowCount() == 3
    assert panel.results_view.details.tabText(3) == "Failed videos (3)"
    assert not panel.resume_button.isEnabled()  # every video has its row: resuming would fail the same way
