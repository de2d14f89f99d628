"""The queue tests' worker environment (the real redis-server fixtures are in tests/conftest.py),
and helpers to run `vidscribe worker` as a real subprocess."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from queue_helpers import kill_leftovers


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
