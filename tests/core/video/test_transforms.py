import numpy as np
import pytest

from umt_desktop.core.video.protocols import PROTOCOLS
from umt_desktop.core.video.transforms import (
    center_crop_offset,
    resize_short_side,
    resized_size,
    sample_indices,
    three_crop_offsets,
)


@pytest.mark.parametrize("n", [1, 2, 7, 8, 45, 120, 301, 10_000])
@pytest.mark.parametrize("clips", [1, 4])
def test_indices_stay_inside_the_video(n, clips):
    idx = sample_indices(n, clips)
    assert idx.shape == (clips * 8,)
    assert idx.min() >= 0 and idx.max() < n


def test_one_clip_uses_half_a_segment_offset():
    # seg = 99/8 = 12.375, duration = seg / 2 = 6.1875 -> offset int(6.1875) = 6
    assert sample_indices(100, 1).tolist() == [6, 18, 31, 43, 56, 68, 80, 93]


@pytest.mark.parametrize(
    "size,expected",
    [((340, 256), (298, 224)), ((256, 340), (224, 298)), ((1920, 1080), (398, 224)), ((160, 120), (299, 224)), ((224, 224), (224, 224))],
)
def test_resized_size_rounds_half_up(size, expected):
    assert resized_size(*size) == expected


def test_three_crops_follow_the_long_side_in_mmaction_order():
    assert three_crop_offsets(298, 224) == [(0, 0), (74, 0), (37, 0)]
    assert three_crop_offsets(224, 299) == [(0, 0), (0, 74), (0, 37)]
    with pytest.raises(ValueError):
        three_crop_offsets(300, 300)


def test_center_crop_offset():
    assert center_crop_offset(298, 224) == (37, 0)
    assert center_crop_offset(224, 299) == (0, 37)


def test_small_frames_are_upscaled_and_views_have_the_right_shape():
    frames = np.random.default_rng(0).integers(0, 255, (32, 120, 160, 3), dtype=np.uint8)
    assert resize_short_side(frames).shape == (32, 224, 299, 3)
    views = PROTOCOLS["4x3"].views_from_frames(frames)
    assert views.shape == (12, 8, 224, 224, 3) and views.dtype == np.uint8
    one = PROTOCOLS["1x1"].views_from_frames(frames[:8])
    assert one.shape == (1, 8, 224, 224, 3)
    # The 1x1 view is the middle of the three 4x3 crops of the first clip.
    np.testing.assert_array_equal(one[0], views[8])
