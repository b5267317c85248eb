"""Batch classification: folders and lists of videos through the evaluation pipeline, rows saved as they finish.

    found = collect_videos(["clips/", "one.mp4"], lists=["todo.txt"])   # found.videos, found.skipped
    with ResultsFile("out.jsonl", topk=5) as out:                      # reopened: out.done holds what is in it
        todo = [v for v in found.videos if v not in out]
        for item in BatchRun(clf, todo, views="4x3", topk=5, output=out).run():
            item.to_json()                                              # the `classify --json` object

`BatchRun` sends the videos through `evaluation.pipeline` (decode worker processes,
batches of views from several videos), so the probabilities are the ones
`Classifier.classify` gives for each video alone, at the evaluation's speed. A video
that cannot be decoded yields a row with its error; the others go on.

`ResultsFile` appends one whole line per video with one `os.write` (a process that dies
never leaves half a row behind) and flushes it to the disk at least once a second and on
close (`fsync`: a reboot loses at most the last second of rows, which the next run
computes again; a partial last line is cut off when the file is reopened). Running the
same command again skips what is done and never duplicates a row. Formats: `.jsonl`
(the `classify --json` objects) and `.csv` (`csv_header(topk)`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


from .errors import Cancelled, UMTError
from .jsonio import dumps
from .evaluation.pipeline import Cancellation, classify_stream
from .video.protocols import get_protocol
from .video.readers import DEFAULT_READER, VIDEO_EXTENSIONS

FORMATS = (".jsonl", ".csv")


# -- which videos ------------------------------------------------------------------
@dataclass
class Collected:
    videos: list[str] = field(default_factory=list)  # in order, each once
    skipped: int = 0  # files under the folders that are not videos
    folders: int = 0


def is_video_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS


def collect_videos(paths: Iterable[str | Path] = (), lists: Iterable[str | Path] = ()) -> Collected:
    """The videos named by `paths` and by the list files, each once, in the order given.

    A folder contributes every video file under it, recursively and sorted (hidden files and
    folders left out, each folder visited once even through symbolic-link loops); other files
    under it are counted in `skipped`. A file named directly is taken as it is (a missing or
    broken one gets an error row). A list file holds one path per line; blank lines and lines
    starting with `#` are ignored, relative paths are relative to the list file's folder.
    """
    out = Collected()
    seen: set[str] = set()

    def add(path: str) -> None:
        key = result_key(path)
        if key not in seen:
            seen.add(key)
            out.videos.append(path)

    def take(path: str) -> None:
        if os.path.isdir(path):
            out.folders += 1
            videos, skipped = _walk(path)
            out.skipped += skipped
            for v in videos:
                add(v)
        else:
            add(path)

    for p in paths:
        take(os.fspath(p))
    for lst in lists:
        for entry in read_list(lst):
            take(entry)
    return out


def read_list(path: str | Path) -> list[str]:
    """The entries of a list file, relative ones joined to the list file's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as e:
        raise UMTError(f"cannot read the list {path}: {e.strerror or e}") from None
    base = path.parent
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entries.append(line if os.path.isabs(line) else os.path.join(base, line) if str(base) != "." else line)
    return entries


def _walk(root: str) -> tuple[list[str], int]:
    videos: list[str] = []
    skipped = 0
    visited: set[tuple[int, int]] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        try:
            st = os.stat(folder)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in visited:  # a link back to a folder already walked
            dirs[:] = []
            continue
        visited.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            if is_video_name(name):
                videos.append(os.path.join(folder, name))
            else:
                skipped += 1
    videos.sort(key=lambda p: [part.lower() for part in Path(p).relative_to(root).parts] + [p])
    return videos, skipped


def result_key(video: str | Path) -> str:
    """How a video is recognised in a results file: its absolute, normalised path."""
    return os.path.normcase(os.path.abspath(os.fspath(video)))


# -- results --------------------------------------------------------------------------
@dataclass
class BatchItem:
    """One video's outcome."""

    video: str
    result: object | None = None  # a `Classification`
    error: str | None = None
    duration: float | None = None  # seconds of video
    index: int = 0  # position in the run's list

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def top(self) -> list:
        return list(self.result.top) if self.result is not None else []

    def to_json(self) -> dict:
        """Exactly the `classify --json` object."""
        if self.result is None:
            return {"video": self.video, "error": self.error}
        return self.result.to_json()


def csv_header(topk: int) -> list[str]:
    """`video, views, seconds, top1_label, top1_score, ..., topK_label, topK_score, error`."""
    cols = ["video", "views", "seconds"]
    for k in range(1, topk + 1):
        cols += [f"top{k}_label", f"top{k}_score"]
    return cols + ["error"]


def csv_row(row: dict, topk: int) -> list[str]:
    """A `classify --json` object as a CSV row under `csv_header(topk)`."""
    if "error" in row:
        return [row["video"], "", ""] + [""] * (2 * topk) + [row["error"]]
    cells = [row["video"], row["views"], repr(row["seconds"])]
    top = row["top"][:topk]
    for t in top:
        cells += [t["label"], repr(float(t["score"]))]
    cells += [""] * (2 * (topk - len(top)))
    return cells + [""]


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def _row_from_csv(cells: dict) -> dict:
    if cells.get("error"):
        return {"video": cells["video"], "error": cells["error"]}
    top, k = [], 1
    while f"top{k}_label" in cells:
        if cells[f"top{k}_label"] or cells[f"top{k}_score"]:
            top.append({"index": None, "label": cells[f"top{k}_label"], "score": float(cells[f"top{k}_score"])})
        k += 1
    return {"video": cells["video"], "views": cells["views"], "top": top, "seconds": float(cells["seconds"] or 0)}


def output_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UMTError(f"{Path(path).name}: results are written as .jsonl or .csv")
    return suffix


class ResultsFile:
    """A results file that is appended one whole row at a time and reopened to resume.

    Opening reads what is there (`rows`, `done`), cuts off a partial last line left by a
    machine that stopped while writing, and holds a lock so that two runs never write the
    same file. `append(row)` writes one `classify --json` object as one line (one `write`
    call) and flushes the file to the disk when `sync_every` seconds have passed since the
    last flush (0: after every row), and on close; a failed write (disk full) leaves the
    file as it was and raises.
    """

    def __init__(self, path: str | Path, topk: int = 5, sync_every: float = 1.0) -> None:
        self.path = Path(path)
        self.format = output_format(self.path)
        self.topk = topk
        self.sync_every = sync_every
        self._synced = time.monotonic()
        self.rows: list[dict] = []
        self.done: dict[str, dict] = {}  # result_key -> row
        self._fd: int | None = None
        self._open()

    def __contains__(self, video: str | Path) -> bool:
        return result_key(video) in self.done

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def name(self) -> str:
        return self.path.name

    def _open(self) -> None:
        regular = not self.path.exists() or self.path.is_file()
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as e:
            raise UMTError(f"cannot open {self.path} for results: {e.strerror or e}") from None
        self._fd = fd
        try:
            _lock(fd, self.path)
            if regular:
                self._read_existing()
            self._size = os.lseek(fd, 0, os.SEEK_END) if regular else 0
        except BaseException:
            self.close()
            raise

    def _read_existing(self) -> None:
        fd = self._fd
        chunks = []
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a row cut off mid-line by a process that died: not a result
            os.ftruncate(fd, end)
            os.fsync(fd)
            data = data[:end]
        text = data.decode("utf-8", errors="surrogateescape")
        if self.format == ".jsonl":
            rows = self._parse_jsonl(text)
        else:
            rows = self._parse_csv(text)
        for row in rows:
            self.rows.append(row)
            self.done[result_key(row["video"])] = row

    def _parse_jsonl(self, text: str) -> list[dict]:
        rows = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if not isinstance(row, dict) or not isinstance(row.get("video"), str):
                raise UMTError(f"line {n} of {self.path} is not a classification result; "
                               "choose another --output file")
            rows.append(row)
        return rows

    def _parse_csv(self, text: str) -> list[dict]:
        if not text:
            os.write(self._fd, _csv_line(csv_header(self.topk)).encode("utf-8"))
            os.fsync(self._fd)
            return []
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header != csv_header(self.topk):
            k = sum(1 for c in header or [] if c.endswith("_label"))
            hint = f" (written with --topk {k})" if header and header[:3] == ["video", "views", "seconds"] else ""
            raise UMTError(f"{self.path} has other columns than this command writes{hint}; "
                           "use the same options or another --output file")
        rows = []
        for cells in reader:
            if not cells:
                continue
            try:
                rows.append(_row_from_csv(dict(zip(header, cells))))
            except (KeyError, ValueError):
                raise UMTError(f"line {reader.line_num} of {self.path} is not a classification result; "
                               "choose another --output file") from None
        return rows

    def append(self, row: dict) -> None:
        if self.format == ".jsonl":
            line = dumps(row) + "\n"
        else:
            line = _csv_line(csv_row(row, self.topk))
        data = line.encode("utf-8", errors="surrogateescape")
        try:
            written = os.write(self._fd, data)
            if written != len(data):
                raise OSError(28, os.strerror(28))  # a short write: the disk is full
            if time.monotonic() - self._synced >= self.sync_every:
                self.sync()
        except OSError as e:
            try:
                os.ftruncate(self._fd, self._size)  # never leave half a row behind
            except OSError:
                pass
            raise UMTError(f"cannot write to {self.path}: {e.strerror or e} "
                           f"(the {len(self.rows)} rows before are kept)") from None
        self._size += len(data)
        self.rows.append(row)
        self.done[result_key(row["video"])] = row

    def sync(self) -> None:
        """Flush what was appended to the disk (a few milliseconds; `append` does it once a second)."""
        os.fsync(self._fd)
        self._synced = time.monotonic()

    def close(self) -> None:
        if self._fd is not None:
            try:
                self.sync()
            except OSError:
                pass  # a device that cannot flush (a full disk was reported by append already)
            finally:
                os.close(self._fd)
                self._fd = None


def _lock(fd: int, path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise UMTError(f"{path} is being written by another classification; wait for it or choose another file") \
            from None


def export_results(path: str | Path, rows: Iterable[dict], topk: int = 5) -> Path:
    """Write `rows` (`classify --json` objects) as a new .jsonl or .csv file, whole or not at all."""
    path = Path(path)
    fmt = output_format(path)
    if fmt == ".jsonl":
        text = "".join(dumps(r) + "\n" for r in rows)
    else:
        text = "".join(_csv_line(c) for c in [csv_header(topk)] + [csv_row(r, topk) for r in rows])
    tmp = path.with_name(f".{path.name}.part")
    try:
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise UMTError(f"cannot write {path}: {e.strerror or e}") from None
    return path


# -- running ----------------------------------------------------------------------------
@dataclass
class BatchProgress:
    done: int  # videos finished in this run
    total: int  # videos to do in this run
    failed: int
    elapsed: float
    videos_per_second: float

    @property
    def eta(self) -> float | None:
        if self.videos_per_second <= 0:
            return None
        return (self.total - self.done) / self.videos_per_second


WORKERS_FROM = 16  # fewer videos decode faster in this process than a worker process starts (seconds)


def default_workers(videos: int) -> int:
    """Decode processes: none for fewer than 16 videos, else one per spare core, up to 8."""
    if videos < WORKERS_FROM:
        return 0
    return max(1, min(8, (os.cpu_count() or 2) - 1, videos))


class BatchRun:
    """Classify `videos` with one classifier; `run()` yields a `BatchItem` per video, in order.

    Each item is appended to `output` (a `ResultsFile`) before it is yielded; `progress`
    is called after each item. `cancel()` (any thread) or `cancelled()` returning True
    stops after the batch being computed; `run()` then raises `Cancelled` once the
    finished items are out.
    """

    def __init__(self, classifier, videos: list[str], *, views: str = "4x3", topk: int = 5,
                 workers: int | None = None, batch_size: int | None = None, reader: str | None = None,
                 output: ResultsFile | None = None, progress: Callable[[BatchProgress], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> None:
        self.classifier = classifier
        self.videos = [os.fspath(v) for v in videos]
        self.protocol = get_protocol(views)
        self.topk = topk
        self.workers = default_workers(len(self.videos)) if workers is None else workers
        self.batch_size = batch_size
        self.reader = reader or getattr(classifier, "reader", DEFAULT_READER)
        self.output = output
        self.progress = progress
        self._should_stop = Cancellation(cancelled)
        self.done = 0
        self.failed = 0

    def cancel(self) -> None:
        self._should_stop.cancel()

    def run(self) -> Iterator[BatchItem]:
        from .classifier import Classification

        clf = self.classifier
        jobs = list(enumerate(self.videos))
        t0 = time.perf_counter()
        for r in classify_stream(clf, jobs, self.protocol.name, reader=self.reader, workers=self.workers,
                                 batch_size=self.batch_size, should_stop=self._should_stop):
            video = self.videos[r.index]
            if r.error is not None:
                item = BatchItem(video, error=r.error, index=r.index)
            else:
                top = clf.top(r.probs, self.topk)
                result = Classification(video=video, views=self.protocol.name, probs=r.probs, top=top,
                                        seconds=r.seconds)
                item = BatchItem(video, result=result, index=r.index,
                                 duration=r.num_frames / r.fps if r.fps > 0 else None)
            if self.output is not None:
                self.output.append(item.to_json())
            self.done += 1
            self.failed += item.failed
            if self.progress is not None:
                elapsed = time.perf_counter() - t0
                self.progress(BatchProgress(self.done, len(self.videos), self.failed, elapsed,
                                            self.done / elapsed if elapsed > 0 else 0.0))
            yield item
        if self.done < len(self.videos):
            raise Cancelled(f"stopped after {self.done} of {len(self.videos)} videos")


def most_confident_window(classifier, path: str | Path, label: int, *, span: float | None = None,
                          stride: float | None = None, cancelled: Callable[[], bool] | None = None
                          ) -> tuple[float, float] | None:
    """(end time in seconds, probability) of the sliding window that gives class `label` its
    highest probability: the windows the player computes (`SlidingWindowEngine` on the file,
    same span and stride, unsmoothed), every one of them, as fast as the machine decodes.
    None when the file has no window (or `cancelled()` turned True).
    """
    from .options import DEFAULT_SPAN, DEFAULT_STRIDE
    from .streaming.engine import SlidingWindowEngine
    from .streaming.sources import open_source

    engine = SlidingWindowEngine(classifier, span=span or DEFAULT_SPAN, stride=stride or DEFAULT_STRIDE,
                                 smoothing="off")
    best: list[tuple[float, float]] = []

    def on_window(w) -> None:
        score = float(w.probs[label])
        if not best or score > best[0][1]:
            best[:] = [(float(w.t), score)]
        if cancelled is not None and cancelled():
            engine.stop()

    summary = engine.run(open_source(os.fspath(path)), on_window=on_window)
    if summary.stopped or not best:
        return None
    return best[0]


# -- throughput, for benchmarks ------------------------------------------------------------
def measure_batch(root: str | Path, checkpoint: str | Path, *, views: str = "4x3", workers: int = 2,
                  device: str = "auto", precision: str = "auto", batch_size: int | None = None,
                  reader: str = DEFAULT_READER, output: str | Path | None = None) -> dict:
    """Time `classify FOLDER --output FILE` without the command line: every video under `root`
    through `BatchRun`, each row written to a results file (a temporary one unless `output`).

    Returns {"videos", "seconds", "videos_per_second", "startup_seconds" (until the first row),
    "steady_videos_per_second" (after the first row; None for one video), "workers"}, the
    fields `evaluation.run.measure_throughput` reports for the evaluation pipeline.
    """
    import tempfile

    from .classifier import load_classifier
    from .evaluation.pipeline import default_batch_size

    videos = collect_videos([root]).videos
    if not videos:
        raise UMTError(f"no videos to time in {root}")
    clf = load_classifier(checkpoint, device=device, precision=precision, reader=reader)
    clf.batch_size = batch_size or default_batch_size(clf.device)
    with tempfile.TemporaryDirectory(prefix="umt-batch-") as tmp:
        out = ResultsFile(output or Path(tmp) / "results.jsonl")
        try:
            run = BatchRun(clf, videos, views=views, workers=workers, batch_size=clf.batch_size,
                           reader=reader, output=out)
            clf.warm_up([s for s in clf.compiled_sizes() if s > 1])  # compilation (CUDA) before the timing
            t0 = time.perf_counter()
            first_at = None
            for _ in run.run():
                if first_at is None:
                    first_at = time.perf_counter()
            if clf.device.type == "cuda":
                import torch

                torch.cuda.synchronize(clf.device)
            end = time.perf_counter()
        finally:
            out.close()
    n, seconds = len(videos), end - t0
    return {
        "videos": n,
        "seconds": seconds,
        "videos_per_second": n / seconds if seconds > 0 else 0.0,
        "startup_seconds": (first_at or end) - t0,
        "steady_videos_per_second": (n - 1) / (end - first_at) if first_at and n > 1 and end > first_at else None,
        "workers": workers,
    }
