"""The command line as a user runs it: `python -m umt_desktop ...` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys


def umt(*args, env: dict | None = None, timeout: float = 120, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "umt_desktop", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}, cwd=cwd,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The stderr of a failed command, asserted to be a single line with no traceback."""
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]
