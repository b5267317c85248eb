"""Evaluation histories for tests: a real one with many pages, and two ways to spoil one."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def fill_history(path: Path, videos: int = 300) -> str:
    """A real history with enough rows to span many pages; closed (its WAL folded in)."""
    from umt_desktop.core.evaluation.history import History, Prediction

    with History(path) as history:
        run_id = history.create_run(
            root="/data/k400", ann=None, layout="folders", views="1x1", settings={"root": "/data/k400"},
            summary={}, checkpoints=[{"name": "a", "path": "/m/a.pth", "num_classes": 400}],
            videos=[(f"c/{i:04d}.mp4", f"c/{i:04d}.mp4", "abseiling", None) for i in range(videos)],
        )
        history.add_predictions(run_id, [
            Prediction(0, f"c/{i:04d}.mp4", 0, pred=i % 7, top5=[(i % 7, 0.5)] * 5) for i in range(videos)
        ])
        history.set_status(run_id, "finished")
    return run_id


def damage_later_pages(path: Path) -> None:
    """Keep the header page valid; overwrite a b-tree page near the end with junk."""
    from umt_desktop.core.evaluation import history as history_module

    size = path.stat().st_size
    assert size > 8 * 4096
    with path.open("r+b") as f:
        f.seek(size - 3 * 4096)
        f.write(b"\xa5" * 4096)
    history_module._checked.clear()  # a new process would check the file again


def other_schema(path: Path) -> None:
    """A valid SQLite file that another program made."""
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE runs (id TEXT PRIMARY KEY, started REAL, note TEXT);"
                     "INSERT INTO runs VALUES ('x', 1.0, 'from another program');"
                     "PRAGMA user_version = 1;")
    db.close()
