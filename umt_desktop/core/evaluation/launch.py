"""Starting an evaluation in other processes: the `torchrun` command line of a data-parallel run.

    run_id = new_run_id()                                    # chosen here, before the launch
    cmd = torchrun_command(settings, nproc=4, run_id=run_id)  # [python, -m, torch.distributed.run, ...]
    subprocess.Popen(cmd)                                    # rank 0 records the run under run_id
    History().count_done(run_id)                             # follow it through the history

The launcher picks the run id and passes it to every process (`eval --run-id`), so it
knows which run to follow without looking for recent runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .history import check_run_id

if TYPE_CHECKING:
    from .run import EvalSettings


def eval_arguments(settings: EvalSettings | None, *, run_id: str | None = None, resume: str | None = None,
                   json_lines: bool = True) -> list[str]:
    """The `umt-desktop eval ...` arguments that run `settings` (a new run) or resume a run."""
    if (run_id is None) == (resume is None):
        raise ValueError("give the id of the new run or the run to resume")
    args = ["eval"]
    s = settings
    if resume is not None:
        args += ["--resume", check_run_id(resume)]
        if s is not None and s.root:
            args.append(str(s.root))  # the dataset moved: its new place
    else:
        if s is None:
            raise ValueError("a new run needs its settings")
        args += [str(s.root), "--run-id", check_run_id(run_id), "--views", s.views, "--seed", str(s.seed),
                 "--reader", s.reader]
        for c in s.checkpoints:
            args += ["--checkpoint", str(c)]
        args += ["--ann", str(s.ann)] if s.ann else []
        args += ["--labels", str(s.labels)] if s.labels else []
        args += ["--limit", str(s.limit)] if s.limit else []
        args += ["--per-class", str(s.per_class)] if s.per_class else []
    if s is not None:
        args += ["--device", s.device, "--precision", s.precision, "--workers", str(s.workers)]
        args += ["--batch-size", str(s.batch_size)] if s.batch_size else []
    if json_lines:
        args.append("--json")
    return args


def torchrun_command(settings: EvalSettings | None, nproc: int, *, run_id: str | None = None,
                     resume: str | None = None, python: str | None = None, json_lines: bool = True) -> list[str]:
    """The command line of a one-machine data-parallel run: `nproc` processes (one per GPU) under torchrun.

    New run: `settings` and the `run_id` the launcher chose (`history.new_run_id()`); resume:
    `resume=RUN_ID` (`settings` optional: its runtime options and a moved dataset root).
    """
    if int(nproc) < 1:
        raise ValueError("nproc must be at least 1")
    return [python or sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
            str(int(nproc)), "-m", "umt_desktop",
            *eval_arguments(settings, run_id=run_id, resume=resume, json_lines=json_lines)]
