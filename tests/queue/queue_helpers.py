"""Running `vidscribe worker` as a real subprocess, and waiting for the store to reach a state."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def start_worker(env: dict[str, str], *args: str, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (owned by the process)
    return subprocess.Popen([sys.executable, "-m", "vidscribe", "worker", *args], env=env,
                            stdout=out, stderr=subprocess.STDOUT)


def wait_until(predicate, timeout: float = 120, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
