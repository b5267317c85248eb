"""Real read-only and non-writable folders, and the CLI run as a user without write permission.

As root, permissions do not stop writes: a read-only bind mount of the folder
onto itself does (EROFS), and `setpriv` runs the CLI as `nobody` (EACCES on
root-owned folders). Without root, chmod does both. What the machine cannot do
is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

NOBODY = 65534


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def read_only(folder: str | Path):
    """`folder`, with what it holds, made unwritable for the duration: a read-only mount as root, chmod otherwise."""
    folder = Path(folder)
    if is_root():
        if not shutil.which("mount"):
            pytest.skip("no mount command to make a read-only folder as root")
        done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot bind-mount a folder read-only here: {done.stderr.strip()}")
        try:
            done = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, text=True)
            if done.returncode:
                pytest.skip(f"cannot remount a folder read-only here: {done.stderr.strip()}")
            yield folder
        finally:
            subprocess.run(["umount", str(folder)], capture_output=True)
    else:
        mode = folder.stat().st_mode
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        try:
            yield folder
        finally:
            folder.chmod(mode)


@contextlib.contextmanager
def small_disk(folder: str | Path, size: str = "1m"):
    """A tmpfs of `size` mounted on `folder` (root only), so writes beyond it fail with ENOSPC."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not is_root():
        pytest.skip("mounting a small tmpfs to fill up needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def shared_tmpdir() -> Path:
    """A folder every user can read (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="umt-shared-"))
    path.chmod(0o755)
    return path


def umt_without_write_permission(*args, env: dict | None = None, timeout: float = 120):
    """`python -m umt_desktop ARGS` as a user that may read but not write root's folders (root only);
    without root the caller makes the folder unwritable with chmod and runs the CLI normally."""
    if not is_root():
        from tests.helpers.cli import umt

        return umt(*args, env=env, timeout=timeout)
    if not shutil.which("setpriv"):
        pytest.skip("no setpriv to run the CLI as another user")
    home = shared_tmpdir()
    full_env = {**os.environ, "HOME": str(home), **(env or {})}
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         sys.executable, "-m", "umt_desktop", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=full_env, cwd=str(home),
    )
