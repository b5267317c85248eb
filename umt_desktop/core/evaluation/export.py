"""Writing a stored run to a file: the one export of the CLI (`eval --export`) and the window.

    export_run(run_id, "run.csv")   # one row per video and checkpoint, with class names
    export_run(run_id, "run.json")  # the run record and every prediction

The destination is checked before anything is read (`check_export_path`) and the file
appears whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UMTError
from .history import History, RunRecord, check_export_path

__all__ = ["check_export_path", "export_run", "label_names"]


def label_names(record: RunRecord) -> list[list[str]]:
    """The class names of each checkpoint of a run ([] where they cannot be found)."""
    from ..model.labels import labels_for

    out = []
    for c in record.checkpoints:
        try:
            out.append(list(labels_for(c["num_classes"], record.settings.get("labels")).names))
        except UMTError:
            out.append([])
    return out


def export_run(run_id: str, dest: str | Path, history: History | None = None) -> Path:
    """Write run `run_id` to `dest` (.csv or .json) with the class names; returns the file written."""
    dest = check_export_path(dest)
    own = history is None
    history = history or History()
    try:
        record = history.get_run(run_id)
        return history.export(run_id, dest, labels=label_names(record))
    finally:
        if own:
            history.close()
