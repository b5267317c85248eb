"""`umt-desktop eval` end to end: JSON contract, resume, history listing and export."""

from __future__ import annotations

import json

import pytest
from tests.helpers.mini_kinetics import TINY, expected_metrics, make_folders, make_list, probabilities, truth

from umt_desktop.cli import main

FIELDS = ["top1", "top5", "mean_class_accuracy", "videos", "failed", "missing", "videos_per_second", "run_id"]


def _eval(capsys, *args) -> tuple[int, list[str], str]:
    code = main(["eval", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out.strip().splitlines(), err


def test_json_last_line_is_the_result(tmp_path, capsys):
    probs = probabilities("1x1")
    targets = truth(probs)
    ann = make_list(tmp_path / "k", targets)
    code, lines, err = _eval(capsys, tmp_path / "k", "--ann", ann, "--checkpoint", TINY, "--views", "1x1",
                             "--device", "cpu", "--workers", "0", "--json")
    assert code == 0
    result = json.loads(lines[-1])
    assert list(result)[: len(FIELDS)] == FIELDS
    want = expected_metrics(probs, targets)
    assert result["top1"] == pytest.approx(want["top1"], abs=1e-3)
    assert result["top5"] == pytest.approx(want["top5"], abs=1e-3)
    assert result["videos"] == len(targets)
    assert result["missing"] == ["videos/gone.mp4"]
    assert result["failed"][0]["video"] == "videos/zz_corrupt.mp4" and result["failed"][0]["error"]
    assert "videos in" in err and "eval [" in err  # summary and progress bar on stderr


def test_two_checkpoints_print_two_lines(tmp_path, capsys):
    root = make_folders(tmp_path / "k", truth(probabilities("1x1")), corrupt=False)
    code, lines, _ = _eval(capsys, root, "--checkpoint", TINY, "--checkpoint", TINY, "--views", "1x1",
                           "--device", "cpu", "--workers", "0", "--json", "--limit", "4")
    assert code == 0
    a, b = json.loads(lines[-2]), json.loads(lines[-1])
    assert a["videos"] == b["videos"] == 4 and a["top1"] == b["top1"] and a["run_id"] == b["run_id"]


def test_interrupt_resume_list_and_export(tmp_path, capsys):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    common = ["--views", "1x1", "--device", "cpu", "--workers", "0", "--batch-size", "1"]
    code, _, err = _eval(capsys, root, "--checkpoint", TINY, *common, "--stop-after", "2")
    assert code == 130 and "--resume" in err
    run_id = err.split("--resume ")[1].split("`")[0]
    code, lines, _ = _eval(capsys, "--list")
    assert code == 0 and run_id in lines[0] and "interrupted" in lines[0]
    code, lines, err = _eval(capsys, "--resume", run_id, "--json", "--workers", "0")
    assert code == 0 and "resuming" in err
    result = json.loads(lines[-1])
    assert result["run_id"] == run_id
    assert result["top1"] == pytest.approx(expected_metrics(probs, targets)["top1"], abs=1e-3)
    code, _, _ = _eval(capsys, "--export", run_id, tmp_path / "run.json")
    doc = json.loads((tmp_path / "run.json").read_text())
    assert code == 0 and doc["status"] == "finished" and len(doc["predictions"]) == len(targets)
    code, lines, _ = _eval(capsys, "--list")
    assert "finished" in lines[0] and f"{len(targets)}/{len(targets)} videos" in lines[0]


def test_text_output_and_user_errors(tmp_path, capsys):
    root = make_folders(tmp_path / "k", truth(probabilities("1x1")))
    code, lines, _ = _eval(capsys, root, "--checkpoint", TINY, "--views", "1x1", "--device", "cpu",
                           "--workers", "0", "--per-class", "1")
    text = "\n".join(lines)
    assert code == 0 and "top-1" in text and "mean class accuracy" in text
    code, _, err = _eval(capsys, tmp_path / "nothing-here", "--checkpoint", TINY)
    assert code == 1 and err.startswith("umt-desktop: error:") and len(err.strip().splitlines()) == 1
    code, _, err = _eval(capsys, root)
    assert code == 1 and "--checkpoint" in err
    code, _, err = _eval(capsys, "--resume", "no-such-run")
    assert code == 1 and "no evaluation run" in err


def test_help_shows_the_torchrun_forms(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    out = capsys.readouterr().out
    assert "torchrun --standalone --nproc-per-node" in out
    assert "--rdzv-endpoint" in out and "--nnodes" in out
