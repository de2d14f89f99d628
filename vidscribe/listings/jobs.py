"""The watch round as an RQ job: importable, JSON-safe arguments (the listing ID and the data root)."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

from rq import get_current_job

from vidscribe.listings.watch import REPEATS_AHEAD, read_watch, run_round
from vidscribe.queue.jobs import job_line, worker_settings

log = logging.getLogger(__name__)


def watch_job(listing_id: str, data: str) -> dict[str, Any]:
    """One round of a watch; then RQ's repeat is set from watch.json: its interval, a fresh count
    of repeats, or none when the watch was removed."""
    started = time.monotonic()
    settings = dataclasses.replace(worker_settings(), data=Path(data))  # the worker's, the job's data root
    job = get_current_job()
    if job is None:
        raise RuntimeError("watch_job runs as an RQ job (use vidscribe.listings.watch.run_round inline)")
    result = run_round(job.connection, settings, listing_id)
    watch = read_watch(settings, listing_id)
    if watch is None:
        job.repeats_left = 0
    else:
        job.repeats_left = REPEATS_AHEAD
        job.repeat_intervals = [watch.every]
    detail = result.error or f"{len(result.queued)} new entries queued"
    log.info(job_line(listing_id, "watch", result.status, time.monotonic() - started, detail))
    return result.to_dict()
