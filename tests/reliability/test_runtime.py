"""The run paths (classify, stream, bench, the window's start-up) against bad weights and hostile input.

Each case holds the contract: a one-line error (exit 1, or 2 for a bad option) with no
traceback, nothing computed before an output path is known to be writable, and never
a NaN or a wrong reader's message shown as if it were an answer.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.helpers.cli import assert_one_line_error, umt
from tests.helpers.videos import write_video

from umt_desktop.core.errors import CheckpointError, NumericError
from umt_desktop.core.jsonio import dumps
from umt_desktop.core.model.checkpoint import load_checkpoint
from umt_desktop.core.settings import DEFAULTS, Settings
from umt_desktop.core.video.readers import OpenCVReader, open_video

FIXTURES = Path(__file__).parent.parent / "fixtures"
TINY = FIXTURES / "tiny_umt.pth"
CPU = ["--device", "cpu"]
HEAD_W, HEAD_B = "cls_head.fc_cls.weight", "cls_head.fc_cls.bias"


# -- helpers ---------------------------------------------------------------------------
def _edited_checkpoint(path: Path, edit) -> Path:
    """A copy of the tiny fixture checkpoint with `edit(state_dict)` applied."""
    obj = torch.load(TINY, weights_only=True)
    state = {k: v.clone() for k, v in obj["state_dict"].items()}
    edit(state)
    torch.save({"state_dict": state, "meta": obj.get("meta", {})}, path)
    return path


def _set(key: str, index, value: float):
    def edit(state):
        state[key][index] = value

    return edit


def _overflowing(state) -> None:
    """Finite weights whose logits overflow float32: every score comes out NaN."""
    state[HEAD_W].fill_(3e38)


def _strict_json(line: str):
    """json.loads that refuses NaN and Infinity, as JavaScript, jq or serde do."""
    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(line, parse_constant=refuse)


def _lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("clip") / "clip.mp4", frames=24, fps=10.0)


# -- non-finite weights (refused at load, named) --------------------------------------------
@pytest.mark.parametrize(
    "key, index, value",
    [
        (HEAD_W, (3, 5), float("nan")),
        (HEAD_B, 7, float("inf")),
        ("backbone.patch_embed.proj.weight", (0, 0, 0, 0, 0), float("-inf")),
    ],
)
def test_non_finite_weights_are_refused_at_load_naming_the_tensor(tmp_path, key, index, value):
    path = _edited_checkpoint(tmp_path / "bad.pth", _set(key, index, value))
    with pytest.raises(CheckpointError, match=f"'{key}'.*NaN or infinite"):
        load_checkpoint(path)


def test_classify_refuses_nan_weights_in_one_line(tmp_path, clip):
    bad = _edited_checkpoint(tmp_path / "nan.pth", _set(HEAD_W, (3, 5), float("nan")))
    proc = umt("classify", clip, "--checkpoint", bad, *CPU)
    assert proc.returncode == 1 and proc.stdout == ""
    line = assert_one_line_error(proc)
    assert HEAD_W in line and "NaN" in line


def test_models_import_refuses_nan_weights(tmp_path):
    bad = _edited_checkpoint(tmp_path / "nan.pth", _set(HEAD_B, 0, float("nan")))
    proc = umt("models", "import", bad, "--name", "broken")
    assert proc.returncode == 1
    assert HEAD_B in assert_one_line_error(proc)
    listing = umt("models", "list")
    assert "broken" not in listing.stdout


# -- non-finite scores at run time (never a prediction) --------------------------------------
def test_classify_non_finite_scores_are_an_error_for_that_video(tmp_path, clip):
    bad = _edited_checkpoint(tmp_path / "overflow.pth", _overflowing)
    proc = umt("classify", clip, "--checkpoint", bad, *CPU, "--views", "1x1")
    assert proc.returncode == 1
    assert "nan" not in proc.stdout.lower() and "%" not in proc.stdout
    assert "NaN or infinite scores" in assert_one_line_error(proc)


def test_classify_json_stays_strict_json(tmp_path, clip):
    bad = _edited_checkpoint(tmp_path / "overflow.pth", _overflowing)
    other = shutil.copyfile(clip, tmp_path / "other.mp4")
    proc = umt("classify", clip, other, "--checkpoint", bad, *CPU, "--views", "1x1", "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    docs = [_strict_json(ln) for ln in _lines(proc.stdout)]
    assert len(docs) == 2 and all("NaN or infinite" in d["error"] and "top" not in d for d in docs)


def test_stream_stops_at_a_non_finite_window(tmp_path, clip):
    bad = _edited_checkpoint(tmp_path / "overflow.pth", _overflowing)
    proc = umt("stream", clip, "--checkpoint", bad, *CPU, "--span", "1", "--jsonl")
    assert proc.returncode == 1
    assert proc.stdout == ""  # no window printed as if it had scores
    assert "NaN or infinite scores for the window ending at 1.00 s" in assert_one_line_error(proc)


def test_eval_counts_a_non_finite_prediction_as_a_failed_video(tmp_path, clip):
    root = tmp_path / "data"
    (root / "videos").mkdir(parents=True)
    for name in ("a.mp4", "b.mp4"):
        shutil.copyfile(clip, root / "videos" / name)
    (root / "list.txt").write_text("videos/a.mp4 0\nvideos/b.mp4 0\n")  # class 0: what NaN used to become
    bad = _edited_checkpoint(tmp_path / "overflow.pth", _overflowing)
    # Compared with a sound checkpoint, so that the run has predictions and reports both.
    both = ["eval", root, "--ann", root / "list.txt", "--checkpoint", TINY, "--checkpoint", bad, *CPU,
            "--workers", "0", "--views", "1x1"]
    proc = umt(*both, "--json")
    assert "Traceback" not in proc.stderr and proc.returncode == 0, proc.stderr
    (good, doc) = [_strict_json(ln) for ln in _lines(proc.stdout)]
    assert good["videos"] == 2 and not good["failed"]
    assert len(doc["failed"]) == 2 and all("NaN or infinite" in f["error"] for f in doc["failed"])
    assert doc["videos"] == 0 and not doc["top1"]  # never 100 % from NaN read as class 0
    assert doc["top1"] is None and doc["top5"] is None and doc["mean_class_accuracy"] is None  # not 0 %
    # The text table gives no 0 % figures for the checkpoint without predictions.
    proc = umt(*both)
    assert proc.returncode == 0, proc.stderr
    _, bad_text = proc.stdout.split("\noverflow  (")
    assert "no video could be evaluated (2 failed, 0 missing)" in bad_text and "%" not in bad_text
    # Alone, it evaluates nothing: an error, not a result.
    proc = umt("eval", root, "--ann", root / "list.txt", "--checkpoint", bad, *CPU, "--workers", "0",
               "--views", "1x1", "--json")
    assert proc.returncode == 1 and proc.stdout == ""
    last = _lines(proc.stderr)[-1]
    assert last.startswith("umt-desktop: error: no video could be evaluated: all 2 failed") and "NaN" in last


def test_a_float16_overflow_is_computed_again_in_float32_and_said_so(tmp_path, clip):
    from umt_desktop import load_classifier

    # The MLP of the last block runs in half precision (the head stays float32): its activations pass 65504.
    path = _edited_checkpoint(tmp_path / "big.pth", lambda s: s["backbone.blocks.1.mlp.fc1.weight"].mul_(3e4))
    try:
        half = load_classifier(path, device="cpu", precision="float16")
        with half.runtime.autocast_context():
            torch.zeros(1, 2) @ torch.zeros(2, 1)
    except Exception as e:  # pragma: no cover - a CPU without float16 autocast
        pytest.skip(f"no float16 autocast on this CPU: {e}")
    notes = []
    half.on_notice = notes.append
    got = half.classify(clip, views="1x1")
    full = load_classifier(path, device="cpu", precision="float32").classify(clip, views="1x1")
    assert np.isfinite(got.probs).all()
    np.testing.assert_allclose(got.probs, full.probs, atol=1e-5)
    assert notes and "float32" in notes[0]


def test_a_non_finite_window_is_an_error_not_a_result(tmp_path, clip):
    from umt_desktop import load_classifier

    clf = load_classifier(_edited_checkpoint(tmp_path / "o.pth", _overflowing), device="cpu")
    with pytest.raises(NumericError):
        clf.classify_frames(np.zeros((8, 64, 64, 3), np.uint8) + 128)


def test_json_writer_never_writes_nan():
    text = dumps({"top1": float("nan"), "rate": [1.5, float("inf")], "n": 3})
    assert _strict_json(text) == {"top1": None, "rate": [1.5, None], "n": 3}


# -- stride bounds ------------------------------------------------------------------------------
@pytest.mark.parametrize("option, value", [("--stride", "1e-9"), ("--stride", "0"), ("--stride", "nan"),
                                           ("--span", "1e9"), ("--threshold", "inf")])
def test_stream_refuses_absurd_window_options(clip, option, value):
    proc = umt("stream", clip, "--checkpoint", TINY, *CPU, option, value)
    assert proc.returncode == 2 and proc.stdout == ""
    assert option.lstrip("-") in assert_one_line_error(proc)


def test_stride_below_one_frame_is_raised_to_it_with_a_note(tmp_path):
    video = write_video(tmp_path / "ten_fps.mp4", frames=20, fps=10.0)  # 2 s, one frame every 0.1 s
    proc = umt("stream", video, "--checkpoint", TINY, *CPU, "--span", "1", "--stride", "0.04", "--jsonl")
    assert proc.returncode == 0, proc.stderr
    notes = [ln for ln in _lines(proc.stderr) if "note:" in ln]
    assert len(notes) == 1 and "10 fps" in notes[0] and "0.1 s" in notes[0]
    times = [_strict_json(ln)["t"] for ln in _lines(proc.stdout)]
    assert times == pytest.approx([1.0 + 0.1 * k for k in range(11)])  # 1.0 .. 2.0, one per frame


# -- output paths checked before any work ---------------------------------------------------------
@pytest.mark.parametrize("target", ["missing/t.json", "missing/a.mp4", "folder"])
def test_stream_checks_out_before_any_window(tmp_path, clip, target):
    (tmp_path / "folder.json").mkdir()
    out = tmp_path / (target if target != "folder" else "folder.json")
    proc = umt("stream", clip, "--checkpoint", TINY, *CPU, "--jsonl", "--out", out)
    assert proc.returncode == 1
    assert proc.stdout == ""  # refused before the first window
    line = assert_one_line_error(proc)
    assert "--out" in line and ("does not exist" in line or "folder" in line)


def test_bench_checks_output_before_timing_anything(tmp_path):
    proc = umt("bench", "--quick", "--output", tmp_path / "missing" / "bench.json")
    assert proc.returncode == 1 and proc.stdout == ""
    line = assert_one_line_error(proc)  # no "bench: ..." progress lines: nothing was timed
    assert "--output" in line and "does not exist" in line


# -- settings file with absurd numbers ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        '{"topk": 1e400}',
        '{"topk": Infinity}',
        '{"topk": -Infinity}',
        '{"topk": NaN}',
        '{"topk": ' + "9" * 400 + "}",
        '{"span": ' + "9" * 400 + "}",
        '{"span": 1e400, "stride": 1e-9, "threshold": NaN}',
        '{"smoothing": "mean:0", "topk": 2.5}',
        "[" * 100000 + "]" * 100000,
    ],
)
def test_settings_with_absurd_numbers_fall_back_to_defaults(tmp_path, text):
    path = tmp_path / "settings.json"
    path.write_text(text)
    settings = Settings.load(path)
    for key in ("topk", "span", "stride", "threshold", "smoothing"):
        assert settings[key] == DEFAULTS[key]
    settings.save()
    _strict_json(path.read_text())  # and what is written back is strict JSON


# -- the window's capture when the model cannot load ----------------------------------------------------
def _unsafe_pickle(tmp_path: Path) -> tuple[list[str], dict, str]:
    path = tmp_path / "unsafe.pth"
    obj = torch.load(TINY, weights_only=True)
    torch.save({"state_dict": obj["state_dict"], "meta": argparse.Namespace(x=1)}, path)
    return ["--checkpoint", str(path)], {}, "cannot be loaded safely"


def _odd_head(tmp_path: Path) -> tuple[list[str], dict, str]:
    def edit(state):
        state[HEAD_W] = state[HEAD_W][:123].clone()
        state[HEAD_B] = state[HEAD_B][:123].clone()

    path = _edited_checkpoint(tmp_path / "odd.pth", edit)
    return ["--checkpoint", str(path)], {}, "123"


def _saved_device(tmp_path: Path) -> tuple[list[str], dict, str]:
    return ["--checkpoint", str(TINY)], {"device": "cuda:99"}, "cuda"


def _saved_model_gone(tmp_path: Path) -> tuple[list[str], dict, str]:
    return [], {"model": "umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb"}, "no longer installed"


@pytest.mark.parametrize("case", [_unsafe_pickle, _odd_head, _saved_device, _saved_model_gone],
                         ids=["unsafe-pickle", "123-classes", "saved-cuda:99", "saved-model-gone"])
def test_screenshot_stops_at_once_when_no_model_can_load(tmp_path, clip, case):
    args, saved, expected = case(tmp_path)
    config = tmp_path / "config"
    config.mkdir()
    if saved:
        (config / "settings.json").write_text(json.dumps(saved))
    png = tmp_path / "shot.png"
    # --timeout far beyond the subprocess guard: only stopping at the load failure passes.
    proc = umt("gui", clip, *args, "--screenshot", png, "--timeout", "3600",
               env={"UMT_DESKTOP_CONFIG_DIR": str(config)}, timeout=240)
    assert proc.returncode == 1 and not png.exists()
    line = assert_one_line_error(proc)  # printed once, in one wording
    assert expected.lower() in line.lower(), line


# -- unreadable, odd and damaged videos -------------------------------------------------------------------
def _without_root_override():
    """preexec_fn: drop root's power to read any file, so chmod 000 means what it says."""
    if os.geteuid() != 0:
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def drop():
        for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl")

    return drop


def _umt_unprivileged(*args, env=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "umt_desktop", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, preexec_fn=_without_root_override())


@pytest.fixture()
def locked(tmp_path, clip):
    path = tmp_path / "locked.mp4"
    shutil.copyfile(clip, path)
    path.chmod(0)
    yield path
    path.chmod(0o644)


@pytest.mark.parametrize("reader", ["decord", "opencv"])
def test_an_unreadable_video_is_a_permission_problem(locked, reader):
    proc = _umt_unprivileged("classify", locked, "--checkpoint", TINY, *CPU, "--reader", reader)
    assert proc.returncode == 1
    line = assert_one_line_error(proc)
    assert "permission denied" in line and "cannot be opened as a video" not in line


def test_eval_lists_an_unreadable_video_as_a_permission_problem(tmp_path, clip):
    root = tmp_path / "data"
    (root / "videos").mkdir(parents=True)
    shutil.copyfile(clip, root / "videos" / "ok.mp4")
    shutil.copyfile(clip, root / "videos" / "locked.mp4")
    (root / "videos" / "locked.mp4").chmod(0)
    (root / "list.txt").write_text("videos/ok.mp4 1\nvideos/locked.mp4 1\n")
    try:
        proc = _umt_unprivileged("eval", root, "--ann", root / "list.txt", "--checkpoint", TINY, *CPU,
                                 "--workers", "0", "--views", "1x1", "--json")
    finally:
        (root / "videos" / "locked.mp4").chmod(0o644)
    assert "Traceback" not in proc.stderr
    (doc,) = [_strict_json(ln) for ln in _lines(proc.stdout)]
    (failed,) = doc["failed"]
    assert "locked" in failed["video"] and "permission denied" in failed["error"]


@pytest.mark.parametrize("width", [16, 24, 48])
def test_decord_defect_on_narrow_h264_falls_back_to_opencv(tmp_path, width):
    video = write_video(tmp_path / f"w{width}.mp4", frames=24, fps=10.0, size=(width, 64), codec="h264")
    with open_video(video, "decord") as reader:
        frames = reader.get_frames([0, 5, 5, 23])
        assert reader.note and "OpenCV" in reader.note
    with OpenCVReader(video) as cv:
        np.testing.assert_array_equal(frames, cv.get_frames([0, 5, 5, 23]))
    proc = umt("classify", video, "--checkpoint", TINY, *CPU, "--views", "1x1", "--json")
    assert proc.returncode == 0, proc.stderr
    (note,) = _lines(proc.stderr)
    assert "decord" in note and "OpenCV" in note and "DECORDArrayCopyFromTo" not in note
    got = _strict_json(proc.stdout)
    ref = umt("classify", video, "--checkpoint", TINY, *CPU, "--views", "1x1", "--json", "--reader", "opencv")
    assert got["top"] == _strict_json(ref.stdout)["top"]


def _damaged_h264(tmp_path: Path) -> Path:
    """A real H.264 file whose frame data is overwritten past the first frame (the index intact)."""
    path = write_video(tmp_path / "damaged.mp4", frames=24, fps=10.0, codec="h264")
    data = bytearray(path.read_bytes())
    at = data.find(b"mdat")
    end = at - 4 + struct.unpack(">I", data[at - 4 : at])[0]
    for k in range(at + 600, end - 10, 151):
        data[k : k + 4] = b"\xff\xff\xff\x7f"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("reader", ["opencv", "decord"])
def test_decoder_libraries_never_print_on_stderr(tmp_path, reader):
    video = _damaged_h264(tmp_path)
    proc = umt("classify", video, "--checkpoint", TINY, *CPU, "--reader", reader)
    assert proc.returncode == 1
    line = assert_one_line_error(proc)  # ours only: no "[h264 @ 0x...]" lines beside it
    assert "[h264" not in proc.stderr and line.startswith(f"{video}: error: damaged.mp4")
    assert ".cc:" not in line  # decord's source locations are not ours to show
