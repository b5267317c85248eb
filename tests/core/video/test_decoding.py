"""Decode workers: torch-free processes writing views into shared memory, in job order, errors per video."""

import subprocess
import sys
from multiprocessing import shared_memory

import numpy as np
import pytest

from tests.helpers.videos import write_video
from umt_desktop.core.errors import UMTError
from umt_desktop.core.video.decoding import DecodePool, decode_stream, decode_views


def _jobs(reference_videos, tmp_path):
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(2000))
    paths = [str(p) for p, _ in reference_videos] + [str(damaged), str(tmp_path / "missing.mp4")]
    paths += [str(write_video(tmp_path / "short.mp4", frames=20))]
    return [(10 + i, p) for i, p in enumerate(paths)]


def test_worker_module_graph_has_no_torch():
    # What a spawned worker imports first: this module and what it imports, in a fresh interpreter.
    code = ("import sys, umt_desktop.core.video.decoding as d, cv2, decord; "
            "print('torch' in sys.modules, 'PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_running_worker_has_not_imported_torch(reference_videos):
    pool = DecodePool("4x3", workers=1)
    try:
        (d,) = pool.run([(0, str(reference_videos[0][0]))])  # the worker decoded a video ...
        modules = pool.worker_modules()  # ... and still holds no torch
    finally:
        pool.close()
    assert d.error is None and d.views.shape == (12, 8, 224, 224, 3)
    assert "cv2" in modules and "numpy" in modules
    assert not [m for m in modules if m == "torch" or m.startswith("torch.")]


def test_workers_give_the_in_process_views_in_job_order(reference_videos, tmp_path):
    jobs = _jobs(reference_videos, tmp_path)
    local = list(decode_stream(jobs, "4x3", workers=0))
    pooled = list(decode_stream(jobs, "4x3", workers=2, prefetch=1))
    assert [d.index for d in pooled] == [i for i, _ in jobs] == [d.index for d in local]
    for a, b in zip(local, pooled):
        assert (a.error is None) == (b.error is None)
        if a.error is None:
            np.testing.assert_array_equal(a.views, b.views)
        else:
            assert a.error == b.error and "\n" not in b.error
    assert [d.error is None for d in pooled] == [True, True, False, False, True]
    assert "missing.mp4" in pooled[3].error


def test_views_written_into_a_staging_buffer_are_the_same(reference_videos):
    path = reference_videos[1][0]
    out = np.zeros((12, 8, 224, 224, 3), np.uint8)
    got = decode_views(path, "4x3", out=out)
    assert got is out or np.shares_memory(got, out)
    np.testing.assert_array_equal(out, decode_views(path, "4x3"))


def test_held_slots_are_reused_after_release(reference_videos):
    # More videos than slots: the run only finishes if released slots come back.
    jobs = [(i, str(reference_videos[i % 2][0])) for i in range(7)]
    expected = [decode_views(p, "1x1") for _, p in jobs[:2]]
    pool = DecodePool("1x1", workers=1, prefetch=1, hold=1)
    seen = 0
    try:
        assert pool.slots < len(jobs)
        for d in pool.run(jobs):
            np.testing.assert_array_equal(d.views, expected[d.index % 2])
            d.release()
            assert d.views is None
            d.release()  # twice is harmless
            seen += 1
    finally:
        pool.close()
    assert seen == len(jobs)


def test_a_dead_worker_is_replaced_and_the_run_goes_on(reference_videos):
    pool = DecodePool("1x1", workers=2)
    try:
        for w in list(pool._procs.values()):
            w.process.kill()
            w.process.join(10)
        out = list(pool.run([(i, str(reference_videos[0][0])) for i in range(3)]))
    finally:
        pool.close()
    assert [d.error for d in out] == [None, None, None]
    assert pool.restarts >= 2


def test_close_frees_the_shared_memory(reference_videos):
    pool = DecodePool("1x1", workers=1)
    name = pool._shm.name
    list(pool.run([(0, str(reference_videos[0][0]))]))
    pool.close()
    with pytest.raises(FileNotFoundError):
        shared_memory.SharedMemory(name=name)


def test_stopping_early_stops_the_workers(reference_videos):
    stream = decode_stream([(i, str(reference_videos[0][0])) for i in range(6)], "1x1", workers=2)
    first = next(stream)
    assert first.error is None
    stream.close()  # what a cancelled evaluation does


def test_too_little_shared_memory_is_one_line(monkeypatch):
    import os

    def full(fd, offset, size):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full, raising=False)
    with pytest.raises(UMTError, match="not enough shared memory") as e:
        DecodePool("4x3", workers=3)
    assert "\n" not in str(e.value)
