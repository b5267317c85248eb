"""The model manager dialog, used as a person uses it: its buttons clicked, files chosen in the file
dialog, downloads from a real HTTP server on 127.0.0.1; row states read off the table."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QFileDialog

from tests.helpers.checkpoints import write_zoo_checkpoint
from tests.helpers.fileserver import FileServer
from tests.helpers.net import free_port
from umt_desktop.core.model.zoo import ModelStore, zoo, zoo_entry
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
    assert runner.shutdown(60)
    assert QThreadPool.globalInstance().activeThreadCount() == 0


@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    """A file with exactly UMT-B/16 Kinetics-400's architecture (small on disk)."""
    return write_zoo_checkpoint(tmp_path_factory.mktemp("zoo") / "b16.pth", zoo_entry(ZOO_NAME)).read_bytes()


@pytest.fixture
def mirror(monkeypatch, genuine):
    """A real HTTP server on 127.0.0.1 serving the zoo file (Range honoured); `.delay` paces it."""
    with FileServer({f"/{zoo_entry(ZOO_NAME).filename}": genuine}, step=64 * 1024) as srv:
        monkeypatch.setenv("UMT_DESKTOP_MIRROR", srv.url)
        yield srv


@pytest.fixture
def choose_file(monkeypatch):
    """The file dialog's answer: the path a person would pick in it."""
    chosen = {}
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(chosen["path"]), "")))
    return lambda path: chosen.__setitem__("path", path)


def _row(dialog, name):
    for r in range(dialog.table.rowCount()):
        if dialog.table.item(r, 0).data(Qt.UserRole) == name:
            return {COLUMNS[c]: dialog.table.item(r, c).text() for c in range(len(COLUMNS))}
    return None


def _click(qtbot, button):
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.LeftButton)


def _select(qtbot, dialog, name):
    """Click the row's first cell, as a person picks a model in the list."""
    for r in range(dialog.table.rowCount()):
        item = dialog.table.item(r, 0)
        if item.data(Qt.UserRole) == name:
            dialog.table.scrollToItem(item)
            rect = dialog.table.visualItemRect(item)
            qtbot.mouseClick(dialog.table.viewport(), Qt.LeftButton, pos=rect.center())
            assert dialog.selected_name() == name
            return
    raise AssertionError(f"{name} is not listed")


def _in_gui_words(text):
    assert text and "umt-desktop" not in text and "`" not in text and "Traceback" not in text
    return text


def test_lists_the_zoo_with_published_accuracy(qtbot, dialog):
    assert dialog.table.rowCount() == len(zoo())
    row = _row(dialog, ZOO_NAME)
    assert row["Architecture"] == "UMT-B/16"
    assert row["Labels"] == "Kinetics-400"
    assert row["Published top-1"] == "87.33%"
    assert row["Status"] == "Not downloaded"
    assert row["Size"].startswith("≈ ")
    assert row["SHA-256"] == "–"
    _select(qtbot, dialog, ZOO_NAME)
    assert dialog.download_button.isEnabled() and not dialog.use_button.isEnabled()
    assert not dialog.verify_button.isEnabled() and not dialog.remove_button.isEnabled()
    assert not dialog.message.isVisible()


def test_import_then_use_then_remove(qtbot, dialog, tiny_checkpoint, tmp_path, choose_file):
    tiny = shutil.copyfile(tiny_checkpoint, tmp_path / "tiny.pth")
    choose_file(tiny)
    with qtbot.waitSignal(dialog.modelsChanged, timeout=60000):
        _click(qtbot, dialog.import_button)
    row = _row(dialog, "tiny")
    assert row["Status"] == "Imported" and row["Labels"] == "Kinetics-400"
    digest = hashlib.sha256(tiny_checkpoint.read_bytes()).hexdigest()
    assert row["SHA-256"] == f"✓ {digest[:12]}"
    assert digest in dialog.detail.text()
    assert "tiny" in ModelStore().installed()
    assert "Imported tiny" in dialog.notifier.last("success").text
    assert dialog.message.kind == "success" and "Imported tiny" in dialog.message.text.text()

    _select(qtbot, dialog, "tiny")
    with qtbot.waitSignal(dialog.activated) as used:
        _click(qtbot, dialog.use_button)
    assert used.args == ["tiny"]
    dialog.set_active("tiny")
    assert _row(dialog, "tiny")["Status"] == "● Active"

    asked = []
    dialog.confirm = lambda q: asked.append(q) or True
    _select(qtbot, dialog, "tiny")
    with qtbot.waitSignal(dialog.modelsChanged):
        _click(qtbot, dialog.remove_button)
    assert asked and "tiny" not in ModelStore().installed()
    assert _row(dialog, "tiny") is None


def test_importing_a_bad_file_is_an_error_in_the_dialog(qtbot, dialog, tmp_path, choose_file):
    bad = tmp_path / "broken.pth"
    bad.write_bytes(b"not a checkpoint")
    choose_file(bad)
    _click(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.message.kind == "error", timeout=30000)
    text = _in_gui_words(dialog.message.text.text())
    assert "broken.pth" in text and dialog.message.isVisible()
    assert dialog.notifier.last("error") is None  # said where the person is looking, once
    assert ModelStore().installed() == {}


def test_download_with_progress(qtbot, dialog, mirror, genuine):
    _select(qtbot, dialog, ZOO_NAME)
    with qtbot.waitSignal(dialog.modelsChanged, timeout=120000):
        _click(qtbot, dialog.download_button)
        assert dialog.progress.isVisible() and dialog.cancel_button.isEnabled()
        assert _row(dialog, ZOO_NAME)["Status"] == "Downloading…"
    qtbot.waitUntil(lambda: dialog.download_job is None, timeout=10000)
    assert ZOO_NAME in ModelStore().installed()
    row = _row(dialog, ZOO_NAME)
    assert row["Status"] == "Downloaded"
    assert row["SHA-256"] == "✓ " + hashlib.sha256(genuine).hexdigest()[:12]
    assert not row["Size"].startswith("≈")
    assert not dialog.progress.isVisible()
    assert dialog.notifier.last("success").action is not None  # "Use it"
    assert dialog.message.kind == "success" and "downloaded" in dialog.message.text.text()


def test_cancel_keeps_a_resumable_partial_and_resume_continues_it(qtbot, dialog, mirror, genuine):
    mirror.delay = 0.3  # about 17 s for the whole file: time to cancel it midway
    _select(qtbot, dialog, ZOO_NAME)
    _click(qtbot, dialog.download_button)
    # Downloading, with speed and time left once a few blocks have arrived.
    qtbot.waitUntil(lambda: "/s ·" in _row(dialog, ZOO_NAME)["Status"], timeout=60000)
    status = _row(dialog, ZOO_NAME)["Status"]
    assert status.startswith("Downloading ") and "% of 3.6 MB" in status and status.endswith(" left")
    _click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: dialog.download_job is None, timeout=30000)
    assert ZOO_NAME not in ModelStore().installed()
    have, total = ModelStore().partial(ZOO_NAME)
    assert 0 < have < total == len(genuine)
    status = _row(dialog, ZOO_NAME)["Status"]
    assert status.startswith("Partial: ") and status.endswith(" of 3.6 MB, resumable")
    assert dialog.message.kind == "info" and "cancelled" in dialog.message.text.text()
    assert dialog.notifier.last("error") is None
    assert dialog.download_button.text() == "Resume download"

    mirror.delay = 0.0
    first_requests = len(mirror.requests)
    with qtbot.waitSignal(dialog.modelsChanged, timeout=120000):
        _click(qtbot, dialog.download_button)
    qtbot.waitUntil(lambda: dialog.download_job is None, timeout=10000)
    assert mirror.requests[first_requests][1] == f"bytes={have}-"  # resumed, not started over
    assert ModelStore().path_of(ZOO_NAME).read_bytes() == genuine
    assert _row(dialog, ZOO_NAME)["Status"] == "Downloaded"


def test_a_partial_download_can_be_discarded(qtbot, dialog, mirror):
    mirror.delay = 0.3  # about 17 s for the whole file: time to cancel it midway
    _select(qtbot, dialog, ZOO_NAME)
    _click(qtbot, dialog.download_button)
    qtbot.waitUntil(lambda: dialog.progress.maximum() == 1000 and dialog.progress.value() > 0, timeout=60000)
    _click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: dialog.download_job is None, timeout=30000)
    dialog.confirm = lambda q: "partial download" in q
    assert dialog.remove_button.text() == "Discard partial"
    _click(qtbot, dialog.remove_button)
    assert ModelStore().partial(ZOO_NAME) is None
    assert _row(dialog, ZOO_NAME)["Status"] == "Not downloaded"
    assert dialog.download_button.text() == "Download"


def test_offline_download_fails_in_the_row_and_the_dialog(qtbot, dialog, monkeypatch):
    monkeypatch.setenv("UMT_DESKTOP_MIRROR", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    _select(qtbot, dialog, ZOO_NAME)
    _click(qtbot, dialog.download_button)
    qtbot.waitUntil(lambda: dialog.download_job is None, timeout=60000)
    status = _row(dialog, ZOO_NAME)["Status"]
    assert status.startswith("Download failed: cannot reach 127.0.0.1")
    text = _in_gui_words(dialog.message.text.text())
    assert dialog.message.kind == "error" and "cannot reach" in text and "Import…" in text
    assert dialog.notifier.last("error") is None
    assert ZOO_NAME not in ModelStore().installed()
    assert dialog.download_button.text() == "Retry download"


def test_a_served_file_of_another_architecture_is_refused(qtbot, dialog, monkeypatch, tiny_checkpoint):
    with FileServer({f"/{zoo_entry(ZOO_NAME).filename}": tiny_checkpoint.read_bytes()}) as srv:
        monkeypatch.setenv("UMT_DESKTOP_MIRROR", srv.url)
        _select(qtbot, dialog, ZOO_NAME)
        _click(qtbot, dialog.download_button)
        qtbot.waitUntil(lambda: dialog.download_job is None, timeout=60000)
    status = _row(dialog, ZOO_NAME)["Status"]
    assert status.startswith("Download failed: ") and "UMT-128x2/16" in status
    assert "UMT-B/16 (768 wide, 12 blocks)" in _in_gui_words(dialog.message.text.text())
    assert ZOO_NAME not in ModelStore().installed() and ModelStore().partial(ZOO_NAME) is None


def test_importing_a_file_of_another_architecture_under_a_zoo_name_is_refused(
        qtbot, dialog, tiny_checkpoint, tmp_path, choose_file):
    # The file carries the zoo model's file name, so it would take that model's place.
    impostor = shutil.copyfile(tiny_checkpoint, tmp_path / zoo_entry(ZOO_NAME).filename)
    choose_file(impostor)
    _click(qtbot, dialog.import_button)
    qtbot.waitUntil(lambda: dialog.message.kind == "error", timeout=60000)
    text = _in_gui_words(dialog.message.text.text())
    assert "UMT-128x2/16" in text and "UMT-B/16 (768 wide, 12 blocks)" in text
    assert _row(dialog, ZOO_NAME)["Status"].startswith("Import refused: ")
    assert ZOO_NAME not in ModelStore().installed()


def test_import_over_an_installed_model_asks_first(qtbot, dialog, tiny_checkpoint, tmp_path, choose_file):
    ModelStore().import_file(tiny_checkpoint, "mine")
    other = tmp_path / "mine.pth"
    other.write_bytes(write_zoo_checkpoint(tmp_path / "x.pth", zoo_entry(ZOO_NAME), seed=3).read_bytes())
    choose_file(other)
    asked = []
    dialog.confirm = lambda q: asked.append(q) and False
    _click(qtbot, dialog.import_button)
    assert asked and "already installed" in asked[0]
    assert ModelStore().path_of("mine").read_bytes() == tiny_checkpoint.read_bytes()
    dialog.confirm = lambda q: True
    with qtbot.waitSignal(dialog.modelsChanged, timeout=60000):
        _click(qtbot, dialog.import_button)
    assert ModelStore().path_of("mine").read_bytes() == other.read_bytes()
    assert _row(dialog, "mine")["Architecture"] == "UMT-B/16"


def test_verify_confirms_then_finds_a_damaged_file(qtbot, dialog, tiny_checkpoint):
    model = ModelStore().import_file(tiny_checkpoint, "tiny")
    dialog.refresh()
    _select(qtbot, dialog, "tiny")
    _click(qtbot, dialog.verify_button)
    qtbot.waitUntil(lambda: dialog.verify_job is None, timeout=30000)
    assert dialog.message.kind == "success" and model.sha256 in dialog.message.text.text()
    assert _row(dialog, "tiny")["SHA-256"] == "✓ " + model.sha256[:12]

    with open(ModelStore().path_of("tiny"), "r+b") as f:
        f.seek(1000)
        f.write(b"\xff\xfe")
    _select(qtbot, dialog, "tiny")
    _click(qtbot, dialog.verify_button)
    qtbot.waitUntil(lambda: dialog.verify_job is None, timeout=30000)
    row = _row(dialog, "tiny")
    assert row["Status"] == "Damaged: sha256 differs" and row["SHA-256"] == "✗ " + model.sha256[:12]
    text = _in_gui_words(dialog.message.text.text())
    assert dialog.message.kind == "error" and "changed since it was installed" in text


def test_a_remove_that_fails_says_why_in_the_dialog(qtbot, dialog, tiny_checkpoint):
    from tests.helpers.fs import read_only

    ModelStore().import_file(tiny_checkpoint, "tiny")
    dialog.refresh()
    dialog.confirm = lambda q: True
    with read_only(ModelStore().root):
        _select(qtbot, dialog, "tiny")
        _click(qtbot, dialog.remove_button)
        text = _in_gui_words(dialog.message.text.text())
    assert dialog.message.kind == "error" and "nothing was removed" in text
    assert "tiny" in ModelStore().installed() and _row(dialog, "tiny")["Status"] == "Imported"


def test_a_wrong_file_an_earlier_version_let_in_is_shown_as_such(qtbot, dialog, tiny_checkpoint):
    """Earlier versions installed a 128-wide, 2-block file as UMT-B/16; it is named for what it is."""
    from tests.helpers.checkpoints import install_under_zoo_name

    install_under_zoo_name(ModelStore(), tiny_checkpoint, ZOO_NAME)
    dialog.refresh()
    _select(qtbot, dialog, ZOO_NAME)
    assert _row(dialog, ZOO_NAME)["Status"] == "Wrong file: the file is UMT-128x2/16, not UMT-B/16"
    assert not dialog.use_button.isEnabled() and dialog.remove_button.isEnabled()
    assert "Remove it" in dialog.detail.text()
    _click(qtbot, dialog.verify_button)
    qtbot.waitUntil(lambda: dialog.verify_job is None, timeout=30000)
    assert dialog.message.kind == "error" and "UMT-B/16" in _in_gui_words(dialog.message.text.text())
