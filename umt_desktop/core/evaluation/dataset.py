"""Finding the videos of a local Kinetics copy and their ground-truth labels.

Three layouts are recognised, the ones people actually have on disk:

- class folders: ``ROOT/<class name>/<video>``, class names as in the label map,
  with spaces or underscores (``playing guitar`` or ``playing_guitar``);
- an MMAction2 list file (``--ann list.txt``): lines ``relative/path.mp4 LABEL_INDEX``,
  paths relative to ROOT;
- the official Kinetics CSV (``--ann val.csv``): header
  ``label,youtube_id,time_start,time_end,split[,...]`` (labels may be quoted), with the
  videos named ``<youtube_id>_<start:06d>_<end:06d>.<ext>`` anywhere under ROOT.

Every video gets a stable id (its path relative to ROOT, or the
``<youtube_id>_<start>_<end>`` key for the CSV layout) so a run can be split into
independent work items and results merged by id. A listed video that is absent on
disk is reported as missing, never fatal. A video listed more than once (also as
``./a.mp4`` or ``dir//a.mp4``) is evaluated once and reported as a duplicate; one
video listed with two different labels is an error naming both lines. Labels are kept
raw (a class name or an index) and resolved against a checkpoint's `LabelSet` when a
run needs targets.
"""

from __future__ import annotations

import csv
import math
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DatasetError
from ..model.labels import LabelSet
from ..video.readers import is_video_path

LAYOUTS = ("folders", "list", "csv")


@dataclass(frozen=True)
class VideoItem:
    """One video of the dataset: a stable id, its file, and the raw ground truth."""

    id: str
    path: Path
    label: str | None = None  # class name (folders, CSV)
    label_index: int | None = None  # class index (list file)

    def target(self, labels: LabelSet) -> int | None:
        """The class index of this video in `labels`, or None when the label is unknown there."""
        if self.label_index is not None:
            return self.label_index if 0 <= self.label_index < len(labels) else None
        return labels.find(self.label) if self.label is not None else None

    @property
    def class_key(self) -> str:
        """A key grouping videos of the same class (for per-class subsets)."""
        if self.label_index is not None:
            return str(self.label_index)
        return (self.label or "").replace("_", " ").strip().lower()


@dataclass
class DatasetSummary:
    """What was found, to show before a run."""

    root: str
    ann: str | None
    layout: str
    videos: int  # present on disk with a known label
    classes: int
    missing: list[str]
    unknown_labels: list[str]  # labels not in the label set (their videos are left out)
    label_set: str
    selected: int | None = None  # after --limit / --per-class
    duplicates: list[str] = field(default_factory=list)  # ids listed more than once (evaluated once)

    def to_json(self) -> dict:
        return {
            "root": self.root,
            "ann": self.ann,
            "layout": self.layout,
            "videos": self.videos,
            "classes": self.classes,
            "missing": list(self.missing),
            "unknown_labels": list(self.unknown_labels),
            "label_set": self.label_set,
            "selected": self.selected,
            "duplicates": list(self.duplicates),
        }

    def describe(self) -> str:
        layout = {"folders": "class folders", "list": "MMAction2 list file", "csv": "Kinetics CSV"}[self.layout]
        text = f"{self.videos} videos in {self.classes} classes ({layout}, {self.label_set} labels)"
        if self.selected is not None and self.selected != self.videos:
            text += f", {self.selected} selected"
        if self.missing:
            text += f", {len(self.missing)} missing"
        if self.duplicates:
            text += f", {len(self.duplicates)} listed more than once (evaluated once)"
        if self.unknown_labels:
            text += f", {len(self.unknown_labels)} unknown labels left out"
        return text


@dataclass
class KineticsFolder:
    """A Kinetics-style dataset on disk: its layout, present videos and missing ones."""

    root: Path
    ann: Path | None
    layout: str
    items: list[VideoItem]
    missing: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # ids listed more than once

    @classmethod
    def open(cls, root: str | Path, ann: str | Path | None = None) -> KineticsFolder:
        root = Path(root).expanduser()
        if not root.is_dir():
            raise DatasetError(f"{root} is not a folder")
        if ann is None:
            items = _scan_class_folders(root)
            return cls(root, None, "folders", items, [])
        ann = Path(ann).expanduser()
        if not ann.is_file():
            raise DatasetError(f"annotation file {ann} does not exist")
        try:
            text = ann.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            raise DatasetError(f"cannot read annotation file {ann}: {getattr(e, 'strerror', None) or e}") from None
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        if _is_kinetics_csv_header(first):
            items, missing, duplicates = _read_kinetics_csv(root, ann, text)
            return cls(root, ann, "csv", items, missing, duplicates)
        items, missing, duplicates = _read_list_file(root, ann, text)
        return cls(root, ann, "list", items, missing, duplicates)

    # -- labels --------------------------------------------------------------
    def labelled(self, labels: LabelSet) -> tuple[list[VideoItem], list[str]]:
        """(items whose label exists in `labels`, sorted unknown label names)."""
        known, unknown = [], set()
        for item in self.items:
            if item.target(labels) is None:
                unknown.add(item.label if item.label is not None else str(item.label_index))
            else:
                known.append(item)
        return known, sorted(unknown)

    def summary(self, labels: LabelSet, selected: list[VideoItem] | None = None) -> DatasetSummary:
        known, unknown = self.labelled(labels)
        return DatasetSummary(
            root=str(self.root),
            ann=str(self.ann) if self.ann else None,
            layout=self.layout,
            videos=len(known),
            classes=len({item.target(labels) for item in known}),
            missing=list(self.missing),
            unknown_labels=unknown,
            label_set=labels.name,
            selected=len(selected) if selected is not None else None,
            duplicates=list(self.duplicates),
        )

    def select(
        self, labels: LabelSet, limit: int | None = None, per_class: int | None = None, seed: int = 0
    ) -> list[VideoItem]:
        """The videos to evaluate, sorted by id: all with a known label, or a seeded subset."""
        known, _ = self.labelled(labels)
        return select_subset(known, limit=limit, per_class=per_class, seed=seed)


def select_subset(
    items: list[VideoItem], limit: int | None = None, per_class: int | None = None, seed: int = 0
) -> list[VideoItem]:
    """A reproducible subset: `limit` videos drawn at random, or `per_class` videos of each class."""
    if limit is not None and per_class is not None:
        raise DatasetError("choose either a video limit or a per-class count, not both")
    items = sorted(items, key=lambda it: it.id)
    rng = random.Random(seed)
    if limit is not None:
        if limit < 1:
            raise DatasetError("the video limit must be at least 1")
        if limit < len(items):
            items = rng.sample(items, limit)
    elif per_class is not None:
        if per_class < 1:
            raise DatasetError("the per-class count must be at least 1")
        by_class: dict[str, list[VideoItem]] = defaultdict(list)
        for item in items:
            by_class[item.class_key].append(item)
        items = []
        for key in sorted(by_class):
            group = by_class[key]
            items += rng.sample(group, per_class) if per_class < len(group) else group
    return sorted(items, key=lambda it: it.id)


# -- layouts -------------------------------------------------------------------
def _scan_class_folders(root: Path) -> list[VideoItem]:
    items = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if not entry.is_dir() or entry.name.startswith("."):
            continue
        label = entry.name
        for dirpath, dirnames, filenames in os.walk(entry.path):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or not is_video_path(name):
                    continue
                path = Path(dirpath) / name
                items.append(VideoItem(path.relative_to(root).as_posix(), path, label=label))
    if not items:
        raise DatasetError(
            f"no class folders with videos in {root}; pass --ann with an MMAction2 list file "
            "or the Kinetics CSV for other layouts"
        )
    return items


def _read_list_file(root: Path, ann: Path, text: str) -> tuple[list[VideoItem], list[str], list[str]]:
    items, missing = [], []
    seen = _Listed(ann)
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.rsplit(None, 1)
        if len(parts) != 2 or not _is_int(parts[1]):
            raise DatasetError(
                f"{ann.name} line {number} is not `relative/path.mp4 LABEL_INDEX`: {line[:80]!r}"
            )
        rel, index = os.path.normpath(parts[0].strip()), int(parts[1])  # ./a.mp4, a//a.mp4 -> one video
        vid = Path(rel).as_posix()
        if not seen.first(vid, index, number):
            continue
        path = Path(rel) if Path(rel).is_absolute() else root / rel
        if path.is_file():
            items.append(VideoItem(vid, path, label_index=index))
        else:
            missing.append(vid)
    if not items and not missing:
        raise DatasetError(f"annotation file {ann} lists no videos")
    return items, missing, seen.duplicates


class _Listed:
    """The videos of an annotation file seen so far: duplicates kept once, conflicting labels refused."""

    def __init__(self, ann: Path) -> None:
        self.ann = ann
        self.lines: dict[str, tuple[int, object]] = {}  # id -> (first line, label)
        self.duplicates: list[str] = []

    def first(self, vid: str, label, number: int) -> bool:
        """True the first time `vid` is listed; False for a repeat with the same label."""
        if vid not in self.lines:
            self.lines[vid] = (number, label)
            return True
        line, before = self.lines[vid]
        if before != label:
            raise DatasetError(
                f"{self.ann.name} lines {line} and {number} give {vid} two labels ({before} and {label}); "
                "keep one of them"
            )
        if vid not in self.duplicates:
            self.duplicates.append(vid)
        return False


def _is_kinetics_csv_header(line: str) -> bool:
    fields = [f.strip().strip('"').lower() for f in line.split(",")]
    return len(fields) >= 4 and fields[:4] == ["label", "youtube_id", "time_start", "time_end"]


def _read_kinetics_csv(root: Path, ann: Path, text: str) -> tuple[list[VideoItem], list[str], list[str]]:
    on_disk: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if is_video_path(name) and not name.startswith("."):
                on_disk.setdefault(Path(name).stem, Path(dirpath) / name)
    items, missing = [], []
    seen = _Listed(ann)
    reader = csv.reader(text.splitlines())
    next(reader, None)  # header
    for number, row in enumerate(reader, 2):
        if not row or not any(f.strip() for f in row):
            continue
        if len(row) < 4:
            raise DatasetError(f"{ann.name} line {number} has {len(row)} fields, expected label,youtube_id,time_start,time_end")
        label, youtube_id = row[0].strip(), row[1].strip()
        try:
            times = float(row[2]), float(row[3])
        except ValueError:
            raise DatasetError(f"{ann.name} line {number}: time_start/time_end are not numbers") from None
        if not all(math.isfinite(t) for t in times):
            raise DatasetError(f"{ann.name} line {number}: time_start/time_end are not finite numbers")
        start, end = int(times[0]), int(times[1])
        key = f"{youtube_id}_{start:06d}_{end:06d}"
        if not seen.first(key, label.replace("_", " ").lower(), number):
            continue
        path = on_disk.get(key) or on_disk.get(youtube_id)
        if path is None:
            missing.append(key)
        else:
            items.append(VideoItem(key, path, label=label))
    if not items and not missing:
        raise DatasetError(f"annotation file {ann} lists no videos")
    return items, missing, seen.duplicates


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
