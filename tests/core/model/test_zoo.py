"""The zoo records and real downloads from an HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from umt_desktop.core.model.download import download
from umt_desktop.core.errors import Cancelled, CheckpointError, DownloadError, ModelNotFoundError, OfflineError
from umt_desktop.core.model.zoo import ModelStore, zoo, zoo_entry


class FileServer:
    """Serves byte blobs by path, honours Range, and can cut the first transfer short."""

    def __init__(self, files: dict[str, bytes], cut_after: int | None = None, ignore_range: bool = False):
        self.files = files
        self.cut_after = cut_after
        self.ignore_range = ignore_range
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                data = server.files.get(self.path)
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                if rng and not server.ignore_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_after is not None:
                    cut, server.cut_after = server.cut_after, None
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def test_store_downloads_a_zoo_model_from_a_mirror(monkeypatch, tiny_checkpoint, tmp_path):
    # The tiny checkpoint stands in for the real file: same format, 400 classes.
    entry = zoo_entry("umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb")
    blob = tiny_checkpoint.read_bytes()
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
