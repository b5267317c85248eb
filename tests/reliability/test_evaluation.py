"""Evaluation against damaged state and hostile input: real SQLite files, real folders, real disks.

Each case holds the contract: one `HistoryError`/`UMTError` in the core, one line on stderr and
exit code 1 from the CLI, no traceback, nothing lost.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.helpers.cli import assert_one_line_error, umt
from tests.helpers.history import damage_later_pages, fill_history, other_schema
from tests.helpers.mini_kinetics import TINY, expected_metrics, make_folders, make_list, probabilities, truth

from umt_desktop.core.errors import (
    DatasetError,
    HistoryDamagedError,
    HistoryError,
    HistoryUnavailableError,
    RunBusyError,
    UMTError,
)
from umt_desktop.core.evaluation import history as history_module
from umt_desktop.core.evaluation.history import History, move_aside
from umt_desktop.core.paths import database_path

CPU = ["--device", "cpu", "--workers", "0"]


# -- a damaged history ------------------------------------------------------------------------
@pytest.mark.parametrize("damage", [damage_later_pages, other_schema], ids=["damaged-pages", "other-schema"])
def test_a_damaged_history_is_one_typed_error_and_can_be_moved_aside(damage):
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if damage is damage_later_pages:
        fill_history(path)
    damage(path)
    before = path.read_bytes()
    with pytest.raises(HistoryDamagedError) as caught:
        History.open()
    error = caught.value
    assert isinstance(error, HistoryError) and isinstance(error, UMTError)
    assert error.path == path and str(path) in str(error) and "\n" not in str(error)
    assert "move it aside" in str(error)
    Path(f"{path}-wal").write_bytes(b"wal")  # side files travel with it
    aside = move_aside(error.path)
    assert not path.exists() and aside.parent == path.parent
    assert aside.name.startswith("evaluations.sqlite3.damaged-")
    assert aside.read_bytes() == before  # moved, never deleted or rewritten
    assert Path(f"{aside}-wal").read_bytes() == b"wal" and not Path(f"{path}-wal").exists()
    with History.open() as fresh:  # a new, empty history in its place
        assert fresh.runs() == []
    again = path.with_name(aside.name)
    assert again.exists()


def test_move_aside_keeps_an_earlier_damaged_copy():
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"first")
    first = move_aside(path)
    path.write_bytes(b"second")
    second = move_aside(path)
    assert first != second and first.read_bytes() == b"first" and second.read_bytes() == b"second"
    with pytest.raises(HistoryError, match="does not exist"):
        move_aside(path)


def test_damage_found_while_reading_is_the_same_typed_error(tmp_path):
    """A file too large for the check at open: the damaged page is met by a query."""
    path = tmp_path / "big.sqlite3"
    run_id = fill_history(path)
    damage_later_pages(path)
    limit = history_module.QUICK_CHECK_MAX_BYTES
    history_module.QUICK_CHECK_MAX_BYTES = 0
    try:
        with History(path) as history, pytest.raises(HistoryDamagedError) as caught:
            history.predictions(run_id)
    finally:
        history_module.QUICK_CHECK_MAX_BYTES = limit
    assert caught.value.path == path and "malformed" in str(caught.value)


@pytest.mark.parametrize("damage", [damage_later_pages, other_schema], ids=["damaged-pages", "other-schema"])
def test_cli_says_one_line_when_the_history_is_damaged(tmp_path, damage):
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    run_id = fill_history(path) if damage is damage_later_pages else "x"
    damage(path)
    root = make_folders(tmp_path / "k", truth(probabilities("1x1"))[:2], corrupt=False)
    for args in (["--list"], ["--list", "--json"], [root, "--checkpoint", TINY, "--views", "1x1", *CPU],
                 ["--export", run_id, tmp_path / "out.csv"], ["--resume", run_id, *CPU]):
        proc = umt("eval", *args)
        assert proc.returncode == 1, (args, proc.stderr)
        line = assert_one_line_error(proc)
        assert str(path) in line and "move it aside" in line, line
    assert not (tmp_path / "out.csv").exists()


# -- a data folder that cannot be created -------------------------------------------------------
def _unusable_folders(tmp_path: Path) -> list[tuple[Path, str]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cases = [(blocker / "data", "Not a directory")]
    if Path("/proc/self").is_dir():
        cases.append((Path("/proc/umt-desktop-data"), ""))
    return cases


def test_a_data_folder_that_cannot_be_created_is_one_line(tmp_path, monkeypatch):
    for folder, reason in _unusable_folders(tmp_path):
        monkeypatch.setenv("UMT_DESKTOP_DATA_DIR", str(folder))
        with pytest.raises(HistoryUnavailableError) as caught:
            History()
        assert caught.value.path == folder and str(folder) in str(caught.value) and reason in str(caught.value)
        root = make_folders(tmp_path / "k", truth(probabilities("1x1"))[:2], corrupt=False)
        for args in (["--list"], [root, "--checkpoint", TINY, "--views", "1x1", *CPU]):
            proc = umt("eval", *args, env={"UMT_DESKTOP_DATA_DIR": str(folder)})
            assert proc.returncode == 1
            line = assert_one_line_error(proc)
            assert f"cannot create the data folder {folder}" in line and "UMT_DESKTOP_DATA_DIR" in line


def test_importing_the_evaluation_code_never_touches_the_data_folder(tmp_path):
    """The window imports the evaluation modules at start: that must work whatever the data folder."""
    folder = tmp_path / "a-file"
    folder.write_text("x")
    code = ("import umt_desktop.core.evaluation.run, umt_desktop.core.evaluation.history, umt_desktop.cli.eval;"
            "print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "UMT_DESKTOP_DATA_DIR": str(folder / "data")})
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def _mounted(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return proc.returncode == 0


def _unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def test_a_read_only_data_folder_is_one_line(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a read-only tmpfs (permissions do not bind root)")
    disk = tmp_path / "ro"
    if not _mounted(disk, "size=1m,ro"):
        pytest.skip("tmpfs cannot be mounted here")
    try:
        for data in (disk, disk / "data"):
            proc = umt("eval", "--list", env={"UMT_DESKTOP_DATA_DIR": str(data)})
            assert proc.returncode == 1
            line = assert_one_line_error(proc)
            assert str(data) in line and "UMT_DESKTOP_DATA_DIR" in line, line
    finally:
        _unmount(disk)


# -- duplicated and conflicting lines in annotation files ------------------------------------------
def _list_with_duplicates(tmp_path: Path) -> tuple[Path, Path, list[int]]:
    probs = probabilities("1x1")
    targets = truth(probs)
    root = tmp_path / "k"
    ann = make_list(root, targets, missing=True, corrupt=False)
    lines = ann.read_text().splitlines()
    lines += [lines[0], "./" + lines[1], lines[2].replace("videos/", "videos//"), lines[-1]]  # gone.mp4 twice
    ann.write_text("\n".join(lines) + "\n")
    return root, ann, targets


def test_duplicated_list_lines_are_evaluated_once_and_reported(tmp_path):
    from umt_desktop.core.evaluation.dataset import KineticsFolder
    from umt_desktop.core.model.labels import kinetics

    root, ann, targets = _list_with_duplicates(tmp_path)
    folder = KineticsFolder.open(root, ann)
    assert [it.id for it in folder.items] == [f"videos/v{i:02d}.mp4" for i in range(len(targets))]
    assert folder.duplicates == ["videos/v00.mp4", "videos/v01.mp4", "videos/v02.mp4", "videos/gone.mp4"]
    assert folder.missing == ["videos/gone.mp4"]
    assert "4 listed more than once (evaluated once)" in folder.summary(kinetics(400)).describe()
    proc = umt("eval", root, "--ann", ann, "--checkpoint", TINY, "--views", "1x1", *CPU, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "4 listed more than once" in proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    want = expected_metrics(probabilities("1x1"), targets)
    assert result["videos"] == len(targets) and result["top1"] == pytest.approx(want["top1"], abs=1e-3)
    assert result["missing"] == ["videos/gone.mp4"]
    with History() as history:
        assert history.count_videos(result["run_id"]) == len(targets)
        assert history.get_run(result["run_id"]).summary["duplicates"][0] == "videos/v00.mp4"


def test_one_video_with_two_labels_is_an_error_naming_the_lines(tmp_path):
    targets = truth(probabilities("1x1"))
    root = tmp_path / "k"
    ann = make_list(root, targets, missing=False, corrupt=False)
    lines = ann.read_text().splitlines()
    lines.append(f"./videos/v01.mp4 {(targets[1] + 1) % 400}")
    ann.write_text("\n".join(lines) + "\n")
    proc = umt("eval", root, "--ann", ann, "--checkpoint", TINY, "--views", "1x1", *CPU)
    assert proc.returncode == 1
    line = assert_one_line_error(proc)
    n = len(lines)
    assert f"lines 2 and {n}" in line and "videos/v01.mp4" in line and "two labels" in line, line


def test_a_csv_with_one_clip_under_two_labels_is_an_error(tmp_path):
    from umt_desktop.core.evaluation.dataset import KineticsFolder

    ann = tmp_path / "val.csv"
    ann.write_text("label,youtube_id,time_start,time_end,split\nabseiling,abc,0,10,val\n"
                   "abseiling,abc,0,10,val\nair drumming,abc,0,10,val\n")
    with pytest.raises(DatasetError, match="lines 2 and 4 give abc_000000_000010 two labels"):
        KineticsFolder.open(tmp_path, ann)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "nan"])
def test_a_csv_with_a_non_finite_time_is_a_line_numbered_error(tmp_path, value):
    ann = tmp_path / "val.csv"
    ann.write_text(f"label,youtube_id,time_start,time_end,split\nabseiling,abc,0,10,val\n"
                   f"abseiling,xyz,{value},10,val\n")
    proc = umt("eval", tmp_path, "--ann", ann, "--checkpoint", TINY, *CPU)
    assert proc.returncode == 1
    line = assert_one_line_error(proc)
    assert "val.csv line 3" in line and "time_start/time_end" in line, line
