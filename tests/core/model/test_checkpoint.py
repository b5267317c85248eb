import argparse

import pytest
import torch
from tests.helpers.mini_kinetics import to_opengvlab

from umt_desktop import load_classifier
from umt_desktop.core.model.checkpoint import IMAGENET, MMACTION2, load_checkpoint
from umt_desktop.core.errors import CheckpointError, LabelError
from umt_desktop.core.model.network import config_from_state_dict


@pytest.fixture(scope="module")
def mm_state(tiny_checkpoint):
    return torch.load(tiny_checkpoint, weights_only=True)["state_dict"]


def logits(model) -> torch.Tensor:
    torch.manual_seed(0)
    x = torch.randn(1, 3, 8, 224, 224)
    with torch.inference_mode():
        return model(x)


def test_mmaction2_format(tiny_checkpoint):
    ckpt = load_checkpoint(tiny_checkpoint)
    assert ckpt.format == "mmaction2" and ckpt.preprocessing == MMACTION2
    cfg = ckpt.model.config
    assert (cfg.embed_dim, cfg.depth, cfg.num_heads, cfg.num_classes) == (128, 2, 2, 400)


@pytest.mark.parametrize("wrap", ["model", "module", "module-prefixed"])
def test_opengvlab_format_gives_the_same_network(tmp_path, tiny_checkpoint, mm_state, wrap):
    state = to_opengvlab(mm_state)
    if wrap == "module-prefixed":
        obj = {"module": {f"module.{k}": v for k, v in state.items()}}
    else:
        obj = {wrap: state, "epoch": 30}
    path = tmp_path / "ogv.pth"
    torch.save(obj, path)
    ckpt = load_checkpoint(path)
    assert ckpt.format == "opengvlab" and ckpt.preprocessing == IMAGENET
    torch.testing.assert_close(logits(ckpt.model), logits(load_checkpoint(tiny_checkpoint).model))


def test_opengvlab_classifier_uses_imagenet_normalisation(tmp_path, mm_state, fixtures):
    path = tmp_path / "ogv.pth"
    torch.save({"model": to_opengvlab(mm_state)}, path)
    clf = load_classifier(path, device="cpu")
    assert clf.preprocessing.mean[0] == pytest.approx(0.485 * 255)
    result = clf.classify(fixtures / "synth_1_256x340_45f.mp4", views="1x1")
    assert result.probs.shape == (400,)


def test_architecture_is_read_off_the_weights():
    state = {
        "patch_embed.proj.weight": torch.zeros(768, 3, 1, 16, 16),
        **{f"blocks.{i}.norm1.weight": torch.zeros(768) for i in range(12)},
        "head.weight": torch.zeros(700, 768),
    }
    cfg = config_from_state_dict(state)
    assert (cfg.embed_dim, cfg.depth, cfg.num_heads, cfg.num_classes, cfg.name) == (768, 12, 12, 700, "UMT-B/16")


def error_of(path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_truncated_file(tmp_path, tiny_checkpoint):
    data = tiny_checkpoint.read_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in error_of(path)


def test_files_that_are_not_checkpoints(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("hello, this is not a checkpoint\n")
    assert "not a PyTorch checkpoint" in error_of(text)
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    assert "not a PyTorch checkpoint" in error_of(empty)
    assert "does not exist" in error_of(tmp_path / "missing.pth")
    assert "is a folder" in error_of(tmp_path)
    tensor = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), tensor)
    assert "not a checkpoint dictionary" in error_of(tensor)
    other = tmp_path / "other.pth"
    torch.save({"optimizer": {"lr": 0.1}}, other)
    assert "not a UMT checkpoint" in error_of(other)


def test_unsafe_pickle_is_refused_with_a_reason(tmp_path, mm_state):
    path = tmp_path / "unsafe.pth"
    torch.save({"state_dict": mm_state, "args": argparse.Namespace(lr=0.1)}, path)
    assert "weights_only" in error_of(path)


def test_other_architectures(tmp_path, mm_state):
    resnet = tmp_path / "resnet.pth"
    torch.save({"state_dict": {"backbone.conv1.weight": torch.zeros(64, 3, 7, 7), "cls_head.fc_cls.weight": torch.zeros(400, 2048)}}, resnet)
    assert "patch_embed.proj.weight" in error_of(resnet)

    tubelet2 = dict(mm_state)
    tubelet2["backbone.patch_embed.proj.weight"] = torch.zeros(128, 3, 2, 16, 16)
    path = tmp_path / "tubelet2.pth"
    torch.save({"state_dict": tubelet2}, path)
    assert "does not fit the UMT architecture" in error_of(path)

    missing = {k: v for k, v in mm_state.items() if k != "backbone.blocks.1.attn.v_bias"}
    path = tmp_path / "missing.pth"
    torch.save({"state_dict": missing}, path)
    assert "blocks.1.attn.v_bias" in error_of(path)

    extra = dict(mm_state, **{"backbone.norm.weight": torch.zeros(128)})
    path = tmp_path / "extra.pth"
    torch.save({"state_dict": extra}, path)
    assert "norm.weight" in error_of(path)


def test_head_with_unknown_class_count(tmp_path, mm_state):
    state = dict(mm_state)
    state["cls_head.fc_cls.weight"] = torch.zeros(123, 128)
    state["cls_head.fc_cls.bias"] = torch.zeros(123)
    path = tmp_path / "c123.pth"
    torch.save({"state_dict": state}, path)
    with pytest.raises(LabelError, match="123 classes, which matches no Kinetics label set"):
        load_classifier(path, device="cpu")
    labels = tmp_path / "labels.txt"
    labels.write_text("".join(f"action {i}\n" for i in range(123)))
    assert load_classifier(path, device="cpu", labels=labels).labels[5] == "action 5"
