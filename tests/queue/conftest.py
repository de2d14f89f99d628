"""A real redis-server per test session on a free port (never the machine's 6379), flushed per test,
and helpers to run `vidscribe worker` as a real subprocess."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if not binary:
        raise RuntimeError("redis-server is required for the queue tests: ./dev setup installs it")
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            Redis.from_url(url).ping()
            break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture()
def redis_url(redis_server: str) -> str:
    Redis.from_url(redis_server).flushall()
    return redis_server


@pytest.fixture()
def worker_env(redis_url: str, tiny_asr_model: Path) -> dict[str, str]:
    """Environment for worker subprocesses: the test's Redis, loopback fetches, the tiny model."""
    env = dict(os.environ)
    env.update({
        "VIDSCRIBE_REDIS_URL": redis_url,
        "VIDSCRIBE_ALLOW_PRIVATE_URLS": "1",
        "VIDSCRIBE_ASR_MODEL": str(tiny_asr_model),
        "VIDSCRIBE_JOB_HEARTBEAT": "4",
        "PYTHONUNBUFFERED": "1",
    })
    return env
