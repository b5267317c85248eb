"""The model zoo (known checkpoints, as data) and the local store of installed models.

Every published UMT checkpoint is one `ZooEntry` read from the packaged
`zoo.json`; the GUI's model manager, `models list` and the evaluation's
"published" column all read the same records. Installed files live in
`<data dir>/models/` with an `index.json` that records their sha256.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from .checkpoint import FORMATS, Preprocessing, load_checkpoint
from .download import Progress, download, sha256_file
from ..errors import CheckpointError, DownloadError, ModelNotFoundError
from ..paths import models_dir
from ..resources import read_text

MIRROR_ENV = "UMT_DESKTOP_MIRROR"


@dataclass(frozen=True)
class ZooEntry:
    name: str
    title: str
    url: str
    filename: str
    format: str
    arch: str
    embed_dim: int
    depth: int
    num_classes: int
    labels: str
    preprocessing: str
    published_top1: float
    protocol: str
    source: str
    license: str

    @property
    def profile(self) -> Preprocessing:
        return FORMATS[self.format]

    def download_url(self) -> str:
        """The entry's URL, or the same file on the mirror named by UMT_DESKTOP_MIRROR."""
        mirror = os.environ.get(MIRROR_ENV)
        return f"{mirror.rstrip('/')}/{self.filename}" if mirror else self.url


@lru_cache(maxsize=1)
def zoo() -> dict[str, ZooEntry]:
    doc = json.loads(read_text("zoo.json"))
    return {m["name"]: ZooEntry(**m) for m in doc["models"]}


def zoo_entry(name: str) -> ZooEntry:
    try:
        return zoo()[name]
    except KeyError:
        raise ModelNotFoundError(f"{name!r} is not a known model; see `umt-desktop models list`") from None


def published_top1(name: str) -> float | None:
    entry = zoo().get(name)
    return entry.published_top1 if entry else None


@dataclass
class InstalledModel:
    name: str
    file: str
    sha256: str
    size: int
    origin: str  # "zoo" or "import"
    num_classes: int
    arch: str
    format: str
    added: float

    def path(self, root: Path) -> Path:
        return root / self.file


class ModelStore:
    """Installed checkpoints in one folder, with an index that survives crashes (atomic writes)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else models_dir()

    # -- index ---------------------------------------------------------------
    @property
    def _index_path(self) -> Path:
        return self.root / "index.json"

    def _read(self) -> dict:
        try:
            doc = json.loads(self._index_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            doc = {}
        except (OSError, ValueError):
            doc = {}  # an unreadable index is rebuilt from the files next to it
        doc.setdefault("models", {})
        doc.setdefault("hashes", {})
        return doc

    def _write(self, doc: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".index.", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
        os.replace(tmp, self._index_path)

    # -- queries -------------------------------------------------------------
    def installed(self) -> dict[str, InstalledModel]:
        out = {}
        for name, rec in self._read()["models"].items():
            model = InstalledModel(**rec)
            if model.path(self.root).exists():
                out[name] = model
        return out

    def get(self, name: str) -> InstalledModel | None:
        return self.installed().get(name)

    def path_of(self, name: str) -> Path:
        """The local file of an installed model, or a clear error saying how to get it."""
        model = self.get(name)
        if model is not None:
            return model.path(self.root)
        if name in zoo():
            raise ModelNotFoundError(
                f"model {name} is not downloaded yet; run `umt-desktop models download {name}` "
                "or import the file with `umt-desktop models import FILE --name " + name + "`"
            )
        raise ModelNotFoundError(
            f"{name!r} is neither a checkpoint file nor a known model; see `umt-desktop models list`"
        )

    # -- changes -------------------------------------------------------------
    def download(
        self, name: str, progress: Progress | None = None, cancelled=None
    ) -> InstalledModel:
        entry = zoo_entry(name)
        doc = self._read()
        url = entry.download_url()
        dest = self.root / entry.filename
        known = doc["hashes"].get(entry.name)
        digest = download(url, dest, expected_sha256=known, progress=progress, cancelled=cancelled)
        try:
            ckpt = load_checkpoint(dest)
        except CheckpointError as e:
            dest.unlink(missing_ok=True)
            raise DownloadError(f"the downloaded file is not usable: {e}") from None
        if ckpt.num_classes != entry.num_classes:
            dest.unlink(missing_ok=True)
            raise DownloadError(
                f"{url} holds a {ckpt.num_classes}-class model, the zoo expects {entry.num_classes}"
            )
        return self._record(doc, entry.name, dest, digest, "zoo", ckpt)

    def import_file(self, source: str | Path, name: str | None = None) -> InstalledModel:
        """Copy a local checkpoint into the store after checking that it loads."""
        source = Path(source)
        ckpt = load_checkpoint(source)  # raises CheckpointError with the reason
        name = name or source.stem
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise CheckpointError(f"{name!r} is not a usable model name")
        dest = self.root / f"{name}.pth"
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, dest)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise CheckpointError(f"cannot copy {source} into {self.root}: {e.strerror or e}") from None
        doc = self._read()
        return self._record(doc, name, dest, sha256_file(dest), "import", ckpt)

    def _record(self, doc, name, path: Path, digest, origin, ckpt) -> InstalledModel:
        model = InstalledModel(
            name=name,
            file=path.name,
            sha256=digest,
            size=path.stat().st_size,
            origin=origin,
            num_classes=ckpt.num_classes,
            arch=ckpt.model.config.name,
            format=ckpt.format,
            added=time.time(),
        )
        doc["models"][name] = asdict(model)
        doc["hashes"].setdefault(name, digest)
        self._write(doc)
        return model

    def verify(self, name: str) -> None:
        """Recompute an installed file's sha256 and compare it with the one recorded on download."""
        model = self.get(name)
        if model is None:
            raise ModelNotFoundError(f"model {name!r} is not installed")
        digest = sha256_file(model.path(self.root))
        if digest != model.sha256:
            raise CheckpointError(
                f"{model.file} has changed since it was installed (sha256 {digest[:12]}... instead of "
                f"{model.sha256[:12]}...); remove it and download or import it again"
            )

    def remove(self, name: str) -> Path:
        doc = self._read()
        rec = doc["models"].pop(name, None)
        if rec is None:
            raise ModelNotFoundError(f"model {name!r} is not installed")
        path = self.root / rec["file"]
        path.unlink(missing_ok=True)
        self._write(doc)  # the recorded hash stays, so a new download is checked against it
        return path
