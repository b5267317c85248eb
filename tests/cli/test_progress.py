"""The CLI's progress bar: redrawn in place on a terminal, a single final line in logs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
from umt_desktop.cli.common import ProgressBar
bar = ProgressBar("eval", 10)
for i in range(11):
    bar.update(i, extra="1 failed" if i > 4 else "")
bar.close()
"""


def test_redirected_output_gets_only_the_final_line():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("eval [") and "100.0% 10/10" in lines[0] and "1 failed" in lines[0]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_terminal_sees_the_bar_redrawn_in_place():
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=terminal, stderr=terminal)
    proc.wait(timeout=60)
    os.close(terminal)
    out = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(controller)
    text = out.decode()
    assert proc.returncode == 0, text
    assert text.count("\r") >= 2 and "eval [" in text and "10/10" in text
