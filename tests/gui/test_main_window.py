"""The main window end to end: drops, live windows, whole-video result, model switch, export, shutdown."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool, Qt
from PySide6.QtWidgets import QApplication

from umt_desktop.core.settings import Settings


def _wait_predictions(qtbot, w, n=1, timeout=60000):
    qtbot.waitUntil(lambda: w.predictions_shown >= n, timeout=timeout)


def test_drop_video_shows_live_windows_and_whole_video_result(qtbot, make_window, make_video, drop, tiny_classifier):
    video = make_video(frames=48)
    w = make_window()
    drop(w, [video])
    assert w.source == str(video)
    _wait_predictions(qtbot, w)
    qtbot.waitUntil(lambda: w.whole is not None, timeout=60000)

    # The 4x3 result is the published protocol through the real worker: same numbers as the core API.
    expected = tiny_classifier.classify(video, views="4x3", topk=5)
    np.testing.assert_allclose(w.whole.probs, expected.probs, atol=1e-5)
    assert [r.label for r in w.whole_panel.rows] == [t.label for t in expected.top]
    assert "s with" in w.whole_header.text()

    # The panels show the newest window (signals are handled only while the test waits).
    result = w.results[-1]
    assert len(result.frames) == 8
    assert w.live_panel.rows and w.live_panel.rows[0].label == result.smoothed[0].label
    assert w.video.prediction is not None
    assert w.timeline.entries and w.chart.windows
    assert [i for i, _ in w.filmstrip.frames] == result.frames
    assert any(img is not None for _, img in w.filmstrip.frames)
    qtbot.waitUntil(lambda: not w.live.running(), timeout=60000)
    assert w.timeline.duration == pytest.approx(2.0, abs=0.1)  # 48 frames at 24 fps
    assert "windows/s" in w.status_fps.text()
    assert "tiny_umt" in w.status_model.text()


def test_dropping_a_non_video_changes_nothing(qtbot, make_window, make_video, drop, tmp_path):
    w = make_window()
    video = make_video()
    drop(w, [video])
    _wait_predictions(qtbot, w)
    before = (w.source, list(w.playlist), w.session.index)

    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    drop(w, [text])
    assert (w.source, list(w.playlist), w.session.index) == before
    note = w.notifier.last("error")
    assert note is not None and "notes.txt is not a video" in note.text
    assert any("notes.txt" in t for t in w.banner.visible_texts())
    assert QApplication.activeModalWidget() is None  # never a blocking box


def test_dropping_several_files_queues_a_playlist(qtbot, make_window, make_video, drop, tmp_path):
    w = make_window()
    a, b = make_video("a.mp4", frames=24), make_video("b.mp4", frames=24, seed=1)
    junk = tmp_path / "c.txt"
    junk.write_text("x")
    drop(w, [a, junk, b])
    qtbot.mouseClick(w.drop_choice.play_button, Qt.LeftButton)  # play them, rather than classify all
    assert w.playlist == [str(a), str(b)]
    assert w.source == str(a)
    assert "c.txt is not a video" in w.notifier.last("warning").text
    assert w.playlist_box.isVisibleTo(w)
    # When the first file ends the next one plays by itself.
    qtbot.waitUntil(lambda: w.source == str(b), timeout=60000)
    _wait_predictions(qtbot, w)


def test_model_switch_while_streaming(qtbot, make_window, make_video, tiny_checkpoint):
    from umt_desktop.core.model.zoo import ModelStore

    ModelStore().import_file(tiny_checkpoint, "tiny-copy")
    w = make_window()
    video = make_video("long.mp4", frames=240)  # 10 s at 24 fps
    w.open_sources([str(video)])
    _wait_predictions(qtbot, w)
    worker = w.live.worker
    w.load_model("tiny-copy")
    qtbot.waitUntil(lambda: w.classifier is not None and w.classifier.name == "tiny-copy", timeout=60000)
    seen = w.predictions_shown
    _wait_predictions(qtbot, w, seen + 1)
    assert w.live.worker is worker  # switched in place, the stream was not restarted
    assert w.live.engine.classifier.name == "tiny-copy"
    assert w.settings["model"] == "tiny-copy"
    assert w.model_box.currentData() == "tiny-copy"


def test_pause_step_and_seek(qtbot, make_window, make_video):
    w = make_window()
    w.open_sources([str(make_video("long.mp4", frames=240))])
    _wait_predictions(qtbot, w)
    w.toggle_play()
    assert w.live.paused() and w.play_action.text() == "&Play"
    n = w.predictions_shown
    w.step()
    _wait_predictions(qtbot, w, n + 1)
    qtbot.waitUntil(lambda: w.live.paused(), timeout=10000)
    w.seek(8.0)
    qtbot.waitUntil(lambda: any(r.t >= 8.0 for r in w.results), timeout=60000)
    assert w.live.running()


def test_export_csv_json_and_snapshot(qtbot, make_window, make_video, tmp_path):
    from PySide6.QtGui import QImage

    w = make_window()
    video = make_video()
    w.open_sources([str(video)])
    qtbot.waitUntil(lambda: w.whole is not None and not w.live.running() and bool(w.results), timeout=60000)

    doc = json.loads(w.export(tmp_path / "out.json").read_text())
    assert doc["source"] == str(video)
    assert doc["whole_video"]["views"] == "4x3"
    assert len(doc["windows"]) == len(w.results)
    first = doc["windows"][0]
    assert set(first) >= {"t", "frames", "top", "smoothed", "latency_ms", "inference_ms"}

    with (w.export(tmp_path / "out.csv")).open() as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["kind"] == "whole_video_4x3"
    assert len(rows) == len(w.results) + 1
    assert rows[1]["top1_label"] == w.results[0].top[0].label

    png = w.snapshot(tmp_path / "snap.png")
    image = QImage(str(png))
    assert not image.isNull() and (image.width(), image.height()) == (160, 120)


def test_bad_video_is_a_message_not_a_crash(qtbot, make_window, tmp_path):
    w = make_window()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00not really a video" * 100)
    w.open_sources([str(broken)])
    qtbot.waitUntil(lambda: w.notifier.last("error") is not None, timeout=60000)
    assert "broken.mp4" in w.notifier.last("error").text
    qtbot.waitUntil(lambda: not w.live.running() and w.classify_job is None, timeout=60000)
    assert w.whole is None and not w.results
    assert QApplication.activeModalWidget() is None


def test_no_model_offers_download_or_import(qtbot, make_window):
    w = make_window(model=None, wait=False)
    assert w.classifier is None
    assert w.no_model_box.isVisibleTo(w)
    note = w.notifier.last("warning")
    assert "No model is installed" in note.text and note.action is not None
    assert w.video.placeholder[0] == "No model installed"


def test_close_stops_every_thread_and_saves_settings(qtbot, make_window, make_video, tiny_checkpoint):
    w = make_window()
    video = make_video("long.mp4", frames=240)
    w.open_sources([str(video)])
    _wait_predictions(qtbot, w)
    threads = w.live.threads()
    assert threads and threads[0].isRunning()
    w.resize(max(700, w.minimumSizeHint().width()), w.minimumSizeHint().height() + 17)  # offscreen screen: 800 wide
    size = (w.width(), w.height())
    w.close()
    assert all(t.isFinished() for t in threads)
    assert QThreadPool.globalInstance().activeThreadCount() == 0

    saved = Settings.load()
    assert saved["recent_files"][0] == str(video)
    assert saved["geometry"]
    assert saved["model"] == str(tiny_checkpoint.resolve())  # absolute: works from any folder
    # The geometry round-trips into a new window.
    from umt_desktop.gui.main_window import MainWindow

    again = MainWindow(saved, model=None)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == size
    again.close()


def test_a_missing_camera_is_a_message_and_leaves_no_thread(qtbot, make_window):
    w = make_window()
    assert w.open_sources(["camera:57"])
    qtbot.waitUntil(lambda: w.notifier.last("error") is not None, timeout=30000)
    assert "camera" in w.notifier.last("error").text.lower()
    qtbot.waitUntil(lambda: not w.live.running(), timeout=10000)
    assert not w.whole_box.isEnabled() and not w.timeline.isVisible()  # live sources have no 4x3 or timeline
    assert w.play_action.text() == "&Play"


def test_theme_switch_and_recent_menu(qtbot, make_window, make_video):
    from PySide6.QtGui import QPalette

    w = make_window()
    video = make_video()
    w.open_sources([str(video)])
    w.set_theme("dark")
    qtbot.waitUntil(lambda: w.palette().color(QPalette.Window).lightness() < 80, timeout=5000)
    assert w.settings["theme"] == "dark"
    w.set_theme("light")
    qtbot.waitUntil(lambda: w.palette().color(QPalette.Window).lightness() > 200, timeout=5000)
    qtbot.waitUntil(lambda: w.video.image is not None, timeout=60000)  # a file enters Open recent once it plays
    w.recent_menu.aboutToShow.emit()  # what opening File → Open recent does
    texts = [a.text() for a in w.recent_menu.actions()]
    assert any(video.name in t for t in texts)


def test_new_window_settings_restart_the_stream_where_it_is(qtbot, make_window, make_video):
    w = make_window()
    w.open_sources([str(make_video("long.mp4", frames=240))])
    qtbot.waitUntil(lambda: any(r.t >= 3.0 for r in w.results), timeout=60000)
    position = w.timeline.position
    w.apply_window_settings({"span": 2.0, "stride": 0.5, "smoothing": "off", "threshold": 0.1, "topk": 3})
    assert w.live.engine.span == 2.0 and w.live.engine.stride == 0.5
    n = len(w.results)
    qtbot.waitUntil(lambda: len(w.results) > n, timeout=60000)
    new = w.results[n]
    assert new.frames[0] >= int((position - 2.0) * 24) - 1 > 0  # resumed where it was, not from the start
    assert len(new.smoothed) == 3 and len(w.live_panel.rows) == 3
    np.testing.assert_allclose(new.smoothed_probs, new.probs)  # smoothing off
    assert Settings.load()["span"] != 2.0  # saved on close, not before
    with pytest.raises(ValueError):
        w.apply_window_settings({"smoothing": "sometimes"})


def test_dropping_a_folder_queues_its_videos(qtbot, make_window, make_video, drop, tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    from tests.helpers.videos import write_video

    b = write_video(folder / "b.mp4", frames=24)
    a = write_video(folder / "a.avi", frames=24)
    (folder / "readme.txt").write_text("x")
    empty = tmp_path / "empty"
    empty.mkdir()
    w = make_window()
    drop(w, [empty])
    qtbot.waitUntil(lambda: w.notifier.last("error") is not None, timeout=30_000)  # the folder is read in a job
    assert w.source is None and "empty is a folder without videos" in w.notifier.last("error").text
    drop(w, [folder])
    qtbot.waitUntil(w.drop_choice.isVisible, timeout=30_000)
    qtbot.mouseClick(w.drop_choice.play_button, Qt.LeftButton)
    assert w.playlist == [str(a), str(b)] and w.source == str(a)


def test_a_dropped_folder_is_read_in_a_job_and_the_playlist_fills_after_it(qtbot, make_window, drop, tmp_path):
    from tests.helpers.videos import write_video

    folder = tmp_path / "many"
    (folder / "deeper").mkdir(parents=True)
    videos = [write_video(folder / f"v{i}.mp4", frames=24, seed=i) for i in range(3)]
    write_video(folder / "deeper" / "w.mp4", frames=24)  # counted for Classify all; Play takes the top level
    for i in range(200):
        (folder / f"note{i:03d}.txt").write_text("x")
    w = make_window()
    drop(w, [folder])
    # The drop returned before the folder was read: nothing asked, nothing queued yet.
    assert not w.drop_choice.isVisible() and w.playlist == [] and w.source is None
    assert "looking for videos in what was dropped" in [j.name for j in w.runner.active]  # the window's JobRunner
    qtbot.waitUntil(w.drop_choice.isVisible, timeout=30_000)
    assert "1 folder" in w.drop_choice.text.text()
    qtbot.mouseClick(w.drop_choice.play_button, Qt.LeftButton)
    assert w.playlist == [str(v) for v in videos] and w.source == str(videos[0])
    # One video in a folder needs no choice: it plays once the job has read the folder.
    single = tmp_path / "single"
    single.mkdir()
    one = write_video(single / "only.mp4", frames=24)
    drop(w, [single])
    assert w.source == str(videos[0])
    qtbot.waitUntil(lambda: w.source == str(one), timeout=30_000)
    assert not w.drop_choice.isVisible()
