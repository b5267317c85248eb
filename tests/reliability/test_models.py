"""Models and their files under damaged state and hostile input: impostor files under zoo names,
imports that would shadow a download, unwritable model folders, stalled and dropping servers.

Each test drives the real parts: the CLI in a subprocess, a real HTTP server on 127.0.0.1,
real read-only folders (a read-only bind mount as root, chmod otherwise), a real full tmpfs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os

import pytest

from tests.helpers.checkpoints import install_under_zoo_name, write_checkpoint, write_zoo_checkpoint
from tests.helpers.cli import assert_one_line_error, umt
from tests.helpers.fileserver import FileServer
from tests.helpers.fs import is_root, read_only, shared_tmpdir, small_disk, umt_without_write_permission
from umt_desktop.core.errors import Cancelled, CheckpointError, DownloadError, ModelNotFoundError, StorageError
from umt_desktop.core.model.download import download, partial_state
from umt_desktop.core.model.zoo import ModelStore, zoo_entry

B16 = "umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def models_dir():
    from umt_desktop.core.paths import models_dir as where

    return where()


def leftovers(folder) -> list[str]:
    """Files a failed change must not leave behind: parts, temporaries, half-written copies."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name != "index.json" and not p.name.endswith(".pth"))


def installed_names() -> set[str]:
    return set(ModelStore().installed())


# -- an import never constrains a zoo download ----------------------------------------------


def test_an_import_under_a_zoo_name_does_not_block_the_genuine_download(tmp_path):
    entry = zoo_entry(B16)
    genuine = write_zoo_checkpoint(tmp_path / "genuine.pth", entry, seed=1)
    other = write_zoo_checkpoint(tmp_path / "other.pth", entry, seed=2)  # same architecture, other weights
    ModelStore().import_file(other, B16)
    ModelStore().remove(B16)
    with FileServer({f"/{entry.filename}": genuine.read_bytes()}) as srv:
        proc = umt("models", "download", B16, env={"UMT_DESKTOP_MIRROR": srv.url})
    assert proc.returncode == 0, proc.stderr
    assert sha(genuine.read_bytes()) in proc.stdout
    assert (models_dir() / entry.filename).read_bytes() == genuine.read_bytes()


def test_a_hash_an_earlier_version_recorded_from_an_import_is_forgotten(tmp_path):
    """Index files written before the fix hold import hashes as if they were the zoo's."""
    entry = zoo_entry(B16)
    genuine = write_zoo_checkpoint(tmp_path / "genuine.pth", entry, seed=1)
    folder = models_dir()
    folder.mkdir(parents=True)
    (folder / "index.json").write_text(json.dumps({"models": {}, "hashes": {B16: "ab" * 32}}))
    with FileServer({f"/{entry.filename}": genuine.read_bytes()}) as srv:
        proc = umt("models", "download", B16, env={"UMT_DESKTOP_MIRROR": srv.url})
    assert proc.returncode == 0, proc.stderr
    assert B16 in installed_names()


# -- a file under a zoo name must be that model ---------------------------------------------


@pytest.mark.parametrize("served, says", [
    ("tiny", "UMT-128x2/16 (128 wide, 2 blocks)"),       # the probe's 128-wide, 2-block file
    ("b16-opengvlab", "OpenGVLab format"),               # right shape, other key layout and normalisation
    ("b16-700", "700 classes"),                          # right shape, other label set
])
def test_a_download_that_is_not_the_recorded_model_is_refused(tmp_path, tiny_checkpoint, served, says):
    entry = zoo_entry(B16)
    files = {
        "tiny": lambda: tiny_checkpoint,
        "b16-opengvlab": lambda: write_checkpoint(tmp_path / "x.pth", 768, 12, 400, "opengvlab"),
        "b16-700": lambda: write_checkpoint(tmp_path / "x.pth", 768, 12, 700, "mmaction2"),
    }
    blob = files[served]().read_bytes()
    with FileServer({f"/{entry.filename}": blob}) as srv:
        proc = umt("models", "download", B16, env={"UMT_DESKTOP_MIRROR": srv.url})
    assert proc.returncode == 1
    line = assert_one_line_error(proc)
    assert says in line and B16 in line and "not installed" in line
    assert B16 not in installed_names()
    folder = models_dir()
    assert not (folder / entry.filename).exists() and leftovers(folder) == []


def test_an_import_under_a_zoo_name_must_have_its_architecture(tiny_checkpoint):
    proc = umt("models", "import", tiny_checkpoint, "--name", B16)
    assert proc.returncode == 1
    line = assert_one_line_error(proc)
    assert "UMT-128x2/16" in line and "UMT-B/16 (768 wide, 12 blocks)" in line
    assert B16 not in installed_names()
    # Under its own name the same file is welcome.
    assert ModelStore().import_file(tiny_checkpoint, "tiny").arch == "UMT-128x2/16"


def test_a_published_sha256_is_checked_on_download_import_and_verify(monkeypatch, tmp_path):
    entry = zoo_entry(B16)
    genuine = write_zoo_checkpoint(tmp_path / "genuine.pth", entry, seed=1)
    other = write_zoo_checkpoint(tmp_path / "other.pth", entry, seed=2)
    published = dataclasses.replace(entry, sha256=sha(genuine.read_bytes()))
    store = ModelStore(tmp_path / "models", catalog={B16: published})
    with FileServer({f"/{entry.filename}": other.read_bytes()}) as srv:
        monkeypatch.setenv("UMT_DESKTOP_MIRROR", srv.url)
        with pytest.raises(DownloadError, match="published sha256"):
            store.download(B16)
    assert store.installed() == {} and leftovers(store.root) == []
    with pytest.raises(CheckpointError, match="not the published file"):
        store.import_file(other, B16)
    assert store.installed() == {}
    with FileServer({f"/{entry.filename}": genuine.read_bytes()}) as srv:
        monkeypatch.setenv("UMT_DESKTOP_MIRROR", srv.url)
        assert store.download(B16).sha256 == published.sha256
    assert store.verify(B16).verified is not None


# -- a models folder that cannot be written ----------------------------------------------------


def test_import_and_remove_in_a_read_only_models_folder(tiny_checkpoint):
    ModelStore().import_file(tiny_checkpoint, "tiny")
    folder = models_dir()
    before = sorted(os.listdir(folder))
    with read_only(folder):
        proc = umt("models", "import", tiny_checkpoint, "--name", "another")
        assert proc.returncode == 1
        assert str(folder) in assert_one_line_error(proc)
        proc = umt("models", "remove", "tiny")
        assert proc.returncode == 1
        assert "nothing was removed" in assert_one_line_error(proc)
        with pytest.raises(StorageError):
            ModelStore().import_file(tiny_checkpoint, "tiny", force=True)
    assert sorted(os.listdir(folder)) == before  # nothing half-written, nothing lost
    assert installed_names() == {"tiny"}
    ModelStore().verify("tiny")


def test_import_into_a_folder_without_write_permission(tiny_checkpoint):
    """EACCES rather than EROFS: as root, the CLI runs as nobody against root's folder."""
    data = shared_tmpdir() if is_root() else None
    env = {"UMT_DESKTOP_DATA_DIR": str(data)} if data else {}
    source = tiny_checkpoint
    if data:
        source = data / "tiny.pth"
        source.write_bytes(tiny_checkpoint.read_bytes())
        source.chmod(0o644)
        (data / "models").mkdir(mode=0o755)
    folder = (data / "models") if data else models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    if data:
        proc = umt_without_write_permission("models", "import", source, "--name", "tiny", env=env)
    else:
        with read_only(folder):
            proc = umt("models", "import", source, "--name", "tiny")
    assert proc.returncode == 1
    assert "ermission denied" in assert_one_line_error(proc) or "ead-only" in proc.stderr
    assert os.listdir(folder) == []


def test_a_300_character_name_is_one_line_and_leaves_nothing(tiny_checkpoint):
    name = "m" * 300
    proc = umt("models", "import", tiny_checkpoint, "--name", name)
    assert proc.returncode == 1
    assert "too long" in assert_one_line_error(proc)
    with pytest.raises(ModelNotFoundError, match="not installed"):
        ModelStore().remove(name)
    assert leftovers(models_dir()) == [] and installed_names() == set()


def test_a_models_folder_that_cannot_be_created(tiny_checkpoint, tmp_path):
    parent = tmp_path / "data"
    parent.mkdir()
    with read_only(parent):
        proc = umt("models", "import", tiny_checkpoint, "--name", "tiny", env={"UMT_DESKTOP_DATA_DIR": str(parent)})
        assert proc.returncode == 1
        assert str(parent / "models") in assert_one_line_error(proc)
    assert os.listdir(parent) == []


def test_a_disk_that_fills_up_during_an_import_leaves_no_partial_copy(tmp_path):
    big = write_checkpoint(tmp_path / "big.pth", 768, 12, 400)  # ~3.6 MB on a 1 MB disk
    data = tmp_path / "data"
    with small_disk(data / "models", "1m") as folder:
        proc = umt("models", "import", big, "--name", "big", env={"UMT_DESKTOP_DATA_DIR": str(data)})
        assert proc.returncode == 1
        assert "No space left" in assert_one_line_error(proc)
        assert os.listdir(folder) == []


# -- a replaced model needs --force ---------------------------------------------------------------


def test_import_does_not_silently_replace_an_installed_model(tiny_checkpoint, tmp_path):
    other = write_checkpoint(tmp_path / "other.pth", 128, 2, 400, seed=5)
    ModelStore().import_file(tiny_checkpoint, "mine")
    proc = umt("models", "import", other, "--name", "mine")
    assert proc.returncode == 1
    assert "--force" in assert_one_line_error(proc)
    assert (models_dir() / "mine.pth").read_bytes() == tiny_checkpoint.read_bytes()
    proc = umt("models", "import", other, "--name", "mine", "--force")
    assert proc.returncode == 0, proc.stderr
    assert (models_dir() / "mine.pth").read_bytes() == other.read_bytes()
    ModelStore().verify("mine")


# -- stalled and dropping servers -------------------------------------------------------------------


def test_a_stalled_server_keeps_what_it_sent_and_the_download_resumes(tmp_path):
    blob = os.urandom(600_000)
    with FileServer({"/m.pth": blob}, stall_after=100_000, stalls=4) as srv:
        # A silence of 2 s counts as a stall (long enough that a busy machine is not taken for one).
        digest = download(f"{srv.url}/m.pth", tmp_path / "m.pth", timeout=2, backoff=0.05)
    assert digest == sha(blob) and (tmp_path / "m.pth").read_bytes() == blob
    assert [r for _, r in srv.requests] == [None, "bytes=100000-", "bytes=200000-", "bytes=300000-",
                                            "bytes=400000-"]


def test_a_stall_that_outlasts_the_retries_keeps_the_bytes_for_the_next_run(tmp_path):
    blob = os.urandom(400_000)
    with FileServer({"/m.pth": blob}, stall_after=0, stalls=99) as srv:
        srv.files["/m.pth"] = blob
        # First run: 100 kB arrive, then the server goes silent for good.
        srv.stall_after, srv.stalls = 100_000, 1
        with pytest.raises(DownloadError, match="received are kept"):
            download(f"{srv.url}/m.pth", tmp_path / "m.pth", timeout=2, retries=0)
    assert partial_state(tmp_path / "m.pth") == (100_000, len(blob))
    with FileServer({"/m.pth": blob}) as srv:
        download(f"{srv.url}/m.pth", tmp_path / "m.pth")
    assert srv.requests == [("/m.pth", "bytes=100000-")]
    assert (tmp_path / "m.pth").read_bytes() == blob


def test_retries_back_off_exponentially(tmp_path):
    blob = os.urandom(300_000)
    # Three responses that end before the body: no progress, so each wait doubles (0.2, 0.4, 0.8 s).
    with FileServer({"/m.pth": blob}, cut_after=0, cuts=3) as srv:
        download(f"{srv.url}/m.pth", tmp_path / "m.pth", backoff=0.2, max_backoff=10)
    assert (tmp_path / "m.pth").read_bytes() == blob
    gaps = [b - a for a, b in zip(srv.times, srv.times[1:])]
    assert len(gaps) == 3
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4 and gaps[2] >= 0.8  # never at once


def test_a_cancel_during_the_back_off_is_honoured_and_keeps_the_part(tmp_path):
    blob = os.urandom(300_000)
    with FileServer({"/m.pth": blob}, cut_after=50_000, cuts=1) as srv:
        with pytest.raises(Cancelled):
            download(f"{srv.url}/m.pth", tmp_path / "m.pth", backoff=3600,
                     cancelled=lambda: len(srv.requests) >= 1 and (tmp_path / "m.pth.part").exists()
                     and (tmp_path / "m.pth.part").stat().st_size >= 50_000)
    assert partial_state(tmp_path / "m.pth")[0] == 50_000
    assert len(srv.requests) == 1


def test_the_store_turns_os_errors_into_storage_errors(tmp_path, tiny_checkpoint):
    store = ModelStore(tmp_path / "models")
    store.import_file(tiny_checkpoint, "tiny")
    with read_only(store.root):
        with pytest.raises(StorageError):
            store.import_file(tiny_checkpoint, "other")
        with pytest.raises(StorageError):
            store.remove("tiny")
        assert store.verify("tiny").name == "tiny"  # checking still works; only the note is not saved
    assert set(store.installed()) == {"tiny"}


def test_a_download_into_a_read_only_models_folder_is_one_error_and_leaves_nothing(monkeypatch, tmp_path):
    entry = zoo_entry(B16)
    store = ModelStore(tmp_path / "models")
    store.root.mkdir()
    with FileServer({f"/{entry.filename}": b"x" * 1000}) as srv, read_only(store.root):
        monkeypatch.setenv("UMT_DESKTOP_MIRROR", srv.url)
        with pytest.raises(DownloadError, match="cannot write"):
            store.download(B16)
    assert os.listdir(store.root) == []


def test_a_wrong_file_an_earlier_version_installed_under_a_zoo_name_fails_verify(tiny_checkpoint):
    install_under_zoo_name(ModelStore(), tiny_checkpoint, B16)
    proc = umt("models", "verify", B16)
    assert proc.returncode == 1 and "UMT-128x2/16" in proc.stdout and "FAILED" in proc.stdout
    listing = {r["name"]: r for r in json.loads(umt("models", "list", "--json").stdout)}
    assert "UMT-128x2/16" in listing[B16]["mismatch"]
