"""Data-parallel evaluation with PyTorch's own launcher (torchrun).

    torchrun --standalone --nproc-per-node 8 -m umt_desktop eval ROOT --checkpoint FILE

`torchrun` starts one process per rank and sets RANK / WORLD_SIZE / LOCAL_RANK;
`detect()` reads them and `init_group()` joins the process group: NCCL when the
ranks run on CUDA (rank r uses GPU LOCAL_RANK), gloo on the CPU.

How the work is shared: rank 0 alone discovers the dataset, opens the history
database and builds the plan (the videos still to do, sorted by stable id), then
broadcasts it. Rank r takes every WORLD_SIZE-th pending video starting at r, so
each video is evaluated exactly once whatever the count. Ranks work in rounds of
one batch; after each round every rank's per-video predictions are gathered with
an object collective over a gloo group (also under NCCL, so that small Python
objects never go through the GPU), and rank 0 writes them to the database,
updates the progress and computes the metrics at the end. Gathering through
collectives rather than the shared database keeps several nodes working without a
shared file system: only rank 0's machine holds the history. Because results are
stored per round and merged by video id, a run interrupted with any number of
processes resumes with any other number.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from ..errors import UMTError


class DistributedError(UMTError):
    """A rank failed or lost contact with the others."""

    def __init__(self, message: str, quiet: bool = False) -> None:
        super().__init__(message)
        self.quiet = quiet  # already reported by rank 0: other ranks stay silent


@dataclass(frozen=True)
class DistEnv:
    """This process's place in a torchrun launch."""

    rank: int
    world_size: int
    local_rank: int
    local_world_size: int


def detect(environ: dict | None = None) -> DistEnv | None:
    """The torchrun environment of this process, or None when launched alone (or alone in a group)."""
    env = os.environ if environ is None else environ
    try:
        world = int(env.get("WORLD_SIZE", "1"))
        rank = int(env.get("RANK", "0"))
    except ValueError:
        return None
    if world <= 1 or "RANK" not in env:
        return None
    local_rank = int(env.get("LOCAL_RANK", rank))
    local_world = int(env.get("LOCAL_WORLD_SIZE", world))
    return DistEnv(rank, world, local_rank, local_world)


def rank_device(device: str, env: DistEnv | None) -> str:
    """The device of this rank: CUDA ranks use the GPU of their local rank, one each."""
    if env is None:
        return device
    import torch

    choice = (device or "auto").strip().lower()
    if choice == "auto":
        choice = "cuda" if torch.cuda.is_available() else "cpu"
    if choice.startswith("cuda"):
        return f"cuda:{env.local_rank}"
    return choice


class LocalGroup:
    """A group of one: the single-process path through the same code."""

    rank = 0
    world_size = 1
    is_main = True

    def broadcast(self, obj):
        return obj

    def exchange(self, rows: list, more: bool, stop: bool) -> tuple[list, bool, bool]:
        return rows, more, stop

    def close(self) -> None:
        pass


class TorchGroup:
    """The ranks of a torchrun launch, exchanging Python objects over gloo."""

    def __init__(self, env: DistEnv, device_type: str, timeout_minutes: float = 30.0) -> None:
        import torch
        import torch.distributed as dist

        self._dist = dist
        self.rank, self.world_size = env.rank, env.world_size
        self.is_main = env.rank == 0
        backend = "nccl" if device_type == "cuda" else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(env.local_rank)
        timeout = datetime.timedelta(minutes=timeout_minutes)
        try:
            dist.init_process_group(backend=backend, timeout=timeout)
            self._objects = dist.new_group(backend="gloo", timeout=timeout) if backend == "nccl" else None
        except Exception as e:  # rendezvous or backend failure
            raise DistributedError(f"rank {env.rank} could not join the process group ({_first_line(e)})") from None
        self.backend = backend

    def broadcast(self, obj):
        box = [obj if self.is_main else None]
        self._collective(self._dist.broadcast_object_list, box, src=0, group=self._objects)
        return box[0]

    def exchange(self, rows: list, more: bool, stop: bool) -> tuple[list, bool, bool]:
        """Every rank's rows (in rank order), whether any rank has more work, whether any asks to stop."""
        out: list = [None] * self.world_size
        self._collective(self._dist.all_gather_object, out, (rows, more, stop), group=self._objects)
        merged = [row for part, _, _ in out for row in part]
        return merged, any(m for _, m, _ in out), any(s for _, _, s in out)

    def _collective(self, fn, *args, **kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception as e:
            raise DistributedError(
                f"rank {self.rank} lost contact with the other evaluation processes ({_first_line(e)}); "
                "a process probably died. Finished videos are saved; resume with `umt-desktop eval --resume RUN_ID`"
            ) from None

    def close(self) -> None:
        try:
            if self._dist.is_initialized():
                self._dist.destroy_process_group()
        except Exception:
            pass  # a broken group cannot be torn down cleanly; the process is ending anyway


def init_group(env: DistEnv | None, device: str) -> LocalGroup | TorchGroup:
    if env is None:
        return LocalGroup()
    return TorchGroup(env, "cuda" if device.startswith("cuda") else "cpu")


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:200]
