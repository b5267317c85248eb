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


# -- staging and overlap ---------------------------------------------------------------
def test_staged_batches_hold_each_videos_views_once_in_reused_buffers(clips):
    from umt_desktop.core.evaluation.pipeline import Staging, decode_views

    jobs = [(i, p) for i, p in enumerate(clips) if not p.endswith("corrupt.mp4")]
    staging = Staging("cpu")
    # 12 views per video, batches of >= 20 views: a batch of two videos (24 views) outgrows
    # the first guess of the buffer's size only when it must; the buffers are used in turn.
    batcher = ViewBatcher(decode_stream(jobs, "4x3", workers=1, hold=1), 20, staging=staging, views_per_video=12)
    seen, buffers = [], []
    while not batcher.exhausted:
        batch = batcher.next_batch()
        if not batch.decoded:
            continue
        assert batch.staged.shape == (batch.views, 8, 224, 224, 3)
        buffers.append(batch.staged.untyped_storage().data_ptr())
        start = 0
        for d in batch.decoded:
            want = decode_views(dict(jobs)[d.index], "4x3")
            np.testing.assert_array_equal(batch.staged[start : start + 12].numpy(), want)
            np.testing.assert_array_equal(d.views, want)  # each video's views: its slice of the batch
            start += 12
            seen.append(d.index)
    assert seen == [i for i, _ in jobs]
    assert len(buffers) == 2 and buffers[0] != buffers[1]  # two batches, two buffers in turn


@pytest.fixture
def overlap(monkeypatch):
    """Run the GPU's order on the CPU: each batch is read back only after the next one is queued."""
    from umt_desktop.core.evaluation import pipeline, run

    monkeypatch.setattr(pipeline, "overlapped", lambda device: True)
    monkeypatch.setattr(run, "overlapped", lambda device: True)


def test_overlapped_batches_give_every_result_once_in_job_order(tiny_classifier, clips, overlap):
    jobs = [(10 + i, p) for i, p in enumerate(clips)]
    results = list(classify_stream(tiny_classifier, jobs, "4x3", workers=2, batch_size=12))
    assert [r.index for r in results] == [i for i, _ in jobs]
    for r, (_, path) in zip(results, jobs):
        if path.endswith("corrupt.mp4"):
            assert r.error is not None
        else:
            np.testing.assert_allclose(r.probs, tiny_classifier.classify(path).probs, atol=1e-5, rtol=0)

    out = []
    stop = lambda: len(out) >= 2  # noqa: E731
    for r in classify_stream(tiny_classifier, jobs, "1x1", workers=1, batch_size=1, should_stop=stop):
        out.append(r.index)
    assert out == [10, 11, 12, 13]  # the batches queued and gathered when the stop came are read back, no more


def test_overlapped_evaluation_saves_every_batch_and_a_stopped_run_resumes(tmp_path, overlap):
    from tests.helpers.mini_kinetics import make_folders, probabilities, truth, TINY

    from umt_desktop.core.errors import Cancelled
    from umt_desktop.core.evaluation.history import History
    from umt_desktop.core.evaluation.run import EvalRun, EvalSettings

    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets)
    settings = dict(root=str(root), checkpoints=[str(TINY)], views="1x1", device="cpu", workers=1, batch_size=2)
    [whole] = EvalRun(EvalSettings(**settings)).run()
    assert whole.videos == len(targets) and whole.complete

    stopped = EvalRun(EvalSettings(**settings), stop_after=3)
    with pytest.raises(Cancelled, match="resume with"):
        stopped.run()
    with History() as history:
        saved = {p.video_id for p in history.predictions(stopped.run_id)}
    assert len(saved) == stopped.computed >= 3  # what was computed was saved, the queued batch included
    resumed = EvalRun(resume=stopped.run_id, dist_env=None)
    [result] = resumed.run()
    assert resumed.computed == len(targets) + 1 - len(saved)  # nothing computed twice
    assert result.top1 == whole.top1 and result.videos == whole.videos


# -- CUDA ------------------------------------------------------------------------------
cuda = pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.cuda
@cuda
def test_cuda_pinned_staging_side_stream_copies_and_deferred_readback(tiny_checkpoint, clips):
    import torch

    from umt_desktop import load_classifier
    from umt_desktop.core.evaluation.pipeline import Staging

    assert Staging("cuda").take(12).is_pinned()
    gpu = load_classifier(tiny_checkpoint, device="cuda", batch_size=24)
    cpu = load_classifier(tiny_checkpoint, device="cpu")
    jobs = list(enumerate(clips))
    results = list(classify_stream(gpu, jobs, "4x3", workers=2, batch_size=24))
    assert [r.index for r in results] == [i for i, _ in jobs]
    for r, (_, path) in zip(results, jobs):
        if r.error is None:
            assert np.abs(r.probs - cpu.classify(path).probs).max() < 2e-3
    # predict_async on a pinned tensor equals predict_views on the same numpy views
    views = np.stack([np.full((8, 224, 224, 3), k * 40, np.uint8) for k in range(5)])
    pinned = torch.from_numpy(views).pin_memory()
    pending = gpu.predict_async(pinned)
    np.testing.assert_allclose(pending.result(), gpu.predict_views(views), atol=1e-5, rtol=0)
    assert pending.ready()


def test_one_cancellation_for_every_run_latches_the_outside_flag():
    from umt_desktop.core.evaluation.pipeline import Cancellation

    outside = [False]
    stop = Cancellation(lambda: outside[0])
    assert not stop()
    outside[0] = True
    assert stop()
    outside[0] = False
    assert stop()  # latched: a run that was told to stop stays stopped
    own = Cancellation()
    own.cancel()
    assert own()
