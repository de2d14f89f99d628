"""Finding the jobs of dead workers, in place of RQ's clean-up of its started-job registry.

A running job's execution carries an expiry its worker's heartbeat keeps pushing back; once it has
passed, the worker is gone (killed, crashed, its machine lost) and the job is abandoned. RQ's own
clean-up calls the job's failure callback (a name read from Redis) and puts a job with retries
left back through its retry back-off (10, 60, then 300 s for vidscribe's jobs: minutes for a job
that did nothing wrong). Here an abandoned job with retries left goes straight back to the front of
its queue, and one without is failed in Redis and recorded failed in the store (by `on_final`)
before the jobs waiting for it are released, so they see why. No callback is ever called.

RQ's registry-cleaning lock lasts 899 s: a worker killed while cleaning stopped every other worker
from finding abandoned jobs for 15 minutes. `maintenance_lock` is held `MAINTENANCE_LOCK_TTL`.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.executions import Execution, ExecutionRegistry
from rq.job import Job, JobStatus
from rq.job_lifecycle import record_job_failure
from rq.queue import Queue
from rq.rate_limit import RateLimitRegistry, release_slot
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ReadyJobRegistry,
    StartedJobRegistry,
)
from rq.scripts import release_lock
from rq.utils import as_text, current_timestamp, now

from vidscribe.queue.failures import subject
from vidscribe.queue.jobs import job_line
from vidscribe.queue.outage import REDIS_DOWN
from vidscribe.terminal import exact_line, one_line

log = logging.getLogger(__name__)

# Seconds the registry-cleaning lock outlives a cleaner that died holding it. A clean-up takes
# milliseconds (a final failure re-renders one transcript), so this is generous, and far below
# RQ's 899 s.
MAINTENANCE_LOCK_TTL = 30
ABANDONED = "abandoned"  # job.meta key: how many times the job's worker died under it


@contextlib.contextmanager
def maintenance_lock(conn: Redis, key: str, ttl: int = MAINTENANCE_LOCK_TTL) -> Iterator[bool]:
    """Hold `key` for one clean-up (True), unless another cleaner holds it (False)."""
    token = uuid.uuid4().hex
    held = bool(conn.set(key, token, nx=True, ex=ttl))
    try:
        yield held
    finally:
        if held:
            release_lock(conn, key, token)


def _fetch(queue: Queue, job_id: str) -> Job | None:
    try:
        return queue.job_class.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
    except NoSuchJobError:
        return None
    except Exception:  # a hash RQ cannot load: nothing to retry or fail; its entry goes below
        log.warning("abandoned job %s cannot be read; dropped from the started jobs", exact_line(job_id))
        return None


def death_reason(deaths: int) -> str:
    if deaths <= 1:
        return "its worker died mid-job (killed, crashed or lost)"
    return f"its worker died {deaths} times mid-job (killed, crashed or lost); no retries left"


def sweep_abandoned(queue: Queue, on_final: Callable[[Job, str], None]) -> int:
    """Re-queue or fail the jobs of `queue` whose worker died; returns how many were found."""
    registry = StartedJobRegistry(queue.name, connection=queue.connection, job_class=queue.job_class,
                                  serializer=queue.serializer)
    cutoff = current_timestamp()
    found = 0
    for job_id in dict.fromkeys(registry.get_expired_job_ids(cutoff)):
        job = _fetch(queue, job_id)
        if job is None or job.get_status(refresh=False) != JobStatus.STARTED:
            continue  # gone, or ended after all (a leftover entry)
        found += 1
        try:
            _abandoned(queue, job, on_final)
        except REDIS_DOWN:
            raise
        except Exception as e:  # one odd job must not keep the others of its queue from being found
            log.warning("abandoned job %s: %s: %s", exact_line(job_id), type(e).__name__, one_line(str(e)))
    _forget_executions(queue.connection, registry, cutoff)
    return found


def _abandoned(queue: Queue, job: Job, on_final: Callable[[Job, str], None]) -> None:
    meta = job.meta if isinstance(job.meta, dict) else {}
    try:
        deaths = int(meta.get(ABANDONED, 0)) + 1
    except (TypeError, ValueError):
        deaths = 1
    job.meta = {**meta, ABANDONED: deaths}
    what = subject(job)
    ran = (now() - job.started_at).total_seconds() if job.started_at else 0.0
    if job.retries_left:
        job.retries_left -= 1
        with queue.connection.pipeline() as pipe:
            queue._enqueue_job(job, pipeline=pipe, at_front=True)
            pipe.execute()
        log.warning(job_line(what.who, what.stage, "abandoned", ran,
                             f"its worker died mid-job; queued again ({job.retries_left} retries left)"))
    else:
        _fail_for_good(queue, job, death_reason(deaths), on_final)
        log.warning(job_line(what.who, what.stage, "failed", ran, death_reason(deaths)))
    release_slot(job)


def _forget_executions(conn: Redis, registry: StartedJobRegistry, cutoff: float) -> None:
    """Drop the expired executions from the started jobs and from their jobs' execution lists. RQ
    lists an execution 60 s longer than it keeps it, and deleting a job in between (queueing it
    again under its ID, `retry-failed`) fails on the missing execution."""
    entries = [as_text(e) for e in conn.zrangebyscore(registry.key, 0, cutoff)]
    with conn.pipeline() as pipe:
        for entry in entries:
            job_id, _, execution_id = entry.rpartition(":")
            if job_id and execution_id:
                pipe.zrem(ExecutionRegistry(job_id, connection=conn).key, execution_id)
                pipe.delete(Execution(execution_id, job_id, connection=conn).key)
        pipe.zremrangebyscore(registry.key, 0, cutoff)
        pipe.execute()


def _fail_for_good(queue: Queue, job: Job, reason: str, on_final: Callable[[Job, str], None]) -> None:
    with queue.connection.pipeline() as pipe:
        pipe.hset(job.key, "meta", job._serialize_meta())
        record_job_failure(job, reason, pipe)
        pipe.execute()
    on_final(job, reason)  # the store first: the jobs released next read it
    queue.enqueue_dependents(job, refresh_job_status=False)


def clean_other_registries(queue: Queue) -> None:
    """The rest of RQ's registry clean-up (`rq.registry.clean_registries` without the started jobs)."""
    for registry_class in (FinishedJobRegistry, FailedJobRegistry, DeferredJobRegistry, ReadyJobRegistry):
        registry_class(queue.name, connection=queue.connection, job_class=queue.job_class,
                       serializer=queue.serializer).cleanup()
    for rate_limits in RateLimitRegistry.all(queue.connection):
        rate_limits.cleanup()
