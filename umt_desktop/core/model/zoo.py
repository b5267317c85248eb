"""The model zoo (known checkpoints, as data) and the local store of installed models.

Every published UMT checkpoint is one `ZooEntry` read from the packaged
`zoo.json`; the GUI's model manager, `models list` and the evaluation's
"published" column all read the same records. Installed files live in
`<data dir>/models/` with an `index.json` that records their sha256.

A file only goes in under a zoo name if it is that model: its architecture
(width, depth, classes, checkpoint format), read off the weights, must match
the record, and its sha256 the published one where the record has it. Where
none is published, the sha256 of the first zoo download is kept and later
downloads are checked against it; an imported file never sets it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path

from .checkpoint import FORMATS, Checkpoint, Preprocessing, load_checkpoint
from .download import Progress, discard_partial, download, os_reason, partial_path, partial_state, sha256_file
from ..errors import CheckpointError, DownloadError, ModelExistsError, ModelNotFoundError, StorageError
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
    sha256: str | None = None  # published checksum of the file, where one is known

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


FORMAT_NAMES = {"mmaction2": "MMAction2", "opengvlab": "OpenGVLab"}


def architecture_mismatch(entry: ZooEntry, ckpt: Checkpoint) -> str | None:
    """How a loaded checkpoint differs from a zoo record (None when it fits), in one phrase."""
    config = ckpt.model.config
    found, wanted = [], []
    if (config.embed_dim, config.depth) != (entry.embed_dim, entry.depth):
        found.append(f"{config.name} ({config.embed_dim} wide, {config.depth} blocks)")
        wanted.append(f"{entry.arch} ({entry.embed_dim} wide, {entry.depth} blocks)")
    return _mismatch(entry, found, wanted, config.num_classes, ckpt.format)


def record_mismatch(entry: ZooEntry, model: InstalledModel) -> str | None:
    """How an installed model's record differs from the zoo record of its name (files that an
    earlier version let in under a zoo name), in one phrase; None when it fits."""
    found, wanted = [], []
    if model.arch != entry.arch:
        found.append(model.arch)
        wanted.append(entry.arch)
    return _mismatch(entry, found, wanted, model.num_classes, model.format)


def _mismatch(entry: ZooEntry, found: list[str], wanted: list[str], num_classes: int, fmt: str) -> str | None:
    """The phrase of both checks: the architecture differences already in `found`/`wanted`,
    then the number of classes and the format; None when nothing differs."""
    if num_classes != entry.num_classes:
        found.append(f"{num_classes} classes")
        wanted.append(f"{entry.num_classes} classes")
    if fmt != entry.format:
        found.append(f"{FORMAT_NAMES.get(fmt, fmt)} format")
        wanted.append(f"{FORMAT_NAMES.get(entry.format, entry.format)} format")
    if not found:
        return None
    return f"holds {', '.join(found)}, but {entry.name} is {', '.join(wanted)}"


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
    verified: float | None = None  # when the file last matched its sha256 (the install counts)

    def path(self, root: Path) -> Path:
        return root / self.file

    @classmethod
    def from_record(cls, rec: dict) -> InstalledModel:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in rec.items() if k in known})


MAX_NAME_BYTES = 250  # a model's file is NAME.pth; most file systems allow 255 bytes per name


class ModelStore:
    """Installed checkpoints in one folder, with an index that survives crashes (atomic writes).

    Every change either completes or leaves the folder as it was, and a folder
    that cannot be written is one `StorageError`, never an OSError.
    """

    def __init__(self, root: str | Path | None = None, catalog: Mapping[str, ZooEntry] | None = None) -> None:
        self.root = Path(root) if root is not None else models_dir()
        self._catalog = catalog

    @property
    def catalog(self) -> Mapping[str, ZooEntry]:
        """The zoo records this store checks against (the packaged zoo unless given)."""
        return self._catalog if self._catalog is not None else zoo()

    def _entry(self, name: str) -> ZooEntry:
        entry = self.catalog.get(name)
        if entry is None:
            zoo_entry(name)  # raises the usual "not a known model"
        return entry

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
        if not isinstance(doc, dict):
            doc = {}
        if not isinstance(doc.get("models"), dict):
            doc["models"] = {}
        sums = doc.setdefault("zoo_sha256", {})
        legacy = doc.pop("hashes", None)
        if isinstance(legacy, dict):
            # Earlier versions kept the hash of imports here too; only a zoo download's own hash is kept.
            for name, digest in legacy.items():
                rec = doc["models"].get(name)
                if isinstance(rec, dict) and rec.get("origin") == "zoo" and rec.get("sha256") == digest:
                    sums.setdefault(name, digest)
        return doc

    def _write(self, doc: dict) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".index.", suffix=".json")
        except OSError as e:
            raise StorageError(f"cannot write to the models folder {self.root}: {os_reason(e)}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=2)
            os.replace(tmp, self._index_path)
        except OSError as e:
            _remove(Path(tmp))
            raise StorageError(f"cannot update {self._index_path}: {os_reason(e)}") from None

    # -- queries -------------------------------------------------------------
    def installed(self) -> dict[str, InstalledModel]:
        out = {}
        for name, rec in self._read()["models"].items():
            try:
                model = InstalledModel.from_record(rec)
            except (TypeError, AttributeError):
                continue  # a damaged record: the file is simply not listed
            if model.path(self.root).exists():
                out[name] = model
        return out

    def get(self, name: str) -> InstalledModel | None:
        return self.installed().get(name)

    def mismatch(self, name: str) -> str | None:
        """For an installed model under a zoo name: how it is not that model (None when it is)."""
        model, entry = self.get(name), self.catalog.get(name)
        return record_mismatch(entry, model) if model is not None and entry is not None else None

    def partial(self, name: str) -> tuple[int, int | None] | None:
        """(bytes received, full size or None) of an unfinished download of a zoo model."""
        entry = self.catalog.get(name)
        return partial_state(self.root / entry.filename) if entry else None

    def path_of(self, name: str) -> Path:
        """The local file of an installed model, or a clear error saying how to get it."""
        model = self.get(name)
        if model is not None:
            return model.path(self.root)
        if name in self.catalog:
            raise ModelNotFoundError(
                f"model {name} is not downloaded yet; run `umt-desktop models download {name}` "
                "or import the file with `umt-desktop models import FILE --name " + name + "`"
            )
        raise ModelNotFoundError(
            f"{name!r} is neither a checkpoint file nor a known model; see `umt-desktop models list`"
        )

    # -- changes -------------------------------------------------------------
    def download(
        self, name: str, progress: Progress | None = None, cancelled=None, **options
    ) -> InstalledModel:
        """Download (or resume) a zoo model; it is installed only if it is the model its record describes."""
        entry = self._entry(name)
        url = entry.download_url()
        dest = self.root / entry.filename
        if entry.sha256:
            expected, what = entry.sha256, "published sha256"
        else:
            expected, what = self._read()["zoo_sha256"].get(entry.name), "sha256 recorded at its first download"
        loaded: dict[str, Checkpoint] = {}

        def check(path: Path) -> None:
            try:
                ckpt = load_checkpoint(path)
            except CheckpointError as e:
                raise DownloadError(f"the downloaded file is not usable: {e}") from None
            problem = architecture_mismatch(entry, ckpt)
            if problem:
                host = urllib.parse.urlsplit(url).netloc or url
                raise DownloadError(f"the file from {host} {problem}; it was not installed") from None
            loaded["ckpt"] = ckpt

        digest = download(url, dest, expected_sha256=expected, expected_what=what, check=check,
                          progress=progress, cancelled=cancelled, **options)
        return self._record(entry.name, dest, digest, "zoo", loaded.pop("ckpt"))

    def import_file(self, source: str | Path, name: str | None = None, force: bool = False) -> InstalledModel:
        """Copy a local checkpoint into the store after checking that it loads (and fits its zoo record)."""
        source = Path(source)
        name = name or source.stem
        _check_name(name)
        current = self.get(name)
        if current is not None and not force:
            raise ModelExistsError(
                f"a model named {name} is already installed ({current.arch}, {current.num_classes} classes)"
            )
        ckpt = load_checkpoint(source)  # raises CheckpointError with the reason
        entry = self.catalog.get(name)
        if entry is not None:
            problem = architecture_mismatch(entry, ckpt)
            if problem:
                raise CheckpointError(f"{source.name} {problem}; import it under another name")
        dest = self.root / f"{name}.pth"
        tmp: Path | None = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".import-", suffix=".tmp")
            os.close(fd)
            tmp = Path(tmp_name)
            shutil.copyfile(source, tmp)
            digest = sha256_file(tmp)
            if entry is not None and entry.sha256 and digest != entry.sha256:
                raise CheckpointError(
                    f"{source.name} is not the published file of {entry.name} (sha256 {digest[:12]}... "
                    f"instead of {entry.sha256[:12]}...); import it under another name"
                )
            os.replace(tmp, dest)
            tmp = None
        except OSError as e:
            raise StorageError(f"cannot copy {source.name} into {self.root}: {os_reason(e)}") from None
        finally:
            if tmp is not None:
                _remove(tmp)  # never a second error from the clean-up
        return self._record(name, dest, digest, "import", ckpt)

    def _record(self, name, path: Path, digest, origin, ckpt) -> InstalledModel:
        now = time.time()
        model = InstalledModel(
            name=name,
            file=path.name,
            sha256=digest,
            size=path.stat().st_size,
            origin=origin,
            num_classes=ckpt.num_classes,
            arch=ckpt.model.config.name,
            format=ckpt.format,
            added=now,
            verified=now,
        )
        doc = self._read()
        old = doc["models"].get(name)
        doc["models"][name] = asdict(model)
        if origin == "zoo":
            doc["zoo_sha256"].setdefault(name, digest)
        self._write(doc)
        if isinstance(old, dict) and old.get("file") not in (None, path.name):
            _remove(self.root / old["file"])  # replaced by a file of another name
        return model

    def verify(self, name: str) -> InstalledModel:
        """Recompute an installed file's sha256 and compare it with the one recorded at install
        (and with the published one, where the zoo has it)."""
        model = self.get(name)
        if model is None:
            raise ModelNotFoundError(f"model {name!r} is not installed")
        try:
            digest = sha256_file(model.path(self.root))
        except OSError as e:
            raise StorageError(f"cannot read {model.path(self.root)}: {os_reason(e)}") from None
        if digest != model.sha256:
            raise CheckpointError(
                f"{model.file} has changed since it was installed (sha256 {digest[:12]}... instead of "
                f"{model.sha256[:12]}...); remove it and download or import it again"
            )
        entry = self.catalog.get(name)
        if entry is not None and entry.sha256 and digest != entry.sha256:
            raise CheckpointError(
                f"{model.file} is not the published file of {name} (sha256 {digest[:12]}... instead of "
                f"{entry.sha256[:12]}...); remove it and download it again"
            )
        problem = self.mismatch(name)
        if problem:
            raise CheckpointError(f"{model.file} {problem}; remove it and download it again")
        model.verified = time.time()
        doc = self._read()
        if name in doc["models"]:
            doc["models"][name]["verified"] = model.verified
            with contextlib.suppress(StorageError):  # a read-only folder: the check still holds
                self._write(doc)
        return model

    def remove(self, name: str) -> Path:
        """Delete an installed model (and any unfinished download of it); an unfinished download alone too."""
        doc = self._read()
        rec = doc["models"].get(name)
        entry = self.catalog.get(name)
        if rec is None:
            if entry is not None and discard_partial(self.root / entry.filename):
                return partial_path(self.root / entry.filename)
            raise ModelNotFoundError(f"model {name!r} is not installed")
        path = self.root / str(rec.get("file", f"{name}.pth"))
        try:
            path.unlink(missing_ok=True)
        except OSError as e:
            raise StorageError(f"cannot delete {path}: {os_reason(e)}; nothing was removed") from None
        del doc["models"][name]
        self._write(doc)  # a zoo download's hash stays; an import never recorded one
        if entry is not None:
            discard_partial(self.root / entry.filename)
        return path


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or "\0" in name or name.startswith("."):
        raise CheckpointError(f"{name!r} is not a usable model name")
    if len(os.fsencode(name)) > MAX_NAME_BYTES:
        raise CheckpointError(
            f"the model name is too long for a file name ({len(name)} characters; at most {MAX_NAME_BYTES})"
        )


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
