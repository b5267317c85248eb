"""Layering rules: the core and the CLI never import Qt; only the GUI does, when it runs."""

import os
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


def test_import_contracts_hold():
    """import-linter's contracts in pyproject.toml: no Qt under the core or the non-GUI commands, layers cli > gui > core."""
    code = "import sys\nfrom importlinter.cli import lint_imports\nsys.exit(lint_imports(no_cache=True, no_logo=True))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=PACKAGE.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 kept, 0 broken" in proc.stdout


# Makes `import PySide6` fail as it does where the GUI is not installed.
NO_QT = """
import importlib.abc, sys
class _NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _NoQt())
"""


def test_every_non_gui_command_runs_without_pyside6(tmp_path, tiny_checkpoint, fixtures):
    (tmp_path / "sitecustomize.py").write_text(NO_QT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}

    def umt(*args):
        return subprocess.run([sys.executable, "-m", "umt_desktop", *map(str, args)], capture_output=True, text=True, timeout=180, env=env)

    probe = subprocess.run([sys.executable, "-c", "import PySide6"], capture_output=True, text=True, env=env)
    assert probe.returncode != 0  # the blocker works
    video = fixtures / "synth_1_256x340_45f.mp4"
    for args in (["--version"], ["models", "list"], ["models", "path"], ["eval", "--list"], ["bench", "--help"],
                 ["stream", "--help"], ["classify", video, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--views", "1x1", "--json"]):
        proc = umt(*args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
    proc = umt("stream", video, "--checkpoint", tiny_checkpoint, "--device", "cpu", "--jsonl")
    assert proc.returncode == 0 and proc.stdout.count("\n") >= 1, proc.stderr
    gui = umt("gui", "--screenshot", tmp_path / "shot.png")
    assert gui.returncode != 0 and "Traceback" not in gui.stderr and len(gui.stderr.strip().splitlines()) == 1, gui.stderr
