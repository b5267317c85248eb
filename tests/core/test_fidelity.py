"""The model and the 4x3 protocol compute the same function as MMAction2's UMT (golden outputs)."""

import numpy as np
import pytest
import torch

from umt_desktop.core.model.checkpoint import load_checkpoint
from umt_desktop.core.video.transforms import sample_indices


def reference_input() -> torch.Tensor:
    flat = torch.arange(3 * 8 * 224 * 224, dtype=torch.float64)
    return (2 * torch.sin(0.001 * flat)).float().reshape(1, 3, 8, 224, 224)


@pytest.mark.parametrize("naive", [False, True], ids=["sdpa", "naive"])
def test_model_features_and_logits_match_reference(tiny_checkpoint, reference, naive):
    model = load_checkpoint(tiny_checkpoint).model
    model.naive_attention = naive
    with torch.inference_mode():
        features = model.forward_features(reference_input())
        logits = model.head(features)
    np.testing.assert_allclose(features[0].numpy(), reference["model"]["features"], atol=1e-5)
    np.testing.assert_allclose(logits[0].numpy(), reference["model"]["logits"], atol=1e-4)


def test_sampler_matches_reference_indices(reference):
    for n, expected in reference["uniform_sample_8x4"].items():
        assert sample_indices(int(n), num_clips=4).tolist() == expected, f"{n} frames"


def test_video_probabilities_match_reference(tiny_classifier, reference_videos):
    for path, ref in reference_videos:
        result = tiny_classifier.classify(path, views="4x3", topk=5)
        np.testing.assert_allclose(result.probs, ref["probs"], atol=1e-6, rtol=0)
        assert [t.index for t in result.top] == ref["top5"]
        assert result.probs.sum() == pytest.approx(1.0, abs=1e-5)


def test_batch_size_does_not_change_probabilities(tiny_checkpoint, reference_videos):
    from umt_desktop import load_classifier

    clf = load_classifier(tiny_checkpoint, device="cpu", batch_size=5)
    path, ref = reference_videos[0]
    np.testing.assert_allclose(clf.classify(path).probs, ref["probs"], atol=1e-6, rtol=0)


def test_opencv_reader_agrees_on_top1(tiny_checkpoint, reference_videos):
    from umt_desktop import load_classifier

    clf = load_classifier(tiny_checkpoint, device="cpu", reader="opencv")
    for path, ref in reference_videos:
        result = clf.classify(path)
        assert result.top[0].index == ref["top5"][0]
        assert np.abs(result.probs - np.array(ref["probs"])).max() < 1e-2
