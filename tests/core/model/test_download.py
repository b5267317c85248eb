"""Real downloads from an HTTP server on 127.0.0.1: progress, resume, hashes, errors, zoo models from a mirror."""

from __future__ import annotations

import hashlib

import pytest

from tests.helpers.checkpoints import write_zoo_checkpoint
from tests.helpers.fileserver import FileServer
from tests.helpers.net import free_port as closed_port
from umt_desktop.core.errors import Cancelled, DownloadError, ModelNotFoundError, OfflineError
from umt_desktop.core.model.download import download
from umt_desktop.core.model.zoo import ModelStore, zoo_entry


def test_download_with_progress_and_hash(tmp_path):
    blob = bytes(range(256)) * 5000
    seen = []
    with FileServer({"/m.pth": blob}) as srv:
        digest = download(f"{srv.url}/m.pth", tmp_path / "m.pth", progress=lambda d, t: seen.append((d, t)))
    assert (tmp_path / "m.pth").read_bytes() == blob
    assert digest == hashlib.sha256(blob).hexdigest()
    assert seen[-1] == (len(blob), len(blob))
    assert not (tmp_path / "m.pth.part").exists()


def test_interrupted_transfer_resumes_with_range(tmp_path):
    blob = bytes(range(256)) * 20000  # 5 MB: several chunks
    with FileServer({"/m.pth": blob}, cut_after=1_500_000) as srv:
        download(f"{srv.url}/m.pth", tmp_path / "m.pth")
    assert (tmp_path / "m.pth").read_bytes() == blob
    ranges = [r for _, r in srv.requests]
    assert ranges[0] is None and ranges[1] is not None and ranges[1].startswith("bytes=")
    assert int(ranges[1].split("=")[1].rstrip("-")) > 0


def test_partial_file_from_an_earlier_run_is_continued(tmp_path):
    blob = b"x" * 3_000_000 + b"y" * 1000
    (tmp_path / "m.pth.part").write_bytes(blob[:2_000_000])
    with FileServer({"/m.pth": blob}) as srv:
        download(f"{srv.url}/m.pth", tmp_path / "m.pth")
    assert srv.requests == [("/m.pth", "bytes=2000000-")]
    assert (tmp_path / "m.pth").read_bytes() == blob


def test_server_that_ignores_range_restarts_cleanly(tmp_path):
    blob = b"abc" * 100_000
    (tmp_path / "m.pth.part").write_bytes(b"garbage")
    with FileServer({"/m.pth": blob}, ignore_range=True) as srv:
        download(f"{srv.url}/m.pth", tmp_path / "m.pth")
    assert (tmp_path / "m.pth").read_bytes() == blob


def test_hash_mismatch_removes_the_file(tmp_path):
    with FileServer({"/m.pth": b"payload"}) as srv:
        with pytest.raises(DownloadError, match="sha256"):
            download(f"{srv.url}/m.pth", tmp_path / "m.pth", expected_sha256="0" * 64)
    assert not (tmp_path / "m.pth").exists() and not (tmp_path / "m.pth.part").exists()


def test_http_errors_offline_and_cancel(tmp_path):
    with FileServer({"/m.pth": b"z" * 3_000_000}) as srv:
        with pytest.raises(DownloadError, match="404"):
            download(f"{srv.url}/missing.pth", tmp_path / "x.pth")
        with pytest.raises(Cancelled):
            download(f"{srv.url}/m.pth", tmp_path / "m.pth", cancelled=lambda: True)
    assert not (tmp_path / "m.pth").exists()
    with pytest.raises(OfflineError, match="cannot reach 127.0.0.1"):
        download(f"http://127.0.0.1:{closed_port()}/m.pth", tmp_path / "y.pth", timeout=5)


def test_store_downloads_a_zoo_model_from_a_mirror(monkeypatch, tmp_path):
    # A small file with exactly the record's architecture stands in for the real one.
    entry = zoo_entry("umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb")
    blob = write_zoo_checkpoint(tmp_path / "served.pth", entry).read_bytes()
    store = ModelStore(tmp_path / "models")
    with FileServer({f"/{entry.filename}": blob}, cut_after=700_000) as srv:
        monkeypatch.setenv("UMT_DESKTOP_MIRROR", srv.url)
        model = store.download(entry.name)
    assert model.sha256 == hashlib.sha256(blob).hexdigest() and model.size == len(blob)
    assert store.path_of(entry.name).read_bytes() == blob
    # Removal keeps the recorded hash: a later download of different bytes is refused.
    store.remove(entry.name)
    with pytest.raises(ModelNotFoundError, match="not downloaded yet"):
        store.path_of(entry.name)
    with FileServer({f"/{entry.filename}": blob[:-10] + b"0123456789"}) as srv:
        monkeypatch.setenv("UMT_DESKTOP_MIRROR", srv.url)
        with pytest.raises(DownloadError, match="sha256"):
            store.download(entry.name)


def test_store_rejects_a_download_that_is_not_a_checkpoint(monkeypatch, tmp_path):
    entry = zoo_entry("umt-large-p16-res224_kinetics710-pre-ft_u8_k700-rgb")
    store = ModelStore(tmp_path / "models")
    with FileServer({f"/{entry.filename}": b"<html>login page</html>"}) as srv:
        monkeypatch.setenv("UMT_DESKTOP_MIRROR", srv.url)
        with pytest.raises(DownloadError, match="not usable"):
            store.download(entry.name)
    assert entry.name not in store.installed()


def test_backoff_doubles_up_to_a_cap():
    from umt_desktop.core.model.download import backoff_delay

    assert [backoff_delay(n, 1.0, 30.0) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_partial_state_tells_bytes_received_and_full_size(tmp_path):
    from umt_desktop.core.model.download import discard_partial, partial_state

    blob = b"q" * 2_000_000
    assert partial_state(tmp_path / "m.pth") is None
    with FileServer({"/m.pth": blob}) as srv:
        with pytest.raises(Cancelled):
            download(f"{srv.url}/m.pth", tmp_path / "m.pth", cancelled=lambda: (tmp_path / "m.pth.part").exists()
                     and (tmp_path / "m.pth.part").stat().st_size > 0)
    have, total = partial_state(tmp_path / "m.pth")
    assert 0 < have < len(blob) and total == len(blob)
    assert discard_partial(tmp_path / "m.pth")
    assert partial_state(tmp_path / "m.pth") is None and list(tmp_path.iterdir()) == []


def test_a_complete_file_the_check_refuses_is_removed(tmp_path):
    def refuse(path):
        assert path.read_bytes() == b"payload"
        raise DownloadError("not the model")

    with FileServer({"/m.pth": b"payload"}) as srv:
        with pytest.raises(DownloadError, match="not the model"):
            download(f"{srv.url}/m.pth", tmp_path / "m.pth", check=refuse)
    assert list(tmp_path.iterdir()) == []  # no final file, no part to resume, no size note
