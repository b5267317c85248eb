"""Layering rules: the core and the CLI never import Qt; only the GUI does, when it runs."""

import subprocess
import sys
from pathlib import Path

import umt_desktop

PACKAGE = Path(umt_desktop.__file__).parent


def test_core_and_cli_import_without_qt():
    modules = sorted(
        ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in (PACKAGE / "core").rglob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "from umt_desktop.cli import build_parser\n"
        "build_parser()\n"
        "bad = sorted(m for m in sys.modules if m.startswith('PySide6'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_core_sources_do_not_mention_qt_imports():
    for path in (PACKAGE / "core").rglob("*.py"):
        text = path.read_text()
        assert "import PySide6" not in text and "from PySide6" not in text, path.name
