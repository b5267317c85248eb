"""Shared fixtures. Qt runs offscreen; every test gets its own data and config folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.mktemp("umt-home")
    monkeypatch.setenv("UMT_DESKTOP_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("UMT_DESKTOP_CONFIG_DIR", str(root / "config"))
    monkeypatch.delenv("UMT_DESKTOP_MIRROR", raising=False)
    return root


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def tiny_checkpoint() -> Path:
    return FIXTURES / "tiny_umt.pth"


@pytest.fixture(scope="session")
def reference() -> dict:
    return json.loads((FIXTURES / "reference.json").read_text())


@pytest.fixture(scope="session")
def reference_videos(reference) -> list[tuple[Path, dict]]:
    return [(FIXTURES / v["file"], v) for v in reference["videos"]]


@pytest.fixture(scope="session")
def tiny_classifier(tiny_checkpoint):
    from umt_desktop import load_classifier

    return load_classifier(tiny_checkpoint, device="cpu")
