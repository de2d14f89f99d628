"""Servers the tests and benchmarks start for themselves on 127.0.0.1: never the machine's own."""

from __future__ import annotations

import http.server
import re
import shutil
import socket
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(workdir: Path, timeout: float = 20) -> tuple[subprocess.Popen, str]:
    """A throwaway redis-server (no persistence) on a free port; returns the process and its URL."""
    from redis import Redis

    binary = shutil.which("redis-server")
    if not binary:
        raise RuntimeError("redis-server is required: ./dev setup installs it (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                             "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + timeout
    while True:
        try:
            Redis.from_url(url).ping()
            return proc, url
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)


@dataclass
class LocalServer:
    """Paths: files under `root` (byte ranges honoured, as CDNs do), `/status/<code>` (an error page),
    `/redirect/<code>?to=<address>` (a redirect anywhere, `file://` included), files under `/slow/`
    (throttled) and under `/nolength/` (sent without a Content-Length, as a live transcoder does)."""

    root: Path
    base: str
    requests: Counter = field(default_factory=Counter)  # path -> GETs of it whole (not counted in `ranged`)
    ranged: Counter = field(default_factory=Counter)  # path -> GETs of a part (a Range header): looks, not downloads
    bytes_sent: Counter = field(default_factory=Counter)  # path -> body bytes the socket accepted
    slow_bytes_per_second: int = 0  # > 0 throttles paths under /slow/ (to catch a download mid-way)
    ranges: bool = True  # False: Range headers ignored (the whole file, status 200)
    claimed_length: dict[str, int] = field(default_factory=dict)  # path -> a Content-Length that lies

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def add(self, path: str, source: Path | bytes | str) -> str:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copyfile(source, target)
        else:
            target.write_bytes(source.encode() if isinstance(source, str) else source)
        return self.url(path)


class StaticHandler(http.server.SimpleHTTPRequestHandler):
    """`LocalServer`'s request handler; `static_handler` makes one bound to a server's state."""

    state: LocalServer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(self.state.root), **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path, _, query = self.path.partition("?")
        if "Range" in self.headers:
            self.state.ranged[path] += 1
        else:
            self.state.requests[path] += 1
        if path.startswith("/status/"):
            self.send_error(int(path.split("/")[2]))
            return
        if path.startswith("/redirect/"):
            self.send_response(int(path.split("/")[2]))
            self.send_header("Location", parse_qs(query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        file = Path(self.translate_path(path))
        if not file.is_file():
            super().do_GET()
            return
        self._send_file(file, path)

    def _send_file(self, file: Path, path: str) -> None:
        size = file.stat().st_size
        first, last = 0, size - 1
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", "")) if self.state.ranges else None
        if wanted and int(wanted.group(1)) < size:
            first, last = int(wanted.group(1)), min(size - 1, int(wanted.group(2) or size - 1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{last}/{self.state.claimed_length.get(path, size)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(file)))
        self.send_header("Accept-Ranges", "bytes" if self.state.ranges else "none")
        if not path.startswith("/nolength/"):
            length = self.state.claimed_length.get(path) if not wanted else None
            self.send_header("Content-Length", str(length or last - first + 1))
        self.end_headers()
        with open(file, "rb") as f:
            f.seek(first)
            self._copy(f, last - first + 1, path)

    def _copy(self, f, remaining: int, path: str) -> None:
        chunk_size = 1024 if path.startswith("/slow/") else 64 * 1024
        while remaining > 0 and (chunk := f.read(min(chunk_size, remaining))):
            try:
                self.wfile.write(chunk)
            except OSError:  # the client hung up: what it did not take is not counted
                return
            self.state.bytes_sent[path] += len(chunk)
            remaining -= len(chunk)
            rate = self.state.slow_bytes_per_second
            if rate and path.startswith("/slow/"):
                time.sleep(len(chunk) / rate)

    def log_message(self, *args: object) -> None:
        pass


def static_handler(server_state: LocalServer) -> type[StaticHandler]:
    return type("Handler", (StaticHandler,), {"state": server_state})
