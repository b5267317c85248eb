"""The evaluation history: a real SQLite file, reopened, written by several processes."""

from __future__ import annotations

import csv
import json
import multiprocessing as mp

import pytest

from umt_desktop.core.errors import DatasetError
from umt_desktop.core.evaluation.history import History, Prediction
from umt_desktop.core.paths import database_path


def _new_run(history: History, videos: int = 4) -> str:
    return history.create_run(
        root="/data/k400", ann=None, layout="folders", views="1x1",
        settings={"root": "/data/k400", "checkpoints": ["a.pth"], "views": "1x1"},
        summary={"missing": ["gone.mp4"]},
        checkpoints=[{"name": "a", "path": "/m/a.pth", "num_classes": 400, "label_set": "Kinetics-400",
                      "published_top1": 87.33}],
        videos=[(f"c/{i}.mp4", f"c/{i}.mp4", "abseiling", None) for i in range(videos)],
    )


def test_runs_and_predictions_survive_a_restart():
    with History() as history:
        assert history.path == database_path()
        run_id = _new_run(history)
        history.add_predictions(run_id, [
            Prediction(0, "c/0.mp4", 3, pred=3, top5=[(3, 0.9), (1, 0.05)]),
            Prediction(0, "c/1.mp4", 3, error="c/1.mp4 could not be decoded"),
        ])
        assert history._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with History() as history:
        rec = history.get_run(run_id)
        assert rec.status == "running" and rec.summary["missing"] == ["gone.mp4"]
        assert rec.checkpoints[0]["published_top1"] == 87.33
        preds = history.predictions(run_id)
        assert [(p.video_id, p.pred, p.failed) for p in preds] == [("c/0.mp4", 3, False), ("c/1.mp4", None, True)]
        assert preds[0].top5 == [(3, 0.9), (1, 0.05)]
        assert history.done(run_id) == {"c/0.mp4": {0}, "c/1.mp4": {0}}
        assert history.count_done(run_id) == 2
        assert [r.id for r in history.runs()] == [run_id]
        history.set_status(run_id, "finished")
        assert history.get_run(run_id).status == "finished"


def test_count_videos_counts_a_runs_plan_without_reading_it():
    with History() as history:
        first, second = _new_run(history, videos=4), _new_run(history, videos=7)
        assert history.count_videos(first) == 4 == len(history.run_videos(first))
        assert history.count_videos(second) == 7
        assert history.count_videos("no-such-run") == 0


def test_a_video_is_stored_once():
    with History() as history:
        run_id = _new_run(history)
        history.add_predictions(run_id, [Prediction(0, "c/0.mp4", 3, pred=3, top5=[(3, 0.9)])])
        history.add_predictions(run_id, [Prediction(0, "c/0.mp4", 3, pred=4, top5=[(4, 0.9)])])
        assert [p.pred for p in history.predictions(run_id)] == [3]


def test_unknown_run_is_a_clear_error():
    with History() as history, pytest.raises(DatasetError, match="no evaluation run"):
        history.get_run("nope")


def test_export_csv_and_json(tmp_path):
    with History() as history:
        run_id = _new_run(history)
        history.add_predictions(run_id, [
            Prediction(0, "c/0.mp4", 0, pred=0, top5=[(0, 0.9), (1, 0.1)]),
            Prediction(0, "c/1.mp4", 0, pred=1, top5=[(1, 0.6), (0, 0.4)]),
            Prediction(0, "c/2.mp4", 0, error="broken"),
        ])
        labels = [["abseiling", "air drumming"] + ["x"] * 398]
        rows = list(csv.DictReader(history.export(run_id, tmp_path / "out.csv", labels).open()))
        assert [(r["video"], r["pred_label"], r["correct"], r["error"]) for r in rows] == [
            ("c/0.mp4", "abseiling", "1", ""), ("c/1.mp4", "air drumming", "0", ""), ("c/2.mp4", "", "", "broken"),
        ]
        doc = json.loads(history.export(run_id, tmp_path / "out.json").read_text())
        assert doc["id"] == run_id and len(doc["predictions"]) == 3
        with pytest.raises(DatasetError, match=".csv or .json"):
            history.export(run_id, tmp_path / "out.txt")


def _writer(path: str, run_id: str, rank: int, count: int) -> None:
    with History(path) as history:
        for i in range(count):
            history.add_predictions(run_id, [Prediction(0, f"r{rank}/{i}", 1, pred=1, top5=[(1, 1.0)], rank=rank)])


def test_several_processes_write_at_once():
    with History() as history:
        run_id = _new_run(history)
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_writer, args=(str(history.path), run_id, r, 40)) for r in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert [p.exitcode for p in procs] == [0, 0, 0]
        assert len(history.predictions(run_id)) == 120


def test_export_run_writes_class_names_and_checks_the_destination_first(tmp_path):
    from umt_desktop.core.evaluation.export import export_run

    with History() as history:
        run_id = _new_run(history)
        history.add_predictions(run_id, [Prediction(0, "c/0.mp4", 0, pred=1, top5=[(1, 0.6), (0, 0.4)])])
    rows = list(csv.DictReader(export_run(run_id, tmp_path / "out.csv").open()))
    assert [(r["target_label"], r["pred_label"], r["correct"]) for r in rows] == [("abseiling", "air drumming", "0")]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]  # written whole, nothing left over
    with pytest.raises(DatasetError, match="does not exist"):
        export_run("no-such-run", tmp_path / "nowhere" / "out.csv")
