"""The zoo records and the local model store: import, verify, remove."""

from __future__ import annotations

import pytest

from umt_desktop.core.errors import CheckpointError, ModelNotFoundError
from umt_desktop.core.model.zoo import ModelStore, zoo, zoo_entry


def test_zoo_records_the_known_checkpoints():
    entries = zoo()
    assert len(entries) == 12
    mm = zoo_entry("umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb")
    assert (mm.arch, mm.num_classes, mm.format, mm.published_top1) == ("UMT-B/16", 400, "mmaction2", 87.33)
    assert mm.url.endswith(f"/{mm.name}/{mm.name}.pth")
    ogv = zoo_entry("l16_ptk710_ftk710_f8_res224")
    assert (ogv.arch, ogv.num_classes, ogv.profile.name, ogv.published_top1) == ("UMT-L/16", 710, "imagenet", 86.0)
    assert {e.num_classes for e in entries.values()} == {400, 600, 700, 710}
    with pytest.raises(ModelNotFoundError):
        zoo_entry("umt-huge")


def test_import_and_remove(tiny_checkpoint, tmp_path):
    store = ModelStore(tmp_path / "models")
    model = store.import_file(tiny_checkpoint, name="tiny")
    assert (model.num_classes, model.format, model.origin) == (400, "mmaction2", "import")
    assert store.path_of("tiny").exists()
    store.verify("tiny")
    with open(store.path_of("tiny"), "r+b") as f:
        f.seek(1000)
        f.write(b"\xff\xfe")
    with pytest.raises(CheckpointError, match="has changed since it was installed"):
        store.verify("tiny")
    store.remove("tiny")
    assert "tiny" not in store.installed()
    with pytest.raises(ModelNotFoundError):
        store.remove("tiny")
