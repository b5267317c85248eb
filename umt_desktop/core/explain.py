"""Why this label: where in a view's 8 frames the model looked.

The method is gradient x activation on the patch tokens ("Grad-CAM on tokens"): the
class logit's gradient with respect to the token activations at the input of the last
transformer block, multiplied by those activations and summed over channels, keeps
the positive part of each of the 8 x 14 x 14 patch tokens' contribution. UMT has no
class token and pools by a mean over all tokens, so the tokens map one to one onto
16 x 16 patches of the 8 frames. It was picked over channel-averaged Grad-CAM and over
the last block's output by a deletion test (docs/explain.md): masking the most salient
patches lowers the class probability more than masking as many random patches.

Gradients are taken in float32 whatever the runtime's precision, one view at a time
(memory stays that of one backward pass of one view).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .errors import NumericError, UMTError
from .model.network import PATCH, UMT

METHODS = ("grad-act", "gradcam", "grad-act-last")
DEFAULT_METHOD = "grad-act"
GRID = 224 // PATCH  # 14 patches a side


@dataclass
class Saliency:
    """Token saliency of views for one class: (V, 8, 14, 14) in [0, 1], each view normalised on its own."""

    maps: np.ndarray
    class_index: int
    probs: np.ndarray  # (V,) the class's probability in each view

    def upsampled(self, size: int = 224) -> np.ndarray:
        """(V, 8, size, size) float32 maps, bilinear (smooth) over the 14 x 14 grid."""
        t = torch.from_numpy(self.maps).float()
        v, f = t.shape[:2]
        up = F.interpolate(t.reshape(v * f, 1, GRID, GRID), size=(size, size), mode="bilinear", align_corners=False)
        return up.reshape(v, f, size, size).clamp_(0, 1).numpy()


def _float32_model(model: UMT) -> UMT:
    """The model itself when it is float32; a float32 copy otherwise (gradients need the range).

    The model is only read, never changed (no hooks, no .grad): a live loop may share it.
    """
    if all(p.dtype == torch.float32 for p in model.parameters()):
        return model
    cached = getattr(model, "_explain_float32", None)
    if cached is None:
        cached = copy.deepcopy(model).float()
        object.__setattr__(model, "_explain_float32", cached)
    return cached


def token_saliency(model: UMT, x: torch.Tensor, class_index: int | None = None, method: str = DEFAULT_METHOD) -> Saliency:
    """Saliency of normalised views ``x`` (V, 3, 8, 224, 224) for ``class_index`` (default: each batch's top-1 of the mean).

    Returns maps over the 8 x 14 x 14 patch tokens of every view.
    """
    if method not in METHODS:
        raise UMTError(f"unknown saliency method {method!r} (choose from {', '.join(METHODS)})")
    net = _float32_model(model)
    device = next(net.parameters()).device
    x = x.to(device=device, dtype=torch.float32)
    if class_index is None:
        with torch.inference_mode():
            class_index = int(net(x[:12]).float().softmax(-1).mean(0).argmax())
    maps, probs = [], []
    last = method == "grad-act-last"
    for view in x.split(1):
        # The model's own forward, written out so the tokens can be kept without hooks: no state on the
        # (possibly shared) module changes, and no parameter gradient is computed or stored.
        with torch.no_grad(), torch.autocast(device.type, enabled=False):
            tokens = net.patch_embed(view) + net.pos_embed.to(view.dtype)
            for block in net.blocks if last else net.blocks[:-1]:
                tokens = block(tokens)
        with torch.enable_grad(), torch.autocast(device.type, enabled=False):
            tokens = tokens.clone().requires_grad_(True)
            out = tokens if last else net.blocks[-1](tokens)
            logits = net.head(net.fc_norm(out.mean(dim=1)))
            (g,) = torch.autograd.grad(logits[0, class_index], tokens)
        if not (torch.isfinite(g).all() and torch.isfinite(logits).all() and torch.isfinite(tokens).all()):
            raise NumericError("the model gave NaN or infinite gradients, so there is no saliency map "
                               "(the checkpoint's weights or this input overflow)")
        a, g = tokens.detach()[0], g[0]  # (N, D)
        if method == "gradcam":
            score = (a * g.mean(dim=0, keepdim=True)).sum(-1)
        else:
            score = (a * g).sum(-1)
        maps.append(_normalised(score.clamp(min=0).reshape(-1, GRID, GRID).cpu().numpy()))
        probs.append(float(logits.detach().float().softmax(-1)[0, class_index]))
    return Saliency(np.stack(maps).astype(np.float32), int(class_index), np.asarray(probs, np.float32))


def mask_patches(x: torch.Tensor, order: torch.Tensor, fraction: float) -> torch.Tensor:
    """Views with the first ``fraction`` of patches in ``order`` (V, 1568 token indices) set to zero (the mean colour)."""
    v, c, t, h, w = x.shape
    k = int(round(fraction * t * GRID * GRID))
    keep = torch.ones(v, t * GRID * GRID, device=x.device, dtype=x.dtype)
    if k:
        keep.scatter_(1, order[:, :k].to(x.device), 0.0)
    keep = keep.reshape(v, 1, t, GRID, 1, GRID, 1)
    patches = x.reshape(v, c, t, GRID, PATCH, GRID, PATCH)
    return (patches * keep).reshape(v, c, t, h, w)


@dataclass
class DeletionResult:
    fractions: tuple[float, ...]
    salient_drop: list[float]  # mean drop of the class probability, most salient patches masked
    random_drop: list[float]  # same, random patches masked (mean over seeds)

    def to_json(self) -> dict:
        return {"fractions": list(self.fractions), "salient_drop": self.salient_drop, "random_drop": self.random_drop}


def deletion_test(
    model: UMT, x: torch.Tensor, method: str = DEFAULT_METHOD, fractions=(0.1, 0.2, 0.3), seeds: int = 3,
) -> DeletionResult:
    """Faithfulness: the class probability's drop when the top-k % most salient patches are masked vs random ones."""
    sal = token_saliency(model, x, method=method)
    net = _float32_model(model)
    x = x.to(next(net.parameters()).device, torch.float32)
    c = sal.class_index
    order = torch.from_numpy(sal.maps.reshape(len(x), -1)).argsort(dim=1, descending=True)
    with torch.inference_mode():
        base = net(x).float().softmax(-1)[:, c]
        salient, rand = [], []
        for f in fractions:
            p = net(mask_patches(x, order, f)).float().softmax(-1)[:, c]
            salient.append(float((base - p).mean()))
            drops = []
            for s in range(seeds):
                g = torch.Generator().manual_seed(1000 + s)
                shuffled = torch.stack([torch.randperm(order.shape[1], generator=g) for _ in range(len(x))])
                q = net(mask_patches(x, shuffled, f)).float().softmax(-1)[:, c]
                drops.append(float((base - q).mean()))
            rand.append(float(np.mean(drops)))
    return DeletionResult(tuple(fractions), salient, rand)


# -- one sliding window (the window's filmstrip) ------------------------------------

def window_saliency(classifier, frames: np.ndarray, class_index: int,
                    size: tuple[int, int] | None = None) -> tuple[np.ndarray, float]:
    """Where the model looked in one sliding window: ((8, h, w) float32 maps in [0, 1], the class probability).

    ``frames`` are the window's 8 RGB uint8 frames as the streaming engine keeps them (224 x 224,
    already resized and centre-cropped; any other size is resized and cropped the way
    ``Classifier.classify_frames`` does), so the map is that of exactly the view the window was
    classified from. ``size`` = (w, h) of a picture of the whole frame (a thumbnail): the maps are
    placed on its centre square, the part the model saw, and are 0 outside it; None gives 224 x 224.
    """
    from .video.protocols import PROTOCOLS

    views = PROTOCOLS["1x1"].views_from_frames(np.asarray(frames))
    sal = token_saliency(classifier.model, classifier.to_input(views), int(class_index))
    maps = sal.upsampled()[0]
    if size is not None:
        maps = fit_to_frame(maps, size)
    return maps, float(sal.probs[0])


def fit_to_frame(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(F, 224, 224) maps of the centre crop placed on (F, h, w) pictures of whole frames (0 outside the crop).

    The model sees the centre square of the frame (short side resized to 224, centre crop), so on a
    picture of any size the crop is its centre square of side min(w, h).
    """
    import cv2

    w, h = int(size[0]), int(size[1])
    x0, y0, side = crop_square(size)
    out = np.zeros((len(maps), h, w), np.float32)
    for i, m in enumerate(maps):
        shrink = cv2.INTER_AREA if side < m.shape[0] else cv2.INTER_LINEAR
        out[i, y0:y0 + side, x0:x0 + side] = cv2.resize(m, (side, side), interpolation=shrink)
    return np.clip(out, 0, 1)


def crop_square(size: tuple[int, int]) -> tuple[int, int, int]:
    """(x, y, side) of the part of a (w, h) picture of a whole frame that the model sees (its centre square)."""
    w, h = int(size[0]), int(size[1])
    side = min(w, h)
    return (w - side) // 2, (h - side) // 2, side


def thumbnail_overlay(thumb: np.ndarray, heat: np.ndarray, outside: float = 0.45) -> np.ndarray:
    """A small picture of a whole frame with its map (`fit_to_frame`) blended over the centre square the
    model saw, tinted throughout so that a cold square still reads as mapped, and the rest darkened."""
    x0, y0, side = crop_square((thumb.shape[1], thumb.shape[0]))
    out = (thumb * outside).astype(np.uint8)
    square = (slice(y0, y0 + side), slice(x0, x0 + side))
    out[square] = overlay(thumb[square], heat[square], alpha=0.6, floor=0.2)
    return out


# -- pictures ------------------------------------------------------------------

def overlay(frame: np.ndarray, heat: np.ndarray, alpha: float = 0.45, floor: float = 0.0) -> np.ndarray:
    """An RGB uint8 frame with a heat map in [0, 1] of the same size blended over it (turbo colours).

    The map's weight grows from `floor` (cold) to `alpha` (hottest)."""
    import cv2

    colours = cv2.applyColorMap((np.clip(heat, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_TURBO)[..., ::-1]
    weight = (floor + (alpha - floor) * np.clip(heat, 0, 1) ** 0.5)[..., None]  # cold regions stay close to the frame
    return (frame * (1 - weight) + colours * weight).astype(np.uint8)


def write_strip(path: str | Path, frames: np.ndarray, heats: np.ndarray, title: str) -> Path:
    """A PNG: the 8 frames side by side with their heat maps, the title (class, probability) above."""
    import cv2

    path = Path(path)
    tiles = [overlay(f, h) for f, h in zip(frames, heats)]
    strip = np.concatenate(tiles, axis=1)
    band = np.full((28, strip.shape[1], 3), 24, np.uint8)
    cv2.putText(band, title, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (240, 240, 240), 1, cv2.LINE_AA)
    image = np.concatenate([band, strip], axis=0)
    if not cv2.imwrite(str(path), image[..., ::-1]):
        raise UMTError(f"cannot write {path}")
    return path


def clip_maps(sal_views: np.ndarray, offsets: list[tuple[int, int]], clips: int, size: tuple[int, int]) -> np.ndarray:
    """Per clip, the views' upsampled maps placed back at their crops on the resized frame (mean where crops overlap).

    ``sal_views`` (crops*clips, 8, 224, 224) in the protocol's view order (crop-major); ``size`` = (w, h) of the
    resized frames. Returns (clips, 8, h, w), each clip normalised on its own.
    """
    w, h = size
    total = np.zeros((clips, sal_views.shape[1], h, w), np.float32)
    count = np.zeros((h, w), np.float32)
    crop = sal_views.shape[-1]
    for k, (x0, y0) in enumerate(offsets):
        total[:, :, y0:y0 + crop, x0:x0 + crop] += sal_views[k * clips:(k + 1) * clips]
        count[y0:y0 + crop, x0:x0 + crop] += 1
    out = total / np.maximum(count, 1)
    return np.stack([_normalised(m) for m in out])


def _normalised(scores: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1] per window by their 99th percentile, so one extreme patch does not blank the rest."""
    positive = scores[scores > 0]
    if positive.size == 0:
        return np.zeros_like(scores, dtype=np.float32)
    scale = float(np.percentile(positive, 99))
    return np.clip(scores / scale, 0, 1).astype(np.float32)


def resolve_class(labels, label: str | int | None) -> int | None:
    """A class given by name (spaces/underscores and case ignored) or index; None stays None."""
    if label is None:
        return None
    text = str(label).strip()
    if text.isdigit() and int(text) < len(labels):
        return int(text)
    index = labels.find(text)
    if index is None:
        raise UMTError(f"no class {text!r} in {labels.name} (give a class name or an index below {len(labels)})")
    return index


def explain_video(clf, path: str | Path, outdir: str | Path, views: str = "4x3",
                  class_label: str | int | None = None, method: str = DEFAULT_METHOD) -> list[Path]:
    """One PNG per clip of the protocol: the clip's 8 frames (short side 224) with where the model looked.

    The class is ``class_label`` or the video's top-1; the three crops of a clip are placed back on the
    resized frame (averaged where they overlap), so the strip covers what the protocol saw.
    """
    from .video.protocols import get_protocol
    from .video.readers import open_video
    from .video.transforms import center_crop_offset, crop_views, resize_short_side, three_crop_offsets

    protocol = get_protocol(views)
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UMTError(f"cannot create {outdir}: {e.strerror or e}") from None
    with open_video(path, clf.reader) as video:
        frames = video.get_frames(protocol.indices(video.num_frames))
    resized = resize_short_side(frames)
    h, w = resized.shape[1:3]
    offsets = three_crop_offsets(w, h) if protocol.crops == 3 else [center_crop_offset(w, h)]
    views_u8 = crop_views(resized, offsets)
    class_index = resolve_class(clf.labels, class_label)
    if class_index is None:
        class_index = int(clf.predict_views(views_u8).mean(axis=0).argmax())
    sal = token_saliency(clf.model, clf.to_input(views_u8), class_index, method=method)
    maps = clip_maps(sal.upsampled(), offsets, protocol.clips, (w, h))
    name = clf.labels[class_index]
    written = []
    for clip in range(protocol.clips):
        prob = float(sal.probs[clip::protocol.clips].mean())
        title = f"{name} [{class_index}]  {prob:.1%}  clip {clip + 1}/{protocol.clips}  ({method})"
        target = outdir / f"{Path(path).stem}_clip{clip + 1}.png"
        written.append(write_strip(target, resized[clip * 8:(clip + 1) * 8], maps[clip], title))
    return written
