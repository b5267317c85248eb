"""Data-parallel evaluation under torchrun: 2 gloo processes on the CPU against one process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.helpers.mini_kinetics import TINY, expected_metrics, make_folders, probabilities, truth

from umt_desktop.cli import main
from umt_desktop.core.evaluation.distributed import DistEnv, detect, rank_device
from umt_desktop.core.evaluation.history import History

SAME = ["top1", "top5", "mean_class_accuracy", "videos", "failed", "missing", "checkpoint", "views"]


def test_detect_reads_the_torchrun_environment():
    assert detect({}) is None
    assert detect({"RANK": "0", "WORLD_SIZE": "1"}) is None  # a group of one runs the plain path
    env = detect({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"})
    assert env == DistEnv(rank=3, world_size=4, local_rank=1, local_world_size=2)
    assert rank_device("cuda:0", env) == "cuda:1"  # one GPU per local rank
    assert rank_device("cpu", env) == "cpu"
    assert rank_device("cuda", None) == "cuda"


def _torchrun(nproc: int, *args, timeout: float = 240) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
           "-m", "umt_desktop", "eval", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def _single(capsys, *args) -> tuple[int, list[str], str]:
    code = main(["eval", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out.strip().splitlines(), err


def _options(root: Path) -> list:
    return [root, "--checkpoint", TINY, "--views", "1x1", "--device", "cpu", "--workers", "0", "--json"]


def test_two_processes_give_exactly_the_single_process_metrics(tmp_path, capsys):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets)  # 7 videos + 1 corrupt: an uneven 4 + 4 split of 8
    code, lines, _ = _single(capsys, *_options(root))
    assert code == 0
    single = json.loads(lines[-1])
    proc = _torchrun(2, *_options(root), "--batch-size", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1  # rank 0 alone prints, one object per checkpoint
    dist = json.loads(lines[0])
    assert {k: dist[k] for k in SAME} == {k: single[k] for k in SAME}
    assert dist["top1"] == pytest.approx(expected_metrics(probs, targets)["top1"], abs=1e-3)
    assert proc.stderr.count("eval [") >= 1 and "2 processes" in proc.stderr
    with History() as history:
        runs = history.runs()
        assert len(runs) == 2 and runs[0].id == dist["run_id"] and runs[0].world_size == 2
        preds = history.predictions(dist["run_id"])
        assert len(preds) == len({p.video_id for p in preds}) == len(targets) + 1  # each video once
        assert {p.rank for p in preds} == {0, 1}


def test_interrupted_distributed_run_resumes_with_another_process_count(tmp_path, capsys):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    proc = _torchrun(2, *_options(root), "--batch-size", "1", "--stop-after", "2")
    assert proc.returncode != 0 and "--resume" in proc.stderr
    with History() as history:
        [run] = history.runs()
        assert run.status == "interrupted"
        done_before = {p.video_id: p.created for p in history.predictions(run.id)}
    assert 2 <= len(done_before) < len(targets)
    # Resume with one process, then check nothing was recomputed and the result is complete.
    code, lines, err = _single(capsys, "--resume", run.id, "--workers", "0", "--json")
    assert code == 0, err
    resumed = json.loads(lines[-1])
    with History() as history:
        after = {p.video_id: p.created for p in history.predictions(run.id)}
        assert len(history.runs()) == 1
    assert {k: after[k] for k in done_before} == done_before and len(after) == len(targets)
    code, lines, _ = _single(capsys, *_options(root))
    straight = json.loads(lines[-1])
    assert {k: resumed[k] for k in SAME} == {k: straight[k] for k in SAME}


def test_single_interrupted_run_resumes_with_two_processes(tmp_path, capsys):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    code, _, err = _single(capsys, *_options(root), "--batch-size", "1", "--stop-after", "3")
    assert code == 130
    run_id = err.split("--resume ")[1].split("`")[0]
    proc = _torchrun(2, "--resume", run_id, "--device", "cpu", "--workers", "0", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    want = expected_metrics(probs, targets)
    assert result["run_id"] == run_id and result["videos"] == want["videos"]
    assert result["top1"] == pytest.approx(want["top1"], abs=1e-3)


def _children_with_rank(parent: int, rank: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if ppid == parent and f"RANK={rank}".encode() in environ:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the rank process through /proc")
def test_a_dying_rank_fails_the_launch_and_keeps_finished_videos(tmp_path):
    targets = truth(probabilities("1x1"))
    root = make_folders(tmp_path / "k", targets * 3, corrupt=False)  # 21 videos, slow enough to interrupt
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "umt_desktop", "eval", str(root), "--checkpoint", str(TINY), "--views", "4x3", "--device", "cpu",
           "--workers", "0", "--batch-size", "12", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 180
        victim = []
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with History() as history:
                    runs = history.runs()
                    done = history.count_done(runs[0].id) if runs else 0
            except Exception:
                done = 0
            victim = _children_with_rank(proc.pid, 1)
            if done >= 2 and victim:
                break
            time.sleep(0.2)
        assert victim, "the launch finished before a rank could be stopped"
        os.kill(victim[0], signal.SIGKILL)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode != 0
    assert "finished videos are saved, resume with `umt-desktop eval --resume" in err
    with History() as history:
        [run] = history.runs()
        kept = history.count_done(run.id)
    assert 2 <= kept < 21
