"""Checkpoints of any UMT architecture that stay small on disk.

Every weight but the patch embedding and the classifier is one repeated value
(a stride-0 view, which `torch.save` stores as a single number), so a file with
the exact shapes of UMT-B/16 is a few MB and still loads, strictly, into a real
UMT-B/16. `seed` changes the stored bytes (and so the sha256), not the shapes.
"""

from __future__ import annotations

from pathlib import Path

import torch


def umt_state(embed_dim: int, depth: int, num_classes: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Canonical (OpenGVLab-named) weights of a UMT of this shape."""
    g = torch.Generator().manual_seed(seed)

    def same(*shape, value):
        return torch.full((1,), float(value)).expand(*shape)

    d = embed_dim
    state = {
        "patch_embed.proj.weight": torch.randn(d, 3, 1, 16, 16, generator=g) * 0.02,
        "patch_embed.proj.bias": same(d, value=0),
    }
    for i in range(depth):
        p = f"blocks.{i}."
        state.update({
            p + "norm1.weight": same(d, value=1), p + "norm1.bias": same(d, value=0),
            p + "attn.q_bias": same(d, value=0), p + "attn.v_bias": same(d, value=0),
            p + "attn.qkv.weight": same(3 * d, d, value=1e-3),
            p + "attn.proj.weight": same(d, d, value=1e-3), p + "attn.proj.bias": same(d, value=0),
            p + "norm2.weight": same(d, value=1), p + "norm2.bias": same(d, value=0),
            p + "mlp.fc1.weight": same(4 * d, d, value=1e-3), p + "mlp.fc1.bias": same(4 * d, value=0),
            p + "mlp.fc2.weight": same(d, 4 * d, value=1e-3), p + "mlp.fc2.bias": same(d, value=0),
        })
    state.update({
        "fc_norm.weight": same(d, value=1), "fc_norm.bias": same(d, value=0),
        "head.weight": torch.randn(num_classes, d, generator=g) * 0.02,
        "head.bias": same(num_classes, value=0),
    })
    return state


def write_checkpoint(
    path: str | Path, embed_dim: int, depth: int, num_classes: int, fmt: str = "mmaction2", seed: int = 0
) -> Path:
    """Save a UMT checkpoint of this shape in MMAction2 (`state_dict`, `backbone.*`) or OpenGVLab (`model`) form."""
    state = umt_state(embed_dim, depth, num_classes, seed)
    if fmt == "mmaction2":
        obj = {"state_dict": {
            ("cls_head.fc_cls." + k[len("head."):]) if k.startswith("head.") else "backbone." + k: v
            for k, v in state.items()
        }}
    elif fmt == "opengvlab":
        obj = {"model": state}
    else:
        raise ValueError(fmt)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, path)
    return path


def write_zoo_checkpoint(path: str | Path, entry, seed: int = 0) -> Path:
    """A file with exactly the architecture a zoo record describes (not its published weights)."""
    return write_checkpoint(path, entry.embed_dim, entry.depth, entry.num_classes, entry.format, seed)


TINY = Path(__file__).parent.parent / "fixtures" / "tiny_umt.pth"


def edited_tiny(path: str | Path, edit) -> Path:
    """A copy of the tiny fixture checkpoint with `edit(state_dict)` applied."""
    obj = torch.load(TINY, weights_only=True)
    state = {k: v.clone() for k, v in obj["state_dict"].items()}
    edit(state)
    torch.save({"state_dict": state, "meta": obj.get("meta", {})}, path)
    return Path(path)


def float16_overflowing(path: str | Path) -> Path:
    """The tiny checkpoint with the last block's MLP scaled so that float16 overflows (float32 does not)."""
    return edited_tiny(path, lambda s: s["backbone.blocks.1.mlp.fc1.weight"].mul_(3e4))


def install_under_zoo_name(store, checkpoint: Path, zoo_name: str) -> None:
    """Put `checkpoint` into `store` as earlier versions could: imported, then recorded under a
    zoo model's name as if downloaded (a file of another architecture under that name)."""
    import json

    store.import_file(checkpoint, "impostor")
    doc = json.loads((store.root / "index.json").read_text())
    record = doc["models"].pop("impostor")
    (store.root / record["file"]).rename(store.root / f"{zoo_name}.pth")
    doc["models"][zoo_name] = {**record, "name": zoo_name, "file": f"{zoo_name}.pth", "origin": "zoo"}
    (store.root / "index.json").write_text(json.dumps(doc))
