"""Videos -> views in decode worker processes that import no torch.

    for d in decode_stream(jobs, "4x3", workers=8):   # jobs: [(index, path), ...]
        d.index, d.views, d.error, d.seconds

Each worker is a spawned process whose whole module graph is this module, the
readers and the transforms: numpy, OpenCV and decord, never torch (importing
torch cost every worker seconds of start-up). A worker writes a video's views
straight into a slot of one shared-memory block that the main process owns, and
sends back only (index, slot, views, error, seconds); nothing large goes through
a pipe. Videos come out in job order.

`hold=0` (the default) copies each video's views out of its slot and frees the slot
at once. `hold=N` hands out the slot itself (`Decoded.views` is a view into shared
memory) for consumers that copy the views into their own staging buffer: they call
`Decoded.release()` when done and may hold at most N videos at a time.

A damaged file yields a `Decoded` with its error; a worker that dies (a crash in a
native decoder) fails the video it was decoding with a one-line error and is
replaced.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import UMTError
from .protocols import get_protocol
from .readers import DEFAULT_READER, open_video
from .transforms import CLIP_LEN, CROP

VIEW_BYTES = CLIP_LEN * CROP * CROP * 3


@dataclass
class Decoded:
    index: int  # the job's index
    views: np.ndarray | None  # (V, 8, 224, 224, 3) uint8
    error: str | None
    seconds: float  # decoding and cropping, in the worker
    num_frames: int = 0  # of the whole video (0 when it could not be opened)
    fps: float = 0.0
    note: str | None = None  # the reader's remark (e.g. OpenCV stood in for decord)
    _release: Callable[[], None] | None = None

    def release(self) -> None:
        """Give the shared-memory slot back (`hold` mode); the views must not be used after it."""
        if self._release is not None:
            release, self._release = self._release, None
            self.views = None
            release()


def decode_views(path: str | Path, protocol: str, reader: str = DEFAULT_READER,
                 out: np.ndarray | None = None) -> np.ndarray:
    """A video's views exactly as `Classifier.classify` builds them (into `out` when given)."""
    return _decode_video(path, protocol, reader, out)[0]


def _decode_video(path: str | Path, protocol: str, reader: str,
                  out: np.ndarray | None = None) -> tuple[np.ndarray, int, float, str | None]:
    proto = get_protocol(protocol)
    with open_video(path, reader) as video:
        frames = video.get_frames(proto.indices(video.num_frames))
        num_frames, fps = video.num_frames, video.fps
    return proto.views_from_frames(frames, out=out), num_frames, fps, getattr(video, "note", None)


def decode_one(index: int, path: str, protocol: str, reader: str, out: np.ndarray | None = None) -> Decoded:
    """Decode one job; any failure becomes the Decoded's one-line error."""
    t0 = time.perf_counter()
    try:
        views, num_frames, fps, note = _decode_video(path, protocol, reader, out)
        return Decoded(index, views, None, time.perf_counter() - t0, num_frames, fps, note)
    except UMTError as e:
        return Decoded(index, None, str(e), time.perf_counter() - t0)
    except Exception as e:  # a broken file must never stop the run
        return Decoded(index, None, f"{Path(path).name} could not be decoded ({type(e).__name__}: {e})"[:300],
                       time.perf_counter() - t0)


# -- the worker process ----------------------------------------------------------------
def _worker_main(wid: int, tasks, results, shm_name: str, slot_bytes: int, reader: str) -> None:
    """Decode tasks (position, index, path, protocol, slot) until None; never imports torch."""
    from multiprocessing import shared_memory

    import cv2

    cv2.setNumThreads(1)  # parallelism comes from the processes
    shm = shared_memory.SharedMemory(name=shm_name)
    try:
        while True:
            task = tasks.get()
            if task is None:
                break
            if task[0] == "modules":
                results.send(("modules", wid, sorted(sys.modules)))
                continue
            pos, index, path, protocol, slot = task
            results.send(("start", wid, pos))
            views = get_protocol(protocol).views
            out = np.ndarray((views, CLIP_LEN, CROP, CROP, 3), np.uint8, buffer=shm.buf,
                             offset=slot * slot_bytes)
            d = decode_one(index, path, protocol, reader, out=out)
            results.send(("done", wid, pos, d.error, d.seconds, d.num_frames, d.fps, d.note))
            del out, d  # no view into the shared block outlives the task
    except (KeyboardInterrupt, BrokenPipeError, EOFError):
        pass  # the main process went away or stopped us
    finally:
        shm.close()


@dataclass
class _Worker:
    process: mp.process.BaseProcess
    conn: object  # the receiving end of its result pipe


class DecodePool:
    """`workers` spawned decode processes sharing one block of `slots` view slots."""

    def __init__(self, protocol: str, reader: str = DEFAULT_READER, workers: int = 2,
                 prefetch: int = 2, hold: int = 0) -> None:
        from multiprocessing import shared_memory

        self.protocol, self.reader = protocol, reader
        self.views = get_protocol(protocol).views
        self.slot_bytes = self.views * VIEW_BYTES
        self.workers = max(1, int(workers))
        self.inflight_limit = self.workers * max(1, int(prefetch))
        self.hold = max(0, int(hold))
        # Out-of-order results wait in their slots for their turn, held ones until released.
        self.slots = self.inflight_limit + self.hold + 1
        size = self.slots * self.slot_bytes
        try:
            self._shm = shared_memory.SharedMemory(create=True, size=size)
        except OSError as e:
            raise UMTError(f"cannot allocate {size / 2**20:.0f} MiB of shared memory for "
                           f"{self.workers} decode workers ({e.strerror or e}); use fewer workers") from None
        self._reserve(size)
        self._ctx = mp.get_context("spawn")
        self._tasks = self._ctx.SimpleQueue()
        self._procs: dict[int, _Worker] = {}
        self._next_wid = 0
        self.restarts = 0
        self.started_at = time.perf_counter()
        for _ in range(self.workers):
            self._start_worker()

    def _reserve(self, size: int) -> None:
        # tmpfs hands out pages on first write: a full /dev/shm would kill a worker with SIGBUS
        # in the middle of a video. Reserve the pages now, and say so in one line if they are not there.
        fd = getattr(self._shm, "_fd", -1)
        if fd is None or fd < 0 or not hasattr(os, "posix_fallocate"):
            return
        try:
            os.posix_fallocate(fd, 0, size)
        except OSError as e:
            if e.errno in (28, 12):  # ENOSPC, ENOMEM
                self._unlink()
                raise UMTError(f"not enough shared memory for {self.workers} decode workers "
                               f"({size / 2**20:.0f} MiB; /dev/shm is full or too small); use fewer workers") from None
            # EINVAL/EOPNOTSUPP: the file system cannot reserve; go on without it

    def _start_worker(self) -> None:
        wid = self._next_wid
        self._next_wid += 1
        recv, send = self._ctx.Pipe(duplex=False)  # synchronous sends: nothing is lost when a worker dies
        p = self._ctx.Process(
            target=_worker_main,
            args=(wid, self._tasks, send, self._shm.name, self.slot_bytes, self.reader),
            daemon=True, name=f"umt-decode-{wid}",
        )
        p.start()
        send.close()
        self._procs[wid] = _Worker(p, recv)

    def slot_array(self, slot: int, views: int) -> np.ndarray:
        return np.ndarray((views, CLIP_LEN, CROP, CROP, 3), np.uint8, buffer=self._shm.buf,
                          offset=slot * self.slot_bytes)

    def worker_modules(self, timeout: float = 60.0) -> list[str]:
        """The modules one worker has imported (to check that decoding needs no torch)."""
        self._tasks.put(("modules",))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in self._messages(0.5):
                if msg[0] == "modules":
                    return msg[2]
        raise UMTError("no decode worker answered")

    def run(self, jobs: list[tuple[int, str]]) -> Iterator[Decoded]:
        """Decoded videos in job order."""
        free = list(range(self.slots - 1, -1, -1))
        done: dict[int, Decoded] = {}
        slot_of: dict[int, int] = {}  # position -> slot, while decoding
        started: dict[int, int] = {}  # worker -> position it is decoding
        next_job = next_out = 0

        def release_to(slot: int) -> Callable[[], None]:
            return lambda: free.append(slot)

        while next_out < len(jobs):
            while next_job < len(jobs) and free and len(slot_of) < self.inflight_limit:
                slot = free.pop()
                index, path = jobs[next_job]
                self._tasks.put((next_job, index, str(path), self.protocol, slot))
                slot_of[next_job] = slot
                next_job += 1
            if next_out in done:
                d = done.pop(next_out)
                next_out += 1
                yield d
                continue
            for msg in self._messages():
                kind, wid = msg[0], msg[1]
                if kind == "start":
                    started[wid] = msg[2]
                elif kind == "died":
                    pos = started.pop(wid, None)
                    if pos is not None:
                        free.append(slot_of.pop(pos))
                        done[pos] = Decoded(jobs[pos][0], None, f"{Path(jobs[pos][1]).name} could not be decoded "
                                            f"(the decode worker stopped with exit code {msg[2]})", 0.0)
                elif kind == "done":
                    _, wid, pos, error, seconds, num_frames, fps, note = msg
                    started.pop(wid, None)
                    slot = slot_of.pop(pos)
                    index = jobs[pos][0]
                    if error is not None:
                        free.append(slot)
                        done[pos] = Decoded(index, None, error, seconds)
                    elif self.hold:
                        done[pos] = Decoded(index, self.slot_array(slot, self.views), None, seconds,
                                            num_frames, fps, note, release_to(slot))
                    else:
                        views = self.slot_array(slot, self.views).copy()
                        free.append(slot)
                        done[pos] = Decoded(index, views, None, seconds, num_frames, fps, note)

    def _messages(self, timeout: float = 1.0) -> list[tuple]:
        """What the workers said since the last call (waits for something); a dead worker is
        reported as ("died", worker, exit code) after its last words, and replaced."""
        from multiprocessing.connection import wait

        conns = {w.conn: wid for wid, w in self._procs.items()}
        sentinels = {w.process.sentinel: wid for wid, w in self._procs.items()}
        ready = wait([*conns, *sentinels], timeout)
        out: list[tuple] = []
        dead = set()
        for r in ready:
            if r in conns:
                try:
                    while r.poll():
                        out.append(r.recv())
                except (EOFError, OSError):
                    dead.add(conns[r])
            else:
                dead.add(sentinels[r])
        for wid in dead:
            w = self._procs.pop(wid)
            try:
                while w.conn.poll():
                    out.append(w.conn.recv())
            except (EOFError, OSError):
                pass
            w.process.join(1.0)
            w.conn.close()
            out.append(("died", wid, w.process.exitcode))
            self.restarts += 1
            self._start_worker()
        return out

    def close(self) -> None:
        """Stop the workers and free the shared memory (also after a cancel)."""
        for _ in self._procs:
            try:
                self._tasks.put(None)
            except (OSError, ValueError):
                break
        deadline = time.monotonic() + 2.0
        for w in self._procs.values():
            w.process.join(max(0.0, deadline - time.monotonic()))
        for w in self._procs.values():
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(1.0)
            w.conn.close()
        self._procs.clear()
        self._tasks.close()
        self._unlink()

    def _unlink(self) -> None:
        shm, self._shm = getattr(self, "_shm", None), None
        if shm is None:
            return
        try:
            shm.close()
        except BufferError:  # a held view still points into it; the mapping goes with the process
            pass
        try:
            shm.unlink()
        except FileNotFoundError:
            pass


def decode_stream(jobs: list[tuple[int, str]], protocol: str, reader: str = DEFAULT_READER,
                  workers: int = 2, prefetch: int = 2, hold: int = 0) -> Iterator[Decoded]:
    """Decoded videos in job order; `workers` spawned processes decode ahead (0: in this process)."""
    if workers <= 0 or not jobs:
        for index, path in jobs:
            yield decode_one(index, str(path), protocol, reader)
        return
    pool = DecodePool(protocol, reader, workers=min(workers, len(jobs)), prefetch=prefetch, hold=hold)
    try:
        yield from pool.run(jobs)
    finally:
        pool.close()
