"""Video readers behind one small interface.

A reader opens a file, reports its frame count and frame rate, and fetches a
list of frame indices as RGB uint8 arrays. decord is the default because the
published numbers were measured with it (MMAction2's DecordInit/DecordDecode);
OpenCV is available as an explicitly chosen alternative, and stands in for decord
on a file decord's own defects stop it from decoding (frames 16-48 pixels wide):
the reader's `note` then says so.

Neither library prints on stderr: decord's log and FFmpeg's (through OpenCV) are
silenced, and their failures become one-line `VideoError`s in our words.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from ..errors import VideoError
from ..options import DEFAULT_READER

# FFmpeg inside OpenCV reads its log level once, when OpenCV first opens a file: set it
# before any capture (AV_LOG_QUIET), so "[h264 @ 0x...] ..." lines never reach stderr.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".3gp", ".ts")


class VideoReader(ABC):
    """An opened video file. Use as a context manager or call close()."""

    path: Path
    note: str | None = None  # a one-line remark for the user (e.g. another reader stood in)

    @property
    @abstractmethod
    def num_frames(self) -> int: ...

    @property
    @abstractmethod
    def fps(self) -> float: ...

    @property
    @abstractmethod
    def size(self) -> tuple[int, int]:
        """(width, height) of the decoded frames."""

    @abstractmethod
    def get_frames(self, indices: list[int] | np.ndarray) -> np.ndarray:
        """Frames at `indices` (repeats allowed, any order) as (len, H, W, 3) RGB uint8."""

    def close(self) -> None:
        pass

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def video_file_problem(path: str | Path) -> str | None:
    """Why `path` cannot be read as a file (missing, a folder, empty, no permission), or None."""
    path = Path(path)
    try:
        if not path.exists():
            return f"{path} does not exist"
        if path.is_dir():
            return f"{path} is a folder, not a video"
        if path.stat().st_size == 0:
            return f"{path.name} is empty (0 bytes)"
        with open(path, "rb"):
            pass
    except PermissionError:
        return f"{path.name} cannot be read: permission denied"
    except OSError as e:
        return f"{path.name} cannot be read ({e.strerror or type(e).__name__})"
    return None


def _check_path(path: Path) -> None:
    problem = video_file_problem(path)
    if problem:
        raise VideoError(problem)


class DecordReader(VideoReader):
    name = "decord"

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        self.path = Path(path)
        self.note: str | None = None  # set when another reader had to stand in
        _check_path(self.path)
        try:
            import decord
        except ImportError:  # pragma: no cover - platform without a decord wheel
            raise VideoError("decord is not installed; choose the opencv reader") from None
        try:
            with _native_stderr_silenced():
                decord.logging.set_level(decord.logging.QUIET)
                self._vr = decord.VideoReader(os.fspath(self.path), ctx=decord.cpu(0), num_threads=threads)
            n = len(self._vr)
        except Exception as e:  # decord raises its own DECORDError and RuntimeError
            raise VideoError(f"{self.path.name} cannot be opened as a video ({_short(e)})") from None
        if n <= 0:
            raise VideoError(f"{self.path.name} has no video frames")
        self._n = n
        self._size: tuple[int, int] | None = None

    @property
    def num_frames(self) -> int:
        return self._n

    @property
    def fps(self) -> float:
        try:
            return float(self._vr.get_avg_fps()) or 30.0
        except Exception:
            return 30.0

    @property
    def size(self) -> tuple[int, int]:
        if self._size is None:
            try:
                h, w = self._vr[0].shape[:2]
            except Exception as e:
                if not _decord_defect(e):
                    raise VideoError(f"{self.path.name} could not be decoded ({_short(e)})") from None
                with OpenCVReader(self.path) as other:
                    w, h = other.size
            self._size = (w, h)
        return self._size

    def get_frames(self, indices) -> np.ndarray:
        indices = np.asarray(indices, dtype=np.int64)
        # Decode each distinct frame once, in file order; decord's accurate seek makes
        # this pixel-identical to fetching `indices` as given.
        unique, inverse = np.unique(indices, return_inverse=True)
        try:
            frames = self._vr.get_batch(unique.tolist()).asnumpy()
        except Exception as e:
            if not _decord_defect(e):
                raise VideoError(f"{self.path.name} could not be decoded ({_short(e)})") from None
            return self._opencv_frames(indices)
        return frames[inverse]

    def _opencv_frames(self, indices: np.ndarray) -> np.ndarray:
        """decord's defect, not the file's: decode with OpenCV instead, and say so in `note`."""
        with OpenCVReader(self.path) as other:
            frames = other.get_frames(indices)
            w, h = other.size
        self._size = (w, h)
        self.note = (f"decord cannot decode {self.path.name} (a decord defect with {w}x{h} frames); "
                     "decoded with the OpenCV reader instead")
        return frames

    def close(self) -> None:
        self._vr = None


class OpenCVReader(VideoReader):
    """FFmpeg through OpenCV; frames are converted BGR -> RGB. Not bit-identical to decord."""

    name = "opencv"

    def __init__(self, path: str | Path) -> None:
        import cv2

        self.path = Path(path)
        self.note: str | None = None
        _check_path(self.path)
        self._cv2 = cv2
        cap = cv2.VideoCapture(os.fspath(self.path))
        if not cap.isOpened():
            raise VideoError(f"{self.path.name} cannot be opened as a video")
        self._cap = cap
        self._n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self._fps = float(cap.get(cv2.CAP_PROP_FPS)) or 30.0
        self._size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        if self._n <= 0:
            raise VideoError(f"{self.path.name} has no video frames")

    @property
    def num_frames(self) -> int:
        return self._n

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def get_frames(self, indices) -> np.ndarray:
        indices = np.asarray(indices, dtype=np.int64)
        unique, inverse = np.unique(indices, return_inverse=True)
        wanted = set(unique.tolist())
        got: dict[int, np.ndarray] = {}
        cap, cv2 = self._cap, self._cv2
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        # Sequential grab is exact where seeking in long-GOP files is not.
        for i in range(int(unique[-1]) + 1):
            if not cap.grab():
                break
            if i in wanted:
                ok, frame = cap.retrieve()
                if not ok:
                    break
                got[i] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        missing = wanted - got.keys()
        if missing:
            raise VideoError(f"{self.path.name} could not be decoded up to frame {min(missing)}")
        frames = np.stack([got[i] for i in unique.tolist()])
        return frames[inverse]

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


READERS = {"decord": DecordReader, "opencv": OpenCVReader}


def open_video(path: str | Path, reader: str = DEFAULT_READER) -> VideoReader:
    try:
        cls = READERS[reader]
    except KeyError:
        raise VideoError(f"unknown video reader {reader!r} (choose from {', '.join(READERS)})") from None
    return cls(path)


def is_video_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


@contextlib.contextmanager
def _native_stderr_silenced():
    """Swallow what native code writes to fd 2 meanwhile (decord logs failed opens itself;
    we raise a clearer VideoError instead)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


# decord prefixes its messages with "[12:00:00] /path/to/file.cc:123: ", and its frame-copy
# check fails on valid H.264 files 16 to 48 pixels wide (a decord defect, not damage).
_DECORD_PREFIX = re.compile(r"\[\d\d:\d\d:\d\d\] \S+:\d+: ")
_DECORD_DEFECT = "DECORDArrayCopyFromTo"


def _decord_defect(e: BaseException) -> bool:
    return _DECORD_DEFECT in str(e)


def _short(e: BaseException) -> str:
    lines = [_DECORD_PREFIX.sub("", ln).strip() for ln in str(e).strip().splitlines()]
    lines = [ln for ln in lines if ln]
    text = lines[0] if lines else type(e).__name__
    return text[:160]
