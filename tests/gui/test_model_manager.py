"""The model manager dialog: zoo list, import, download from a local server with progress and cancel, remove, use."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import QThreadPool

from umt_desktop.core.model.zoo import ModelStore, zoo
from umt_desktop.gui.notifications import Notifier
from umt_desktop.gui.widgets.model_manager import COLUMNS, ModelManagerDialog
from umt_desktop.gui.workers import JobRunner

ZOO_NAME = "umt-base-p16-res224_kinetics710-pre-ft_u8_k400-rgb"


@pytest.fixture
def dialog(qtbot):
    runner = JobRunner(Notifier())
    d = ModelManagerDialog(runner, runner.notifier)
    qtbot.addWidget(d)
    d.show()
    yield d
    d.cancel_download()
    assert runner.shutdown(30)
    assert QThreadPool.globalInstance().activeThreadCount() == 0


@pytest.fixture
def mirror(monkeypatch, tiny_checkpoint):
    """A real HTTP server on 127.0.0.1 serving the tiny checkpoint under the zoo file name; `delay` slows it."""
    data = tiny_checkpoint.read_bytes()
    state = {"delay": 0.0, "requests": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            state["requests"] += 1
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            step = 64 * 1024
            try:
                for start in range(0, len(data), step):
                    self.wfile.write(data[start : start + step])
                    time.sleep(state["delay"])
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("UMT_DESKTOP_MIRROR", f"http://127.0.0.1:{server.server_address[1]}")
    yield state
    server.shutdown()
    server.server_close()


def _row(dialog, name):
    for r in range(dialog.table.rowCount()):
        if dialog.table.item(r, 0).data(256) == name:  # Qt.UserRole
            return {COLUMNS[c]: dialog.table.item(r, c).text() for c in range(len(COLUMNS))}
    return None


def test_lists_the_zoo_with_published_accuracy(dialog):
    assert dialog.table.rowCount() == len(zoo())
    row = _row(dialog, ZOO_NAME)
    assert row["Architecture"] == "UMT-B/16"
    assert row["Labels"] == "Kinetics-400"
    assert row["Published top-1"] == "87.33%"
    assert row["Status"] == "Not downloaded"
    assert row["Size"].startswith("≈ ")
    dialog.select(ZOO_NAME)
    assert dialog.download_button.isEnabled() and not dialog.use_button.isEnabled()


def test_import_then_use_then_remove(qtbot, dialog, tiny_checkpoint):
    with qtbot.waitSignal(dialog.modelsChanged, timeout=60000):
        dialog.import_path(tiny_checkpoint, "tiny")
    row = _row(dialog, "tiny")
    assert row["Status"] == "Imported" and row["Labels"] == "Kinetics-400"
    assert "tiny" in ModelStore().installed()
    assert "Imported tiny" in dialog.notifier.last("success").text

    assert dialog.select("tiny")
    with qtbot.waitSignal(dialog.activated) as used:
        dialog.use_button.click()
    assert used.args == ["tiny"]
    dialog.set_active("tiny")
    assert _row(dialog, "tiny")["Status"] == "● Active"

    asked = []
    dialog.confirm = lambda q: asked.append(q) or True
    dialog.select("tiny")
    with qtbot.waitSignal(dialog.modelsChanged):
        dialog.remove_button.click()
    assert asked and "tiny" not in ModelStore().installed()
    assert _row(dialog, "tiny") is None


def test_importing_a_bad_file_is_an_error_message(qtbot, dialog, tmp_path):
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint")
    job = dialog.import_path(bad)
    qtbot.waitUntil(lambda: job.is_done() and dialog.notifier.last("error") is not None, timeout=30000)
    assert "broken.pth" in dialog.notifier.last("error").text
    assert ModelStore().installed() == {}


def test_download_with_progress(qtbot, dialog, mirror):
    dialog.select(ZOO_NAME)
    dialog.download_button.click()
    assert dialog.progress.isVisible() and dialog.cancel_button.isEnabled()
    assert _row(dialog, ZOO_NAME)["Status"] == "Downloading…"
    with qtbot.waitSignal(dialog.modelsChanged, timeout=60000):
        pass
    qtbot.waitUntil(lambda: dialog.download_job is None, timeout=10000)
    assert ZOO_NAME in ModelStore().installed()
    assert _row(dialog, ZOO_NAME)["Status"] == "Downloaded"
    assert not dialog.progress.isVisible()
    assert dialog.notifier.last("success").action is not None  # "Use it"


def test_cancel_a_download(qtbot, dialog, mirror):
    mirror["delay"] = 0.2
    dialog.select(ZOO_NAME)
    job = dialog.download(ZOO_NAME)
    qtbot.waitUntil(lambda: dialog.progress.maximum() == 1000 and dialog.progress.value() > 0, timeout=30000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: job.is_done() and dialog.download_job is None, timeout=30000)
    assert ZOO_NAME not in ModelStore().installed()
    assert dialog.notifier.last("error") is None
    assert "cancelled" in dialog.notifier.last("info").text
    assert _row(dialog, ZOO_NAME)["Status"] == "Not downloaded"


def test_download_failure_is_a_message(qtbot, dialog, monkeypatch):
    monkeypatch.setenv("UMT_DESKTOP_MIRROR", "http://127.0.0.1:9")  # nothing listens on the discard port
    job = dialog.download(ZOO_NAME)
    qtbot.waitUntil(lambda: job.is_done() and dialog.download_job is None, timeout=60000)
    assert dialog.notifier.last("error") is not None
    assert ZOO_NAME not in ModelStore().installed()
