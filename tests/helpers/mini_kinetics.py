"""Synthetic mini-Kinetics datasets whose expected accuracies are known in advance.

Each generated video is first classified with the tiny fixture checkpoint and the
same protocol; video i is then labelled with its predicted class (i % 3 == 0: a
top-1 hit), its second-ranked class (i % 3 == 1: a top-5 hit only) or its
tenth-ranked class (i % 3 == 2: a miss). The expected top-1, top-5 and mean class
accuracy follow from the labels alone.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np
from tests.helpers.videos import write_video

FIXTURES = Path(__file__).parent.parent / "fixtures"
TINY = FIXTURES / "tiny_umt.pth"
N_VIDEOS = 7  # uneven on purpose: splits across 2 processes as 4 + 3


@lru_cache(maxsize=None)
def source_videos(n: int = N_VIDEOS) -> tuple[Path, ...]:
    folder = Path(tempfile.mkdtemp(prefix="mini-kinetics-src-"))
    return tuple(write_video(folder / f"clip{i}.mp4", seed=100 + i) for i in range(n))


@lru_cache(maxsize=None)
def _classifier():
    from umt_desktop import load_classifier

    return load_classifier(TINY, device="cpu")


@lru_cache(maxsize=None)
def probabilities(views: str = "1x1", n: int = N_VIDEOS, checkpoint: str | None = None) -> tuple[np.ndarray, ...]:
    """`Classifier.classify` probabilities of each source video (the reference for the evaluation)."""
    if checkpoint is None:
        clf = _classifier()
    else:
        from umt_desktop import load_classifier

        clf = load_classifier(checkpoint, device="cpu")
    return tuple(clf.classify(v, views=views).probs for v in source_videos(n))


def truth(probs: tuple[np.ndarray, ...]) -> list[int]:
    """The ground-truth class index of each video (see module docstring)."""
    out = []
    for i, p in enumerate(probs):
        order = np.argsort(-p, kind="stable")
        out.append(int(order[(0, 1, 9)[i % 3]]))
    return out


def expected_metrics(probs, targets, skip: set[int] = frozenset()) -> dict:
    """top1/top5/mean class accuracy (0-100) of `probs` against `targets`, videos in `skip` left out."""
    hits1, hits5, per_class = 0, 0, defaultdict(list)
    n = 0
    for i, (p, t) in enumerate(zip(probs, targets)):
        if i in skip:
            continue
        n += 1
        order = np.argsort(-p, kind="stable")
        hits1 += int(order[0] == t)
        hits5 += int(t in order[:5])
        per_class[t].append(int(order[0] == t))
    return {
        "top1": 100 * hits1 / n,
        "top5": 100 * hits5 / n,
        "mean_class_accuracy": 100 * float(np.mean([np.mean(v) for v in per_class.values()])),
        "videos": n,
    }


def names(indices: list[int]) -> list[str]:
    from umt_desktop.core.model.labels import kinetics

    labels = kinetics(400)
    return [labels[i] for i in indices]


def make_folders(root: Path, targets: list[int], corrupt: bool = True) -> Path:
    """ROOT/<class>/<video>; every other class folder spelled with underscores."""
    for i, (src, label) in enumerate(zip(source_videos(len(targets)), names(targets))):
        folder = root / (label.replace(" ", "_") if i % 2 else label)
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, folder / f"video_{i:02d}.mp4")
    if corrupt:
        folder = root / names(targets[:1])[0]
        (folder / "zz_corrupt.mp4").write_bytes(b"\x00\x01 not a video " * 64)
    return root


def make_corrupt_folders(root: Path, n: int = 3) -> Path:
    """ROOT/<class>/<video>: `n` videos under Kinetics class folders, none of them decodable."""
    for i, label in enumerate(names(list(range(n)))):
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"broken_{i:02d}.mp4").write_bytes(b"\x00\x01 not a video " * (64 + i))
    return root


def make_list(root: Path, targets: list[int], missing: bool = True, corrupt: bool = True) -> Path:
    """ROOT/videos/*.mp4 and an MMAction2 list file `videos/x.mp4 INDEX`; returns the list file."""
    (root / "videos").mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (src, t) in enumerate(zip(source_videos(len(targets)), targets)):
        shutil.copyfile(src, root / "videos" / f"v{i:02d}.mp4")
        lines.append(f"videos/v{i:02d}.mp4 {t}")
    if missing:
        lines.append(f"videos/gone.mp4 {targets[0]}")
    if corrupt:
        (root / "videos" / "zz_corrupt.mp4").write_bytes(b"garbage" * 100)
        lines.append(f"videos/zz_corrupt.mp4 {targets[0]}")
    ann = root / "val_list.txt"
    ann.write_text("\n".join(lines) + "\n")
    return ann


def make_csv(root: Path, targets: list[int], missing: bool = True) -> Path:
    """The official Kinetics CSV (quoted labels) with videos spread over nested folders."""
    rows = [["label", "youtube_id", "time_start", "time_end", "split", "is_cc"]]
    for i, (src, label) in enumerate(zip(source_videos(len(targets)), names(targets))):
        yid, start = f"yt{i:02d}-AbC_{i}", 10 * i
        folder = root / ("part1" if i % 2 else "part2/deeper")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, folder / f"{yid}_{start:06d}_{start + 10:06d}.mp4")
        rows.append([label, yid, str(start), str(start + 10), "val", "0"])
    if missing:
        rows.append([names(targets[:1])[0], "absent-video", "5", "15", "val", "0"])
    ann = root / "validate.csv"
    # Labels quoted the way the official files quote them.
    lines = [",".join(rows[0])] + [",".join([f'"{r[0]}"', *r[1:]]) for r in rows[1:]]
    ann.write_text("\n".join(lines) + "\n")
    return ann


def to_opengvlab(mm_state: dict) -> dict:
    """MMAction2 weights renamed to OpenGVLab's layout: `head.*`, no `backbone.` prefix."""
    out = {}
    for k, v in mm_state.items():
        if k.startswith("backbone."):
            out[k[len("backbone."):]] = v
        elif k.startswith("cls_head.fc_cls."):
            out["head." + k[len("cls_head.fc_cls."):]] = v
        else:
            out[k] = v
    return out


def opengvlab_copy(dest: Path) -> Path:
    """The tiny checkpoint converted to OpenGVLab's layout: {"model": ...}, `head.*`, no `backbone.`."""
    import torch

    obj = torch.load(TINY, map_location="cpu", weights_only=True)
    torch.save({"model": to_opengvlab(obj.get("state_dict", obj))}, dest)
    return dest
