"""The job functions RQ runs: importable, JSON-safe arguments, JSON-safe results.

Settings other than the data root are the worker's own: `vidscribe worker` hands its `Settings`
to `use_settings` once per process and every job reads them from there (jobs carry only the data
root, chosen by the command that queued them).

A `VidscribeError` marked permanent (404, unsupported URL, not a video, too long) fails the job at
once; anything transient (network, HTTP 5xx) is raised for RQ to retry with back-off. A job past
its time limit fails at once too (it would run out of time again), with that reason in the
transcript. A stage whose input stage failed is recorded failed without running.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from pathlib import Path
from typing import Any, NoReturn

from redis.exceptions import RedisError
from rq import get_current_job
from rq.timeouts import JobTimeoutException

from vidscribe import pipeline
from vidscribe.errors import VidscribeError
from vidscribe.queue import failures, graph
from vidscribe.queue.outage import OUTAGE
from vidscribe.settings import Settings
from vidscribe.terminal import exact_line, one_line
from vidscribe.transcripts.sources import SourceLedger, SourceRecord
from vidscribe.transcripts.store import Store

log = logging.getLogger(__name__)

_settings: Settings | None = None  # the worker's, set once per process by `use_settings`


def use_settings(settings: Settings | None) -> None:
    """Make `settings` the ones every later job in this process runs with (the data root aside);
    None goes back to reading them from the environment for each job."""
    global _settings
    _settings = settings


def worker_settings() -> Settings:
    """The settings `use_settings` set; without them, this process's environment's (read each time,
    so a worker made without `run_worker`, e.g. in a test, follows its environment)."""
    return _settings if _settings is not None else Settings.load()


def _settings_for(data: str) -> Settings:
    return dataclasses.replace(worker_settings(), data=Path(data))


def job_line(who: str, stage: str, status: str, seconds: float, detail: str | None = None) -> str:
    """The worker's one log line per job: `video-id stage: status (1.2 s)[: detail]`. A source or a
    reason may come from outside (a URL, a job read from Redis): shown on one line, never obeyed."""
    line = f"{exact_line(str(who))} {stage}: {status} ({seconds:.1f} s)"
    return line + (f": {one_line(detail)}" if detail else "")


def _permanent(error: Exception) -> bool:
    if isinstance(error, VidscribeError):
        return error.permanent
    return not isinstance(error, (OSError, RedisError))  # a bug will not fix itself on retry


def _fail(error: Exception) -> NoReturn:
    job = get_current_job()
    if _permanent(error) and job is not None:
        job.retries_left = 0  # the worker's own job object: RQ will not retry what cannot succeed
    raise error


def fetch_job(source: str, data: str, force: bool = False, account: dict[str, str] | None = None
              ) -> dict[str, Any]:
    """Media stage for one source, then the video's stage graph. `account`: the listing's, for a
    source found in one (recorded where the video's own metadata names none)."""
    started = time.monotonic()
    settings = _settings_for(data)
    store, ledger = Store(settings.data), SourceLedger(settings.data)
    job = get_current_job()
    job_id = job.id if job else None
    _record_source(ledger, store, SourceRecord(source, "running", job_id=job_id))
    try:
        transcript = pipeline.ingest_source(source, settings, store, force=force)
    except Exception as e:
        try:
            ledger.put(SourceRecord(source, "failed", error=str(e), permanent=_permanent(e), job_id=job_id))
        except OSError as unwritten:  # the fetch's own reason is the one to give; the worker tries again
            log.debug("%s: the ledger could not record the failure: %s", exact_line(source), unwritten)
        _fail(e)
    if account:
        from vidscribe.listings.account import record_account

        record_account(store, transcript.video.id, account)
    video = transcript.video
    _record_source(ledger, store, SourceRecord(source, "done", video_id=video.id, job_id=job_id))
    todo = pipeline.stage_names() if force else graph.stages_to_run(transcript)
    jobs: list[str] = []
    if job and todo:  # the media is stored: should Redis be away now, wait for it rather than lose the fetch
        conn = job.connection
        jobs = OUTAGE.call(conn, lambda: graph.enqueue_stages(conn, str(settings.data), video.id, todo,
                                                              video.duration))
    log.info(job_line(video.id, pipeline.MEDIA_STAGE, "done", time.monotonic() - started))
    return {"video_id": video.id, "jobs": jobs}


def _record_source(ledger: SourceLedger, store: Store, record: SourceRecord) -> None:
    """`record` in the source ledger; a disk that is full or read-only fails the job as the media
    stage's own writes do: one line naming the data root, for good (a timer does not free space)."""
    try:
        ledger.put(record)
    except OSError as e:
        _fail(VidscribeError(pipeline.os_error_reason(e, store), source=record.source))


def stage_job(video_id: str, stage: str, data: str) -> dict[str, Any]:
    settings = _settings_for(data)
    store = Store(settings.data)
    try:
        _check_inputs(store, video_id, stage)
        record = pipeline.run_stage(stage, video_id, settings, store, reraise=True)
    except JobTimeoutException:
        job = get_current_job()
        limit = f" after {job.timeout} s" if job and job.timeout else ""
        reason = f"timed out{limit} (the job's time limit; a slower machine or a longer clip needs more)"
        with contextlib.suppress(VidscribeError, OSError):  # recorded as an internal error at least
            failures.record_stage_failure(store, video_id, stage, reason)
        _fail(VidscribeError(reason, permanent=True))
    except Exception as e:
        _fail(e)
    log.info(job_line(video_id, stage, record.status, record.seconds, record.error))
    return {"video_id": video_id, "stage": stage, "status": record.status, "seconds": record.seconds}


def _check_inputs(store: Store, video_id: str, stage: str) -> None:
    """Record `stage` failed, and fail its job for good, when a stage it reads failed or never ran:
    it would otherwise run on a missing input (align with no subtitles at all)."""
    try:
        reason = failures.input_failure(store.load(video_id), stage)
    except Exception:  # no transcript, an unknown or unimportable stage: run_stage records those
        return
    if reason:
        failures.record_stage_failure(store, video_id, stage, reason)
        raise VidscribeError(reason, permanent=True)


def noop(value: float = 0.0) -> float:
    """A job that does nothing: bench/queue.py measures the queue's own per-job cost with it."""
    return value
