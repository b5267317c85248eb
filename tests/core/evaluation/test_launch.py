"""The torchrun command line of a launcher (the window's "all GPUs"): run id chosen before the launch."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from tests.helpers.mini_kinetics import TINY, expected_metrics, make_folders, probabilities, truth

from umt_desktop.cli import build_parser
from umt_desktop.core.errors import DatasetError
from umt_desktop.core.evaluation.history import History, new_run_id
from umt_desktop.core.evaluation.launch import torchrun_command
from umt_desktop.core.evaluation.run import EvalSettings


def _settings(root, **kw) -> EvalSettings:
    return EvalSettings(root=str(root), checkpoints=[str(TINY), "umt-base-k400"], views="1x1", device="cpu",
                        workers=0, **kw)


def test_the_command_is_what_the_eval_command_parses():
    settings = _settings("/data/k400", ann="/data/val.txt", labels="/data/labels.txt", limit=5, seed=3,
                         reader="opencv", batch_size=4, precision="float32")
    run_id = new_run_id()
    cmd = torchrun_command(settings, 4, run_id=run_id, python="/usr/bin/python3")
    assert cmd[:8] == ["/usr/bin/python3", "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "4",
                       "-m", "umt_desktop"]
    args = build_parser().parse_args(cmd[8:])
    assert (args.command, args.root, args.run_id, args.resume) == ("eval", "/data/k400", run_id, None)
    assert args.checkpoints == [str(TINY), "umt-base-k400"]
    assert (args.ann, args.labels, args.limit, args.per_class, args.seed, args.reader) == (
        "/data/val.txt", "/data/labels.txt", 5, None, 3, "opencv")
    assert (args.device, args.precision, args.workers, args.batch_size, args.json) == ("cpu", "float32", 0, 4, True)
    resumed = build_parser().parse_args(torchrun_command(settings, 2, resume="20260101-000000-abcdef")[8:])
    assert (resumed.resume, resumed.run_id, resumed.root, resumed.workers) == (
        "20260101-000000-abcdef", None, "/data/k400", 0)
    with pytest.raises(DatasetError, match="not a valid run id"):
        torchrun_command(settings, 2, run_id="../../etc")
    with pytest.raises(ValueError):
        torchrun_command(settings, 2)


def test_a_launch_records_its_run_under_the_id_the_launcher_chose(tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    settings = EvalSettings(root=str(root), checkpoints=[str(TINY)], views="1x1", device="cpu", workers=0)
    run_id = new_run_id()
    proc = subprocess.run(torchrun_command(settings, 2, run_id=run_id), capture_output=True, text=True,
                          timeout=300, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["run_id"] == run_id
    assert result["top1"] == pytest.approx(expected_metrics(probs, targets)["top1"], abs=1e-3)
    with History() as history:
        [run] = history.runs()
        assert (run.id, run.status, run.world_size) == (run_id, "finished", 2)
        assert history.count_done(run_id) == len(targets)
