"""core.video.readers: decord and OpenCV read the same frames of real files; bad files are one-line VideoErrors."""

from __future__ import annotations

import numpy as np
import pytest
from tests.helpers.videos import write_video

from umt_desktop.core.errors import VideoError
from umt_desktop.core.video.readers import READERS, is_video_path, open_video


@pytest.fixture(scope="module")
def h264(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("v") / "clip.mp4", frames=40, size=(176, 144), fps=20.0, codec="h264")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_metadata_and_frames(h264, reader):
    with open_video(h264, reader) as video:
        assert video.name == reader
        assert video.num_frames == 40
        assert video.fps == pytest.approx(20.0)
        assert video.size == (176, 144)
        frames = video.get_frames([0, 39, 5])
    assert frames.shape == (3, 144, 176, 3) and frames.dtype == np.uint8


def test_any_order_and_repeats_give_the_frames_asked_for(h264):
    with open_video(h264) as video:
        ordered = video.get_frames([3, 7, 11])
        scrambled = video.get_frames([11, 3, 7, 3])
    np.testing.assert_array_equal(scrambled, ordered[[2, 0, 1, 0]])


def test_the_two_readers_decode_the_same_pictures(h264):
    # Both are FFmpeg underneath: the same frames, up to the colour conversion's rounding.
    indices = [0, 9, 18, 27, 36]
    with open_video(h264, "decord") as a, open_video(h264, "opencv") as b:
        fa, fb = a.get_frames(indices).astype(np.int16), b.get_frames(indices).astype(np.int16)
    assert np.abs(fa - fb).mean() < 3.0
    # and the frames differ from each other (a reader returning one frame five times would pass the above)
    assert np.abs(fa[0] - fa[-1]).mean() > 10.0


@pytest.mark.parametrize("reader", sorted(READERS))
def test_bad_files_are_one_line_video_errors(tmp_path, reader):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).bytes(5000))
    cases = {tmp_path / "missing.mp4": "does not exist", tmp_path: "folder", empty: "empty", garbage: "garbage.mp4"}
    for path, words in cases.items():
        with pytest.raises(VideoError) as info:
            open_video(path, reader)
        message = str(info.value)
        assert words in message and "\n" not in message, message


def test_an_unknown_reader_is_named():
    with pytest.raises(VideoError, match="unknown video reader 'ffmpeg'"):
        open_video("x.mp4", "ffmpeg")


def test_video_extensions_are_matched_without_case():
    assert is_video_path("a/B.MP4") and is_video_path("c.webm") and is_video_path("d.Mkv")
    assert not is_video_path("notes.txt") and not is_video_path("mp4")
