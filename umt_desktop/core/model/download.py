"""Resumable HTTP downloads with progress, cancellation, atomic rename and sha256.

The partial file (`NAME.part`) survives a dropped connection, a cancel or a
crash; the next call continues it with an HTTP Range request. The final file
only appears, by atomic rename, once it is complete and its hash checked.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ..errors import Cancelled, DownloadError, OfflineError

CHUNK = 1 << 20
Progress = Callable[[int, int | None], None]


def download(
    url: str,
    dest: str | Path,
    *,
    expected_sha256: str | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    retries: int = 3,
    timeout: float = 30.0,
) -> str:
    """Download `url` to `dest`; returns the sha256 of the file."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    attempt = 0
    while True:
        try:
            _transfer(url, part, progress, cancelled, timeout)
            break
        except _Interrupted as e:
            attempt += 1
            if attempt > retries:
                raise DownloadError(
                    f"the connection to {_host(url)} kept dropping ({e}); run the download again to resume"
                ) from None
    digest = sha256_file(part)
    if expected_sha256 and digest != expected_sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{dest.name}: sha256 {digest[:12]}... differs from the recorded {expected_sha256[:12]}...; "
            "the file was removed, download it again"
        )
    os.replace(part, dest)
    return digest


class _Interrupted(Exception):
    """The transfer broke off; the partial file is kept and the caller may resume."""


def _transfer(url, part: Path, progress, cancelled, timeout) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "umt-desktop"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:
            if e.headers.get("Content-Range", "").endswith(f"/{have}"):
                return  # the part is already complete (stopped before the rename)
            part.unlink()  # a stale part longer than the file: start over
            raise _Interrupted("range not satisfiable") from None
        raise DownloadError(f"{_host(url)} answered {e.code} {e.reason} for {url}") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        raise OfflineError(
            f"cannot reach {_host(url)} ({reason}); check the network, or import a downloaded "
            "checkpoint with `umt-desktop models import FILE`"
        ) from None
    with response:
        if have and response.status != 206:
            have = 0  # the server ignored Range: restart from zero
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        done = have
        if progress:
            progress(done, total)
        try:
            with open(part, "ab" if have else "wb") as f:
                while True:
                    if cancelled and cancelled():
                        raise Cancelled("download cancelled; run it again to resume")
                    try:
                        chunk = response.read(CHUNK)
                    except (http.client.IncompleteRead, ConnectionError, socket.timeout, TimeoutError) as e:
                        raise _Interrupted(type(e).__name__) from None
                    if not chunk:
                        break
                    f.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise DownloadError(
                    f"the disk holding {part.parent} is full; free some space and download again to resume"
                ) from None
            raise DownloadError(f"cannot write {part}: {e.strerror or e}") from None
        if total is not None and done < total:
            raise _Interrupted(f"got {done} of {total} bytes")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url
