"""Strict JSON output: what the program writes is JSON every parser accepts.

Python's `json` writes NaN and Infinity as bare `NaN` / `Infinity`, which strict
parsers (JavaScript, jq, Go, Rust's serde) reject. `dumps` writes a non-finite
number as null instead (a figure that was not measured); predictions never get
here with one (`classifier.check_finite` makes them an error first).

    from umt_desktop.core.jsonio import dumps
    dumps({"top1": float("nan")})   # -> '{"top1": null}'
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(obj: Any) -> Any:
    """`obj` with every NaN or infinite float replaced by None (dicts, lists and tuples walked)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """`json.dumps` that never writes NaN or Infinity (allow_nan=False after replacing them by null)."""
    try:
        return json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError:  # a non-finite float somewhere: write it as null
        return json.dumps(finite(obj), allow_nan=False, **kwargs)
