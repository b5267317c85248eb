"""Saliency maps of live windows: the engine keeps the newest window's frames, the explainer maps it
in its own thread, newest request wins, failures come back as one line."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from tests.helpers.videos import write_video

from umt_desktop.core import explain
from umt_desktop.core.streaming.engine import SlidingWindowEngine, prepare_frame
from umt_desktop.core.streaming.explainer import WindowExplainer, explain_clip
from umt_desktop.core.streaming.sources import FileSource
from umt_desktop.core.video.readers import open_video


@pytest.fixture(scope="module")
def clip_and_video(tiny_classifier, tmp_path_factory):
    video = write_video(tmp_path_factory.mktemp("explainer") / "clip.mp4", frames=36, size=(160, 120), fps=24.0)
    engine = SlidingWindowEngine(tiny_classifier, span=1.0, stride=0.25)
    results = []
    with torch.inference_mode():  # as the stream worker runs the engine
        engine.run(FileSource(video), on_window=results.append)
    return engine.last_clip, results[-1], video


def test_the_engine_keeps_the_newest_windows_model_input(clip_and_video):
    clip, last, video = clip_and_video
    assert (clip.index, clip.t, clip.start, clip.frames) == (last.index, last.t, last.start, last.frames)
    with open_video(video) as v:
        expected = np.stack([prepare_frame(f) for f in v.get_frames(clip.frames)])
    assert clip.images.shape == (8, 224, 224, 3) and clip.images.dtype == np.uint8
    assert np.abs(clip.images.astype(int) - expected).max() <= 2  # decoders may round a pixel differently
    np.testing.assert_allclose(clip.classifier.classify_frames(clip.images), last.probs, atol=1e-5)


def test_a_window_map_is_sized_to_its_thumbnails_and_blended_over_them(clip_and_video, tiny_classifier):
    clip, last, _ = clip_and_video
    thumbs = [np.full((96, 128, 3), 90, np.uint8) for _ in range(8)]
    thumbs[3] = None  # a thumbnail no longer kept
    top = last.smoothed[0].index
    result = explain_clip(clip, top, thumbs)
    assert (result.index, result.t, result.frames, result.class_index) == (last.index, last.t, last.frames, top)
    assert result.label == tiny_classifier.labels[top]
    assert result.maps.shape == (8, 96, 128) and np.isfinite(result.maps).all()
    assert 0 <= result.maps.min() and result.maps.max() <= 1
    expected, prob = explain.window_saliency(tiny_classifier, clip.images, top, size=(128, 96))
    np.testing.assert_allclose(result.maps, expected, atol=1e-6)
    assert result.prob == pytest.approx(prob)
    assert result.overlays[3] is None
    f = max((i for i in range(8) if i != 3), key=lambda i: result.maps[i].max())  # the hottest frame
    blended = result.overlays[f]
    assert blended.shape == (96, 128, 3) and blended.dtype == np.uint8
    hot = result.maps[f] > 0.5
    assert hot.any() and (blended[hot] != 90).any()  # coloured where the model looked
    assert (blended[:, :16] == 40).all() and (blended[:, 112:] == 40).all()  # outside the crop the model saw: darkened
    np.testing.assert_array_equal(blended, explain.thumbnail_overlay(thumbs[f], result.maps[f]))


def test_the_newest_request_wins_and_nothing_runs_unasked(clip_and_video):
    clip, last, _ = clip_and_video
    done, errors = [], []
    finished = threading.Event()

    def on_result(r):
        done.append(r)
        if r.class_index == 9:
            finished.set()

    explainer = WindowExplainer(on_result, lambda message, c: errors.append(message))
    assert explainer._thread is None and explainer.computed == 0  # no thread, nothing computed
    for c in range(10):  # faster than maps are computed: only the first and the newest are
        explainer.submit(clip, c)
    assert finished.wait(120)
    assert explainer.close(timeout=30)
    assert not errors and done[-1].class_index == 9
    assert explainer.skipped >= 1 and explainer.computed == len(done) == 10 - explainer.skipped
    explainer.submit(clip, 3)  # after close: ignored
    assert explainer.computed == len(done)


def test_a_failed_map_is_one_line_and_the_explainer_keeps_working(clip_and_video, tiny_checkpoint):
    from umt_desktop.core.classifier import load_classifier

    clip, last, _ = clip_and_video
    broken = load_classifier(tiny_checkpoint, device="cpu", compile=False)
    with torch.no_grad():
        broken.model.blocks[-1].mlp.fc2.weight[0, 0] = float("nan")
    bad_clip = type(clip)(clip.index, clip.t, clip.start, clip.frames, clip.images, broken)
    results, errors = [], []
    got = threading.Event()
    explainer = WindowExplainer(lambda r: (results.append(r), got.set()),
                                lambda message, c: (errors.append((message, c)), got.set()))
    explainer.submit(bad_clip, 1)
    assert got.wait(120)
    (message, where), = errors
    assert "\n" not in message and "NaN or infinite gradients" in message and where is bad_clip
    got.clear()
    explainer.submit(clip, 1)
    assert got.wait(120) and len(results) == 1 and explainer.failed == 1 and explainer.computed == 1
    explainer.close(timeout=30)
