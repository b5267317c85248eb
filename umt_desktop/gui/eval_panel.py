"""The Evaluate tab; it lives in the package `gui/evaluate/` (this name is kept for imports)."""

from .evaluate import ALL_GPUS, EvalPanel

__all__ = ["ALL_GPUS", "EvalPanel"]
