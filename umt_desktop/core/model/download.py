"""Resumable HTTP downloads with progress, cancellation, back-off, atomic rename and sha256.

The partial file (`NAME.part`) keeps every byte received, through a dropped
connection, a stalled server, a cancel or a crash; the next attempt continues
it with an HTTP Range request. A small `NAME.part.json` next to it remembers the
full size, so a front end can say "12 MB of 350 MB, resumable". Retries wait
with exponential back-off (capped); an attempt that brought new bytes starts
the count again. The final file only appears, by atomic rename, once it is
complete, its hash matches and the caller's check accepts it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ..errors import Cancelled, DownloadError, OfflineError

CHUNK = 1 << 20
Progress = Callable[[int, int | None], None]
RETRIES = 5
BACKOFF = 1.0  # seconds before the first retry; doubled each time
MAX_BACKOFF = 30.0


def download(
    url: str,
    dest: str | Path,
    *,
    expected_sha256: str | None = None,
    expected_what: str = "expected",
    check: Callable[[Path], None] | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    retries: int = RETRIES,
    timeout: float = 30.0,
    backoff: float = BACKOFF,
    max_backoff: float = MAX_BACKOFF,
) -> str:
    """Download `url` to `dest`; returns the sha256 of the file.

    `check(path)` sees the complete file before it takes its final name; if it
    raises, the file is removed and the error goes to the caller. `timeout` is
    also how long a silent server is waited for before the attempt counts as
    dropped.
    """
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DownloadError(f"cannot create the folder {dest.parent}: {os_reason(e)}") from None
    part = partial_path(dest)
    failures = 0
    while True:
        before = _size(part)
        try:
            _transfer(url, part, progress, cancelled, timeout, reconnecting=failures > 0)
            break
        except _Interrupted as e:
            if _size(part) > before:
                failures = 0  # bytes came in: only consecutive fruitless attempts count
            failures += 1
            if failures > retries:
                kept = _size(part)
                raise DownloadError(
                    f"the connection to {_host(url)} kept dropping ({e}); "
                    + (f"the {kept / 1e6:.1f} MB received are kept and downloading again resumes"
                       if kept else "try again later")
                ) from None
            _wait(backoff_delay(failures, backoff, max_backoff), cancelled)
    digest = sha256_file(part)
    if expected_sha256 and digest != expected_sha256:
        discard_partial(dest)
        raise DownloadError(
            f"{dest.name}: sha256 {digest[:12]}... differs from the {expected_what} {expected_sha256[:12]}...; "
            "the file was removed"
        )
    if check is not None:
        try:
            check(part)
        except BaseException:
            discard_partial(dest)  # complete but wrong: resuming it would only give the same file
            raise
    try:
        os.replace(part, dest)
    except OSError as e:
        raise DownloadError(f"cannot move the finished download to {dest}: {os_reason(e)}") from None
    _remove(_meta_path(dest))
    return digest


def backoff_delay(failure: int, base: float = BACKOFF, cap: float = MAX_BACKOFF) -> float:
    """Seconds to wait before retry number `failure` (1, 2, ...): base·2^(failure-1), at most `cap`."""
    return min(cap, base * 2 ** max(0, failure - 1))


def partial_path(dest: str | Path) -> Path:
    dest = Path(dest)
    return dest.with_name(dest.name + ".part")


def partial_state(dest: str | Path) -> tuple[int, int | None] | None:
    """(bytes received, full size or None) of an unfinished download of `dest`, or None if there is none."""
    part = partial_path(dest)
    have = _size(part)
    if not part.exists():
        return None
    total = None
    try:
        total = int(json.loads(_meta_path(dest).read_text(encoding="utf-8"))["total"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return have, total


def discard_partial(dest: str | Path) -> bool:
    """Delete an unfinished download of `dest`; True if there was one."""
    part = partial_path(dest)
    existed = part.exists()
    _remove(part)
    _remove(_meta_path(dest))
    return existed


class _Interrupted(Exception):
    """The transfer broke off; the partial file is kept and the caller may resume."""


def _transfer(url, part: Path, progress, cancelled, timeout, reconnecting: bool) -> None:
    have = _size(part)
    request = urllib.request.Request(url, headers={"User-Agent": "umt-desktop"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:
            if e.headers.get("Content-Range", "").endswith(f"/{have}"):
                return  # the part is already complete (stopped before the rename)
            _remove(part)  # a stale part longer than the file: start over
            raise _Interrupted("range not satisfiable") from None
        raise DownloadError(f"{_host(url)} answered {e.code} {e.reason} for {url}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        if reconnecting:
            raise _Interrupted(f"reconnecting: {reason}") from None
        raise OfflineError(f"cannot reach {_host(url)} ({reason}); check the network connection") from None
    with response:
        if have and response.status != 206:
            have = 0  # the server ignored Range: restart from zero
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        if total is not None:
            _write_meta(part, url, total)
        done = have
        if progress:
            progress(done, total)
        try:
            with open(part, "ab" if have else "wb") as f:
                while True:
                    if cancelled and cancelled():
                        raise Cancelled("download cancelled; the part received is kept and resumes next time")
                    try:
                        # read1: whatever has arrived (up to CHUNK), so a stall loses nothing already received
                        chunk = response.read1(CHUNK)
                    except (http.client.HTTPException, ConnectionError, TimeoutError) as e:
                        raise _Interrupted(_what(e, done, total)) from None
                    if not chunk:
                        break
                    f.write(chunk)
                    f.flush()
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise DownloadError(
                    f"the disk holding {part.parent} is full; free some space and download again to resume"
                ) from None
            raise DownloadError(f"cannot write {part}: {os_reason(e)}") from None
        if total is not None and done < total:
            raise _Interrupted(f"got {done} of {total} bytes")


def _what(e: BaseException, done: int, total: int | None) -> str:
    if isinstance(e, TimeoutError):
        return f"the server stopped sending after {done} bytes"
    return type(e).__name__


def _wait(seconds: float, cancelled) -> None:
    """Sleep before a retry, in short steps so that a cancel is not kept waiting."""
    deadline = time.monotonic() + seconds
    while True:
        if cancelled and cancelled():
            raise Cancelled("download cancelled; the part received is kept and resumes next time")
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(0.1, left))


def _meta_path(dest_or_part: Path) -> Path:
    p = Path(dest_or_part)
    base = p.name.removesuffix(".part")
    return p.with_name(base + ".part.json")


def _write_meta(part: Path, url: str, total: int) -> None:
    meta = _meta_path(part)
    with contextlib.suppress(OSError):  # only a hint for the front ends; the download goes on without it
        meta.write_text(json.dumps({"url": url, "total": total}), encoding="utf-8")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _remove(path: Path) -> None:
    """Delete a file if it is there; a clean-up never raises a second error."""
    with contextlib.suppress(OSError):
        path.unlink()


def os_reason(e: OSError) -> str:
    """The system's words for an OSError ("Read-only file system"), without the errno or path."""
    return (e.strerror or str(e)).rstrip(".")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url
