"""core.explain: saliency maps over the 8 x 14 x 14 patch tokens, faithful by the deletion test on the fixtures."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from umt_desktop.core import explain
from umt_desktop.core.errors import UMTError
from umt_desktop.core.video.protocols import PROTOCOLS
from umt_desktop.core.video.readers import open_video


@pytest.fixture(scope="module")
def fixture_views(tiny_classifier, reference_videos):
    out = []
    for path, _ in reference_videos:
        with open_video(path) as video:
            out.append(tiny_classifier.to_input(PROTOCOLS["4x3"].load(video)))
    return out


def test_maps_cover_every_patch_token_of_every_view(tiny_classifier, fixture_views):
    x = fixture_views[0][:3]
    sal = explain.token_saliency(tiny_classifier.model, x, class_index=173)
    assert sal.maps.shape == (3, 8, 14, 14) and sal.maps.dtype == np.float32
    assert np.isfinite(sal.maps).all() and sal.maps.min() >= 0 and sal.maps.max() == pytest.approx(1.0)
    assert sal.class_index == 173
    with torch.inference_mode():
        probs = tiny_classifier.model(x).softmax(-1)[:, 173].numpy()
    np.testing.assert_allclose(sal.probs, probs, atol=1e-5)
    up = sal.upsampled()
    assert up.shape == (3, 8, 224, 224) and 0 <= up.min() and up.max() <= 1


def test_the_top_class_is_the_default(tiny_classifier, fixture_views):
    x = fixture_views[1]
    with torch.inference_mode():
        top = int(tiny_classifier.model(x).softmax(-1).mean(0).argmax())
    assert explain.token_saliency(tiny_classifier.model, x).class_index == top


@pytest.mark.timeout(900)
def test_deletion_masking_salient_patches_hurts_more_than_random(tiny_classifier, fixture_views):
    # Faithfulness: the class probability falls further when the 10/20/30 % most salient patches are
    # masked than when as many random patches are, averaged over views of both fixture videos
    # (every third 4x3 view: all 4 clips, each crop).
    results = [explain.deletion_test(tiny_classifier.model, x[::3], seeds=2) for x in fixture_views]
    salient = np.mean([r.salient_drop for r in results], axis=0)
    random = np.mean([r.random_drop for r in results], axis=0)
    assert (salient > random).all(), (salient, random)


def test_masking_zeroes_exactly_the_chosen_patches():
    x = torch.ones(1, 3, 8, 224, 224)
    order = torch.arange(8 * 14 * 14).flip(0)[None]  # last token first: frame 7, row 13, column 13
    masked = explain.mask_patches(x, order, 1 / (8 * 14 * 14))
    assert masked[0, :, 7, 208:, 208:].abs().sum() == 0
    assert masked.sum() == x.sum() - 3 * 16 * 16
    assert torch.equal(explain.mask_patches(x, order, 0.0), x)


def test_half_precision_weights_are_explained_in_float32(tiny_checkpoint, fixture_views):
    from umt_desktop.core.model.checkpoint import load_checkpoint

    model = load_checkpoint(tiny_checkpoint).model
    reference = explain.token_saliency(model, fixture_views[0][:1], class_index=5)
    half = load_checkpoint(tiny_checkpoint).model.to(torch.bfloat16)
    sal = explain.token_saliency(half, fixture_views[0][:1], class_index=5)
    assert next(half.parameters()).dtype == torch.bfloat16  # the caller's model is left as it was
    assert np.isfinite(sal.maps).all()
    # bf16 weights rounded: the maps agree on where the model looked, not to the last bit
    assert np.corrcoef(sal.maps.ravel(), reference.maps.ravel())[0, 1] > 0.8


def test_an_unknown_class_is_a_user_error(tiny_classifier):
    with pytest.raises(UMTError, match="no class 'flying a kite'"):
        explain.resolve_class(tiny_classifier.labels, "flying a kite")
    assert explain.resolve_class(tiny_classifier.labels, "Jumpstyle_Dancing") == 173
    assert explain.resolve_class(tiny_classifier.labels, "12") == 12


def test_explain_video_writes_one_strip_per_clip(tiny_classifier, reference_videos, tmp_path):
    from umt_desktop.core.video.transforms import resized_size

    path = reference_videos[0][0]  # 340x256: frames resized to short side 224
    width, _ = resized_size(340, 256, 224)
    written = explain.explain_video(tiny_classifier, path, tmp_path / "out", views="4x3")
    assert [p.name for p in written] == [f"{path.stem}_clip{i}.png" for i in range(1, 5)]
    image = cv2.imread(str(written[0]))
    assert image.shape == (28 + 224, 8 * width, 3)
    one = explain.explain_video(tiny_classifier, path, tmp_path / "one", views="1x1", class_label="writing")
    assert len(one) == 1 and cv2.imread(str(one[0])).shape == (28 + 224, 8 * width, 3)


# -- one sliding window (the filmstrip's maps) ----------------------------------------------

def _window_frames(path, indices):
    from umt_desktop.core.streaming.engine import prepare_frame

    with open_video(path) as video:
        frames = video.get_frames(indices)
    return np.stack([prepare_frame(f) for f in frames])


def test_window_maps_are_the_views_maps_of_the_same_clip(tiny_classifier, reference_videos):
    frames = _window_frames(reference_videos[0][0], list(range(0, 64, 8)))  # as the streaming engine keeps them
    maps, prob = explain.window_saliency(tiny_classifier, frames, 7)
    assert maps.shape == (8, 224, 224) and maps.dtype == np.float32
    assert np.isfinite(maps).all() and maps.min() >= 0 and maps.max() <= 1 and maps.max() > 0.5
    x = tiny_classifier.to_input(frames[None])
    sal = explain.token_saliency(tiny_classifier.model, x, class_index=7)
    np.testing.assert_allclose(maps, sal.upsampled()[0], atol=1e-6)
    assert prob == pytest.approx(float(tiny_classifier.classify_frames(frames)[7]), abs=1e-5)
    other, _ = explain.window_saliency(tiny_classifier, frames, 300)
    assert not np.allclose(other, maps)  # another class, another map


def test_window_maps_sized_to_a_thumbnail_cover_its_centre_square(tiny_classifier, reference_videos):
    frames = _window_frames(reference_videos[0][0], list(range(8)))
    crop, _ = explain.window_saliency(tiny_classifier, frames, 7)
    maps, _ = explain.window_saliency(tiny_classifier, frames, 7, size=(128, 96))  # a 4:3 thumbnail
    assert maps.shape == (8, 96, 128) and np.isfinite(maps).all() and 0 <= maps.min() and maps.max() <= 1
    assert not maps[:, :, :16].any() and not maps[:, :, 112:].any()  # outside the crop the model saw nothing
    small = np.stack([cv2.resize(m, (96, 96), interpolation=cv2.INTER_AREA) for m in crop])
    np.testing.assert_allclose(maps[:, :, 16:112], small, atol=1e-5)
    tall = explain.fit_to_frame(crop, (60, 100))  # portrait: the centre square sits mid-height
    assert tall.shape == (8, 100, 60) and not tall[:, :20].any() and not tall[:, 80:].any()


def test_non_finite_gradients_are_an_error_not_a_blank_map(tiny_checkpoint, reference_videos):
    from umt_desktop.core.errors import NumericError
    from umt_desktop.core.model.checkpoint import load_checkpoint

    model = load_checkpoint(tiny_checkpoint).model
    with torch.no_grad():
        model.blocks[-1].mlp.fc2.weight[0, 0] = float("inf")
    x = torch.zeros(1, 3, 8, 224, 224)
    with pytest.raises(NumericError, match="NaN or infinite gradients"):
        explain.token_saliency(model, x, class_index=0)


def test_a_thumbnail_overlay_tints_the_seen_square_and_darkens_the_rest():
    thumb = np.full((96, 128, 3), 200, np.uint8)
    heat = np.zeros((96, 128), np.float32)
    heat[40:50, 60:70] = 1.0
    out = explain.thumbnail_overlay(thumb, heat)
    assert out.shape == thumb.shape and out.dtype == np.uint8
    assert (out[:, :16] == 90).all() and (out[:, 112:] == 90).all()  # outside the centre square: darkened
    cold, hot = out[10, 30], out[45, 65]
    assert (cold != 200).any() and (np.abs(cold.astype(int) - 200) < 60).all()  # cold: a light tint
    assert np.abs(hot.astype(int) - 200).max() > 60  # hot: the colour map shows
    np.testing.assert_array_equal(explain.overlay(thumb, heat), explain.overlay(thumb, heat, 0.45, 0.0))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_window_maps_after_live_windows_share_the_pinned_input_buffers(tiny_checkpoint, reference_videos):
    """The live loop classifies (inference mode) through reusable pinned buffers; the map of the same
    window goes through them with gradients: the buffers must take both (found on an H200)."""
    from umt_desktop import load_classifier

    frames = _window_frames(reference_videos[0][0], list(range(8)))
    gpu = load_classifier(tiny_checkpoint, device="cuda", compile=False)
    cpu = load_classifier(tiny_checkpoint, device="cpu")
    for _ in range(3):
        gpu.classify_frames(frames)
    maps, prob = explain.window_saliency(gpu, frames, 7)
    want, want_prob = explain.window_saliency(cpu, frames, 7)
    assert np.isfinite(maps).all() and np.abs(maps - want).max() < 2e-2
    assert prob == pytest.approx(want_prob, abs=2e-3)
