"""The wheel: built from the sources, installed into a fresh virtual environment and
run from outside the checkout, it carries everything the app reads at run time.

The fresh environment gets the wheel only (`--no-deps`); torch, PySide6 and the
other dependencies come from the environment running the tests through a .pth
file, so nothing is downloaded and the wheel's own files are what gets tested.
"""

from __future__ import annotations

import importlib.util
import json
import os
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_build_script():
    spec = importlib.util.spec_from_file_location("build_bundle", ROOT / "packaging" / "build_bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The bundle script's own source copy and setuptools check: the test builds what the script builds.
_build_script = _load_build_script()
_copy_sources = _build_script.copy_sources
_setuptools_is_enough = _build_script._setuptools_is_enough


def _has_build() -> bool:
    # build.__main__, not build: a stray ./build folder would pass for a namespace package.
    try:
        return importlib.util.find_spec("build.__main__") is not None
    except ModuleNotFoundError:  # find_spec imports the parent package, absent here
        return False


def _build_wheel(src: Path, out: Path) -> Path:
    have_setuptools = _setuptools_is_enough()
    if _has_build() and have_setuptools:
        # The documented command; sdist first, then the wheel from the sdist, so a
        # file missing from the sdist is missing from the wheel too.
        cmd = [sys.executable, "-m", "build", "--no-isolation", "--skip-dependency-check", "--outdir", str(out), str(src)]
    else:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(src)]
        if have_setuptools:
            cmd.insert(-1, "--no-build-isolation")
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    (wheel,) = out.glob("umt_desktop-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    _copy_sources(src)
    return _build_wheel(src, tmp / "dist")


def _dependency_paths() -> list[str]:
    """site-packages folders of the running environment (venv, system or user), minus the checkout."""
    candidates = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    paths = []
    for p in candidates:
        if p not in paths and Path(p).is_dir() and Path(p).resolve() != ROOT:
            paths.append(p)
    return paths


class Env:
    def __init__(self, root: Path, home: Path):
        self.root = root
        self.bin = root / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")
        self.home = home  # the working folder: outside the checkout

    def run(self, *args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
        environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        environ["PATH"] = str(self.bin) + os.pathsep + environ.get("PATH", "")
        environ.update(env or {})
        return subprocess.run(list(args), cwd=self.home, env=environ, capture_output=True, text=True, timeout=timeout)

    def app(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        exe = self.bin / ("umt-desktop.exe" if os.name == "nt" else "umt-desktop")
        return self.run(str(exe), *args, **kwargs)


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Env:
    tmp = tmp_path_factory.mktemp("venv")
    env = Env(tmp / "venv", tmp / "home")
    env.home.mkdir()
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env.root)], check=True)
    purelib = env.run(str(env.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    # Plain path lines, not site.addsitedir(): an editable install's finder in the
    # running environment must not come along and shadow the wheel.
    Path(purelib, "_umt_test_dependencies.pth").write_text("\n".join(_dependency_paths()) + "\n")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env.python), "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return env


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_wheel_holds_every_module_and_data_file(wheel):
    names = _wheel_names(wheel)
    modules = {
        "umt_desktop/" + p.relative_to(ROOT / "umt_desktop").as_posix()
        for p in (ROOT / "umt_desktop").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert modules - names == set(), "packages missing from [tool.setuptools] packages in pyproject.toml"
    data = {
        "umt_desktop/resources/" + p.relative_to(ROOT / "resources").as_posix()
        for p in (ROOT / "resources").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert data - names == set(), "data files missing from [tool.setuptools.package-data]"
    assert "umt_desktop/resources/zoo.json" in names
    assert {f"umt_desktop/resources/labels/label_map_k{n}.txt" for n in (400, 600, 700, 710)} <= names
    if any((ROOT / "resources" / "icons").glob("*")):
        assert any(n.startswith("umt_desktop/resources/icons/") for n in names)
    # Development files stay out.
    assert not [n for n in names if n.startswith(("tests/", "packaging/", "resources/")) or "__pycache__" in n]


def test_wheel_declares_the_console_script(wheel):
    with zipfile.ZipFile(wheel) as z:
        (entry_points,) = [n for n in z.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = z.read(entry_points).decode()
    assert "umt-desktop = umt_desktop.cli:main" in text


def test_installed_app_is_the_wheel_not_the_checkout(installed):
    result = installed.run(str(installed.python), "-c", "import umt_desktop; print(umt_desktop.__file__)")
    assert result.returncode == 0, result.stderr
    location = Path(result.stdout.strip()).resolve()
    assert location.is_relative_to(installed.root.resolve()), location


def test_version(installed):
    from umt_desktop import __version__

    result = installed.app("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"umt-desktop {__version__}"


def test_models_list_reads_the_zoo_from_the_wheel(installed, tmp_path):
    zoo = json.loads((ROOT / "resources" / "zoo.json").read_text())
    result = installed.app("models", "list", "--json", env={"UMT_DESKTOP_DATA_DIR": str(tmp_path / "data")})
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == [m["name"] for m in zoo["models"]]
    assert not any(r["installed"] for r in rows)


def test_classify_fixture_video(installed, fixtures, tiny_checkpoint, tiny_classifier, tmp_path):
    video = fixtures / "synth_0_340x256_120f.mp4"
    result = installed.app(
        "classify", str(video), "--checkpoint", str(tiny_checkpoint), "--views", "1x1", "--device", "cpu", "--json",
        env={"UMT_DESKTOP_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    expected = tiny_classifier.classify(video, views="1x1", topk=5)
    assert [t["index"] for t in out["top"]] == [t.index for t in expected.top]
    assert [t["label"] for t in out["top"]] == [t.label for t in expected.top]  # label maps from the wheel
    assert [t["score"] for t in out["top"]] == pytest.approx([t.score for t in expected.top], abs=1e-5)


def test_bad_video_is_one_line_error(installed, tiny_checkpoint, tmp_path):
    bogus = tmp_path / "not-a-video.mp4"
    bogus.write_bytes(b"this is not a video")
    result = installed.app("classify", str(bogus), "--checkpoint", str(tiny_checkpoint), "--device", "cpu")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


def test_gui_screenshot(installed, fixtures, tiny_checkpoint, tmp_path):
    shot = tmp_path / "window.png"
    result = installed.app(
        "gui", str(fixtures / "synth_1_256x340_45f.mp4"), "--checkpoint", str(tiny_checkpoint), "--device", "cpu",
        "--screenshot", str(shot), "--timeout", "180",
        env={"QT_QPA_PLATFORM": "offscreen", "UMT_DESKTOP_DATA_DIR": str(tmp_path / "data"),
             "UMT_DESKTOP_CONFIG_DIR": str(tmp_path / "config")},
        timeout=280,
    )
    assert result.returncode == 0, result.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000  # a drawn window, not an empty image
