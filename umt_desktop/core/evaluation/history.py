"""The evaluation history: an embedded SQLite database in the user data folder.

Runs, their planned videos and every per-video prediction are written as they
finish, so the history survives restarts and an interrupted run can resume
without recomputing anything. Several processes may write at once (a GUI and a
CLI, or data-parallel ranks on one machine): the database runs in WAL mode with a
busy timeout and every write is one short transaction.

Schema (``PRAGMA user_version`` = 2):

- ``runs``: one row per run (id, created/updated times, status, root, ann, layout,
  views, settings JSON, dataset summary JSON, accumulated compute seconds and
  computed-video count, process count, error) and the process working on it
  (pid, host name, process start time): a run stored as "running" whose process is
  gone reads as "interrupted", and a run is worked on by one process at a time
  (`claim_run`);
- ``run_checkpoints``: the checkpoints of a run in order (name, path, classes,
  label set, published top-1, final metrics JSON);
- ``run_videos``: the planned work items of a run (stable id, path relative to
  the root, raw label);
- ``predictions``: one row per (run, checkpoint, video): target, predicted class,
  top-5 as JSON ``[[index, score], ...]``, or the decode error; seconds, rank, time.

Damaged state never crashes a caller: every SQLite failure becomes one
`HistoryError` naming the file: `HistoryDamagedError` (damaged pages, another
program's database; `move_aside(path)` sets the file aside, never deleting it),
`HistoryUnavailableError` (a data folder that cannot be created or written),
`DiskFullError` (nothing written before is lost). Opening checks the schema and,
once per process, the pages of the file (``PRAGMA quick_check``).

    try:
        history = History.open()
    except HistoryDamagedError as e:
        new_place = move_aside(e.path)   # evaluations.sqlite3.damaged-20260101-120000
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import secrets
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import (
    DatasetError,
    DiskFullError,
    HistoryDamagedError,
    HistoryError,
    HistoryUnavailableError,
    RunBusyError,
    UMTError,
)
from ..jsonio import dumps
from ..paths import database_path

__all__ = [
    "History", "Prediction", "RunRecord", "move_aside", "new_run_id", "check_run_id",
    "HistoryError", "HistoryDamagedError", "HistoryUnavailableError", "DiskFullError", "RunBusyError",
]

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    status TEXT NOT NULL,            -- running, finished, interrupted, failed
    root TEXT NOT NULL,
    ann TEXT,
    layout TEXT,
    views TEXT NOT NULL,
    settings TEXT NOT NULL,          -- JSON of the run settings
    summary TEXT,                    -- JSON of the dataset summary (missing videos included)
    seconds REAL NOT NULL DEFAULT 0, -- compute time over all sessions
    computed INTEGER NOT NULL DEFAULT 0,
    world_size INTEGER NOT NULL DEFAULT 1,
    error TEXT,
    owner_pid INTEGER,               -- the process working on the run (running only)
    owner_host TEXT,
    owner_start TEXT                 -- that process's start time, against pid reuse
);
CREATE TABLE IF NOT EXISTS run_checkpoints (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    num_classes INTEGER,
    label_set TEXT,
    published_top1 REAL,
    metrics TEXT,                    -- JSON, set when the run finishes
    PRIMARY KEY (run_id, idx)
);
CREATE TABLE IF NOT EXISTS run_videos (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    video_id TEXT NOT NULL,
    path TEXT NOT NULL,
    label TEXT,
    label_index INTEGER,
    PRIMARY KEY (run_id, video_id)
);
CREATE TABLE IF NOT EXISTS predictions (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    checkpoint INTEGER NOT NULL,
    video_id TEXT NOT NULL,
    target INTEGER,
    pred INTEGER,
    top5 TEXT,
    error TEXT,
    seconds REAL,
    rank INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    PRIMARY KEY (run_id, checkpoint, video_id)
);
"""


@dataclass
class Prediction:
    """The outcome of one video under one checkpoint (a class ranking or an error)."""

    checkpoint: int
    video_id: str
    target: int | None
    pred: int | None = None
    top5: list[tuple[int, float]] | None = None
    error: str | None = None
    seconds: float | None = None
    rank: int = 0
    created: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None


# Columns every umt-desktop history has had (schema 1); later ones are added on open.
REQUIRED_COLUMNS = {
    "runs": ("id", "created", "updated", "status", "root", "ann", "layout", "views", "settings", "summary",
             "seconds", "computed", "world_size", "error"),
    "run_checkpoints": ("run_id", "idx", "name", "path", "num_classes", "label_set", "published_top1", "metrics"),
    "run_videos": ("run_id", "video_id", "path", "label", "label_index"),
    "predictions": ("run_id", "checkpoint", "video_id", "target", "pred", "top5", "error", "seconds", "rank",
                    "created"),
}
ADDED_COLUMNS = {"runs": (("owner_pid", "INTEGER"), ("owner_host", "TEXT"), ("owner_start", "TEXT"))}

QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024  # larger files are checked page by page as they are read
OTHER_HOST_STALE_SECONDS = 30 * 60  # a run of another machine with no write for this long is not running
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_checked: set[str] = set()  # files whose pages were checked by this process
_active: set[tuple[str, str]] = set()  # (database, run id) claimed by this process
_active_lock = threading.Lock()


def new_run_id() -> str:
    """A fresh run id (time and random suffix); a launcher picks it and passes it on (`eval --run-id`)."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise DatasetError(f"{run_id!r} is not a valid run id (letters, digits, '.', '_' and '-', at most 64)")
    return run_id


def move_aside(path: str | Path | None = None) -> Path:
    """Rename a damaged history file (and its -wal/-shm/-journal files) beside it; return the new path.

    Nothing is deleted: ``evaluations.sqlite3`` becomes ``evaluations.sqlite3.damaged-YYYYmmdd-HHMMSS``
    (``-2``, ``-3``... if taken), and the next `History` starts an empty history. Close every
    `History` on the file first.
    """
    path = Path(path) if path is not None else database_path()
    if not os.path.lexists(path):
        raise HistoryError(f"cannot move {path} aside: it does not exist", path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 2
    while any(os.path.lexists(f"{target}{s}") for s in ("", "-wal", "-shm", "-journal")):
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    try:
        os.rename(path, target)
        for suffix in ("-wal", "-shm", "-journal"):
            side = Path(f"{path}{suffix}")
            if os.path.lexists(side):
                os.rename(side, f"{target}{suffix}")
    except OSError as e:
        raise HistoryError(f"cannot move {path} aside ({_reason(e)})", path) from None
    _checked.discard(str(path))
    return target


def _reason(e: OSError) -> str:
    return e.strerror or str(e) or type(e).__name__


# -- the process working on a run ------------------------------------------------------
def _proc_stat(pid: int) -> list[str] | None:
    """Fields 3... of /proc/PID/stat (state first), or None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_token(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[19] if fields and len(fields) > 19 else None  # field 22: start time since boot


_ME: tuple[int, str, str | None] | None = None


def _this_process() -> tuple[int, str, str | None]:
    global _ME
    if _ME is None or _ME[0] != os.getpid():  # forked children are other processes
        _ME = (os.getpid(), socket.gethostname(), _start_token(os.getpid()))
    return _ME


def process_alive(pid: int | None, start: str | None = None) -> bool:
    """Whether process `pid` of this machine still runs (and is the one that started at `start`)."""
    if not pid:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return _windows_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    except OSError:
        return False
    fields = _proc_stat(pid)
    if fields is not None:
        if fields[0] in ("Z", "X"):
            return False  # killed, not yet reaped
        if start is not None and len(fields) > 19 and fields[19] != start:
            return False  # the pid was reused by another process
    return True


def _windows_alive(pid: int) -> bool:
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # access denied: it exists
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _owner_alive(pid: int | None, host: str | None, start: str | None, updated: float) -> bool:
    if pid is None:
        return False
    if host == _this_process()[1]:
        return process_alive(pid, start)
    # Another machine's process cannot be asked: it is alive while it keeps writing.
    return time.time() - (updated or 0) < OTHER_HOST_STALE_SECONDS


def _guarded(method):
    """Turn any SQLite failure inside a History method into one HistoryError naming the file."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as e:
            raise self._translate(e) from None

    return wrapper


@dataclass
class RunRecord:
    id: str
    created: float
    updated: float
    status: str  # running, finished, interrupted (also: stored as running, its process gone), failed
    root: str
    ann: str | None
    layout: str | None
    views: str
    settings: dict
    summary: dict
    seconds: float
    computed: int
    world_size: int
    error: str | None
    checkpoints: list[dict]
    pid: int | None = None  # the process that works or last worked on the run
    host: str | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__)


RUN_COLUMNS = (
    "id, created, updated, status, root, ann, layout, views, settings, summary, seconds, computed, world_size,"
    " error, owner_pid, owner_host, owner_start"
)


class History:
    """A connection to the evaluation database (one per process and thread).

    Opening creates the data folder and the schema if needed and raises a `HistoryError`
    (see the module docstring) when the file cannot be used; so does every method.
    """

    def __init__(self, path: str | Path | None = None, timeout: float = 60.0) -> None:
        self.path = Path(path) if path is not None else database_path()
        self._db = None
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise HistoryUnavailableError(
                f"cannot create the data folder {folder} ({_reason(e)}); "
                "set UMT_DESKTOP_DATA_DIR to a folder you can write", folder) from None
        if self.path.is_dir():
            raise HistoryDamagedError(
                f"the evaluation history {self.path} is a folder, not a database file; "
                "move it aside to start a new history", self.path)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            version = self._check()  # before anything is written: a file not ours stays as it was
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._create(version)
        except sqlite3.Error as e:
            error = self._translate(e)
            self.close()
            raise error from None
        except HistoryError:
            self.close()
            raise

    @classmethod
    def open(cls, path: str | Path | None = None, timeout: float = 60.0) -> History:
        """The history at `path` (default: the data folder's); raises a `HistoryError` subclass."""
        return cls(path, timeout)

    def _check(self) -> int:
        """The schema version of a usable history; HistoryDamagedError for anything else."""
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if not r[0].startswith("sqlite_")}
        if tables and (version == 0 or "runs" not in tables):
            raise HistoryDamagedError(
                f"{self.path} is not an umt-desktop evaluation history (it holds other tables: "
                f"{', '.join(sorted(tables)[:3])}); move it aside to start a new history", self.path)
        columns = {t: [r[1] for r in db.execute(f"PRAGMA table_info({t})")] for t in tables}
        for table, required in REQUIRED_COLUMNS.items():
            if table not in columns:
                continue
            lacking = [c for c in required if c not in columns[table]]
            if lacking:
                raise HistoryDamagedError(
                    f"{self.path} is not an umt-desktop evaluation history (table {table} has no column "
                    f"{lacking[0]}); move it aside to start a new history", self.path)
        key = str(self.path.resolve())
        if key not in _checked:
            if self.path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
                problems = [r[0] for r in db.execute("PRAGMA quick_check(3)")]
                if problems != ["ok"]:
                    raise HistoryDamagedError(
                        f"the evaluation history {self.path} is damaged ({' '.join(problems[0].split())[:160]}); "
                        "move it aside to start a new history", self.path)
            _checked.add(key)
        return version

    def _create(self, version: int) -> None:
        db = self._db
        with self._transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            for table, added in ADDED_COLUMNS.items():
                have = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
                for name, kind in added:
                    if name not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            if version < SCHEMA_VERSION:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _translate(self, e: sqlite3.Error) -> HistoryError:
        """One HistoryError, naming the file, for a SQLite failure."""
        name = getattr(e, "sqlite_errorname", "") or ""
        text = " ".join(str(e).split()) or type(e).__name__
        low = text.lower()
        p = self.path
        if name.startswith("SQLITE_FULL") or "disk is full" in low:
            return DiskFullError(f"the disk holding the evaluation history {p} is full; free some space", p)
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in low or "not a database" in low:
            return HistoryDamagedError(
                f"the evaluation history {p} is damaged ({text}); move it aside to start a new history", p)
        if "no such column" in low or "no such table" in low:
            return HistoryDamagedError(
                f"{p} is not an umt-desktop evaluation history ({text}); move it aside to start a new history", p)
        if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")) or \
                "readonly" in low or "unable to open" in low:
            return HistoryUnavailableError(
                f"cannot write the evaluation history {p} ({text}); check the permissions of {p.parent} "
                "or set UMT_DESKTOP_DATA_DIR to a folder you can write", p)
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in low:
            return HistoryError(f"the evaluation history {p} stayed locked by another process ({text}); try again", p)
        if name.startswith("SQLITE_IOERR") or "i/o error" in low:
            return HistoryUnavailableError(f"cannot read or write the evaluation history {p} ({text})", p)
        return HistoryError(f"the evaluation history {p} cannot be used ({text})", p)

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite rolled back itself (disk full, I/O error)
            raise

    # -- runs ----------------------------------------------------------------
    @_guarded
    def create_run(
        self,
        *,
        root: str,
        ann: str | None,
        layout: str,
        views: str,
        settings: dict,
        summary: dict,
        checkpoints: list[dict],
        videos: list[tuple[str, str, str | None, int | None]],
        world_size: int = 1,
        run_id: str | None = None,
    ) -> str:
        """Record a new run, owned by this process, and its planned videos (id, relative path, label, label index).

        `run_id`: the id chosen by a launcher (`new_run_id()`); a fresh one by default.
        """
        run_id = check_run_id(run_id) if run_id is not None else new_run_id()
        now = time.time()
        pid, host, start = _this_process()
        with self._transaction():
            if self._db.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                raise DatasetError(f"an evaluation run {run_id} already exists; resume it with --resume {run_id}")
            self._db.execute(
                "INSERT INTO runs (id, created, updated, status, root, ann, layout, views, settings, summary,"
                " world_size, owner_pid, owner_host, owner_start)"
                " VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, now, now, root, ann, layout, views, json.dumps(settings), json.dumps(summary), world_size,
                 pid, host, start),
            )
            self._db.executemany(
                "INSERT INTO run_checkpoints (run_id, idx, name, path, num_classes, label_set, published_top1)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (run_id, i, c["name"], c["path"], c.get("num_classes"), c.get("label_set"), c.get("published_top1"))
                    for i, c in enumerate(checkpoints)
                ],
            )
            self._db.executemany(
                "INSERT INTO run_videos (run_id, video_id, path, label, label_index) VALUES (?, ?, ?, ?, ?)",
                [(run_id, *v) for v in videos],
            )
        with _active_lock:
            _active.add((str(self.path), run_id))
        return run_id

    @_guarded
    def claim_run(self, run_id: str, world_size: int | None = None) -> None:
        """Mark a stored run as running in this process; `RunBusyError` if a live process works on it."""
        key = (str(self.path), run_id)
        with _active_lock:
            if key in _active:
                raise RunBusyError(f"evaluation run {run_id} is already running in this program", self.path)
            pid, host, start = _this_process()
            with self._transaction():
                row = self._db.execute(
                    "SELECT status, owner_pid, owner_host, owner_start, updated FROM runs WHERE id = ?", (run_id,)
                ).fetchone()
                if row is None:
                    raise DatasetError(f"no evaluation run {run_id!r} in the history; see `umt-desktop eval --list`")
                status, o_pid, o_host, o_start, updated = row
                if status == "running" and (o_pid, o_host) != (pid, host) and \
                        _owner_alive(o_pid, o_host, o_start, updated):  # this process: _active above
                    raise RunBusyError(
                        f"evaluation run {run_id} is already running (process {o_pid} on {o_host}); "
                        "wait for it to finish or stop it first", self.path)
                self._db.execute(
                    "UPDATE runs SET status = 'running', error = NULL, updated = ?, owner_pid = ?, owner_host = ?,"
                    " owner_start = ?, world_size = COALESCE(?, world_size) WHERE id = ?",
                    (time.time(), pid, host, start, world_size, run_id),
                )
            _active.add(key)

    def _working(self, run_id: str, pid: int | None, host: str | None, start: str | None, updated: float) -> bool:
        """Whether a process works on the run now (in this process: a run claimed and not released)."""
        if (pid, host) == _this_process()[:2]:
            with _active_lock:
                return (str(self.path), run_id) in _active
        return _owner_alive(pid, host, start, updated)

    def release_run(self, run_id: str) -> None:
        """This process no longer works on `run_id` (its status was set by `set_status`)."""
        with _active_lock:
            _active.discard((str(self.path), run_id))

    @_guarded
    def get_run(self, run_id: str) -> RunRecord:
        row = self._db.execute(f"SELECT {RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise DatasetError(f"no evaluation run {run_id!r} in the history; see `umt-desktop eval --list`")
        checkpoints = [
            {
                "index": r[0],
                "name": r[1],
                "path": r[2],
                "num_classes": r[3],
                "label_set": r[4],
                "published_top1": r[5],
                "metrics": json.loads(r[6]) if r[6] else None,
            }
            for r in self._db.execute(
                "SELECT idx, name, path, num_classes, label_set, published_top1, metrics"
                " FROM run_checkpoints WHERE run_id = ? ORDER BY idx",
                (run_id,),
            )
        ]
        status = row[3]
        if status == "running" and not self._working(run_id, row[14], row[15], row[16], row[2]):
            status = "interrupted"  # its process is gone (killed, crashed, machine restarted) or stopped it
        return RunRecord(
            *row[:3],
            status,
            *row[4:8],
            settings=json.loads(row[8]),
            summary=json.loads(row[9]) if row[9] else {},
            seconds=row[10],
            computed=row[11],
            world_size=row[12],
            error=row[13],
            checkpoints=checkpoints,
            pid=row[14],
            host=row[15],
        )

    @_guarded
    def runs(self, limit: int = 100) -> list[RunRecord]:
        """Past runs, newest first."""
        ids = [r[0] for r in self._db.execute("SELECT id FROM runs ORDER BY created DESC, id DESC LIMIT ?", (limit,))]
        return [self.get_run(i) for i in ids]

    @_guarded
    def run_videos(self, run_id: str) -> list[tuple[str, str, str | None, int | None]]:
        return [
            tuple(r)
            for r in self._db.execute(
                "SELECT video_id, path, label, label_index FROM run_videos WHERE run_id = ? ORDER BY video_id",
                (run_id,),
            )
        ]

    @_guarded
    def count_videos(self, run_id: str) -> int:
        """The number of planned videos of a run (without reading them)."""
        return int(self._db.execute("SELECT COUNT(*) FROM run_videos WHERE run_id = ?", (run_id,)).fetchone()[0])

    @_guarded
    def set_status(self, run_id: str, status: str, error: str | None = None, world_size: int | None = None) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET status = ?, error = ?, updated = ?, world_size = COALESCE(?, world_size) WHERE id = ?",
                (status, error, time.time(), world_size, run_id),
            )

    @_guarded
    def add_time(self, run_id: str, seconds: float, computed: int) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET seconds = seconds + ?, computed = computed + ?, updated = ? WHERE id = ?",
                (seconds, computed, time.time(), run_id),
            )

    @_guarded
    def set_metrics(self, run_id: str, index: int, metrics: dict) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE run_checkpoints SET metrics = ? WHERE run_id = ? AND idx = ?",
                (json.dumps(metrics), run_id, index),
            )

    @_guarded
    def delete_run(self, run_id: str) -> None:
        with self._transaction():
            for table in ("predictions", "run_videos", "run_checkpoints"):
                self._db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    # -- predictions -----------------------------------------------------------
    @_guarded
    def add_predictions(self, run_id: str, predictions: list[Prediction]) -> None:
        if not predictions:
            return
        now = time.time()
        rows = [
            (
                run_id,
                p.checkpoint,
                p.video_id,
                p.target,
                p.pred,
                json.dumps([[int(i), round(float(s), 7)] for i, s in p.top5]) if p.top5 is not None else None,
                p.error,
                p.seconds,
                p.rank,
                p.created or now,
            )
            for p in predictions
        ]
        with self._transaction():
            # A video is a work item done once; a second write of the same item (two
            # processes racing on a resume) keeps the first.
            self._db.executemany(
                "INSERT OR IGNORE INTO predictions"
                " (run_id, checkpoint, video_id, target, pred, top5, error, seconds, rank, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("UPDATE runs SET updated = ? WHERE id = ?", (now, run_id))

    @_guarded
    def predictions(self, run_id: str, checkpoint: int | None = None) -> list[Prediction]:
        sql = (
            "SELECT checkpoint, video_id, target, pred, top5, error, seconds, rank, created"
            " FROM predictions WHERE run_id = ?"
        )
        params: tuple = (run_id,)
        if checkpoint is not None:
            sql += " AND checkpoint = ?"
            params += (checkpoint,)
        sql += " ORDER BY checkpoint, video_id"
        return [
            Prediction(
                checkpoint=r[0],
                video_id=r[1],
                target=r[2],
                pred=r[3],
                top5=[(int(i), float(s)) for i, s in json.loads(r[4])] if r[4] else None,
                error=r[5],
                seconds=r[6],
                rank=r[7],
                created=r[8],
            )
            for r in self._db.execute(sql, params)
        ]

    @_guarded
    def done(self, run_id: str) -> dict[str, set[int]]:
        """video id -> checkpoints with a stored result (a failed decode counts as done)."""
        out: dict[str, set[int]] = {}
        for checkpoint, video_id in self._db.execute(
            "SELECT checkpoint, video_id FROM predictions WHERE run_id = ?", (run_id,)
        ):
            out.setdefault(video_id, set()).add(checkpoint)
        return out

    @_guarded
    def count_done(self, run_id: str) -> int:
        """Videos with a result for every checkpoint of the run (progress of a run elsewhere)."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM (SELECT video_id FROM predictions WHERE run_id = ? GROUP BY video_id"
            " HAVING COUNT(*) >= (SELECT COUNT(*) FROM run_checkpoints WHERE run_id = ?))",
            (run_id, run_id),
        ).fetchone()
        return int(row[0])

    # -- export ----------------------------------------------------------------
    @_guarded
    def export(self, run_id: str, dest: str | Path, labels: list[list[str]] | None = None) -> Path:
        """Write a run to `dest`: `.csv` (one row per video and checkpoint) or `.json` (everything).

        `labels[c]`: the class names of checkpoint c. The file appears whole or not at all.
        See `evaluation.export.export_run` for the one-call form with label names.
        """
        dest = check_export_path(dest)
        record = self.get_run(run_id)
        preds = self.predictions(run_id)
        names = {c["index"]: c["name"] for c in record.checkpoints}

        def label(ckpt: int, index: int | None) -> str:
            if index is None:
                return ""
            if labels and ckpt < len(labels) and labels[ckpt] and 0 <= index < len(labels[ckpt]):
                return labels[ckpt][index]
            return str(index)

        def write_csv(f) -> None:
            w = csv.writer(f)
            w.writerow(["run_id", "checkpoint", "video", "target", "target_label", "pred", "pred_label",
                        "correct", "top5", "error"])
            for p in preds:
                w.writerow([
                    run_id, names.get(p.checkpoint, p.checkpoint), p.video_id,
                    "" if p.target is None else p.target, label(p.checkpoint, p.target),
                    "" if p.pred is None else p.pred, label(p.checkpoint, p.pred),
                    "" if p.failed else int(p.pred == p.target),
                    " ".join(str(i) for i, _ in p.top5 or []), p.error or "",
                ])

        def write_json(f) -> None:
            doc = record.to_json()
            doc["predictions"] = [
                {
                    "checkpoint": names.get(p.checkpoint, p.checkpoint),
                    "video": p.video_id,
                    "target": p.target,
                    "pred": p.pred,
                    "top5": p.top5,
                    "error": p.error,
                }
                for p in preds
            ]
            f.write(dumps(doc, indent=1))

        _write_whole(dest, write_csv if dest.suffix.lower() == ".csv" else write_json)
        return dest


EXPORT_SUFFIXES = (".csv", ".json")


def check_export_path(dest: str | Path) -> Path:
    """`dest` as an export file name that can be written, checked before any work; DatasetError if not."""
    dest = Path(dest).expanduser()
    if dest.is_dir():
        raise DatasetError(f"cannot export to {dest}: it is a folder; give a file name ending in .csv or .json")
    if dest.suffix.lower() not in EXPORT_SUFFIXES:
        raise DatasetError(f"export to {dest.name}: use a .csv or .json file name")
    folder = dest.parent
    if not folder.exists():
        raise DatasetError(f"cannot export to {dest}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise DatasetError(f"cannot export to {dest}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DatasetError(f"cannot export to {dest}: no permission to write in {folder}")
    return dest


def _write_whole(dest: Path, write) -> None:
    """Write through a temporary file beside `dest`, renamed over it once complete."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        with tmp.open("w", newline="", encoding="utf-8") as f:
            write(f)
        os.replace(tmp, dest)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        if e.errno == 28:  # ENOSPC
            raise UMTError(f"cannot export to {dest}: the disk is full; nothing was written") from None
        raise UMTError(f"cannot export to {dest} ({_reason(e)})") from None
