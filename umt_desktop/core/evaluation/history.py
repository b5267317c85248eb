"""The evaluation history: an embedded SQLite database in the user data folder.

Runs, their planned videos and every per-video prediction are written as they
finish, so the history survives restarts and an interrupted run can resume
without recomputing anything. Several processes may write at once (a GUI and a
CLI, or data-parallel ranks on one machine): the database runs in WAL mode with a
busy timeout and every write is one short transaction.

Schema (``PRAGMA user_version`` = 1):

- ``runs``: one row per run (id, created/updated times, status, root, ann, layout,
  views, settings JSON, dataset summary JSON, accumulated compute seconds and
  computed-video count, process count, error);
- ``run_checkpoints``: the checkpoints of a run in order (name, path, classes,
  label set, published top-1, final metrics JSON);
- ``run_videos``: the planned work items of a run (stable id, path relative to
  the root, raw label);
- ``predictions``: one row per (run, checkpoint, video): target, predicted class,
  top-5 as JSON ``[[index, score], ...]``, or the decode error; seconds, rank, time.
"""

from __future__ import annotations

import csv
import json
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import DatasetError, UMTError
from ..paths import database_path

SCHEMA_VERSION = 1

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
    error TEXT
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


@dataclass
class RunRecord:
    id: str
    created: float
    updated: float
    status: str
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

    def to_json(self) -> dict:
        return dict(self.__dict__)


class History:
    """A connection to the evaluation database (one per process and thread)."""

    def __init__(self, path: str | Path | None = None, timeout: float = 60.0) -> None:
        self.path = Path(path) if path is not None else database_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            with self._transaction():
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as e:
            raise UMTError(f"cannot open the evaluation database {self.path}: {e}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    # -- runs ----------------------------------------------------------------
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
    ) -> str:
        """Record a new run and its planned videos (id, relative path, label, label index)."""
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
        now = time.time()
        with self._transaction():
            self._db.execute(
                "INSERT INTO runs (id, created, updated, status, root, ann, layout, views, settings, summary, world_size)"
                " VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                (run_id, now, now, root, ann, layout, views, json.dumps(settings), json.dumps(summary), world_size),
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
        return run_id

    def get_run(self, run_id: str) -> RunRecord:
        row = self._db.execute(
            "SELECT id, created, updated, status, root, ann, layout, views, settings, summary, seconds,"
            " computed, world_size, error FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
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
        return RunRecord(
            *row[:8],
            settings=json.loads(row[8]),
            summary=json.loads(row[9]) if row[9] else {},
            seconds=row[10],
            computed=row[11],
            world_size=row[12],
            error=row[13],
            checkpoints=checkpoints,
        )

    def runs(self, limit: int = 100) -> list[RunRecord]:
        """Past runs, newest first."""
        ids = [r[0] for r in self._db.execute("SELECT id FROM runs ORDER BY created DESC, id DESC LIMIT ?", (limit,))]
        return [self.get_run(i) for i in ids]

    def run_videos(self, run_id: str) -> list[tuple[str, str, str | None, int | None]]:
        return [
            tuple(r)
            for r in self._db.execute(
                "SELECT video_id, path, label, label_index FROM run_videos WHERE run_id = ? ORDER BY video_id",
                (run_id,),
            )
        ]

    def set_status(self, run_id: str, status: str, error: str | None = None, world_size: int | None = None) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET status = ?, error = ?, updated = ?, world_size = COALESCE(?, world_size) WHERE id = ?",
                (status, error, time.time(), world_size, run_id),
            )

    def add_time(self, run_id: str, seconds: float, computed: int) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE runs SET seconds = seconds + ?, computed = computed + ?, updated = ? WHERE id = ?",
                (seconds, computed, time.time(), run_id),
            )

    def set_metrics(self, run_id: str, index: int, metrics: dict) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE run_checkpoints SET metrics = ? WHERE run_id = ? AND idx = ?",
                (json.dumps(metrics), run_id, index),
            )

    def delete_run(self, run_id: str) -> None:
        with self._transaction():
            for table in ("predictions", "run_videos", "run_checkpoints"):
                self._db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            self._db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    # -- predictions -----------------------------------------------------------
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

    def done(self, run_id: str) -> dict[str, set[int]]:
        """video id -> checkpoints with a stored result (a failed decode counts as done)."""
        out: dict[str, set[int]] = {}
        for checkpoint, video_id in self._db.execute(
            "SELECT checkpoint, video_id FROM predictions WHERE run_id = ?", (run_id,)
        ):
            out.setdefault(video_id, set()).add(checkpoint)
        return out

    def count_done(self, run_id: str) -> int:
        """Videos with a result for every checkpoint of the run (progress of a run elsewhere)."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM (SELECT video_id FROM predictions WHERE run_id = ? GROUP BY video_id"
            " HAVING COUNT(*) >= (SELECT COUNT(*) FROM run_checkpoints WHERE run_id = ?))",
            (run_id, run_id),
        ).fetchone()
        return int(row[0])

    # -- export ----------------------------------------------------------------
    def export(self, run_id: str, dest: str | Path, labels: list[list[str]] | None = None) -> Path:
        """Write a run to `dest`: `.csv` (one row per video and checkpoint) or `.json` (everything)."""
        dest = Path(dest)
        record = self.get_run(run_id)
        preds = self.predictions(run_id)
        names = {c["index"]: c["name"] for c in record.checkpoints}

        def label(ckpt: int, index: int | None) -> str:
            if index is None:
                return ""
            if labels and ckpt < len(labels) and labels[ckpt] and 0 <= index < len(labels[ckpt]):
                return labels[ckpt][index]
            return str(index)

        if dest.suffix.lower() == ".csv":
            with dest.open("w", newline="", encoding="utf-8") as f:
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
        elif dest.suffix.lower() == ".json":
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
            dest.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        else:
            raise DatasetError(f"export to {dest.name}: use a .csv or .json file name")
        return dest
