"""The worker class, chosen deliberately.

RQ's default `Worker` forks a work horse per job: every job would load the Whisper and OCR models
again (seconds each), and native thread pools (CTranslate2, ONNX Runtime, OpenMP) and CUDA
contexts do not survive fork(). So vidscribe runs jobs in the worker process itself
(`SimpleWorker`); models load once per process and stay warm for every later job.

What SimpleWorker gives up is the forking worker's heartbeat while a job runs, which is how RQ
notices a worker that died mid-job. A thread here keeps the heartbeat going with a short TTL (the
`job_heartbeat` setting), so a worker killed with SIGKILL leaves an execution that expires within
that time; the next sweep (`worker/sweep.py`, by any idle worker on the queue every quarter of the
heartbeat, and at start-up) finds it abandoned and puts the job back at the front of its queue
(each job carries retries), or fails it for good and records that in the store. Outputs are
atomic, so the re-run starts from the last committed stage and nothing half-written is visible.

What else RQ leaves to chance, and this worker does not:
- it runs only vidscribe's own job functions and no callback (`queue/trust.py`);
- a job it cannot read fails alone, with its reason; the worker goes on to the next job;
- a Redis outage is waited out (`queue/outage.py`), one log line when Redis goes and one when it
  is back; a job that finishes meanwhile has its outputs in the store and its end recorded in
  Redis once Redis answers again;
- its scheduler child dies with it and holds its locks briefly (`worker/scheduler.py`).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from redis import Redis
from rq import worker_registration
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import DequeueTimeout, StopRequested
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.job_lifecycle import call_exception_handlers
from rq.queue import Queue
from rq.serializers import JSONSerializer
from rq.timeouts import JobTimeoutException
from rq.utils import current_timestamp, now, utcformat
from rq.worker import SimpleWorker, WorkerStatus

from vidscribe.errors import VidscribeError
from vidscribe.queue import jobs
from vidscribe.queue.connection import QUEUE_NAMES, get_queue, redacted
from vidscribe.queue.failures import record_final_failure, subject
from vidscribe.queue.graph import FAILURE_TTL
from vidscribe.queue.outage import OUTAGE, REDIS_DOWN
from vidscribe.queue.trust import ALLOWED_JOBS, VidscribeJob, refusal
from vidscribe.settings import Settings
from vidscribe.terminal import exact_line, one_line
from vidscribe.worker.scheduler import VidscribeScheduler
from vidscribe.worker.sweep import clean_other_registries, maintenance_lock, sweep_abandoned

log = logging.getLogger(__name__)

__all__ = ["ALLOWED_JOBS", "VidscribeWorker", "make_worker", "run_worker"]

# Sweeps for abandoned jobs per job heartbeat: a dead worker's job is found at most a quarter of a
# heartbeat after its execution expired, by any idle worker. A sweep is a few Redis calls per queue.
SWEEPS_PER_HEARTBEAT = 4
BEATS_PER_HEARTBEAT = 5  # a running job's heartbeat is renewed this often per TTL: four can be missed
PUBSUB_POLL = 1.0  # s: how often the listener for RQ's worker commands looks up from its wait. RQ's 60 s
# made a stopping worker wait up to a minute: redis-py 8's PubSubWorkerThread.stop() joins the
# thread, which after a Redis outage (its channel's connection gone) sleeps that long at a time
# (the Redis-outage test saw a worker outlive SIGTERM by over 60 s, about 1 run in 3)
UNSUBSCRIBE_WAIT = 5.0  # s: the most a stopping worker waits for that listener thread to end
# Seconds a stopping worker gives its scheduler to release its locks and end (it checks each second).
SCHEDULER_STOP_WAIT = 10


class VidscribeWorker(SimpleWorker):
    heartbeat_ttl = 30  # seconds a job may go without a heartbeat before it counts as abandoned
    job_class = VidscribeJob
    _waiting = False  # in a wait a stop request may interrupt (`_stoppable`)

    # -- running one job --------------------------------------------------------------------------

    def execute_job(self, job: Job, queue: Queue) -> None:
        execution = OUTAGE.call(self.connection, lambda: self.prepare_execution(job))
        self._beating = (job, execution)
        self._start_heartbeat_thread()
        try:
            self.perform_job(job, queue, execution)
        finally:
            self._beating = None
        OUTAGE.call(self.connection, lambda: self.set_state(WorkerStatus.IDLE))

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        """RQ's, but refusing a job that cannot be read or names anything vidscribe does not run
        (before anything is imported), and recording its end in Redis however long Redis is away."""
        reason = refusal(job)
        if reason:
            return self._refuse(job, queue, execution, reason)
        OUTAGE.call(self.connection, lambda: self.prepare_job_execution(job, len(self.queues) == 1))
        job.started_at = now()
        try:
            with self.death_penalty_class(job.timeout or self.queue_class.DEFAULT_TIMEOUT, JobTimeoutException,
                                          job_id=job.id):
                value = job.perform()
        except BaseException:  # as RQ: whatever the job raised fails it (a cold shutdown's SystemExit too)
            exc_info = sys.exc_info()
            self._settle(job, lambda: self._finalize_failure(job, queue, execution, exc_info))
            return False
        try:
            self._settle(job, lambda: self._finalize_success(job, queue, execution, value))
        except Exception:  # as RQ: a result that cannot be stored fails the job
            exc_info = sys.exc_info()
            self._settle(job, lambda: self._finalize_failure(job, queue, execution, exc_info))
            return False
        return True

    def _settle(self, job: Job, finish: Callable[[], None]) -> None:
        """Record the end of `job` in Redis once Redis answers: its work is done (a stage's outputs
        are in the store) and an outage must not throw it away."""
        OUTAGE.wait(self.connection)
        try:
            finish()
        except REDIS_DOWN as e:  # gone again in the milliseconds this takes: the sweep re-runs the job
            OUTAGE.lost(e)
            log.warning("job %s: redis went away while its end was recorded; it will be found abandoned and "
                        "run again", job.id)

    def _refuse(self, job: Job, queue: Queue, execution: Execution, reason: str) -> bool:
        what = subject(job)
        named = "" if what.who == job.id else f" (job {exact_line(job.id)})"
        log.error(jobs.job_line(what.who, what.stage, "failed", 0.0, reason + named))
        job.retries_left = 0
        self._record_final(job, reason, since=None)  # before the jobs waiting for it are released: they read it

        def fail() -> None:
            # Off the list of jobs being picked up (a one-queue worker's), as starting a job would take it.
            self.connection.lrem(queue.intermediate_queue_key, 1, job.id)
            self.handle_job_failure(job, queue, exc_string=reason, execution=execution)

        self._settle(job, fail)
        return False

    def _record_final(self, job: Job, reason: str, since: datetime | None = None) -> None:
        """The store told that `job` failed for good, unless it already says so for the run begun at `since`."""
        record_final_failure(job, reason, jobs.worker_settings().data, since=since)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """One log line per failed job; the traceback only for a bug, never for an expected refusal
        (a VidscribeError: bad source, private address, missing model...). RQ stores the full
        traceback with the job either way (`rq info`). A job failing for good has that recorded in
        the store, if the stage itself did not record it."""
        error: BaseException | None = exc_info[1] if len(exc_info) > 1 else None
        started = job.started_at
        seconds = (now() - started).total_seconds() if started else 0.0
        what = subject(job)
        final = not job.should_retry or self._stopped_job_id == job.id
        status = "failed" if final else "failed, will retry"
        if isinstance(error, VidscribeError):
            reason = error.reason
            log.warning(jobs.job_line(what.who, what.stage, status, seconds, reason))
        else:
            detail = f"{type(error).__name__}: {error}" if error else "unknown error"
            reason = f"internal error: {one_line(detail)}"
            log.error(jobs.job_line(what.who, what.stage, status, seconds, detail), exc_info=error or True)
        if final:
            self._record_final(job, reason, since=job.started_at)
        call_exception_handlers(self._exc_handlers, job, *exc_info)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.heartbeat_ttl

    def _start_heartbeat_thread(self) -> None:
        # One thread for the worker's life: a thread per job would cost more than a trivial job.
        if getattr(self, "_heart", None) is not None:
            return

        def beat() -> None:
            while True:
                time.sleep(max(1.0, self.heartbeat_ttl / BEATS_PER_HEARTBEAT))
                current = self._beating
                if current is None:
                    continue
                try:
                    self.maintain_heartbeats(*current)
                except REDIS_DOWN as e:  # said once; beating resumes as soon as Redis answers
                    OUTAGE.lost(e)
                    continue
                except Exception:  # a Redis hiccup must not kill the job; the next beat retries
                    log.warning("heartbeat for job %s failed", current[0].id, exc_info=True)
                    continue
                OUTAGE.back()

        self._heart = threading.Thread(target=beat, name="vidscribe-heartbeat", daemon=True)
        self._heart.start()

    # -- waiting for jobs ---------------------------------------------------------------------------

    def dequeue_job_and_maintain_ttl(self, timeout: int | None, max_idle_time: int | None = None
                                     ) -> tuple[Job, Queue] | None:
        """RQ's wait for the next job, except that a Redis outage is waited out (one line each way),
        a job whose hash cannot even be loaded fails alone, and the wait is cut into maintenance
        intervals so an idle worker sweeps for abandoned jobs on time."""
        self._idle_call(lambda: self.set_state(WorkerStatus.IDLE))
        self.procline("Listening on " + ",".join(self.queue_names()))
        idle_since = time.monotonic()
        while True:
            self.heartbeat()
            if self.should_run_maintenance_tasks:
                self.run_maintenance_tasks()
            wait = None if timeout is None else max(1, min(timeout, int(self.maintenance_interval)))
            try:
                with self._stoppable():
                    result = self.queue_class.dequeue_any(
                        self._ordered_queues, wait, connection=self.connection, job_class=self.job_class,
                        serializer=self.serializer, death_penalty_class=self.death_penalty_class)
                if result is not None:
                    self.reorder_queues(reference_queue=result[1])
                    result[0].redis_server_version = self.get_redis_server_version()
            except DequeueTimeout:
                if max_idle_time is not None and time.monotonic() - idle_since >= max_idle_time:
                    return None
                continue
            except REDIS_DOWN as e:
                with self._stoppable():
                    OUTAGE.wait(self.connection, e)
                continue
            except StopRequested:
                raise
            except Exception as e:
                self._fail_unloadable(e)
                continue
            OUTAGE.call(self.connection, lambda: SimpleWorker.heartbeat(self))  # a job in hand: no stopping now
            return result

    @contextlib.contextmanager
    def _stoppable(self) -> Iterator[None]:
        """Where a stop request (SIGTERM, Ctrl+C) may interrupt an idle worker: its waits, for a job or
        for Redis. RQ raises StopRequested from the signal handler wherever an idle worker happens to
        be, so a handler for other errors (a sweep's, a store write's) could swallow it; elsewhere the
        request is noted and honoured before the next wait."""
        if self._stop_requested:
            raise StopRequested()
        self._waiting = True
        try:
            yield
        finally:
            self._waiting = False

    def _idle_call(self, fn: Callable[[], Any]) -> Any:
        """`fn()` for an idle worker: through Redis outages, and stopped by a stop request meanwhile."""
        with self._stoppable():
            return OUTAGE.call(self.connection, fn)

    def _shutdown(self) -> None:
        if self._waiting and self.get_state() != WorkerStatus.BUSY:
            raise StopRequested()
        self._stop_requested = True
        if self.get_state() == WorkerStatus.BUSY:  # as RQ: finish the job (and record it), then stop
            self.set_shutdown_requested_date()
            if self.scheduler:
                self.stop_scheduler()

    def _fail_unloadable(self, error: Exception) -> None:
        """Fail a job whose Redis hash RQ could not load (`error` names it), without reading it."""
        job_id, queue = getattr(error, "job_id", None), getattr(error, "queue", None)
        if job_id is None or queue is None:
            raise error
        reason = f"cannot be read: its Redis hash is not an RQ job ({type(error).__name__}: {one_line(str(error))})"
        log.error(jobs.job_line(job_id, "job", "failed", 0.0, reason))

        def mark_failed() -> None:  # by hand: RQ's own failure path needs the job it could not load
            with self.connection.pipeline() as pipe:
                pipe.hset(Job.key_for(job_id), mapping={"status": JobStatus.FAILED.value, "ended_at": utcformat(now())})
                pipe.zadd(queue.failed_job_registry.key, {job_id: current_timestamp() + FAILURE_TTL})
                pipe.lrem(queue.intermediate_queue_key, 1, job_id)
                pipe.execute()

        OUTAGE.call(self.connection, mark_failed)
        husk = self.job_class(job_id, connection=self.connection, serializer=self.serializer)
        self._record_final(husk, reason, since=None)
        try:
            queue.enqueue_dependents(husk)
        except Exception:  # they stay deferred; `status` and `retry-failed` see the failure in the store
            log.warning("job %s: could not release the jobs waiting for it", job_id, exc_info=True)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is not None:
            super().heartbeat(timeout, pipeline)
            return
        if self.get_state() == WorkerStatus.BUSY:
            OUTAGE.call(self.connection, lambda: SimpleWorker.heartbeat(self, timeout))
        else:
            self._idle_call(lambda: SimpleWorker.heartbeat(self, timeout))
        if getattr(self, "_recoveries_seen", 0) != OUTAGE.recoveries:
            self._register_again()
            self._recoveries_seen = OUTAGE.recoveries

    def _register_again(self) -> None:
        """After an outage (whichever thread saw it): this worker's hash and its place in the list of
        workers, which a Redis restarted without its data, or a long outage, has lost."""
        def register() -> None:
            self.last_heartbeat = now()
            with self.connection.pipeline() as pipe:
                pipe.hset(self.key, mapping=self.serialize())
                worker_registration.register(self, pipe)
                pipe.expire(self.key, self.worker_ttl + 60)
                pipe.execute()

        OUTAGE.call(self.connection, register)

    def check_for_suspension(self, burst: bool) -> None:
        self._idle_call(lambda: SimpleWorker.check_for_suspension(self, burst))

    def run_maintenance_tasks(self) -> None:
        try:
            super().run_maintenance_tasks()
        except REDIS_DOWN as e:  # the next wait for a job waits for Redis
            OUTAGE.lost(e)
        except Exception:  # a clean-up must never end the worker
            log.warning("worker %s: maintenance failed; trying again in %s s", self.name, self.maintenance_interval,
                        exc_info=True)
            self.last_cleaned_at = now()

    def clean_registries(self) -> None:
        """RQ's registry clean-up, with vidscribe's sweep for abandoned jobs (no callbacks, no back-off
        for a job that did nothing wrong, the store told of jobs failing for good) and a lock that
        a dead cleaner holds for seconds, not 15 minutes. Just after an outage the sweep waits a
        heartbeat: running jobs' heartbeats lapsed while Redis was away and must be renewed first."""
        since_back = OUTAGE.seconds_since_back()
        settling = since_back is not None and since_back < self.heartbeat_ttl
        for queue in self.queues:
            with maintenance_lock(self.connection, queue.registry_cleaning_key) as held:
                if not held:
                    continue
                try:
                    if not settling:
                        sweep_abandoned(queue, self._record_final)
                    clean_other_registries(queue)
                    worker_registration.clean_worker_registry(queue)
                    queue.intermediate_queue.cleanup(self, queue)
                except REDIS_DOWN:
                    raise
                except Exception as e:  # one unreadable job must not stop the clean-up of the others
                    log.warning("worker %s: cleaning queue %s: %s: %s", self.name, queue.name, type(e).__name__,
                                one_line(str(e)))
                    log.debug("clean-up failure", exc_info=True)
        self.last_cleaned_at = now()

    def subscribe(self) -> None:
        """RQ's, with a command listener that looks up every PUBSUB_POLL s, not every 60."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(sleep_time=PUBSUB_POLL, daemon=True,
                                                       exception_handler=self._pubsub_exception_handler)

    def unsubscribe(self) -> None:
        """RQ's, waiting at most UNSUBSCRIBE_WAIT for the listener thread (a daemon: it may be left
        behind, in a wait for Redis, say)."""
        thread = self.pubsub_thread
        if not thread:
            return
        with contextlib.suppress(*REDIS_DOWN):
            self.pubsub.unsubscribe()
        if "timeout" in inspect.signature(thread.stop).parameters:  # redis-py 8: stop() joins the thread
            thread.stop(timeout=UNSUBSCRIBE_WAIT)
        else:
            thread.stop()
            thread.join(timeout=UNSUBSCRIBE_WAIT)
        with contextlib.suppress(*REDIS_DOWN):
            self.pubsub.close()

    def _pubsub_exception_handler(self, exc: Exception, pubsub: Any, pubsub_thread: Any) -> None:
        if isinstance(exc, REDIS_DOWN):  # RQ logs an ERROR every 2 s; this waits, said once for the worker
            OUTAGE.wait(self.connection, exc)
            return
        super()._pubsub_exception_handler(exc, pubsub, pubsub_thread)

    def set_shutdown_requested_date(self) -> None:
        with contextlib.suppress(*REDIS_DOWN):  # a stop request must work with Redis away
            super().set_shutdown_requested_date()

    def stop_scheduler(self) -> None:
        """RQ's, but never waiting for ever on a scheduler that does not end."""
        process = self.scheduler._process if self.scheduler else None
        if process is None or not process.pid:
            return
        with contextlib.suppress(OSError):
            os.kill(process.pid, signal.SIGTERM)
        process.join(SCHEDULER_STOP_WAIT)
        if process.is_alive():
            log.warning("worker %s: scheduler %s did not stop within %s s; killed", self.name, process.pid,
                        SCHEDULER_STOP_WAIT)
            process.kill()
            process.join()

    def teardown(self) -> None:
        if self.is_horse:
            return
        if self.scheduler:
            self.stop_scheduler()
        try:
            self.register_death()
        except REDIS_DOWN:
            log.warning("worker %s: stopping with redis unreachable; its registration expires by itself", self.name)
        with contextlib.suppress(Exception):
            self.unsubscribe()

    # -- the scheduler child ------------------------------------------------------------------------

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO",
                         date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
                         log_format: str = DEFAULT_LOGGING_FORMAT) -> None:
        """RQ's, with `VidscribeScheduler`: dies with this worker, holds its locks briefly."""
        self.scheduler = VidscribeScheduler(
            self.queues, connection=self.connection, serializer=self.serializer, date_format=date_format,
            log_format=log_format, logging_level=logging_level if logging_level is not None else self.log.level)
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()


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
                             serializer=JSONSerializer, job_class=VidscribeJob, worker_ttl=max(heartbeat + 5, 20),
                             maintenance_interval=max(1, heartbeat // SWEEPS_PER_HEARTBEAT))
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
