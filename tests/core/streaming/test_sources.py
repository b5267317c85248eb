"""Frame sources: files (as fast as decoded, or paced like a camera), cameras, network streams.

Network tests run a real FFmpeg (imageio_ffmpeg) HTTP server on 127.0.0.1 and kill it mid-stream.
"""

from __future__ import annotations

import subprocess
import threading
import time

import numpy as np
import pytest
from tests.helpers.videos import write_video
from tests.helpers.net import free_port

from umt_desktop.core.errors import SourceError
from umt_desktop.core.streaming.sources import CameraSource, FileSource, NetworkSource, open_source
from umt_desktop.core.video.readers import open_video


def ffmpeg() -> str:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture
def http_stream(tmp_path):
    """An MPEG-TS stream served once, in real time, by FFmpeg on a loopback port."""
    exe = ffmpeg()
    video = write_video(tmp_path / "served.mp4", frames=240, fps=24.0, codec="h264")
    port = free_port()
    url = f"http://127.0.0.1:{port}/live.ts"
    cmd = [exe, "-loglevel", "quiet", "-re", "-i", str(video), "-c", "copy", "-f", "mpegts", "-listen", "1", url]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield url, proc
    finally:
        proc.kill()
        proc.wait(10)


def test_file_frames_carry_index_timestamp_and_match_the_decoder(tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=30, fps=15.0)
    with open_source(path) as source:
        assert isinstance(source, FileSource) and not source.live
        assert source.fps == 15.0 and source.num_frames == 30 and source.size == (160, 120)
        frames = list(source)
    assert [f.index for f in frames] == list(range(30))
    assert [f.timestamp for f in frames] == pytest.approx([i / 15 for i in range(30)])
    with open_video(path) as video:
        np.testing.assert_array_equal(np.stack([f.image for f in frames]), video.get_frames(range(30)))
    assert not source.is_open


def test_realtime_file_is_paced_at_its_frame_rate(tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=24, fps=24.0)
    source = open_source(path, realtime=True)
    assert source.live
    started = time.monotonic()
    with source:
        frames = list(source)
    assert len(frames) == 24
    assert time.monotonic() - started >= 0.8 * 23 / 24
    captured = [f.captured - frames[0].captured for f in frames]
    assert captured[-1] >= 0.8 * 23 / 24  # delivered over the clip's duration, not all at once


def test_close_releases_and_read_after_close_ends(tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=10)
    source = open_source(path).open()
    assert source.read() is not None and source.is_open
    source.close()
    source.close()  # twice is fine
    assert not source.is_open and source.read() is None


def test_close_from_another_thread_while_reading(tmp_path):
    path = write_video(tmp_path / "clip.mp4", frames=240, fps=24.0)
    source = open_source(path, realtime=True).open()
    got = []

    def reader():
        while (f := source.read()) is not None:
            got.append(f)

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.2)
    source.close()
    thread.join(5)
    assert not thread.is_alive() and 0 < len(got) < 240 and not source.is_open


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.mp4", "does not exist"),
        (lambda d: d, "is a folder"),
        (lambda d: _write(d / "empty.mp4", b""), "empty"),
        (lambda d: _write(d / "notes.mp4", b"these are not video frames\n" * 100), "cannot be opened"),
    ],
)
def test_bad_files_fail_to_open_with_a_clear_message(tmp_path, make, message):
    source = open_source(make(tmp_path))
    with pytest.raises(SourceError, match=message):
        source.open()
    assert not source.is_open


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_truncated_file_dies_mid_stream(tmp_path):
    whole = write_video(tmp_path / "whole.mp4", frames=96, fps=24.0, codec="h264")
    # index at the front (faststart) so the file still opens and claims 96 frames
    front = tmp_path / "front.mp4"
    subprocess.run([ffmpeg(), "-y", "-loglevel", "error", "-i", str(whole), "-c", "copy", "-movflags", "+faststart", str(front)], check=True)
    data = front.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    source = open_source(cut).open()
    assert source.num_frames == 96
    got = []
    with pytest.raises(SourceError, match="truncated"):
        while (f := source.read()) is not None:
            got.append(f)
    assert 0 < len(got) < 96
    source.close()


def test_camera_that_does_not_exist():
    source = open_source("camera:97")
    assert isinstance(source, CameraSource) and source.live
    started = time.monotonic()
    with pytest.raises(SourceError, match="camera 97"):
        source.open()
    assert time.monotonic() - started < 10
    with pytest.raises(SourceError, match="camera:N"):
        open_source("camera:front")


def test_url_on_a_closed_port_fails_after_bounded_retries():
    source = open_source(f"http://127.0.0.1:{free_port()}/live.ts", timeout=1.0, retries=2)
    assert isinstance(source, NetworkSource) and source.live
    started = time.monotonic()
    with pytest.raises(SourceError, match="cannot open the stream"):
        source.open()
    assert time.monotonic() - started < 15  # never hangs
    assert not source.is_open


def test_network_stream_delivers_frames_then_dies_with_an_error(http_stream):
    url, server = http_stream
    source = open_source(url, timeout=2.0, retries=1)
    source.open()  # retries cover the moment before the server listens
    got = []
    with pytest.raises(SourceError, match="lost the stream"):
        while True:
            frame = source.read()
            assert frame is not None
            got.append(frame)
            if len(got) == 30:
                server.kill()
            assert len(got) < 240, "the stream kept going after its server was killed"
    assert [f.index for f in got] == list(range(len(got)))
    assert all(b.timestamp >= a.timestamp for a, b in zip(got, got[1:]))
    assert got[0].image.shape == (120, 160, 3)
    source.close()
    assert not source.is_open


def test_password_is_not_shown():
    source = open_source("rtsp://user:secret@127.0.0.1:1/cam")
    assert "secret" not in source.description and "user" in source.description
