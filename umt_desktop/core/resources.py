"""Runtime data shipped inside the package (label maps, zoo registry, icons).

Read through importlib.resources so a wheel, an editable install and a frozen
bundle all see the same files.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable


def resource(*parts: str) -> Traversable:
    node = resources.files("umt_desktop.resources")
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    return resource(*parts).read_text(encoding="utf-8")
