"""`umt-desktop gui --screenshot` end to end, in a real subprocess with the offscreen platform."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage


def _gui(*args, timeout=240):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "umt_desktop", "gui", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_screenshot_of_a_classified_video(tmp_path, tiny_checkpoint, make_video):
    video = make_video(frames=48)
    png = tmp_path / "shot.png"
    proc = _gui(video, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--screenshot", png, "--size", "1200x800")
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1200, 800)
    # A headless capture leaves the user's settings alone.
    assert not (Path(os.environ["UMT_DESKTOP_CONFIG_DIR"]) / "settings.json").exists()


@pytest.mark.parametrize("make_bad, message", [
    (lambda d: d / "missing.mp4", "does not exist"),
    (lambda d: (d / "notes.txt").write_text("x") and d / "notes.txt", "is not a video"),
])
def test_bad_source_is_one_line_and_exit_1(tmp_path, tiny_checkpoint, make_bad, message):
    proc = _gui(make_bad(tmp_path), "--checkpoint", tiny_checkpoint, "--screenshot", tmp_path / "x.png", timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert message in lines[-1] and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_no_prediction_in_time_exits_1(tmp_path, tiny_checkpoint):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 4096)
    proc = _gui(broken, "--checkpoint", tiny_checkpoint, "--screenshot", tmp_path / "x.png", "--timeout", "20")
    assert proc.returncode == 1
    assert "broken.mp4" in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "x.png").exists()


def test_eval_panel_headless_capture(tmp_path, tiny_checkpoint):
    from tests.helpers.videos import write_video

    root = tmp_path / "kinetics"
    for k, name in enumerate(["abseiling", "air drumming"]):
        (root / name).mkdir(parents=True)
        write_video(root / name / f"v{k}.mp4", frames=24, seed=k)
    png = tmp_path / "eval.png"
    proc = _gui("--eval", root, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--screenshot", png,
                "--size", "1100x760")
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1100, 760)


def test_eval_of_a_missing_folder_fails_cleanly(tmp_path, tiny_checkpoint):
    proc = _gui("--eval", tmp_path / "nowhere", "--checkpoint", tiny_checkpoint, "--screenshot", tmp_path / "e.png",
                timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("umt-desktop: error: ")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland display variables")
def test_without_a_display_the_window_says_so_and_captures_still_work(tmp_path, tiny_checkpoint, make_video):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    cmd = [sys.executable, "-m", "umt_desktop", "gui"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1 and "no display found" in proc.stderr
    png = tmp_path / "shot.png"
    proc = subprocess.run([*cmd, str(make_video()), "--checkpoint", str(tiny_checkpoint), "--screenshot", str(png)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr
    assert png.exists()


def test_exit_after_closes_the_window():
    proc = _gui("--exit-after", "1", timeout=120)
    assert proc.returncode == 0, proc.stderr
