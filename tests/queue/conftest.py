"""A real redis-server per test session on a free port (never the machine's 6379), flushed per test,
and helpers to run `vidscribe worker` as a real subprocess."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from queue_helpers import kill_leftovers
from redis import Redis
from servers import start_redis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
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


@pytest.fixture(autouse=True)
def no_leftover_workers() -> Iterator[None]:
    """A worker a failed test left running would take the next test's jobs from the shared Redis."""
    yield
    kill_leftovers()
