"""Evaluation against damaged state and hostile input: real SQLite files, real folders, real disks.

Each case holds the contract: one `HistoryError`/`UMTError` in the core, one line on stderr and
exit code 1 from the CLI, no traceback, nothing lost.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
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


# -- a disk that fills up during a run -----------------------------------------------------------
def _list_of_copies(root: Path, n: int) -> tuple[Path, list[int]]:
    """n videos (copies of the mini-Kinetics clips) in an MMAction2 list; returns it and the targets."""
    import shutil

    from tests.helpers.mini_kinetics import N_VIDEOS, source_videos

    base = truth(probabilities("1x1"))
    (root / "videos").mkdir(parents=True, exist_ok=True)
    lines, targets = [], []
    for j in range(n):
        shutil.copyfile(source_videos(N_VIDEOS)[j % N_VIDEOS], root / "videos" / f"v{j:02d}.mp4")
        lines.append(f"videos/v{j:02d}.mp4 {base[j % N_VIDEOS]}")
        targets.append(base[j % N_VIDEOS])
    ann = root / "list.txt"
    ann.write_text("\n".join(lines) + "\n")
    return ann, targets


def _expected_of_copies(targets: list[int]) -> dict:
    from tests.helpers.mini_kinetics import N_VIDEOS

    probs = probabilities("1x1")
    return expected_metrics([probs[j % N_VIDEOS] for j in range(len(targets))], targets)


def _fill(disk: Path, leave: int = 0) -> Path:
    """Fill a filesystem with one file, then give back `leave` bytes."""
    filler = disk / "filler"
    chunk = b"\0" * 4096
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """A real 4 MiB tmpfs holding the data folder (root only)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs for a real full disk")
    disk = tmp_path / "disk"
    if not _mounted(disk, "size=4m"):
        pytest.skip("tmpfs cannot be mounted here")
    monkeypatch.setenv("UMT_DESKTOP_DATA_DIR", str(disk))
    yield disk
    _unmount(disk)


def test_a_disk_filling_up_during_eval_is_one_line_and_the_run_resumes(small_disk, tmp_path):
    ann, targets = _list_of_copies(tmp_path / "k", 40)
    filler = _fill(small_disk, leave=160 * 1024)  # room for the run, not for its 40 videos
    proc = umt("eval", tmp_path / "k", "--ann", ann, "--checkpoint", TINY, "--views", "1x1", *CPU,
               "--batch-size", "1")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("umt-desktop: error: the disk holding the evaluation history") and "is full" in last
    run_id = last.split("--resume ")[1].split("`")[0]
    filler.unlink()
    with History() as history:
        run = history.get_run(run_id)
        assert run.status == "interrupted"
        kept = history.count_done(run_id)
    assert 0 < kept < len(targets)
    proc = umt("eval", "--list")
    assert proc.returncode == 0 and "interrupted" in proc.stdout
    proc = umt("eval", "--resume", run_id, *CPU, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    want = _expected_of_copies(targets)
    assert result["videos"] == len(targets) and result["top1"] == pytest.approx(want["top1"], abs=1e-3)


def test_a_full_disk_stops_an_in_process_run_that_then_resumes(small_disk, tmp_path):
    from umt_desktop.core.errors import DiskFullError
    from umt_desktop.core.evaluation.run import EvalRun, EvalSettings

    ann, targets = _list_of_copies(tmp_path / "k", 12)
    settings = EvalSettings(root=str(tmp_path / "k"), ann=str(ann), checkpoints=[str(TINY)], views="1x1",
                            device="cpu", workers=0, batch_size=1)
    filled = []

    def progress(p) -> None:
        if p.done >= 2 and not filled:
            filled.append(_fill(small_disk))

    run = EvalRun(settings, progress=progress, dist_env=None)
    with pytest.raises(DiskFullError) as caught:
        run.run()
    message = str(caught.value)
    assert "is full" in message and f"--resume {run.run_id}" in message and "\n" not in message
    filled[0].unlink()
    with History() as history:
        assert history.get_run(run.run_id).status == "interrupted"  # also when the status could not be written
    [result] = EvalRun(resume=run.run_id, dist_env=None).run()
    want = _expected_of_copies(targets)
    assert result.videos == len(targets) and result.top1 == pytest.approx(want["top1"], abs=1e-3)


# -- export destinations, checked before any work ----------------------------------------------------
def test_export_into_a_missing_folder_or_onto_a_folder_is_refused_first(tmp_path):
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    run_id = fill_history(path)
    (tmp_path / "taken.csv").mkdir()
    cases = [(tmp_path / "missing" / "out.csv", "does not exist"), (tmp_path / "taken.csv", "is a folder"),
             (tmp_path, "is a folder"), (tmp_path / "out.txt", "use a .csv or .json")]
    for dest, reason in cases:
        proc = umt("eval", "--export", run_id, dest)
        assert proc.returncode == 1
        line = assert_one_line_error(proc)
        assert str(dest.name) in line and reason in line, line
    # Checked before the history is read: the destination's error wins over a damaged history.
    damage_later_pages(path)
    proc = umt("eval", "--export", run_id, tmp_path / "missing" / "out.csv")
    assert "does not exist" in assert_one_line_error(proc)
    assert not (tmp_path / "missing").exists()


# -- runs whose process is gone; one process per run -------------------------------------------------
HOLDER = """
import sys
from umt_desktop.core.evaluation.history import History
history = History(sys.argv[1])
history.claim_run(sys.argv[2])
print("claimed", flush=True)
sys.stdin.read()
"""


def test_a_killed_run_reads_as_interrupted_and_a_busy_run_is_refused(tmp_path):
    ann, targets = _list_of_copies(tmp_path / "k", 6)
    proc = umt("eval", tmp_path / "k", "--ann", ann, "--checkpoint", TINY, "--views", "1x1", *CPU,
               "--batch-size", "1", "--stop-after", "2")
    assert proc.returncode == 130
    run_id = proc.stderr.split("--resume ")[1].split("`")[0]
    # Another process works on the run: shown as running, a second resume is refused in one line.
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(database_path()), run_id],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "claimed"
        with History() as history:
            run = history.get_run(run_id)
            assert (run.status, run.pid) == ("running", holder.pid)
            with pytest.raises(RunBusyError, match=f"already running \\(process {holder.pid}"):
                history.claim_run(run_id)
        proc = umt("eval", "--resume", run_id, *CPU)
        assert proc.returncode == 1
        line = assert_one_line_error(proc)
        assert f"evaluation run {run_id} is already running (process {holder.pid}" in line
        assert "running" in umt("eval", "--list").stdout.splitlines()[0]
        os.kill(holder.pid, signal.SIGKILL)  # kill -9: no chance to write its status
        holder.wait()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    with History() as history:
        assert history.get_run(run_id).status == "interrupted"
    listed = umt("eval", "--list").stdout.splitlines()[0]
    assert run_id in listed and "interrupted" in listed
    proc = umt("eval", "--resume", run_id, *CPU, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["videos"] == len(targets)
    assert result["top1"] == pytest.approx(_expected_of_copies(targets)["top1"], abs=1e-3)


def test_a_run_claimed_in_this_process_is_not_claimed_twice():
    path = database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with History() as history:
        run_id = history.create_run(root="/d", ann=None, layout="folders", views="1x1", settings={}, summary={},
                                    checkpoints=[], videos=[])
        with pytest.raises(RunBusyError, match="already running in this program"):
            history.claim_run(run_id)
        history.set_status(run_id, "interrupted")
        history.release_run(run_id)
        history.claim_run(run_id)
        assert history.get_run(run_id).status == "running"
        history.release_run(run_id)
        assert history.get_run(run_id).status == "interrupted"  # released without a status: not running
        with pytest.raises(DatasetError, match="already exists"):
            history.create_run(root="/d", ann=None, layout="folders", views="1x1", settings={}, summary={},
                               checkpoints=[], videos=[], run_id=run_id)


def test_an_older_history_gains_the_new_columns_and_keeps_its_runs(tmp_path):
    """A schema-1 file (before runs knew their process) opens, keeps its runs, reads old 'running' as interrupted."""
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    schema = history_module.SCHEMA.replace(
        """    error TEXT,
    owner_pid INTEGER,               -- the process working on the run (running only)
    owner_host TEXT,
    owner_start TEXT                 -- that process's start time, against pid reuse
""", "    error TEXT\n")
    assert "owner_pid" not in schema
    db.executescript(schema + "PRAGMA user_version = 1;")
    db.execute("INSERT INTO runs (id, created, updated, status, root, views, settings) "
               "VALUES ('old-run', 1.0, 1.0, 'running', '/d', '1x1', '{}')")
    db.commit()
    db.close()
    with History(path) as history:
        [run] = history.runs()
        assert (run.id, run.status, run.pid) == ("old-run", "interrupted", None)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == history_module.SCHEMA_VERSION


def test_a_resume_that_fails_while_planning_leaves_the_run_free(tmp_path):
    """A window resuming in its own process: a failed start must not keep the run claimed."""
    import shutil

    from umt_desktop.core.errors import CheckpointError
    from umt_desktop.core.evaluation.run import EvalRun

    checkpoint = shutil.copyfile(TINY, tmp_path / "copy.pth")
    ann, targets = _list_of_copies(tmp_path / "k", 4)
    proc = umt("eval", tmp_path / "k", "--ann", ann, "--checkpoint", checkpoint, "--views", "1x1", *CPU,
               "--batch-size", "1", "--stop-after", "1")
    assert proc.returncode == 130
    run_id = proc.stderr.split("--resume ")[1].split("`")[0]
    checkpoint.rename(tmp_path / "moved.pth")
    with pytest.raises(CheckpointError):
        EvalRun(resume=run_id, dist_env=None).run()
    with History() as history:
        assert history.get_run(run_id).status == "interrupted"
    (tmp_path / "moved.pth").rename(checkpoint)
    [result] = EvalRun(resume=run_id, dist_env=None).run()
    assert result.videos == len(targets)


# -- every video failing ------------------------------------------------------------------------------
def test_a_folder_where_every_video_fails_is_an_error_not_a_zero_accuracy(tmp_path):
    from tests.helpers.mini_kinetics import make_corrupt_folders

    root = make_corrupt_folders(tmp_path / "k", 3)
    for extra in ([], ["--json"]):
        proc = umt("eval", root, "--checkpoint", TINY, "--views", "1x1", *CPU, *extra)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        last = proc.stderr.strip().splitlines()[-1]
        assert [ln for ln in proc.stderr.splitlines() if ln.startswith("umt-desktop:")] == [last]
        assert last.startswith("umt-desktop: error: no video could be evaluated: all 3 failed (first: ")
        assert "broken_00.mp4" in last
        assert proc.stdout.strip() == ""  # no accuracy table, no JSON result
    with History() as history:
        runs = history.runs()
        assert len(runs) == 2
        for run in runs:
            assert run.status == "failed" and "no video could be evaluated" in run.error
            assert all(not c.get("metrics") for c in run.checkpoints)  # no 0 % figures stored
            assert history.count_done(run.id) == 3  # the failures themselves are kept
    proc = umt("eval", "--list")
    assert proc.returncode == 0
    assert all("failed" in line and "%" not in line for line in proc.stdout.strip().splitlines())


def test_a_run_where_some_videos_fail_still_reports_the_others(tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets[:2], corrupt=True)
    proc = umt("eval", root, "--checkpoint", TINY, "--views", "1x1", *CPU, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["videos"] == 2 and len(result["failed"]) == 1
    assert result["top1"] == pytest.approx(expected_metrics(probs[:2], targets[:2])["top1"], abs=1e-3)
