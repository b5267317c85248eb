"""EvalRun end to end on synthetic mini-Kinetics folders whose accuracies are known in advance."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers.mini_kinetics import (
    TINY,
    expected_metrics,
    make_csv,
    make_folders,
    make_list,
    opengvlab_copy,
    probabilities,
    source_videos,
    truth,
)

from umt_desktop.core.errors import Cancelled
from umt_desktop.core.evaluation.run import EvalRun, EvalSettings, compute_metrics, measure_throughput, results_of
from umt_desktop.core.evaluation.history import History, Prediction
from umt_desktop.core.model.labels import kinetics


def _settings(root, ann=None, views="1x1", workers=0, **kw) -> EvalSettings:
    return EvalSettings(root=str(root), ann=str(ann) if ann else None, checkpoints=[str(TINY)], views=views,
                        device="cpu", workers=workers, **kw)


def _check(result, probs, targets, skip=frozenset()):
    want = expected_metrics(probs, targets, skip)
    assert result.top1 == pytest.approx(want["top1"], abs=1e-3)
    assert result.top5 == pytest.approx(want["top5"], abs=1e-3)
    assert result.mean_class_accuracy == pytest.approx(want["mean_class_accuracy"], abs=1e-3)
    assert result.videos == want["videos"]


def test_class_folders_give_the_expected_accuracy_and_survive_a_corrupt_video(tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets)
    seen = []
    run = EvalRun(_settings(root), progress=seen.append)
    summary = run.prepare()
    assert (summary.layout, summary.videos) == ("folders", len(targets) + 1)
    [result] = run.run()
    _check(result, probs, targets)
    assert [f["video"] for f in result.failed] == [f"{kinetics(400)[targets[0]]}/zz_corrupt.mp4"]
    assert "cannot be opened" in result.failed[0]["error"]
    assert result.missing == [] and result.complete and result.videos_per_second > 0
    assert seen[-1].done == seen[-1].total == len(targets) + 1 and seen[-1].failed == 1
    per_class = {c["index"]: c for c in result.per_class}
    assert set(per_class) == set(targets)
    if result.confused:
        top = result.confused[0]
        assert top["true"] == kinetics(400)[top["true_index"]] and top["count"] >= 1
    with History() as history:
        assert history.get_run(result.run_id).status == "finished"
        assert history.get_run(result.run_id).checkpoints[0]["metrics"]["top1"] == result.top1


def test_list_file_with_missing_and_corrupt_videos_in_worker_processes(tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    ann = make_list(tmp_path / "k", targets)
    [result] = EvalRun(_settings(tmp_path / "k", ann, workers=2, batch_size=3)).run()
    _check(result, probs, targets)
    assert result.missing == ["videos/gone.mp4"]
    assert [f["video"] for f in result.failed] == ["videos/zz_corrupt.mp4"]


def test_kinetics_csv_layout(tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    ann = make_csv(tmp_path / "k", targets)
    run = EvalRun(_settings(tmp_path / "k", ann))
    [result] = run.run()
    assert run.summary.layout == "csv"
    _check(result, probs, targets)
    assert result.missing == ["absent-video_000005_000015"]


def test_probabilities_match_classify_with_4x3_and_batches_across_videos(tmp_path):
    n = 3
    probs = probabilities("4x3", n)
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    run = EvalRun(_settings(root, views="4x3", workers=1, batch_size=36))  # 3 videos per forward pass
    [result] = run.run()
    _check(result, probs, targets)
    with History() as history:
        preds = sorted(history.predictions(result.run_id), key=lambda p: p.video_id)
    by_video = {f"video_{i:02d}": p for i, p in enumerate(probs)}
    for pred in preds:
        reference = by_video[pred.video_id.split("/")[-1][:-4]]
        for index, score in pred.top5:
            assert score == pytest.approx(float(reference[index]), abs=2e-6)
        assert pred.pred == int(np.argmax(reference))


def test_resume_after_cancel_recomputes_nothing(tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    calls = []
    first = EvalRun(_settings(root, batch_size=1), progress=calls.append)
    first.progress = lambda p: (calls.append(p), p.done >= 3 and first.cancel())
    with pytest.raises(Cancelled, match="resume with"):
        first.run()
    run_id = first.run_id
    with History() as history:
        before = {p.video_id: p.created for p in history.predictions(run_id)}
        assert history.get_run(run_id).status == "interrupted"
    assert 3 <= len(before) < len(targets)
    second = EvalRun(resume=run_id, dist_env=None)
    [resumed] = second.run()
    assert second.computed == len(targets) - len(before)
    with History() as history:
        after = {p.video_id: p.created for p in history.predictions(run_id)}
    assert {k: after[k] for k in before} == before and len(after) == len(targets)
    [straight] = EvalRun(_settings(root)).run()
    for field in ("top1", "top5", "mean_class_accuracy", "videos", "failed", "per_class", "confused"):
        assert getattr(resumed, field) == getattr(straight, field)
    _check(resumed, probs, targets)


def test_several_checkpoints_in_one_run(tmp_path):
    probs = probabilities("1x1")
    targets = truth(probs)
    root = make_folders(tmp_path / "k", targets, corrupt=False)
    other = opengvlab_copy(tmp_path / "tiny_opengvlab.pth")
    settings = _settings(root)
    settings.checkpoints = [str(TINY), str(other)]
    results = EvalRun(settings).run()
    assert [r.name for r in results] == ["tiny_umt", "tiny_opengvlab"]
    _check(results[0], probs, targets)
    _check(results[1], probabilities("1x1", checkpoint=str(other)), targets)
    assert results[0].run_id == results[1].run_id
    assert results_of(History(), results[0].run_id)[1].top1 == results[1].top1


def test_stop_after_and_metrics_of_a_partial_run(tmp_path):
    probs = probabilities("1x1")
    root = make_folders(tmp_path / "k", truth(probs), corrupt=False)
    run = EvalRun(_settings(root, batch_size=1), stop_after=2)
    with pytest.raises(Cancelled):
        run.run()
    [partial] = results_of(History(), run.run_id)
    assert partial.videos == 2 and not partial.complete


def test_compute_metrics_by_hand():
    labels = kinetics(400)
    preds = [
        Prediction(0, "a", 1, pred=1, top5=[(1, 0.9), (2, 0.1)]),
        Prediction(0, "b", 1, pred=2, top5=[(2, 0.6), (1, 0.4)]),
        Prediction(0, "c", 2, pred=1, top5=[(1, 0.6), (3, 0.4)]),
        Prediction(0, "d", 2, pred=1, top5=[(1, 0.6), (3, 0.4)]),
        Prediction(0, "e", 2, error="broken"),
    ]
    m = compute_metrics(preds, labels)
    assert (m["top1"], m["top5"], m["mean_class_accuracy"], m["videos"]) == (25.0, 50.0, 25.0, 4)
    assert m["failed"] == [{"video": "e", "error": "broken"}]
    assert [(c["true_index"], c["predicted_index"], c["count"]) for c in m["confused"]] == [(2, 1, 2), (1, 2, 1)]
    assert [(c["index"], c["accuracy"], c["videos"]) for c in m["per_class"]] == [(1, 50.0, 2), (2, 0.0, 2)]


def test_measure_throughput_modes(tmp_path):
    probs = probabilities("1x1")
    root = make_folders(tmp_path / "k", truth(probs), corrupt=False)
    for mode in ("decode", "model", "full"):
        out = measure_throughput(root, TINY, views="1x1", workers=1 if mode == "full" else 0, mode=mode,
                                 device="cpu", limit=4)
        assert out["mode"] == mode and out["videos"] == 4 and out["views"] == 4
        assert out["videos_per_second"] > 0
    assert len(source_videos()) == 7
