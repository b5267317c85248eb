"""The Evaluate tab of the window, in four modules:

- `panel`: `EvalPanel`, the tab itself: set-up form, run controls, past runs;
- `results`: `ResultsView`, the table of checkpoints and the details of one of them;
- `charts`: the painted charts (per-class bars, best/worst, confused pairs, top-1 over runs);
- `jobs`: the work the tab hands to the window's `JobRunner` (evaluation, dataset
  scan, history reads, export) and the outcomes they return.
"""

from .panel import ALL_GPUS, EvalPanel

__all__ = ["ALL_GPUS", "EvalPanel"]
