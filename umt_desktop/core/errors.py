"""User-facing errors: one type per domain, each with a message a person can act on.

The CLI prints `str(error)` on one line and exits non-zero; the GUI shows it in
a non-blocking notification. Anything that is not a `UMTError` is a bug.
"""

from __future__ import annotations


class UMTError(Exception):
    """Base of every error meant for the user."""


class CheckpointError(UMTError):
    """A file that is not a usable UMT checkpoint."""


class VideoError(UMTError):
    """A video that cannot be opened or decoded."""


class SourceError(UMTError):
    """A live source (camera, stream) that cannot be opened or was lost."""


class LabelError(UMTError):
    """A label map that is missing or does not fit the model."""


class ModelNotFoundError(UMTError):
    """A model name that is neither in the zoo nor installed."""


class DownloadError(UMTError):
    """A download that failed (server error, bad hash, disk full)."""


class OfflineError(DownloadError):
    """The download server cannot be reached."""


class DatasetError(UMTError):
    """An evaluation folder or annotation file that cannot be used."""


class NumericError(UMTError):
    """The model produced NaN or infinite scores: there is no prediction to show."""

    @classmethod
    def scores(cls, what: str) -> NumericError:
        return cls(f"the model gave NaN or infinite scores for {what}, so there is no prediction "
                   "(the checkpoint's weights or this input overflow)")


class DeviceError(UMTError):
    """A device that is not available (no CUDA, bad index, out of memory)."""


class Cancelled(UMTError):
    """Long work stopped on the user's request."""


class HistoryError(UMTError):
    """The evaluation history cannot be used; `path` is the database file (or the folder meant to hold it)."""

    def __init__(self, message: str, path=None) -> None:
        super().__init__(message)
        self.path = path


class HistoryDamagedError(HistoryError):
    """The history file is damaged or is not an umt-desktop history: `history.move_aside(path)` sets it aside."""


class HistoryUnavailableError(HistoryError):
    """The data folder or the history file cannot be created or written (permissions, read-only disk)."""


class DiskFullError(HistoryError):
    """The disk holding the history filled up; what was written before is kept."""


class RunBusyError(HistoryError):
    """An evaluation run that another live process is working on."""


class StorageError(UMTError):
    """A file or folder that cannot be written (read-only disk, no permission, name too long, disk full)."""


class ModelExistsError(UMTError):
    """An import that would replace an installed model without being asked to."""
