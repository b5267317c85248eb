"""Kinetics class names, picked by the classifier's class count or read from a file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import LabelError
from ..resources import read_text

KINETICS = {400: "k400", 600: "k600", 700: "k700", 710: "k710"}


@dataclass(frozen=True)
class LabelSet:
    name: str
    names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, index: int) -> str:
        return self.names[index]

    def index(self, name: str) -> int:
        """Index of a class name; spaces and underscores are interchangeable, case ignored."""
        return self._lookup()[_key(name)]

    def find(self, name: str) -> int | None:
        return self._lookup().get(_key(name))

    def _lookup(self) -> dict[str, int]:
        return _lookup_table(self.names)


def _key(name: str) -> str:
    return name.strip().strip('"').replace("_", " ").lower()


@lru_cache(maxsize=16)
def _lookup_table(names: tuple[str, ...]) -> dict[str, int]:
    return {_key(n): i for i, n in enumerate(names)}


def parse_label_lines(text: str) -> tuple[str, ...]:
    """One class per line, in class order (the MMAction2 and OpenGVLab label maps)."""
    return tuple(ln.strip() for ln in text.splitlines() if ln.strip())


@lru_cache(maxsize=None)
def kinetics(classes: int) -> LabelSet:
    if classes not in KINETICS:
        known = ", ".join(str(k) for k in KINETICS)
        raise LabelError(
            f"the classifier has {classes} classes, which matches no Kinetics label set "
            f"({known}); pass a label file with one class name per line"
        )
    key = KINETICS[classes]
    names = parse_label_lines(read_text("labels", f"label_map_{key}.txt"))
    return LabelSet(f"Kinetics-{classes}", names)


def load_label_file(path: str | Path) -> LabelSet:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise LabelError(f"cannot read label file {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise LabelError(f"label file {path} is not UTF-8 text") from None
    names = parse_label_lines(text)
    if not names:
        raise LabelError(f"label file {path} is empty")
    return LabelSet(path.stem, names)


def labels_for(classes: int, label_file: str | Path | None = None) -> LabelSet:
    """The label set of a classifier: the given file when set, else Kinetics by class count."""
    if label_file is None:
        return kinetics(classes)
    labels = load_label_file(label_file)
    if len(labels) != classes:
        raise LabelError(
            f"label file {label_file} has {len(labels)} names but the classifier has {classes} classes"
        )
    return labels
