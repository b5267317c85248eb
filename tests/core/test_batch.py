"""Batch classification: which videos a folder or a list names, results files that resume, the run itself."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
from tests.helpers.videos import write_video

from umt_desktop.core.batch import (
    BatchRun,
    ResultsFile,
    collect_videos,
    csv_header,
    export_results,
    most_confident_window,
    read_list,
)
from umt_desktop.core.errors import Cancelled, UMTError

ROW = {"video": "a.mp4", "views": "4x3", "top": [{"index": 3, "label": "arm wrestling", "score": 0.5}], "seconds": 0.1}


def _touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folders_are_searched_recursively_sorted_once_and_other_files_counted(tmp_path):
    root = tmp_path / "clips"
    for name in ["b.mp4", "A.avi", "sub/z.mkv", "sub/deeper/c.MOV", "notes.txt", "sub/thumb.jpg", ".hidden.mp4",
                 ".cache/x.mp4"]:
        _touch(root / name)
    os.symlink("..", root / "sub" / "loop")  # a loop back to the root
    found = collect_videos([root, root / "b.mp4"])  # b.mp4 named twice: once
    rel = [os.path.relpath(v, root) for v in found.videos]
    assert rel == ["A.avi", "b.mp4", "sub/deeper/c.MOV", "sub/z.mkv"]
    assert found.skipped == 2 and found.folders == 1


def test_a_named_file_is_taken_as_it_is(tmp_path):
    found = collect_videos([tmp_path / "missing.mp4", tmp_path / "notes.txt"])
    assert found.videos == [str(tmp_path / "missing.mp4"), str(tmp_path / "notes.txt")] and found.skipped == 0


def test_list_files_ignore_comments_and_blank_lines_and_resolve_relative_paths(tmp_path):
    _touch(tmp_path / "lists" / "near.mp4")
    _touch(tmp_path / "lists" / "folder" / "in.mp4")
    far = _touch(tmp_path / "far.webm")
    lst = tmp_path / "lists" / "todo.txt"
    lst.write_text(f"# my clips\n\nnear.mp4\n  folder  \n{far}\n# near.mp4 again:\nnear.mp4\n")
    assert read_list(lst) == [str(tmp_path / "lists" / "near.mp4"), str(tmp_path / "lists" / "folder"), str(far),
                              str(tmp_path / "lists" / "near.mp4")]
    found = collect_videos(lists=[lst])
    assert found.videos == [str(tmp_path / "lists" / "near.mp4"), str(tmp_path / "lists" / "folder" / "in.mp4"), str(far)]
    with pytest.raises(UMTError, match="cannot read the list"):
        collect_videos(lists=[tmp_path / "none.txt"])


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_results_file_appends_whole_rows_and_resumes_after_a_cut(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    failed = {"video": "b,\"odd\" name.mp4", "error": "b.mp4 cannot be opened as a video"}
    with ResultsFile(path, topk=1) as out:
        out.append(ROW)
        out.append(failed)
    whole = path.read_bytes()
    path.write_bytes(whole + whole[-30:-5])  # a row cut off mid-line by a process that died
    with ResultsFile(path, topk=1) as out:
        assert path.read_bytes() == whole  # the partial line is gone
        assert "a.mp4" in out and "c.mp4" not in out
        assert os.path.join(os.getcwd(), "a.mp4") in out  # the same file, spelled absolute
        assert out.done[os.path.abspath(failed["video"])]["error"] == failed["error"]
        out.append({**ROW, "video": "c.mp4"})
    text = path.read_text()
    if suffix == ".jsonl":
        rows = [json.loads(ln) for ln in text.splitlines()]
        assert rows == [ROW, failed, {**ROW, "video": "c.mp4"}]
    else:
        rows = list(csv.reader(text.splitlines()))
        assert rows[0] == csv_header(1) == ["video", "views", "seconds", "top1_label", "top1_score", "error"]
        assert rows[1] == ["a.mp4", "4x3", "0.1", "arm wrestling", "0.5", ""]
        assert rows[2] == [failed["video"], "", "", "", "", failed["error"]]
        assert [r[0] for r in rows[1:]] == ["a.mp4", failed["video"], "c.mp4"]


def test_export_writes_a_new_file_whole(tmp_path):
    rows = [ROW, {"video": "b.mp4", "error": "broken"}]
    export_results(tmp_path / "all.jsonl", rows)
    assert [json.loads(ln) for ln in (tmp_path / "all.jsonl").read_text().splitlines()] == rows
    export_results(tmp_path / "all.csv", rows, topk=2)
    table = list(csv.DictReader((tmp_path / "all.csv").open()))
    assert [r["video"] for r in table] == ["a.mp4", "b.mp4"] and table[1]["error"] == "broken"
    assert table[0]["top2_label"] == "" and not list(tmp_path.glob(".*.part"))


def test_batch_run_gives_one_by_one_numbers_saves_each_row_and_stops_when_cancelled(
        tmp_path, tiny_classifier, reference_videos):
    corrupt = _touch(tmp_path / "corrupt.mp4", b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    clip = write_video(tmp_path / "clip.mp4", frames=50, fps=10.0, seed=4)
    videos = [str(reference_videos[0][0]), str(corrupt), str(clip)]
    seen = []
    with ResultsFile(tmp_path / "out.jsonl", topk=3) as out:
        items = list(BatchRun(tiny_classifier, videos, topk=3, workers=1, output=out, progress=seen.append).run())
    assert [i.video for i in items] == videos and [i.failed for i in items] == [False, True, False]
    assert [p.done for p in seen] == [1, 2, 3] and seen[-1].failed == 1 and seen[-1].total == 3
    saved = [json.loads(ln) for ln in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert saved == [i.to_json() for i in items]
    for item in (items[0], items[2]):
        one = tiny_classifier.classify(item.video, views="4x3", topk=3)
        np.testing.assert_allclose(item.result.probs, one.probs, atol=1e-5, rtol=0)
        assert [t.index for t in item.top] == [t.index for t in one.top]
    assert items[2].duration == pytest.approx(5.0, abs=0.2) and items[1].duration is None

    stop = []
    run = BatchRun(tiny_classifier, videos * 2, views="1x1", workers=0, batch_size=1, cancelled=lambda: bool(stop))
    got = []
    with pytest.raises(Cancelled, match="stopped after 1 of 6"):
        for item in run.run():
            got.append(item.video)
            stop.append(True)
    assert got == videos[:1]


def test_most_confident_window_is_the_players_best_window(tiny_classifier, tmp_path):
    from umt_desktop.core.streaming.engine import SlidingWindowEngine
    from umt_desktop.core.streaming.sources import open_source

    clip = write_video(tmp_path / "clip.mp4", frames=60, fps=10.0, seed=7)
    label = tiny_classifier.classify(clip).top[0].index
    windows = []
    SlidingWindowEngine(tiny_classifier, span=2.0, stride=1.0, smoothing="off").run(
        open_source(str(clip)), on_window=windows.append)
    scores = [float(w.probs[label]) for w in windows]
    assert len(windows) >= 4 and len(set(scores)) > 1
    t, score = most_confident_window(tiny_classifier, clip, label, span=2.0, stride=1.0)
    assert score == max(scores) and t == windows[scores.index(score)].t
    assert most_confident_window(tiny_classifier, clip, label, cancelled=lambda: True) is None


@pytest.mark.cuda
@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_cuda_batches_of_several_videos_give_one_by_one_numbers(tmp_path, tiny_checkpoint, reference_videos,
                                                                 precision):
    import torch

    from umt_desktop import load_classifier

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    clf = load_classifier(tiny_checkpoint, device="cuda", precision=precision)
    videos = [str(v) for v, _ in reference_videos] + [str(write_video(tmp_path / f"c{i}.mp4", seed=i)) for i in range(3)]
    clf.batch_size = 48  # the GPU default: four 4x3 videos per forward pass
    items = list(BatchRun(clf, videos, workers=2, batch_size=48).run())
    clf.batch_size = 12  # one-by-one classify: one video per forward pass
    for item in items:
        one = clf.classify(item.video)
        assert [t.index for t in item.top] == [t.index for t in one.top]
        # float32: the batch's composition changes nothing that shows. Half precision may pick other
        # GEMM kernels for other batch shapes, which moves the last bits: bounded, not equal.
        tol = 1e-5 if precision == "float32" else 2e-3
        np.testing.assert_allclose(item.result.probs, one.probs, atol=tol, rtol=0)
