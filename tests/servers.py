"""Servers the tests and benchmarks start for themselves on 127.0.0.1: never the machine's own."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


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
