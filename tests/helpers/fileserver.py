"""A real HTTP file server on 127.0.0.1 that can misbehave the way servers do."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FileServer:
    """Serves byte blobs by path and honours Range. It can cut the first `cuts` transfers short
    (`cut_after` bytes, then the connection closes), stall (`stall_after` bytes of each of
    the first `stalls` responses, then silence with the connection open), pace its output
    (`delay` seconds after each `step` bytes) or ignore Range. Each request is recorded as
    (path, Range header, monotonic time)."""

    def __init__(self, files: dict[str, bytes], cut_after: int | None = None, cuts: int = 1,
                 ignore_range: bool = False,
                 stall_after: int | None = None, stalls: int = 1, delay: float = 0.0, step: int = 64 * 1024,
                 status: int | None = None):
        self.files = files
        self.cut_after, self.cuts = cut_after, cuts
        self.ignore_range = ignore_range
        self.stall_after, self.stalls = stall_after, stalls
        self.delay, self.step = delay, step
        self.status = status
        self.requests: list[tuple[str, str | None]] = []
        self.times: list[float] = []
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 (the handler's name is fixed by http.server)
                data = server.files.get(self.path)
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                server.times.append(time.monotonic())
                if server.status is not None:
                    self.send_error(server.status)
                    return
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                if rng and not server.ignore_range:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if server.cut_after is not None and server.cuts > 0:
                        server.cuts -= 1
                        self.wfile.write(body[: server.cut_after])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if server.stall_after is not None and server.stalls > 0:
                        server.stalls -= 1
                        self.wfile.write(body[: server.stall_after])
                        self.wfile.flush()
                        server.released.wait()  # silent, connection open, until the server stops
                        return
                    for i in range(0, len(body), server.step):
                        if server.released.is_set():
                            return
                        self.wfile.write(body[i : i + server.step])
                        if server.delay:
                            self.wfile.flush()
                            time.sleep(server.delay)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

