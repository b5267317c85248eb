"""The Qt stream worker: signals from a real QThread, stop, pause, switching source and model."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from tests.helpers.videos import write_video

from umt_desktop.core.video.readers import open_video

pytest.importorskip("pytestqt")

from umt_desktop.gui.stream_worker import StreamWorker  # noqa: E402


def no_capture_threads() -> bool:
    return not [t for t in threading.enumerate() if t.name.startswith("capture ")]


@pytest.fixture
def make_worker(qtbot):
    workers = []

    def make(classifier, **kwargs):
        worker = StreamWorker(classifier, **kwargs)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:  # a failing test must not leave a thread running
        worker.stop()
        assert worker.wait(10000)
        assert not worker.is_running()


def test_file_run_reports_every_window_then_finishes(qtbot, make_worker, tiny_classifier, tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=48, fps=24.0)
    worker = make_worker(tiny_classifier, span=1.0, stride=0.5, smoothing="off")
    predictions, metrics, frames, errors = [], [], [], []
    worker.prediction.connect(predictions.append)
    worker.metrics.connect(metrics.append)
    worker.frame.connect(lambda image, index, t: frames.append((image.shape, index, t)))
    worker.error.connect(errors.append)
    with qtbot.waitSignal(worker.finished, timeout=120000):
        worker.start(str(path))
    assert worker.wait(5000) and not worker.is_running()
    assert errors == []
    assert [p.t for p in predictions] == [1.0, 1.5, 2.0]
    assert len(metrics) == 3 and metrics[-1].windows == 3 and metrics[-1].frames == 48
    assert frames and frames[0] == ((120, 160, 3), 0, 0.0)
    with open_video(path) as video:
        for p in predictions:
            np.testing.assert_array_equal(p.probs, tiny_classifier.classify_frames(video.get_frames(p.frames)))


def test_stop_ends_the_thread_within_a_second_or_so(qtbot, make_worker, tiny_classifier, tmp_path):
    path = write_video(tmp_path / "long.mp4", frames=480, fps=24.0)  # 20 s in real time
    worker = make_worker(tiny_classifier, span=0.5, stride=0.5, realtime=True)
    with qtbot.waitSignal(worker.frame, timeout=120000):
        worker.start(str(path))
    assert worker.is_running()
    with qtbot.waitSignal(worker.finished, timeout=120000):  # the engine tests bound the delay itself
        worker.stop()
    assert worker.wait(2000) and not worker.is_running()
    assert no_capture_threads()  # the file (the camera, for a camera) is released


def test_wait_right_after_stop_returns_without_an_event_loop(qtbot, make_worker, tiny_classifier, tmp_path):
    # A window closing calls stop() then wait() on the GUI thread, with no event loop turning.
    path = write_video(tmp_path / "long.mp4", frames=480, fps=24.0)
    worker = make_worker(tiny_classifier, span=0.5, stride=0.5, realtime=True)
    with qtbot.waitSignal(worker.frame, timeout=120000):
        worker.start(str(path))
    worker.stop()
    assert worker.wait(5000)
    assert not worker.is_running() and no_capture_threads()


def test_bad_source_reports_an_error_then_finishes(qtbot, make_worker, tiny_classifier, tmp_path):
    worker = make_worker(tiny_classifier)
    errors = []
    worker.error.connect(errors.append)
    with qtbot.waitSignal(worker.finished, timeout=120000):
        worker.start(str(tmp_path / "missing.mp4"))
    assert len(errors) == 1 and "does not exist" in errors[0]
    with qtbot.waitSignal(worker.finished, timeout=120000):
        worker.start("camera:97")
    assert len(errors) == 2 and "camera 97" in errors[1]
    assert not worker.is_running()


def test_switch_source_while_running(qtbot, make_worker, tiny_classifier, tmp_path):
    long = write_video(tmp_path / "long.mp4", frames=480, fps=24.0, seed=1)
    short = write_video(tmp_path / "short.mp4", frames=24, fps=24.0, seed=2)
    worker = make_worker(tiny_classifier, span=0.5, stride=0.5, smoothing="off")
    predictions, finished = [], []
    worker.prediction.connect(predictions.append)
    worker.finished.connect(lambda: finished.append(True))
    with qtbot.waitSignal(worker.prediction, timeout=120000):
        worker.start(str(long))
    with qtbot.waitSignal(worker.finished, timeout=120000):
        worker.start(str(short))  # switch: the long file is dropped, the short one runs to its end
    assert finished == [True]  # one run, one finished
    assert predictions[-1].t == 1.0 and predictions[-1].frames[-1] < 24
    with open_video(short) as video:
        np.testing.assert_array_equal(
            predictions[-1].probs, tiny_classifier.classify_frames(video.get_frames(predictions[-1].frames))
        )
    assert not worker.is_running() and no_capture_threads()


def test_pause_resume_and_switch_model(qtbot, make_worker, tiny_classifier, tiny_checkpoint, tmp_path):
    from umt_desktop import load_classifier

    other = load_classifier(tiny_checkpoint, device="cpu")
    path = write_video(tmp_path / "clip.mp4", frames=72, fps=24.0)
    worker = make_worker(tiny_classifier, span=0.5, stride=0.5, smoothing="off")
    predictions = []
    worker.prediction.connect(predictions.append)
    worker.pause()
    worker.start(str(path))
    qtbot.wait(300)
    assert worker.is_paused() and predictions == [] and worker.is_running()
    worker.set_classifier(other)
    with qtbot.waitSignal(worker.finished, timeout=120000):
        worker.resume()
    assert [p.t for p in predictions] == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert worker.engine is None and not worker.is_running()


def test_inference_mode_is_on_in_the_worker_thread(qtbot, make_worker, tiny_classifier, tmp_path):
    import torch

    seen = []

    class Probe:
        def classify_frames(self, frames):
            seen.append((torch.is_inference_mode_enabled(), threading.current_thread() is threading.main_thread()))
            return tiny_classifier.classify_frames(frames)

        def top(self, probs, k=5):
            return tiny_classifier.top(probs, k)

    path = write_video(tmp_path / "clip.mp4", frames=12, fps=24.0)
    worker = make_worker(Probe(), span=0.5, stride=0.5)
    with qtbot.waitSignal(worker.finished, timeout=120000):
        worker.start(str(path))
    assert seen == [(True, False)]
