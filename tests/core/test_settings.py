"""Settings: defaults, round-trip through the config dir, tolerance of broken files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from umt_desktop.core.paths import settings_path
from umt_desktop.core.settings import DEFAULTS, MAX_RECENT, Settings


def test_defaults_when_no_file():
    s = Settings.load()
    assert s.as_dict() == DEFAULTS
    assert s.path == settings_path()


def test_round_trip(tmp_path):
    s = Settings.load()
    s["model"] = "umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb"
    s["device"] = "cuda:1"
    s["precision"] = "float16"
    s["span"] = 3.5
    s["stride"] = 1  # ints are accepted for float settings
    s["topk"] = 7
    s["geometry"] = "AdnQywADAAA="
    video = tmp_path / "a.mp4"
    video.write_bytes(b"x")
    s.add_recent_file(video)
    path = s.save()
    assert path == settings_path() and path.exists()

    again = Settings.load()
    assert again.as_dict() == s.as_dict()
    assert again["stride"] == 1.0 and isinstance(again["stride"], float)
    assert again.recent_files() == [str(video)]


@pytest.mark.parametrize("content", ["", "{not json", "[1, 2, 3]", "\x00\x01"])
def test_corrupt_file_gives_defaults(content):
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    assert Settings.load().as_dict() == DEFAULTS


def test_bad_values_fall_back_one_by_one():
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "topk": "five", "span": -3, "precision": "int4", "recent_files": "a.mp4",
        "device": "cpu", "threshold": 0.4, "unknown": 1,
    }))
    s = Settings.load()
    assert s["topk"] == DEFAULTS["topk"]
    assert s["span"] == DEFAULTS["span"]
    assert s["precision"] == DEFAULTS["precision"]
    assert s["recent_files"] == []
    assert s["device"] == "cpu" and s["threshold"] == 0.4


def test_setting_rejects_bad_values():
    s = Settings()
    with pytest.raises(KeyError):
        s["nope"] = 1
    with pytest.raises(ValueError):
        s["threshold"] = 1.5
    with pytest.raises(ValueError):
        s["smoothing"] = "ema:2"
    for ok in ("off", "ema", "ema:0.3", "mean:5", "ema:1"):
        s["smoothing"] = ok
    with pytest.raises(TypeError):
        s["topk"] = 2.5


def test_recent_files_most_recent_first_and_bounded(tmp_path):
    s = Settings()
    for i in range(MAX_RECENT + 3):
        s.add_recent_file(f"/videos/{i}.mp4")
    s.add_recent_file("/videos/5.mp4")
    recent = s.recent_files(existing_only=False)
    assert recent[0] == "/videos/5.mp4"
    assert len(recent) == MAX_RECENT and len(set(recent)) == MAX_RECENT
    s.add_recent_file("camera:0")
    assert s.recent_files() == ["camera:0"]  # missing files are hidden, cameras kept


def test_recent_files_keep_live_sources_and_existing_files_as_the_player_tells_them(tmp_path):
    from umt_desktop.core.options import file_path_of, is_live_source

    here = tmp_path / "clip one.mp4"
    here.write_bytes(b"x")
    gone = tmp_path / "gone.mp4"
    entries = {  # entry -> kept
        "camera:1": True,
        "CAMERA:2": True,
        "rtsp://127.0.0.1:8554/cam": True,
        "http://127.0.0.1/stream.m3u8": True,
        str(here): True,
        here.as_uri(): True,  # a file:// URL of a file that exists
        str(gone): False,
        gone.as_uri(): False,  # a file:// URL is a file, not a stream: hidden once gone
        str(tmp_path / "odd://name.mp4"): False,  # a missing path with "://" inside is no stream
    }
    s = Settings()
    for entry in entries:
        s.add_recent_file(entry)
    kept = s.recent_files()
    assert kept == [e for e in reversed(list(entries)) if entries[e]]
    # The same rule as the player's: live exactly when is_live_source says so.
    for e in entries:
        assert (e in kept) == (is_live_source(e) or Path(file_path_of(e)).exists())
