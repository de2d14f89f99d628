"""Running `vidscribe worker` as a real subprocess, waiting for the store or Redis to reach a state,
and a redis-server a test can stop and start again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer
from servers import free_port

HERE = Path(__file__).resolve().parent
STARTED: list[subprocess.Popen] = []  # every worker started, for conftest to kill any a test left running


def start_worker(env: dict[str, str], *args: str, log: Path | None = None, hanging: bool = False
                 ) -> subprocess.Popen:
    """`vidscribe worker ARGS`; with `hanging`, one whose subtitles stage never ends (hanging_worker.py)."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (owned by the process)
    program = [str(HERE / "hanging_worker.py")] if hanging else ["-m", "vidscribe", "worker"]
    proc = subprocess.Popen([sys.executable, *program, *args], env=with_test_modules(env),
                            stdout=out, stderr=subprocess.STDOUT)
    STARTED.append(proc)
    return proc


def kill_leftovers() -> None:
    """SIGKILL the workers a test started and left running (a failed assertion midway), so that they
    cannot take the next test's jobs; their scheduler children follow them."""
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def with_test_modules(env: dict[str, str]) -> dict[str, str]:
    """`env` with this folder importable (foreign_hooks, hanging_stage), as an attacker's module would be."""
    paths = [str(HERE), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}


def wait_until(predicate, timeout: float = 120, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def fetch_job(conn: Redis, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=conn, serializer=JSONSerializer)
    except NoSuchJobError:
        return None


def job_status(conn: Redis, job_id: str) -> str | None:
    job = fetch_job(conn, job_id)
    return job.get_status(refresh=False) if job else None


def process_gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie nobody reaps counts as gone: it runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


class RestartableRedis:
    """A redis-server on a fixed free port with an append-only file, so a test can stop it mid-run
    and start it again with the queues as they were (as a production Redis with persistence)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is required: ./dev setup installs it"
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout=timeout, every=0.05, what="redis-server to answer")

    def _answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url).ping())
        except Exception:
            assert self.proc is not None and self.proc.poll() is None, "redis-server exited"
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None
