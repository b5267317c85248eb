"""`umt-desktop classify FOLDER|--list FILE --output FILE` as a user runs it: a subprocess on real files."""

from __future__ import annotations

import csv
import json
import os
import shutil

import pytest
from tests.helpers.cli import umt
from tests.helpers.videos import write_video

SLOW = 900  # seconds a subprocess may take on a loaded machine (never asserted)


@pytest.fixture
def tree(tmp_path, reference_videos):
    """clips/ with nested folders, a corrupt video, a text file and a link looping back."""
    root = tmp_path / "clips"
    (root / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(reference_videos[0][0], root / "a.mp4")
    shutil.copy(reference_videos[1][0], root / "sub" / "b.mp4")
    write_video(root / "sub" / "deeper" / "c.avi", frames=40, seed=3)
    (root / "sub" / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
    (root / "notes.txt").write_text("not a video")
    os.symlink("..", root / "sub" / "loop")
    return root


def _rows(path):
    return [json.loads(ln) for ln in path.read_text().splitlines()]


def _check_numbers(rows, classifier, views="4x3"):
    """Every row equals one-by-one classify of its video on the same device and precision."""
    for row in rows:
        if "error" in row:
            continue
        one = classifier.classify(row["video"], views=views, topk=len(row["top"]))
        assert row["views"] == views
        assert [t["index"] for t in row["top"]] == [t.index for t in one.top]
        for t in row["top"]:
            assert t["score"] == pytest.approx(float(one.probs[t["index"]]), abs=1e-5)
            assert t["label"] == classifier.labels[t["index"]]


@pytest.mark.timeout(1800)
def test_folder_to_jsonl_then_cut_mid_line_and_resume(tmp_path, tree, tiny_checkpoint, tiny_classifier):
    out = tmp_path / "out.jsonl"
    args = ["classify", tree, "--output", out, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--workers", "1"]
    proc = umt(*args, timeout=SLOW)
    assert proc.returncode == 1, proc.stderr  # one video failed, the others went on
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert "4 videos, 1 non-video file skipped" in proc.stderr
    assert "sub/corrupt.mp4: error: corrupt.mp4 cannot be opened" in proc.stderr
    rows = _rows(out)
    rel = [os.path.relpath(r["video"], tree) for r in rows]
    assert rel == ["a.mp4", "sub/b.mp4", "sub/corrupt.mp4", "sub/deeper/c.avi"]
    assert set(rows[2]) == {"video", "error"} and "corrupt.mp4" in rows[2]["error"]
    assert all(set(r) == {"video", "views", "top", "seconds"} for r in rows if "error" not in r)
    assert all(len(r["top"]) == 5 for r in rows if "error" not in r)
    _check_numbers(rows, tiny_classifier)

    # A process killed while writing the third row: two whole rows and half of one.
    data = out.read_bytes()
    second_end = data.index(b"\n", data.index(b"\n") + 1) + 1
    out.write_bytes(data[: second_end + 25])
    proc = umt(*args, timeout=SLOW)
    assert proc.returncode == 1, proc.stderr  # the corrupt video is still among the results
    assert "2 already in out.jsonl" in proc.stderr and "Traceback" not in proc.stderr
    again = _rows(out)
    assert [r["video"] for r in again] == [r["video"] for r in rows]  # complete, no duplicates
    for old, new in zip(rows, again):
        assert new.get("error") == old.get("error")
        assert [t["index"] for t in new.get("top", [])] == [t["index"] for t in old.get("top", [])]
    _check_numbers(again, tiny_classifier)


@pytest.mark.timeout(900)
def test_list_file_to_csv(tmp_path, tree, tiny_checkpoint, tiny_classifier, reference_videos):
    lists = tmp_path / "lists"
    lists.mkdir()
    shutil.copy(reference_videos[1][0], lists / "near.mp4")
    (lists / "todo.txt").write_text(f"# clips to label\n\nnear.mp4\n{tree / 'sub' / 'deeper'}\n")
    out = tmp_path / "labels.csv"
    proc = umt("classify", "--list", lists / "todo.txt", "--output", out, "--views", "1x1", "--topk", "2",
               "--checkpoint", tiny_checkpoint, "--device", "cpu", timeout=SLOW)
    assert proc.returncode == 0, proc.stderr
    table = list(csv.reader(out.read_text().splitlines()))
    assert table[0] == ["video", "views", "seconds", "top1_label", "top1_score", "top2_label", "top2_score", "error"]
    assert [r[0] for r in table[1:]] == [str(lists / "near.mp4"), str(tree / "sub" / "deeper" / "c.avi")]
    for r in table[1:]:
        one = tiny_classifier.classify(r[0], views="1x1", topk=2)
        assert r[1] == "1x1" and r[-1] == ""
        assert [r[3], r[5]] == [t.label for t in one.top]
        assert [float(r[4]), float(r[6])] == pytest.approx([t.score for t in one.top], abs=1e-5)


def test_usage_errors_exit_2(tmp_path, tiny_checkpoint, reference_videos):
    video = reference_videos[0][0]
    for args in (
        ["classify", "--checkpoint", tiny_checkpoint],  # nothing to classify
        ["classify", video, "--checkpoint", tiny_checkpoint, "--output", tmp_path / "out.txt"],
        ["classify", "--list", tmp_path / "missing.txt", "--checkpoint", tiny_checkpoint],
        ["classify", video, "--checkpoint", tiny_checkpoint, "--workers", "-1"],
    ):
        proc = umt(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and "error:" in proc.stderr
