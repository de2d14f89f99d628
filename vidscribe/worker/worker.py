"""The worker class, chosen deliberately.

RQ's default `Worker` forks a work horse per job: every job would load the Whisper and OCR models
again (seconds each), and native thread pools (CTranslate2, ONNX Runtime, OpenMP) and CUDA
contexts do not survive fork(). So vidscribe runs jobs in the worker process itself
(`SimpleWorker`); models load once per process and stay warm for every later job.

What SimpleWorker gives up is the forking worker's heartbeat while a job runs, which is how RQ
notices a worker that died mid-job. A thread here keeps the heartbeat going with a short TTL (the
`job_heartbeat` setting), so a worker killed with SIGKILL leaves an execution that expires within
that time; the next registry clean-up (every half TTL, by any worker on the queue, and at
start-up) sees it as abandoned and RQ re-queues the job (each job carries retries). Outputs are atomic, so the re-run
starts from the last committed stage and nothing half-written is ever visible.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from redis import Redis
from rq.executions import Execution
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.queue import Queue
from rq.serializers import JSONSerializer
from rq.utils import now
from rq.worker import SimpleWorker, WorkerStatus

from vidscribe.errors import VidscribeError
from vidscribe.queue import jobs
from vidscribe.queue.connection import QUEUE_NAMES, get_queue, redacted
from vidscribe.settings import Settings

log = logging.getLogger(__name__)

# The only functions a vidscribe worker runs. RQ would call any importable name a job holds, so
# anyone able to write to Redis could otherwise run code on the workers.
ALLOWED_JOBS = frozenset({
    "vidscribe.queue.jobs.fetch_job",
    "vidscribe.queue.jobs.stage_job",
    "vidscribe.queue.jobs.noop",
})


class VidscribeWorker(SimpleWorker):
    heartbeat_ttl = 30  # seconds a job may go without a heartbeat before it counts as abandoned

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        if job.func_name not in ALLOWED_JOBS:
            log.error("refusing job %s: %s is not a vidscribe job function", job.id, job.func_name)
            job.retries_left = 0
            self.handle_job_failure(job, queue, exc_string=f"refused: {job.func_name} is not a vidscribe job "
                                    "function", execution=execution)
            return False
        return super().perform_job(job, queue, execution)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """One log line per failed job; the traceback only for a bug, never for an expected refusal
        (a VidscribeError: bad source, private address, missing model...). RQ stores the full
        traceback with the job either way (`rq info`)."""
        error: BaseException | None = exc_info[1] if len(exc_info) > 1 else None
        started = job.started_at
        seconds = (now() - started).total_seconds() if started else 0.0
        who, stage = _job_subject(job)
        status = "failed, will retry" if job.retries_left else "failed"
        if isinstance(error, VidscribeError):
            detail = error.reason
            log.warning(jobs.job_line(who, stage, status, seconds, detail))
        else:
            detail = f"{type(error).__name__}: {error}" if error else "unknown error"
            log.error(jobs.job_line(who, stage, status, seconds, detail), exc_info=error or True)
        call_exception_handlers(self._exc_handlers, job, *exc_info)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.heartbeat_ttl

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = self.prepare_execution(job)
        self._beating = (job, execution)
        self._start_heartbeat_thread()
        try:
            self.perform_job(job, queue, execution)
        finally:
            self._beating = None
        self.set_state(WorkerStatus.IDLE)

    def _start_heartbeat_thread(self) -> None:
        # One thread for the worker's life: a thread per job would cost more than a trivial job.
        if getattr(self, "_heart", None) is not None:
            return

        def beat() -> None:
            while True:
                time.sleep(max(1.0, self.heartbeat_ttl / 5))
                current = self._beating
                if current is None:
                    continue
                try:
                    self.maintain_heartbeats(*current)
                except Exception:  # a Redis hiccup must not kill the job; the next beat retries
                    log.warning("heartbeat for job %s failed", current[0].id, exc_info=True)

        self._heart = threading.Thread(target=beat, name="vidscribe-heartbeat", daemon=True)
        self._heart.start()


def _job_subject(job: Job) -> tuple[str, str]:
    """(video ID or source, stage) of one of our jobs, from its JSON arguments."""
    try:
        args = list(job.args)
    except Exception:  # arguments that do not deserialise: name the job instead
        return job.id, "job"
    if job.func_name == "vidscribe.queue.jobs.stage_job" and len(args) >= 2:
        return str(args[0]), str(args[1])
    if job.func_name == "vidscribe.queue.jobs.fetch_job" and args:
        return str(args[0]), "media"
    return job.id, job.func_name.rsplit(".", 1)[-1]


def start_line(worker: SimpleWorker, settings: Settings) -> str:
    """What a starting worker says: its queues, Redis (no password), data root and speech model."""
    queues = ",".join(worker.queue_names())
    model = settings.asr_model or "default (large-v3 on CUDA, small on CPU)"
    return (f"worker {worker.name} started: queues {queues}; redis {redacted(settings.redis_url)}; "
            f"data root {settings.data.resolve()}; speech model {model} on {settings.asr_device}")


def make_worker(conn: Redis, queues: Sequence[str] = QUEUE_NAMES, name: str | None = None,
                heartbeat: int = 30) -> VidscribeWorker:
    heartbeat = max(2, heartbeat)
    worker = VidscribeWorker([get_queue(q, conn) for q in queues], connection=conn, name=name,
                             serializer=JSONSerializer, worker_ttl=max(heartbeat + 5, 20),
                             maintenance_interval=max(1, heartbeat // 2))
    worker.heartbeat_ttl = heartbeat
    return worker


def run_worker(conn: Redis, settings: Settings, queues: Sequence[str] = QUEUE_NAMES, burst: bool = False,
               name: str | None = None, with_scheduler: bool = True) -> bool:
    """Work until stopped (or, with `burst`, until the queues are empty) with `settings` for every
    job (the data root aside, which each job names). The scheduler runs in the worker so retries
    with back-off come back on time."""
    jobs.use_settings(settings)
    worker = make_worker(conn, queues, name, settings.job_heartbeat)
    log.info(start_line(worker, settings))
    # RQ's own log stays at warnings: vidscribe logs one line per job itself.
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="WARNING")
