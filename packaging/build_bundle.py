"""Build the one-folder desktop bundle: packaging/dist/umt-desktop/.

    python -m pip install pyinstaller    # once, into the environment that runs the app
    python packaging/build_bundle.py [--clean]

Run it with the Python environment whose torch, PySide6, OpenCV and decord
should ship: the bundle is frozen from that environment (a CUDA build of torch
gives a CUDA bundle, a CPU build a much smaller CPU bundle). Steps:

1. build the wheel from a clean copy of the sources and install it (no
   dependencies) into packaging/build/site: the bundle gets the wheel's files;
2. render the app icon (resources/icons/*.svg) into packaging/build/icons;
3. run PyInstaller on packaging/umt-desktop.spec -> packaging/dist/umt-desktop/;
4. on Linux, add the .desktop entry, the icons and install.sh to that folder;
5. check that the built executable starts (`umt-desktop --version`).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = HERE / "build"
DIST = HERE / "dist"
NAME = "umt-desktop"
# What the wheel is built from: the rest of the checkout (tests, build outputs) stays out.
SOURCES = ["pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in", "README.md", "LICENSE", "umt_desktop", "resources"]


def step(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(cmd: list[str], **kwargs) -> None:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def copy_sources(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.is_file():
            shutil.copy2(src, dest / name)


def _setuptools_is_enough() -> bool:
    """The installed setuptools meets pyproject's build requirement, so pip may build in place
    (offline, no second download); otherwise pip builds in an isolated environment."""
    try:
        import tomllib
        from importlib.metadata import PackageNotFoundError, version

        from packaging.requirements import Requirement
    except ImportError:
        return False
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    for req in map(Requirement, requires):
        if req.name == "setuptools":
            try:
                return req.specifier.contains(version("setuptools"), prereleases=True)
            except PackageNotFoundError:
                return False
    return False


def build_wheel(out: Path) -> Path:
    """Build the wheel from a copy of the sources (a stale ./build/lib cannot leak into it)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="umt-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        copy_sources(src)
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", out]
        if _setuptools_is_enough():
            cmd.append("--no-build-isolation")
        run([*cmd, src])
    wheels = sorted(out.glob("umt_desktop-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel in {out}, found {wheels}")
    return wheels[0]


def stage(wheel: Path, site: Path) -> None:
    shutil.rmtree(site, ignore_errors=True)
    run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--target", site, wheel])


def render_icons(out: Path) -> bool:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, str(HERE / "render_icons.py"), "--out", str(out)], env=env)
    return result.returncode == 0


def add_desktop_files(bundle: Path, icons: Path, with_icons: bool) -> None:
    """The freedesktop entry and icons, laid out as under a prefix, plus their installer."""
    share = bundle / "share"
    shutil.rmtree(share, ignore_errors=True)
    (share / "applications").mkdir(parents=True)
    shutil.copy2(HERE / "linux" / f"{NAME}.desktop", share / "applications" / f"{NAME}.desktop")
    if with_icons:
        shutil.copytree(icons / "hicolor", share / "icons" / "hicolor")
    shutil.copy2(HERE / "linux" / "install.sh", bundle / "install.sh")


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the one-folder desktop bundle of umt-desktop.")
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache and earlier builds first")
    parser.add_argument("--distpath", type=Path, default=DIST, help=f"where the bundle goes (default: {DIST})")
    parser.add_argument("--workpath", type=Path, default=BUILD, help=f"intermediate files (default: {BUILD})")
    args = parser.parse_args(argv)

    if importlib.util.find_spec("PyInstaller") is None:
        print("PyInstaller is not installed: python -m pip install pyinstaller", file=sys.stderr)
        return 2
    started = time.monotonic()
    work = args.workpath.resolve()
    dist = args.distpath.resolve()
    if args.clean:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(dist / NAME, ignore_errors=True)

    step("building the wheel")
    wheel = build_wheel(work / "wheel")
    step(f"installing {wheel.name} into {work / 'site'}")
    stage(wheel, work / "site")

    step("rendering the app icon")
    icons = work / "icons"
    with_icons = render_icons(icons)
    if not with_icons:
        print("warning: building without an app icon", file=sys.stderr)

    step("freezing with PyInstaller (several minutes: torch is large)")
    env = {**os.environ, "UMT_BUNDLE_SITE": str(work / "site"), "UMT_BUNDLE_ICONS": str(icons)}
    cmd = [
        sys.executable, "-m", "PyInstaller", HERE / f"{NAME}.spec", "--noconfirm",
        "--distpath", dist, "--workpath", work / "pyinstaller",
    ]
    if args.clean:
        cmd.append("--clean")
    # From a folder outside the checkout, so the checkout's umt_desktop is not on the path.
    run(cmd, env=env, cwd=work)

    bundle = dist / NAME
    exe = bundle / (f"{NAME}.exe" if sys.platform == "win32" else NAME)
    if sys.platform.startswith("linux"):
        step("adding the desktop entry and icons")
        add_desktop_files(bundle, icons, with_icons)

    step("checking that it starts")
    run([exe, "--version"])
    minutes = (time.monotonic() - started) / 60
    print(f"\nbuilt {bundle} ({folder_size(bundle) / 1e9:.2f} GB) in {minutes:.1f} min")
    print(f"run it: {exe} --help")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as e:
        print(f"build_bundle: command failed with exit status {e.returncode}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("build_bundle: interrupted", file=sys.stderr)
        sys.exit(130)
