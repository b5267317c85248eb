"""The benchmark: its derived figures follow from the measurements, and a tiny bench yields every figure.
(The model's paths that it times are checked in tests/core/model/test_paths.py.)"""

import pytest
import torch

from umt_desktop.core import bench
from umt_desktop.core.bench import BenchSettings, attach_floor, run_bench
from umt_desktop.core.errors import Cancelled, UMTError

TINY = bench.MODELS["tiny"]


def test_floor_and_speedup_are_derived_from_the_measurements():
    matmul = [
        {"device": "cpu", "precision": "float32", "backend": "aten", "tflops": 0.1},
        {"device": "cpu", "precision": "float32", "backend": "onednn", "tflops": 0.2},
    ]
    rows = [
        {"model": "m", "device": "cpu", "precision": "float32", "path": p, "batch": 1,
         "ms_per_view": ms, "gflops_per_view": 100.0}
        for p, ms in (("fast", 600.0), ("naive", 1500.0))
    ]
    attach_floor(rows, matmul)
    fast, naive = rows
    assert fast["floor_ms_per_view"] == pytest.approx(500.0)  # 100 GFLOP at the faster 0.2 TFLOP/s
    assert fast["floor_fraction"] == pytest.approx(500.0 / 600.0)
    assert fast["speedup_vs_naive"] == pytest.approx(2.5)
    assert naive["speedup_vs_naive"] == pytest.approx(1.0)


def test_tiny_bench_produces_every_figure(tmp_path):
    settings = BenchSettings.quick(models=("tiny",), batches=(1, 2), gemm_size=256, videos=2, workers=1,
                                   devices=("cpu",), reference=True)
    steps = []
    result = run_bench(settings, progress=steps.append, workdir=tmp_path).to_json()
    assert steps and not list(tmp_path.iterdir())  # progress reported; temporary files removed
    assert result["machine"]["torch"] == torch.__version__ and result["machine"]["cores"] >= 1
    assert {m["backend"] for m in result["matmul"]} >= {"aten"}
    assert all(m["tflops"] > 0 for m in result["matmul"])
    paths = {r["path"] for r in result["forward"]}
    assert {"fast", "naive"} <= paths
    assert {r["batch"] for r in result["forward"]} == {1, 2}
    for r in result["forward"]:
        assert r["ms_per_view"] > 0 and r["floor_ms_per_view"] > 0 and 0 < r["floor_fraction"]
        assert r["speedup_vs_naive"] > 0
        assert r["gflops_per_view"] == pytest.approx(TINY.flops_per_view() / 1e9)
    (c,) = result["classify"]
    assert c["views"] == "4x3" and c["device"] == "cpu"
    assert c["seconds"] >= c["decode_seconds"] + c["model_seconds"] > 0
    (e,) = result["evaluation"]
    assert e["videos"] == 2 and e["workers"] == 1
    for key in ("decode_videos_per_s", "model_videos_per_s", "full_videos_per_s", "reference_videos_per_s",
                "batch_videos_per_s"):
        assert e[key] > 0, key
    assert e["speedup_vs_reference"] > 0 and e["end_to_end_fraction"] > 0
    assert result["memory"]["cpu_peak_mb"] > 0


def test_cancelled_bench_stops():
    with pytest.raises(Cancelled):
        run_bench(BenchSettings.quick(models=("tiny",), devices=("cpu",)), cancelled=lambda: True)


def test_unknown_shape_is_a_user_error():
    with pytest.raises(UMTError, match="unknown model shape"):
        run_bench(BenchSettings(models=("UMT-XXL",)))


