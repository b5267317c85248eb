"""`umt-desktop stream` end to end: JSON lines, timeline files, bad and dying sources, Ctrl-C."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time

import pytest
from tests.helpers.videos import write_video
from tests.helpers.cli import umt
from tests.helpers.net import free_port

from umt_desktop.cli import main
from umt_desktop.core.video.readers import open_video


def stream(capsys, *args):
    rc = main(["stream", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_jsonl_windows_cover_a_12_second_clip_and_equal_direct_classification(tmp_path, capsys, tiny_checkpoint, tiny_classifier):
    path = write_video(tmp_path / "clip12.mp4", frames=144, size=(160, 120), fps=12.0)
    rc, out, err = stream(capsys, path, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--jsonl", "--smoothing", "off")
    assert rc == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    # defaults: span 4 s, stride 0.5 s -> windows end at 4.0, 4.5, ..., 12.0
    assert [r["t"] for r in records] == [4.0 + 0.5 * k for k in range(17)]
    assert records[0]["frames"][0] < 6 and records[-1]["frames"][-1] >= 138
    with open_video(path) as video:
        for r in records:
            assert list(r) == ["t", "frames", "top", "smoothed", "latency_ms", "inference_ms"]
            assert len(r["frames"]) == 8 and len(r["top"]) == 5
            assert r["smoothed"] == r["top"]  # smoothing off
            assert r["latency_ms"] >= r["inference_ms"] >= 0
            probs = tiny_classifier.classify_frames(video.get_frames(r["frames"]))
            direct = tiny_classifier.top(probs, 5)
            assert r["top"] == [{"index": t.index, "label": t.label, "score": t.score} for t in direct]


def test_human_output_and_timeline_files(tmp_path, capsys, tiny_checkpoint):
    path = write_video(tmp_path / "clip.mp4", frames=48, fps=24.0)
    rc, out, err = stream(capsys, path, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--span", "1", "--stride", "0.5",
                          "--threshold", "0", "--out", tmp_path / "t.csv")
    assert rc == 0, err
    assert len(out.splitlines()) == 3 and "frames" in out
    assert "3 windows, 0 dropped, 48 frames" in err
    rows = list(csv.DictReader(open(tmp_path / "t.csv", newline="", encoding="utf-8")))
    assert rows and float(rows[0]["start"]) == 0.0 and float(rows[-1]["end"]) == 2.0
    rc, out, err = stream(capsys, path, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--span", "1", "--stride", "0.5",
                          "--jsonl", "--smoothing", "mean:2", "--topk", "2", "--out", tmp_path / "t.json")
    assert rc == 0 and err == ""
    data = json.loads((tmp_path / "t.json").read_text())
    assert [w["t"] for w in data["windows"]] == [json.loads(x)["t"] for x in out.splitlines()] == [1.0, 1.5, 2.0]
    assert data["span"] == 1.0 and len(data["windows"][0]["top"]) == 2


def test_annotated_video_out(tmp_path, capsys, tiny_checkpoint):
    path = write_video(tmp_path / "clip.mp4", frames=24, fps=24.0)
    rc, _, err = stream(capsys, path, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--span", "0.5", "--stride", "0.5",
                        "--jsonl", "--out", tmp_path / "annotated.mp4")
    assert rc == 0, err
    with open_video(tmp_path / "annotated.mp4") as video:
        assert video.num_frames == 24


@pytest.mark.parametrize(
    "source, message",
    [
        ("missing.mp4", "does not exist"),
        ("notes.mp4", "cannot be opened"),
        ("camera:97", "camera 97"),
        ("closed-port", "cannot open the stream"),
    ],
)
def test_bad_sources_fail_with_one_line(tmp_path, tiny_checkpoint, source, message):
    if source == "notes.mp4":
        (tmp_path / source).write_text("not a video\n" * 50)
    if source == "closed-port":
        source = f"http://127.0.0.1:{free_port()}/live.ts"
    elif not source.startswith("camera:"):
        source = tmp_path / source
    proc = umt("stream", source, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--retries", "1", "--timeout", "1")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_bad_options_are_usage_errors(tmp_path, capsys, tiny_checkpoint):
    path = write_video(tmp_path / "clip.mp4", frames=12)
    for extra in (["--span", "0"], ["--stride", "-1"], ["--threshold", "1.5"]):
        with pytest.raises(SystemExit) as exc:
            main(["stream", str(path), "--checkpoint", str(tiny_checkpoint), *extra])
        assert exc.value.code == 2
    capsys.readouterr()
    rc, out, err = stream(capsys, path, "--checkpoint", tiny_checkpoint, "--smoothing", "median")
    assert rc == 1 and "smoothing" in err and out == ""
    rc, out, err = stream(capsys, path, "--checkpoint", tiny_checkpoint, "--out", tmp_path / "t.txt")
    assert rc == 1 and ".csv" in err
    rc, out, err = stream(capsys, "camera:0", "--checkpoint", tiny_checkpoint, "--out", tmp_path / "a.mp4")
    assert rc == 1 and "file" in err


def test_dying_network_stream_reports_the_loss(tmp_path, capsys, tiny_checkpoint):
    exe = pytest.importorskip("imageio_ffmpeg").get_ffmpeg_exe()
    video = write_video(tmp_path / "served.mp4", frames=240, fps=24.0, codec="h264")
    url = f"http://127.0.0.1:{free_port()}/live.ts"
    cmd = [exe, "-loglevel", "quiet", "-re", "-i", str(video), "-t", "1.5", "-c", "copy", "-f", "mpegts", "-listen", "1", url]
    server = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # the server sends 1.5 s and goes away: windows for what arrived, then a one-line loss
        rc, out, err = stream(capsys, url, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--span", "0.5",
                              "--stride", "0.5", "--jsonl", "--retries", "3", "--timeout", "1")
    finally:
        server.kill()
        server.wait(10)
    assert rc == 1
    assert "lost the stream" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert out.strip(), "no window was classified before the stream died"
    for line in out.splitlines():
        assert len(json.loads(line)["frames"]) == 8


def test_ctrl_c_stops_cleanly(tmp_path, tiny_checkpoint):
    path = write_video(tmp_path / "long.mp4", frames=600, fps=24.0)  # 25 s, played in real time
    proc = subprocess.Popen(
        [sys.executable, "-m", "umt_desktop", "stream", str(path), "--checkpoint", str(tiny_checkpoint),
         "--device", "cpu", "--realtime", "--span", "0.5", "--stride", "0.5", "--out", str(tmp_path / "t.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # as from a terminal: a suite started in the background (`&`) ignores SIGINT, and the child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        header = proc.stderr.readline()  # printed once the model is loaded and the stream starts
        assert "span 0.5 s" in header
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    data = json.loads((tmp_path / "t.json").read_text()) if (tmp_path / "t.json").exists() else {"windows": []}
    assert len(data["windows"]) == len(out.splitlines())
