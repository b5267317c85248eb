"""A file source played like a video player: start at a second, hold while paused, and
file:// URLs open as files."""

from __future__ import annotations

import threading
import pytest
from tests.helpers.videos import write_video

from umt_desktop.core.options import file_path_of, is_live_source
from umt_desktop.core.streaming.sources import CameraSource, FileSource, NetworkSource, open_source


@pytest.mark.parametrize("spec, live", [
    ("camera:0", True), ("CAMERA:2", True), ("rtsp://host/x", True), ("http://127.0.0.1:8/a.ts", True),
    ("file:///tmp/clip.mp4", False), ("FILE:///tmp/clip.mp4", False), ("/tmp/clip.mp4", False),
    ("clip.mp4", False),
])
def test_live_or_file_is_decided_in_one_place(spec, live):
    assert is_live_source(spec) is live


def test_file_urls_open_as_files(tmp_path):
    video = write_video(tmp_path / "a.mp4", frames=12)
    source = open_source(f"file://{video}")
    assert isinstance(source, FileSource) and source.path == video
    assert file_path_of(f"file://{video}") == str(video)
    assert isinstance(open_source("camera:3"), CameraSource)
    assert isinstance(open_source("udp://127.0.0.1:1"), NetworkSource)


def test_start_seeks_to_the_asked_second_and_keeps_file_timestamps(tmp_path):
    video = write_video(tmp_path / "a.mp4", frames=96, fps=24.0)
    with FileSource(video, start=2.0) as source:
        first = source.read()
        assert source.duration == pytest.approx(4.0)
    assert first.index == 48 and first.timestamp == pytest.approx(2.0)
    with FileSource(video, start=60.0) as source:  # past the end: the last frame, not an error
        assert source.read().index == 95


def test_live_defaults_to_realtime_and_a_player_can_ask_otherwise(tmp_path):
    video = write_video(tmp_path / "a.mp4", frames=12)
    assert FileSource(video, realtime=True).live
    assert not FileSource(video, realtime=True, live=False).live
    assert not open_source(str(video), realtime=True, live=False).live


def test_pause_holds_reading_until_resume_and_close_releases_a_held_read(tmp_path):
    video = write_video(tmp_path / "a.mp4", frames=48, fps=24.0)
    source = FileSource(video, realtime=True, live=False, keep_pace=False).open()
    assert source.read().index == 0
    source.pause()
    assert source.paused
    got = []
    reader = threading.Thread(target=lambda: got.append(source.read()))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive() and not got  # held while paused
    source.resume()
    reader.join(10)
    assert got and got[0].index == 1  # resumes where it stopped

    source.pause()
    reader = threading.Thread(target=lambda: got.append(source.read()))
    reader.start()
    source.close()  # from another thread: the held read returns, nothing more comes
    reader.join(10)
    assert not reader.is_alive() and got[-1] is None and not source.paused


def test_hold_at_pauses_right_after_the_frame_that_ends_a_window(tmp_path):
    video = write_video(tmp_path / "a.mp4", frames=96, fps=24.0)
    source = FileSource(video, realtime=True, live=False, keep_pace=False, start=1.0)
    source.catch_up_to(3.0)  # the frames before 3 s come at once
    source.hold_at(3.0)
    with source:
        frames = [source.read() for _ in range(49)]
        assert [f.index for f in frames] == list(range(24, 73))
        assert frames[-1].timestamp == pytest.approx(3.0) and source.paused
        got = []
        reader = threading.Thread(target=lambda: got.append(source.read()))
        reader.start()
        reader.join(0.3)
        assert reader.is_alive() and not got  # holding at 3 s
        source.resume()
        reader.join(10)
        assert got[0].index == 73 and not source.paused  # a hold happens once


def test_speed_is_kept_within_bounds(tmp_path):
    source = FileSource(tmp_path / "a.mp4", realtime=True, speed=2.0)
    assert source.speed == 2.0
    source.set_speed(100)
    assert source.speed == FileSource.SPEEDS[1]
    source.set_speed(float("nan"))
    assert source.speed == 1.0
    source.set_speed(0)
    assert source.speed == FileSource.SPEEDS[0]
