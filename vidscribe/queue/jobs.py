"""The job functions RQ runs: importable, JSON-safe arguments, JSON-safe results.

Settings other than the data root are the worker's own: `vidscribe worker` hands its `Settings`
to `use_settings` once per process and every job reads them from there (jobs carry only the data
root, chosen by the command that queued them).

A `VidscribeError` marked permanent (404, unsupported URL, not a video, too long) fails the job at
once; anything transient (network, HTTP 5xx) is raised for RQ to retry with back-off.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any, NoReturn

from redis.exceptions import RedisError
from rq import get_current_job

from vidscribe import pipeline
from vidscribe.errors import VidscribeError
from vidscribe.queue import graph
from vidscribe.settings import Settings
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
    """The worker's one log line per job: `video-id stage: status (1.2 s)[: detail]`."""
    return f"{who} {stage}: {status} ({seconds:.1f} s)" + (f": {detail}" if detail else "")


def _permanent(error: Exception) -> bool:
    if isinstance(error, VidscribeError):
        return error.permanent
    return not isinstance(error, (OSError, RedisError))  # a bug will not fix itself on retry


def _fail(error: Exception) -> NoReturn:
    job = get_current_job()
    if _permanent(error) and job is not None:
        job.retries_left = 0  # the worker's own job object: RQ will not retry what cannot succeed
    raise error


def fetch_job(source: str, data: str, force: bool = False) -> dict[str, Any]:
    """Media stage for one source, then the video's stage graph."""
    started = time.monotonic()
    settings = _settings_for(data)
    store, ledger = Store(settings.data), SourceLedger(settings.data)
    job = get_current_job()
    job_id = job.id if job else None
    ledger.put(SourceRecord(source, "running", job_id=job_id))
    try:
        transcript = pipeline.ingest_source(source, settings, store, force=force)
    except Exception as e:
        ledger.put(SourceRecord(source, "failed", error=str(e), permanent=_permanent(e), job_id=job_id))
        _fail(e)
    video = transcript.video
    ledger.put(SourceRecord(source, "done", video_id=video.id, job_id=job_id))
    todo = pipeline.stage_names() if force else graph.stages_to_run(transcript)
    jobs = graph.enqueue_stages(job.connection, str(settings.data), video.id, todo, video.duration) \
        if job and todo else []
    log.info(job_line(video.id, pipeline.MEDIA_STAGE, "done", time.monotonic() - started))
    return {"video_id": video.id, "jobs": jobs}


def stage_job(video_id: str, stage: str, data: str) -> dict[str, Any]:
    settings = _settings_for(data)
    try:
        record = pipeline.run_stage(stage, video_id, settings, Store(settings.data),
                                    reraise=True)
    except Exception as e:
        _fail(e)
    log.info(job_line(video_id, stage, record.status, record.seconds, record.error))
    return {"video_id": video_id, "stage": stage, "status": record.status, "seconds": record.seconds}


def noop(value: float = 0.0) -> float:
    """A job that does nothing: bench/queue.py measures the queue's own per-job cost with it."""
    return value
