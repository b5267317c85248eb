"""Background jobs and the live bridge: results, errors, cancel, progress, clean ends."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool

from umt_desktop.core.errors import Cancelled, VideoError
from umt_desktop.gui.notifications import Notifier
from umt_desktop.gui.workers import Job, JobRunner, classify_video, load_model


@pytest.fixture
def runner(qtbot):
    notifier = Notifier()
    r = JobRunner(notifier)
    yield r
    assert r.shutdown(30)
    assert QThreadPool.globalInstance().activeThreadCount() == 0


def _run(qtbot, runner, job, **callbacks):
    with qtbot.waitSignal(job.signals.finished, timeout=60000):
        runner.start(job, **callbacks)
    qtbot.waitUntil(lambda: not runner.active, timeout=5000)  # the relay has handled every signal


def test_result_and_progress_arrive_in_the_gui_thread(qtbot, runner):
    seen, progress = [], []
    main = threading.get_ident()

    def work(job, x):
        assert threading.get_ident() != main
        job.progress(1, 2, "half")
        return x * 2

    _run(qtbot, runner, Job(work, 21), on_result=lambda v: seen.append((v, threading.get_ident())),
         on_progress=lambda d, t, text: progress.append((d, t, text)))
    assert seen == [(42, main)]
    assert progress == [(1.0, 2.0, "half")]


def test_user_errors_reach_the_notifier_as_one_line(qtbot, runner):
    errors = []

    def work(job):
        raise VideoError("clip.mp4 cannot be opened as a video")

    _run(qtbot, runner, Job(work), on_error=errors.append)
    assert errors == ["clip.mp4 cannot be opened as a video"]
    assert runner.notifier.last("error").text == "clip.mp4 cannot be opened as a video"


def test_bugs_are_reported_not_raised(qtbot, runner):
    def work(job):
        return {}["missing"]

    _run(qtbot, runner, Job(work, name="export"))
    text = runner.notifier.last("error").text
    assert text.startswith("export failed unexpectedly: KeyError")
    assert "\n" not in text


def test_cancel_between_steps(qtbot, runner):
    started, results, cancelled = threading.Event(), [], []

    def work(job):
        started.set()
        while not job.cancelled():
            job._cancel.wait(0.01)
        raise Cancelled("stopped")

    job = Job(work)
    job.signals.cancelled.connect(lambda: cancelled.append(True))
    with qtbot.waitSignal(job.signals.finished, timeout=10000):
        runner.start(job, on_result=results.append)
        assert started.wait(10)
        job.cancel()
    qtbot.waitUntil(lambda: bool(cancelled), timeout=5000)
    assert results == [] and runner.notifier.last("error") is None


def test_load_model_and_classify_video_jobs(qtbot, runner, tiny_checkpoint, tiny_classifier, make_video):
    loaded, steps = [], []
    _run(qtbot, runner, Job(load_model, str(tiny_checkpoint), "cpu", "float32"), on_result=loaded.append,
         on_progress=lambda d, t, text: steps.append(text))
    clf = loaded[0]
    assert clf.name == "tiny_umt" and str(clf.device) == "cpu"
    assert steps[0] == "Finding the checkpoint" and steps[-1] == "Ready"

    video = make_video()
    got = []
    _run(qtbot, runner, Job(classify_video, clf, str(video), "4x3", 5), on_result=got.append)
    expected = tiny_classifier.classify(video, views="4x3", topk=5)
    np.testing.assert_allclose(got[0].probs, expected.probs, atol=1e-5)
    assert got[0].views == "4x3" and got[0].seconds > 0


def test_load_model_reports_a_missing_model(qtbot, runner):
    _run(qtbot, runner, Job(load_model, "no-such-model"))
    assert "no-such-model" in runner.notifier.last("error").text


def test_live_stream_file_windows_and_clean_stop(qtbot, tiny_classifier, make_video):
    from umt_desktop.gui.live import LiveStream

    live = LiveStream()
    windows, frames = [], []
    live.window.connect(lambda r, thumbs: windows.append((r, thumbs)))
    live.frame.connect(lambda image, i, t: frames.append(i))
    with qtbot.waitSignal(live.opened, timeout=30000) as opened:
        live.start(str(make_video(frames=240)), tiny_classifier, span=1.0, stride=0.25)
    assert opened.args[0] == pytest.approx(10.0, abs=0.1)
    qtbot.waitUntil(lambda: len(windows) >= 2, timeout=60000)
    result, thumbs = windows[0]
    assert sorted(thumbs) == sorted(set(result.frames))  # the filmstrip gets the window's own frames
    assert all(t.shape[0] == 96 for t in thumbs.values())
    assert frames == sorted(frames)
    threads = live.threads()
    assert live.shutdown(10)
    assert all(t.isFinished() for t in threads)
    assert not live.running()


def test_live_stream_seek_starts_at_the_asked_second(qtbot, tiny_classifier, make_video):
    from umt_desktop.gui.live import LiveStream

    live = LiveStream()
    frames = []
    live.frame.connect(lambda image, i, t: frames.append((i, t)))
    live.start(str(make_video(frames=240)), tiny_classifier, span=1.0, stride=0.25, start=6.0)
    qtbot.waitUntil(lambda: bool(frames), timeout=30000)
    assert frames[0][0] >= 6 * 24 - 1 and frames[0][1] == pytest.approx(frames[0][0] / 24)
    assert live.shutdown(10)


def test_live_stream_reports_a_bad_source(qtbot, tiny_classifier, tmp_path):
    from umt_desktop.gui.live import LiveStream

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"junk" * 100)
    live = LiveStream()
    with qtbot.waitSignal(live.error, timeout=30000) as err:
        live.start(str(bad), tiny_classifier)
    assert "bad.mp4" in err.args[0]
    qtbot.waitUntil(lambda: not live.running(), timeout=10000)
    assert live.shutdown(5)
