"""What a vidscribe process will run from a job read out of Redis: only vidscribe's own job
functions, and no callback or webhook at all.

RQ imports and calls whatever importable name a job holds: its function, and its `on_success`,
`on_failure` and `on_stopped` callbacks (run by the worker, and the failure callback also by
whichever process cleans up after a dead worker). Anyone able to write to Redis could otherwise
run code on the workers; RQ's webhooks would have them send requests anywhere. `VidscribeJob`
refuses every name not allowed here before anything is imported, wherever RQ asks for it, and
sends no webhook; `refusal` says why a job must not run at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rq.job import Job

from vidscribe.errors import VidscribeError
from vidscribe.terminal import exact_line

ALLOWED_JOBS = frozenset({
    "vidscribe.queue.jobs.fetch_job",
    "vidscribe.queue.jobs.stage_job",
    "vidscribe.queue.jobs.noop",
    "vidscribe.listings.jobs.watch_job",  # a watched listing's round (vidscribe/listings/watch.py)
})
# vidscribe queues no callbacks: the worker itself records what a job's end means.
ALLOWED_CALLBACKS: frozenset[str] = frozenset()
_CALLBACK_FIELDS = (("on_success", "_success_callback_name"), ("on_failure", "_failure_callback_name"),
                    ("on_stopped", "_stopped_callback_name"))


class RefusedJob(VidscribeError):
    """A job naming something vidscribe does not run, or whose data cannot be read."""


def _shown(name: object) -> str:
    return exact_line(str(name))  # a name from Redis is shown, never obeyed by a terminal


def unreadable(job: Job) -> str | None:
    """Why the job's function and arguments cannot be read (data that is not JSON, e.g. a pickle),
    or None."""
    try:
        args, kwargs = job.args, job.kwargs  # deserialises func_name, instance, args and kwargs together
    except Exception as e:
        cause = e.__cause__ or e
        return f"cannot be read: its data is not a vidscribe job ({type(cause).__name__})"
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        return "cannot be read: its arguments are not a list and a mapping"
    return None


def foreign(job: Job) -> str | None:
    """Why the job names a function or callback vidscribe does not run, or None. Reads names only:
    nothing is imported."""
    if job.func_name not in ALLOWED_JOBS:
        return f"refused: {_shown(job.func_name)} is not a vidscribe job function"
    if job.instance is not None:
        return "refused: a job on an object instance is not a vidscribe job"
    for option, field in _CALLBACK_FIELDS:
        name = getattr(job, field, None)
        if name and name not in ALLOWED_CALLBACKS:
            return f"refused: its {option} callback {_shown(name)} is not a vidscribe function"
    if job.webhooks:
        return f"refused: it asks for a webhook to {_shown(job.webhooks[0].url)} (vidscribe sends none)"
    return None


def refusal(job: Job) -> str | None:
    """Why `job` must not run (unreadable, or naming anything not allowed), or None."""
    return unreadable(job) or foreign(job)


def _guarded_callback(option: str, field: str, parent: property) -> property:
    def get(job: Job) -> Callable[..., Any] | None:
        name = getattr(job, field, None)
        if name and name not in ALLOWED_CALLBACKS:
            raise RefusedJob(f"refused: its {option} callback {_shown(name)} is not a vidscribe function")
        return parent.fget(job) if parent.fget else None

    return property(get)


# Seconds before the first, second and third retry of a job that failed in a worker for a reason that
# may pass (a network error, an HTTP 5xx). Applied by the job class, never stored with the job: see
# `VidscribeJob.get_retry_interval`.
RETRY_BACKOFF = (10, 60, 300)


class VidscribeJob(Job):
    """An RQ job that imports nothing outside the allow-lists, whoever asks: the worker running it,
    or a registry clean-up calling its failure callback after its worker died."""

    def get_retry_interval(self) -> int:
        """The back-off before retrying a job that failed in a worker: RETRY_BACKOFF by the retries
        used, whatever intervals the job carries. vidscribe queues its jobs with none (graph.RETRY),
        because RQ's own clean-up of a dead worker's job runs in any process that counts a queue's
        started jobs (`rq info`, rq-dashboard) and retries it by the job's intervals: the job would
        come back minutes later rather than at once, as the workers' sweep (worker/sweep.py) puts it."""
        used = max(0, len(RETRY_BACKOFF) - (self.retries_left or 0))  # RQ's indexing of its intervals
        return RETRY_BACKOFF[min(used, len(RETRY_BACKOFF) - 1)]

    @property
    def func(self) -> Any:
        reason = foreign(self)
        if reason:
            raise RefusedJob(reason)
        return super().func

    def send_webhooks(self, status: Any, *, exc_string: str | None = None) -> None:
        """Sends nothing: a URL read from Redis must not make a worker send requests (to a private
        address, say). vidscribe queues no webhooks; a job asking for one is refused."""

    success_callback = _guarded_callback("on_success", "_success_callback_name", Job.success_callback)
    failure_callback = _guarded_callback("on_failure", "_failure_callback_name", Job.failure_callback)
    stopped_callback = _guarded_callback("on_stopped", "_stopped_callback_name", Job.stopped_callback)
