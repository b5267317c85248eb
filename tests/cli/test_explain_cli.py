"""`classify --explain DIR`: one PNG per clip, as a user runs it."""

from __future__ import annotations

import cv2
from tests.helpers.cli import assert_one_line_error, umt


def test_explain_writes_a_strip_per_clip_and_names_a_bad_class(tmp_path, tiny_checkpoint, reference_videos):
    video = reference_videos[1][0]
    proc = umt("classify", video, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--views", "1x1",
               "--explain", tmp_path / "maps", "--explain-class", "writing", "--json")
    assert proc.returncode == 0, proc.stderr
    image = cv2.imread(str(tmp_path / "maps" / f"{video.stem}_clip1.png"))
    assert image is not None and image.shape[0] == 28 + 298  # portrait 256x340 -> 224x298, title band above
    proc = umt("classify", video, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--views", "1x1",
               "--explain", tmp_path / "maps", "--explain-class", "flying a kite")
    assert proc.returncode == 1
    assert "no class 'flying a kite'" in assert_one_line_error(proc)
