"""Following queued jobs to their end (`--wait`): the jobs named, and the stage jobs each fetch
job queues when it finishes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from redis import Redis
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

FINAL = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED, JobStatus.STOPPED}


@dataclass
class Progress:
    total: int = 0  # jobs known so far (grows as fetch jobs queue their stages)
    finished: int = 0
    failed: int = 0  # failed, canceled, stopped, or gone from Redis

    @property
    def ended(self) -> int:
        return self.finished + self.failed


def follow(conn: Redis, job_ids: Iterable[str], poll: float = 0.5,
           on_progress: Callable[[Progress], None] | None = None) -> Progress:
    """Wait until every job in `job_ids`, and every job they queue, has ended; `on_progress` is
    called after each look at Redis. A job gone from Redis (flushed, expired) counts as failed: it
    will not end by itself."""
    pending = list(dict.fromkeys(job_ids))
    seen = set(pending)
    progress = Progress(total=len(seen))
    while pending:
        for job_id, job in zip(list(pending), Job.fetch_many(pending, connection=conn, serializer=JSONSerializer),
                               strict=True):
            if job is None:
                pending.remove(job_id)
                progress.failed += 1
                continue
            status = job.get_status(refresh=False)
            if status not in FINAL:
                continue
            pending.remove(job_id)
            if status != JobStatus.FINISHED:
                progress.failed += 1
                continue
            progress.finished += 1
            for child in _children(job):
                if child not in seen:
                    seen.add(child)
                    pending.append(child)
        progress.total = len(seen)
        if on_progress is not None:
            on_progress(progress)
        if pending:
            time.sleep(poll)
    return progress


def _children(job: Job) -> list[str]:
    """The jobs a finished fetch job queued (its result's "jobs")."""
    result = job.return_value()
    jobs = result.get("jobs", []) if isinstance(result, dict) else []
    return [j for j in jobs if isinstance(j, str)]


def wait(conn: Redis, job_ids: Iterable[str], stream: TextIO) -> int:
    """`follow` with a progress bar on `stream` (when a terminal) and a closing count; returns how
    many jobs failed (`--wait` of enqueue, reprocess and retry-failed)."""
    tty = stream.isatty()

    def show(p: Progress) -> None:
        if tty:
            filled = int(30 * p.ended / max(p.total, 1))
            line = f"jobs: {p.ended}/{p.total} finished" + (f", {p.failed} failed" if p.failed else "")
            stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {line}")
            stream.flush()

    done = follow(conn, job_ids, on_progress=show)
    stream.write(("\r" if tty else "") + f"done: {done.finished} finished, {done.failed} failed".ljust(60) + "\n")
    stream.flush()
    return done.failed
