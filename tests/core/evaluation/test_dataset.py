"""Dataset discovery: the three layouts, missing videos, stable ids and seeded subsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from umt_desktop.core.evaluation.dataset import KineticsFolder, select_subset
from umt_desktop.core.errors import DatasetError
from umt_desktop.core.model.labels import kinetics

K400 = kinetics(400)


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_class_folders_with_spaces_and_underscores(tmp_path):
    _touch(tmp_path / "playing guitar" / "a.mp4")
    _touch(tmp_path / "playing_guitar" / "b.mp4")
    _touch(tmp_path / "abseiling" / "sub" / "c.avi")
    _touch(tmp_path / "abseiling" / "notes.txt")  # not a video
    _touch(tmp_path / "not a kinetics class" / "d.mp4")
    folder = KineticsFolder.open(tmp_path)
    assert folder.layout == "folders"
    assert [it.id for it in folder.items] == [
        "abseiling/sub/c.avi", "not a kinetics class/d.mp4", "playing guitar/a.mp4", "playing_guitar/b.mp4",
    ]
    known, unknown = folder.labelled(K400)
    assert unknown == ["not a kinetics class"]
    assert {it.target(K400) for it in known} == {K400.index("playing guitar"), K400.index("abseiling")}
    summary = folder.summary(K400)
    assert (summary.videos, summary.classes, summary.missing, summary.label_set) == (3, 2, [], "Kinetics-400")
    assert "3 videos in 2 classes (class folders" in summary.describe()


def test_list_file_reports_missing_videos(tmp_path):
    _touch(tmp_path / "val" / "x y.mp4")
    _touch(tmp_path / "val" / "b.mp4")
    ann = tmp_path / "list.txt"
    ann.write_text("val/x y.mp4 5\n\nval/b.mp4 399\nval/gone.mp4 7\n")
    folder = KineticsFolder.open(tmp_path, ann)
    assert folder.layout == "list"
    assert [(it.id, it.target(K400)) for it in folder.items] == [("val/x y.mp4", 5), ("val/b.mp4", 399)]
    assert folder.missing == ["val/gone.mp4"]
    assert folder.summary(K400).missing == ["val/gone.mp4"]


def test_list_file_with_a_bad_line_is_a_clear_error(tmp_path):
    ann = tmp_path / "list.txt"
    ann.write_text("val/a.mp4 abseiling\n")
    with pytest.raises(DatasetError, match="line 1"):
        KineticsFolder.open(tmp_path, ann)


def test_kinetics_csv_finds_videos_anywhere_under_root(tmp_path):
    _touch(tmp_path / "a" / "b" / "abc_000010_000020.mp4")
    _touch(tmp_path / "def_000000_000010.mkv")
    ann = tmp_path / "validate.csv"
    ann.write_text(
        "label,youtube_id,time_start,time_end,split,is_cc\n"
        '"passing American football (in game)",abc,10,20,val,0\n'
        "abseiling,def,0,10,val,0\n"
        '"air drumming",ghi,3,13,val,0\n'
    )
    folder = KineticsFolder.open(tmp_path, ann)
    assert folder.layout == "csv"
    assert [(it.id, it.target(K400)) for it in folder.items] == [
        ("abc_000010_000020", K400.index("passing American football (in game)")),
        ("def_000000_000010", K400.index("abseiling")),
    ]
    assert folder.missing == ["ghi_000003_000013"]


def test_empty_or_absent_root(tmp_path):
    with pytest.raises(DatasetError, match="no class folders"):
        KineticsFolder.open(tmp_path)
    with pytest.raises(DatasetError, match="not a folder"):
        KineticsFolder.open(tmp_path / "nope")
    with pytest.raises(DatasetError, match="does not exist"):
        KineticsFolder.open(tmp_path, tmp_path / "missing.csv")


def test_seeded_subsets(tmp_path):
    classes = ["abseiling", "air drumming", "answering questions"]
    for c in classes:
        for i in range(5):
            _touch(tmp_path / c / f"{i}.mp4")
    folder = KineticsFolder.open(tmp_path)
    everything = folder.select(K400)
    assert len(everything) == 15 and [it.id for it in everything] == sorted(it.id for it in everything)
    a = folder.select(K400, limit=4, seed=1)
    assert len(a) == 4 and a == folder.select(K400, limit=4, seed=1)
    assert {tuple(it.id for it in folder.select(K400, limit=4, seed=s)) for s in range(6)} != {tuple(it.id for it in a)}
    per = folder.select(K400, per_class=2, seed=3)
    assert sorted(it.id.split("/")[0] for it in per) == sorted(classes * 2)
    with pytest.raises(DatasetError):
        select_subset(everything, limit=2, per_class=1)
