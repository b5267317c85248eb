"""The label-free pipeline: decode workers and batches of several videos give one-by-one classify's numbers."""

from __future__ import annotations

import os

import numpy as np
import pytest
from tests.helpers.videos import write_video

from umt_desktop.core.evaluation.pipeline import ViewBatcher, classify_stream, decode_stream


@pytest.fixture
def clips(tmp_path, reference_videos):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
    return [
        str(reference_videos[0][0]),
        str(write_video(tmp_path / "a.mp4", frames=40, seed=1)),
        str(corrupt),
        str(write_video(tmp_path / "b.avi", frames=30, size=(128, 96), seed=2)),
        str(reference_videos[1][0]),
    ]


@pytest.mark.parametrize("views,workers,batch_size", [("4x3", 2, 36), ("1x1", 0, 3)])
def test_batched_results_equal_one_by_one_classify(tiny_classifier, clips, views, workers, batch_size):
    jobs = [(10 + i, p) for i, p in enumerate(clips)]
    results = list(classify_stream(tiny_classifier, jobs, views, workers=workers, batch_size=batch_size))
    assert [r.index for r in results] == [i for i, _ in jobs]
    for r, (_, path) in zip(results, jobs):
        if path.endswith("corrupt.mp4"):
            assert r.probs is None and "corrupt.mp4" in r.error
            continue
        one = tiny_classifier.classify(path, views=views)
        assert r.error is None and r.views == (12 if views == "4x3" else 1)
        np.testing.assert_allclose(r.probs, one.probs, atol=1e-5, rtol=0)
        assert r.seconds > 0


def test_batches_gather_several_videos_and_stop_when_asked(tiny_classifier, clips):
    jobs = list(enumerate(clips))
    batcher = ViewBatcher(decode_stream(jobs, "1x1", workers=0), batch_size=3)
    first = batcher.next_batch()
    assert [d.index for d in first.decoded] == [0, 1, 3] and [d.index for d in first.failed] == [2]
    assert first.views == 3 and not batcher.exhausted
    second = batcher.next_batch()
    assert [d.index for d in second.decoded] == [4] and batcher.exhausted

    out = []
    stop = lambda: len(out) >= 2  # noqa: E731
    for r in classify_stream(tiny_classifier, jobs, "1x1", workers=1, batch_size=1, should_stop=stop):
        out.append(r.index)
    assert out == [0, 1]  # the batch being gathered when the stop came is computed, nothing after it
