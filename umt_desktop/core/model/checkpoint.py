"""Checkpoint files: format detection, key adaptation, preprocessing profile.

Two formats exist for UMT Kinetics checkpoints:

* MMAction2: `{"state_dict": {...}, "meta": ...}` with `backbone.*` and
  `cls_head.fc_cls.*` keys, trained with mean 114.75 / std 57.375;
* OpenGVLab (the original repository): `{"model": {...}}` or `{"module": {...}}`
  with unprefixed keys and a `head.*` classifier, ImageNet mean/std.

`adapt_state_dict` is the one pure function that maps either to the canonical
names of `model.UMT`.
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import CheckpointError
from .network import UMT, build_model


@dataclass(frozen=True)
class Preprocessing:
    """Normalisation of a checkpoint, on 0-255 RGB: (x - mean) / std per channel."""

    name: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]


MMACTION2 = Preprocessing("mmaction2", (114.75, 114.75, 114.75), (57.375, 57.375, 57.375))
IMAGENET = Preprocessing(
    "imagenet",
    (0.485 * 255, 0.456 * 255, 0.406 * 255),
    (0.229 * 255, 0.224 * 255, 0.225 * 255),
)
PROFILES = {p.name: p for p in (MMACTION2, IMAGENET)}

FORMATS = {"mmaction2": MMACTION2, "opengvlab": IMAGENET}


@dataclass
class Checkpoint:
    model: UMT
    format: str  # "mmaction2" or "opengvlab"
    preprocessing: Preprocessing
    path: Path | None = None

    @property
    def num_classes(self) -> int:
        return self.model.config.num_classes


def adapt_state_dict(obj: object) -> tuple[dict[str, torch.Tensor], str]:
    """Canonical weights and format name of a loaded checkpoint object."""
    if not isinstance(obj, dict):
        raise CheckpointError(f"holds a {type(obj).__name__}, not a checkpoint dictionary")
    if "state_dict" in obj and isinstance(obj["state_dict"], dict):
        return _from_mmaction2(obj["state_dict"]), "mmaction2"
    for key in ("model", "module"):
        if key in obj and isinstance(obj[key], dict):
            return _from_opengvlab(obj[key]), "opengvlab"
    if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        keys = obj.keys()
        if any(k.startswith("backbone.") for k in keys):
            return _from_mmaction2(obj), "mmaction2"
        return _from_opengvlab(obj), "opengvlab"
    found = ", ".join(sorted(map(str, obj))[:5]) or "nothing"
    raise CheckpointError(
        f"has no 'state_dict', 'model' or 'module' entry (found: {found}); not a UMT checkpoint"
    )


def _from_mmaction2(state: dict) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        if key.startswith("backbone."):
            out[key[len("backbone."):]] = value
        elif key.startswith("cls_head.fc_cls."):
            out["head." + key[len("cls_head.fc_cls."):]] = value
        else:
            out[key] = value  # left for the strict load to report
    return out


def _from_opengvlab(state: dict) -> dict[str, torch.Tensor]:
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return dict(state)


def load_checkpoint(path: str | Path, map_location: str = "cpu") -> Checkpoint:
    """Load a UMT checkpoint file into a model (float32, eval mode, on CPU)."""
    path = Path(path)
    obj = _read(path, map_location)
    try:
        state, fmt = adapt_state_dict(obj)
    except CheckpointError as e:
        raise CheckpointError(f"{path.name} {e}") from None
    _check_finite(_stored_weights(obj), path.name)  # named as stored in the file
    try:
        model = build_model({k: v.float() for k, v in state.items()})
    except KeyError as e:
        raise CheckpointError(
            f"{path.name} is not a UMT checkpoint: weight {e.args[0]!r} is missing"
        ) from None
    except (ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path.name} does not fit the UMT architecture: {_first_line(e)}") from None
    except AttributeError:
        raise CheckpointError(f"{path.name} holds entries that are not tensors") from None
    return Checkpoint(model=model, format=fmt, preprocessing=FORMATS[fmt], path=path)


def _stored_weights(obj: dict) -> dict:
    """The dictionary of weights inside a checkpoint object, with the file's own key names."""
    for key in ("state_dict", "model", "module"):
        if isinstance(obj.get(key), dict):
            return obj[key]
    return obj


def _check_finite(state: dict, name: str) -> None:
    """Refuse weights holding NaN or infinity: every score they produce would be NaN."""
    for key, value in state.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            finite = torch.isfinite(value)
            if not bool(finite.all()):
                bad = int(value.numel() - int(finite.sum()))
                raise CheckpointError(
                    f"{name} is damaged: weight {key!r} holds {bad} NaN or infinite "
                    f"value{'s' if bad != 1 else ''} (of {value.numel()})"
                )


def _read(path: Path, map_location: str) -> object:
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if path.is_dir():
        raise CheckpointError(f"checkpoint {path} is a folder, not a file")
    with open(path, "rb") as f:
        magic = f.read(4)
    if not (magic.startswith(b"PK\x03\x04") or magic[:1] == b"\x80"):  # zip (torch.save) or legacy pickle
        what = "empty" if not magic else "not a zip or pickle file"
        raise CheckpointError(f"{path.name} is not a PyTorch checkpoint ({what})")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        text = str(e)
        if "weights_only" in text or "Unsupported global" in text:
            raise CheckpointError(
                f"{path.name} stores Python objects besides tensors and cannot be loaded safely "
                "(weights_only); re-save its state_dict with torch.save"
            ) from None
        raise CheckpointError(f"{path.name} is not a PyTorch checkpoint ({_first_line(e)})") from None
    except Exception as e:  # torch.load raises many types (KeyError, EOFError, RuntimeError...) on junk
        if _looks_truncated(path):
            raise CheckpointError(
                f"{path.name} is truncated or damaged ({path.stat().st_size} bytes); download it again"
            ) from None
        raise CheckpointError(f"{path.name} is not a PyTorch checkpoint ({_first_line(e)})") from None


def _looks_truncated(path: Path) -> bool:
    """A zip-based torch file whose central directory is gone is a cut-off download."""
    with open(path, "rb") as f:
        head = f.read(4)
    return head == b"PK\x03\x04" and not zipfile.is_zipfile(path)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
