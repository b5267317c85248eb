"""The session model of the window, without a window: playlist, runs, results, failures, export."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass

import numpy as np
import pytest
from tests.helpers.videos import write_video

from umt_desktop.core.classifier import TopK
from umt_desktop.core.session import FAILED, PLAYING, QUEUED, Latest, Session, refusal_message, sort_inputs
from umt_desktop.core.streaming.engine import WindowResult


def window(t: float, label: str = "abseiling", score: float = 0.8) -> WindowResult:
    probs = np.array([score, 1 - score], np.float32)
    top = [TopK(0, label, score), TopK(1, "other", 1 - score)]
    return WindowResult(index=int(t), t=t, start=max(0.0, t - 1.0), frames=list(range(8)), probs=probs, top=top,
                        smoothed_probs=probs, smoothed=top, confident=score >= 0.3, latency_ms=12.0,
                        inference_ms=5.0, source_time=t)


@dataclass
class Whole:
    views: str = "4x3"

    @property
    def top(self):
        return [TopK(1, "air drumming", 0.7)]

    def to_json(self):
        return {"video": "a.mp4", "views": self.views, "top": [t._asdict() for t in self.top], "seconds": 0.5}


def test_sort_inputs_keeps_videos_folders_and_live_sources_and_says_why_not(tmp_path):
    a = write_video(tmp_path / "a.mp4", frames=4)
    folder = tmp_path / "clips"
    folder.mkdir()
    b = write_video(folder / "b.avi", frames=4)
    (folder / "notes.txt").write_text("x")
    empty = tmp_path / "empty"
    empty.mkdir()
    text = tmp_path / "notes.txt"
    text.write_text("x")
    good, bad = sort_inputs([a, f"file://{a}", folder, "camera:0", "rtsp://h/x", empty, text, tmp_path / "gone.mp4"])
    assert good == [str(a), str(a), str(b), "camera:0", "rtsp://h/x"]
    assert bad == ["empty is a folder without videos", "notes.txt is not a video", "gone.mp4 does not exist"]
    line = refusal_message(bad, opened_some=True)
    assert "\n" not in line and "(and" not in line and line.endswith("the others were opened")
    assert "(and 1 more)" in refusal_message(bad + ["x"], opened_some=False)


def test_playlist_queues_after_the_current_item_and_tracks_states():
    s = Session()
    assert s.add(["a.mp4", "b.mp4"]) == 0
    s.open(0)
    assert s.add(["c.mp4"]) == 1  # right after the one playing
    assert s.playlist == ["a.mp4", "c.mp4", "b.mp4"]
    assert [i.state for i in s.items] == [PLAYING, QUEUED, QUEUED]
    assert s.has_next() and not s.has_previous()
    s.finish()
    s.open(1)
    assert [i.state for i in s.items] == ["done", PLAYING, QUEUED]
    assert s.items[1].name == "c.mp4" and s.name == "c.mp4" and s.is_file and not s.is_live


def test_results_of_a_superseded_run_are_dropped():
    s = Session()
    s.add(["a.mp4", "b.mp4"])
    old = s.open(0)
    assert s.add_window(window(1.0), old)
    new = s.open(1)
    assert not s.windows  # a new source starts empty
    assert not s.add_window(window(2.0), old) and not s.set_whole(Whole(), "tiny", old)
    assert not s.fail("late error of a.mp4", old)
    assert s.add_window(window(2.0), new) and s.set_whole(Whole(), "tiny", new)
    assert [w.t for w in s.windows] == [2.0] and s.whole_model == "tiny"


def test_a_failure_is_said_once_and_marks_the_item():
    s = Session()
    s.add(["bad.mp4", "good.mp4"])
    run = s.open(0)
    assert s.fail("bad.mp4 cannot be opened as a video", run)
    assert not s.fail("bad.mp4 cannot be opened as a video (Error reading …)", run)  # the second report
    assert s.failed and s.items[0].state == FAILED and s.items[0].error.startswith("bad.mp4 cannot")
    s.finish()
    assert s.items[0].state == FAILED  # the end of a failed run does not make it "done"
    s.open(1)
    assert not s.failed and s.error is None


def test_removing_items_keeps_the_current_one_and_removing_it_ends_the_run():
    s = Session()
    s.add(["a.mp4", "b.mp4", "c.mp4"])
    run = s.open(1)
    assert not s.remove(0)
    assert s.index == 0 and s.source == "b.mp4" and s.is_current(run)
    assert s.remove(0)  # the one playing
    assert s.index == -1 and s.source is None and not s.is_current(run) and s.playlist == ["c.mp4"]
    with pytest.raises(IndexError):
        s.remove(5)


def test_windows_are_bounded():
    s = Session(max_windows=3)
    run = s.begin("camera:0")
    for t in range(5):
        s.add_window(window(float(t)), run)
    assert len(s.windows) == 3 and s.is_live and s.name == "camera:0"
    assert s.export_name(".png") == "camera.png" and s.export_name(".umt.json") == "stream.umt.json"


def test_export_json_and_csv(tmp_path):
    s = Session()
    s.add([str(tmp_path / "clip.mp4")])
    run = s.open(0)
    assert not s.can_export()
    s.add_window(window(1.0), run)
    s.add_window(window(1.5, score=0.1), run)
    s.set_whole(Whole(), "tiny", run)
    assert s.can_export() and s.export_name(".umt.json") == "clip.umt.json"

    doc = json.loads(s.write_export(tmp_path / "out.json", model="tiny", device="cpu, float32",
                                    settings={"span": 1.0}).read_text())
    assert doc["source"] == str(tmp_path / "clip.mp4") and doc["model"] == "tiny" and doc["settings"] == {"span": 1.0}
    assert doc["whole_video"]["views"] == "4x3" and doc["whole_video"]["model"] == "tiny"
    assert [w["confident"] for w in doc["windows"]] == [True, False] and doc["windows"][0]["start"] == 0.0

    with s.write_export(tmp_path / "out.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["kind"] for r in rows] == ["whole_video_4x3", "window", "window"]
    assert rows[0]["top1_label"] == "air drumming" and rows[1]["top1_label"] == "abseiling"
    assert rows[2]["confident"] == "0" and rows[1]["frames"] == "0 1 2 3 4 5 6 7"
    with pytest.raises(OSError):
        s.write_export(tmp_path / "missing-folder" / "out.json")


def test_latest_lets_only_the_newest_run_through():
    latest = Latest()
    a = latest.begin()
    assert latest.is_current(a)
    b = latest.begin("worker-b")
    assert b == "worker-b" and latest.is_current("worker-b") and not latest.is_current(a)
    latest.end()
    assert not latest.is_current(b) and latest.current is None and not latest.is_current(None)


def test_a_seek_lands_on_the_nearest_window_end():
    from umt_desktop.core.session import window_end_near

    assert window_end_near(12.1, span=4.0, stride=0.5) == 12.0
    assert window_end_near(12.3, span=4.0, stride=0.5) == 12.5
    assert window_end_near(2.7, span=4.0, stride=0.5) == 2.7  # no window ends before 4 s
    assert window_end_near(-3, span=4.0, stride=0.5) == 0.0
    assert window_end_near(9.9, span=4.0, stride=0.5, duration=9.8) == 9.5  # never past the end
    assert window_end_near(6.01, span=1.0, stride=0.25, duration=10.0) == 6.0


def test_a_broken_file_is_reported_once_whichever_failure_comes_first():
    s = Session()
    s.add(["broken.mp4", "fine.mp4", "odd.mp4"])
    run = s.open(0)
    assert s.whole_failed("broken.mp4: error reading the file", run) is None  # held back: nothing played yet
    assert s.fail("broken.mp4 cannot be opened as a video", run)  # the one message
    assert s.frame_arrived(run) == (True, None)  # (cannot happen after a failure, and says nothing)

    run = s.open(1)
    assert s.frame_arrived(run) == (True, None)  # plays: may go into Open recent
    assert s.frame_arrived(run) == (False, None)
    assert s.whole_failed("fine.mp4: 4x3 failed", run) == "fine.mp4: 4x3 failed"  # the file plays: say it now
    assert s.whole_failed("late", object()) is None  # another run's

    run = s.open(2)
    assert s.whole_failed("odd.mp4: 4x3 failed", run) is None
    assert s.frame_arrived(run) == (True, "odd.mp4: 4x3 failed")  # handed over once the file plays
    s.open(2)
    assert s.whole_failed("odd.mp4: 4x3 failed", None) is None
    assert s.finish() == "odd.mp4: 4x3 failed"  # or when it ends without a frame shown
