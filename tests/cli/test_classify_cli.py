"""`umt-desktop classify` and `models` end to end, as a user runs them (a subprocess)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from tests.helpers.cli import assert_one_line_error, umt
from tests.helpers.videos import write_video


def test_version():
    proc = umt("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("umt-desktop ")


def test_classify_json_matches_reference_and_bad_file_does_not_stop_the_others(
    tmp_path, tiny_checkpoint, reference_videos
):
    h264 = write_video(tmp_path / "clip.mp4", frames=60, size=(320, 180), codec="h264")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    videos = [reference_videos[0][0], corrupt, h264, reference_videos[1][0]]
    proc = umt("classify", *videos, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--json", "--topk", "3")
    assert proc.returncode == 1, proc.stderr
    rows = [json.loads(ln) for ln in proc.stdout.splitlines()]
    assert [r["video"] for r in rows] == [str(v) for v in videos]
    assert "error" in rows[1] and "corrupt.mp4" in rows[1]["error"]
    for row, (_, ref) in zip([rows[0], rows[3]], reference_videos):
        assert row["views"] == "4x3" and len(row["top"]) == 3
        assert [t["index"] for t in row["top"]] == ref["top5"][:3]
        for t in row["top"]:
            assert t["score"] == pytest.approx(ref["probs"][t["index"]], abs=1e-6)
            assert isinstance(t["label"], str) and t["label"]
        assert row["seconds"] > 0
    assert len(rows[2]["top"]) == 3 and "error" not in rows[2]
    assert "Traceback" not in proc.stderr


def test_classify_human_output_and_success_exit(tiny_checkpoint, reference_videos):
    path, ref = reference_videos[1]
    proc = umt("classify", path, "--checkpoint", tiny_checkpoint, "--views", "1x1")
    assert proc.returncode == 0, proc.stderr
    assert "(1x1," in proc.stdout and proc.stdout.count("%") == 5


def test_usage_errors_exit_2(tiny_checkpoint, reference_videos):
    assert umt("classify", reference_videos[0][0]).returncode == 2  # no model
    assert umt("classify", reference_videos[0][0], "--checkpoint", tiny_checkpoint, "--views", "2x2").returncode == 2
    assert umt("classify", "--model", "a", "--checkpoint", "b", "x.mp4").returncode == 2


@pytest.mark.parametrize("content,expected", [(b"junk", "not a PyTorch checkpoint"), (None, "does not exist")])
def test_bad_checkpoint_is_one_line(tmp_path, reference_videos, content, expected):
    ckpt = tmp_path / "bad.pth"
    if content is not None:
        ckpt.write_bytes(content)
    proc = umt("classify", reference_videos[0][0], "--checkpoint", ckpt)
    assert proc.returncode == 1
    assert expected in assert_one_line_error(proc)


def test_unknown_and_missing_models(reference_videos):
    proc = umt("classify", reference_videos[0][0], "--model", "no-such-model")
    assert proc.returncode == 1 and "neither a checkpoint file nor a known model" in assert_one_line_error(proc)
    proc = umt("classify", reference_videos[0][0], "--model", "b16_ptk710_ftk710_ftk600_f8_res224")
    assert proc.returncode == 1 and "models download" in assert_one_line_error(proc)


def test_cuda_request_without_gpu_is_a_clear_error(tiny_checkpoint, reference_videos):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    proc = umt("classify", reference_videos[0][0], "--checkpoint", tiny_checkpoint, "--device", "cuda")
    assert proc.returncode == 1 and "no CUDA GPU" in assert_one_line_error(proc)


def test_models_import_list_classify_remove(tiny_checkpoint, reference_videos):
    proc = umt("models", "import", tiny_checkpoint, "--name", "tiny")
    assert proc.returncode == 0 and "400 classes" in proc.stdout
    listing = json.loads(umt("models", "list", "--json").stdout)
    by_name = {r["name"]: r for r in listing}
    assert by_name["tiny"]["installed"] and by_name["tiny"]["origin"] == "import"
    assert by_name["umt-large-p16-res224_kinetics710-pre-ft_u8_k400-rgb"]["published_top1"] == 90.21
    assert not by_name["umt-large-p16-res224_kinetics710-pre-ft_u8_k400-rgb"]["installed"]
    path, ref = reference_videos[0]
    proc = umt("classify", path, "--model", "tiny", "--json")
    assert json.loads(proc.stdout)["top"][0]["index"] == ref["top5"][0]
    assert umt("models", "remove", "tiny").returncode == 0
    proc = umt("models", "remove", "tiny")
    assert proc.returncode == 1 and "not installed" in assert_one_line_error(proc)


def test_models_import_rejects_a_bad_file(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_text("nope")
    proc = umt("models", "import", bad)
    assert proc.returncode == 1 and "not a PyTorch checkpoint" in assert_one_line_error(proc)


def test_models_download_offline_is_one_line():
    proc = umt(
        "models", "download", "umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb",
        env={"UMT_DESKTOP_MIRROR": "http://127.0.0.1:9/"},
    )
    assert proc.returncode == 1
    err = proc.stderr.strip().splitlines()[-1]
    assert "cannot reach 127.0.0.1:9" in err and "Traceback" not in proc.stderr


def test_api_returns_probabilities_and_topk(tiny_classifier, reference_videos):
    path, ref = reference_videos[0]
    result = tiny_classifier.classify(path, views="4x3", topk=5)
    assert isinstance(result.probs, np.ndarray) and result.probs.shape == (400,)
    index, label, score = result.top[0]
    assert index == ref["top5"][0] and label == tiny_classifier.labels[index] and 0 < score <= 1
