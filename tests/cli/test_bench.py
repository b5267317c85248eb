"""`umt-desktop bench`: tables or JSON with every figure, from a tiny run."""

import json

from umt_desktop.cli import main

TINY = ["bench", "--quick", "--models", "tiny", "--gemm-size", "256", "--videos", "2", "--workers", "1",
        "--devices", "cpu"]


def test_bench_json_has_all_sections(capsys, tmp_path):
    out_file = tmp_path / "bench.json"
    assert main(TINY + ["--batches", "1", "2", "--json", "--no-eval", "--output", str(out_file)]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert json.loads(out_file.read_text()) == data
    assert set(data) >= {"machine", "settings", "matmul", "forward", "classify", "evaluation", "memory"}
    assert data["settings"]["models"] == ["tiny"] and data["settings"]["batches"] == [1, 2]
    assert {(r["path"], r["batch"]) for r in data["forward"]} >= {("fast", 1), ("naive", 2)}
    assert data["evaluation"] == []  # --no-eval
    assert data["classify"][0]["model_seconds"] > 0
    assert "bench: forward" in captured.err  # progress on stderr


def test_bench_table(capsys):
    assert main(TINY + ["--no-naive", "--no-classify"]) == 0
    out = capsys.readouterr().out
    for heading in ("matrix multiply", "model forward per view", "evaluation throughput", "peak memory"):
        assert heading in out
    forward = out.split("model forward")[1].split("evaluation")[0]
    assert " fast " in forward and " naive " not in forward  # --no-naive
    assert "decode only" in out and "end to end" in out and " batch " in out


def test_bench_rejects_unknown_device(capsys):
    assert main(TINY + ["--devices", "tpu"]) == 1
    assert "error:" in capsys.readouterr().err
