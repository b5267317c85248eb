"""Batch classification with damaged input and a damaged or full disk: one clear line, nothing lost."""

from __future__ import annotations

import os

import pytest
from tests.helpers.cli import assert_one_line_error, umt

from umt_desktop.core.batch import ResultsFile, export_results
from umt_desktop.core.errors import UMTError

ROW = {"video": "a.mp4", "views": "4x3", "top": [{"index": 3, "label": "arm wrestling", "score": 0.5}], "seconds": 0.1}
SLOW = 900  # seconds a subprocess may take on a loaded machine (never asserted)


def test_results_file_refuses_what_it_did_not_write(tmp_path):
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text('{"video": "a.mp4"}\nnot json\n')
    with pytest.raises(UMTError, match="line 2 of .* is not a classification result"):
        ResultsFile(foreign)
    table = tmp_path / "out.csv"
    with ResultsFile(table, topk=5):
        pass
    with pytest.raises(UMTError, match=r"other columns .*--topk 5"):
        ResultsFile(table, topk=3)
    with pytest.raises(UMTError, match="written as .jsonl or .csv"):
        ResultsFile(tmp_path / "out.txt")


def test_two_runs_never_write_one_file(tmp_path):
    path = tmp_path / "out.jsonl"
    with ResultsFile(path):
        with pytest.raises(UMTError, match="being written by another"):
            ResultsFile(path)
    ResultsFile(path).close()  # free again


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_one_clear_error_and_loses_nothing(tmp_path):
    path = tmp_path / "out.jsonl"
    path.symlink_to("/dev/full")
    out = ResultsFile(path)
    with pytest.raises(UMTError, match="cannot write to .*out.jsonl: No space left on device"):
        out.append(ROW)
    out.close()
    # Exporting writes a temporary file first: a full disk there leaves the old file as it was.
    target = tmp_path / "table.csv"
    target.write_text("keep me\n")
    (tmp_path / ".table.csv.part").symlink_to("/dev/full")
    with pytest.raises(UMTError, match="cannot write .*table.csv: No space left on device"):
        export_results(target, [ROW], topk=1)
    assert target.read_text() == "keep me\n"


def test_an_empty_folder_is_one_line(tmp_path, tiny_checkpoint):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "readme.txt").write_text("x")
    proc = umt("classify", tmp_path / "docs", "--checkpoint", tiny_checkpoint)
    assert proc.returncode == 1
    assert "no video files in" in assert_one_line_error(proc) and "1 other file skipped" in proc.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.timeout(900)
def test_a_full_disk_stops_with_one_clear_line(tmp_path, tiny_checkpoint, reference_videos):
    out = tmp_path / "out.jsonl"
    out.symlink_to("/dev/full")
    proc = umt("classify", reference_videos[1][0], "--output", out, "--views", "1x1",
               "--checkpoint", tiny_checkpoint, "--device", "cpu", timeout=SLOW)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "cannot write to" in proc.stderr.splitlines()[-1] and "No space left on device" in proc.stderr


def test_a_bad_checkpoint_for_a_folder_is_one_line(tmp_path, reference_videos):
    folder = tmp_path / "clips"
    folder.mkdir()
    for i, (video, _) in enumerate(reference_videos):
        (folder / f"v{i}.mp4").write_bytes(video.read_bytes())
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"junk")
    proc = umt("classify", folder, "--checkpoint", bad, "--output", tmp_path / "out.jsonl")
    assert proc.returncode == 1 and "not a PyTorch checkpoint" in assert_one_line_error(proc)
    assert (tmp_path / "out.jsonl").read_text() == ""  # nothing written, nothing lost
