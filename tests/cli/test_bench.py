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


def test_bench_on_written_clips_with_the_reference_beside(capsys, tmp_path):
    clips = tmp_path / "clips"
    assert main(["bench", "--write-clips", str(clips), "--videos", "2"]) == 0
    assert len(list(clips.rglob("*.mp4"))) == 2
    capsys.readouterr()
    assert main(["bench", "--write-clips", str(clips), "--videos", "2"]) == 1  # never over existing clips
    assert "not empty" in capsys.readouterr().err
    assert main(TINY + ["--no-naive", "--no-classify", "--reference", "--clips", str(clips)]) == 0
    out = capsys.readouterr().out
    assert "start-up" in out and "e2e steady" in out and "steady/bound" in out
    reference = out.split("reference pipeline beside ours")[1]
    assert "vs ref whole" in reference and "vs ref steady" in reference
    assert main(TINY + ["--no-naive", "--no-classify", "--json", "--clips", str(clips)]) == 0
    data = json.loads(capsys.readouterr().out)
    (row,) = data["evaluation"]
    assert row["videos"] == 2 and data["settings"]["codec"] == "given"
    assert row["full_startup_seconds"] > 0 and row["full_steady_videos_per_s"] > 0
