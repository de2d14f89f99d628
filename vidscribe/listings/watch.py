"""Watched listings: each re-checked on a schedule by RQ itself, enqueuing only entries no earlier
run of the listing returned.

A watch is `listings/<listing-id>/watch.json` in the store (its URL, interval and listing options:
JSON) and one RQ job, `watch-<listing-id>`, on the download queue, queued with RQ's `Repeat`: when
a round ends, the worker that ran it schedules the same job again `every` seconds later, and the
scheduler `vidscribe worker` runs moves it back onto the queue when it is due. No loop of ours
waits anywhere. Each round re-reads watch.json: it tops up RQ's count of repeats (a count RQ
requires) and takes a changed interval; when the file is gone (`watch remove`) it repeats no more.

RQ's cron (`rq cron`, `CronScheduler`) was the other candidate: it runs jobs declared in a Python
file it loads at start-up, so watches added from the command line would need that process
restarted; `Repeat` keeps each watch's schedule in Redis beside its job.

A round whose listing fails (login needed, rate limited, account deleted) records the failure with
its reason as a run and ends normally, so the next round tries again. Videos already fetched are
never touched by a listing. If Redis loses the job (flushed), `watch list` says the watch is not
scheduled and `watch add URL` arms it again.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from redis import Redis
from rq import Repeat
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry

from vidscribe.atomic import atomic_write
from vidscribe.errors import SourceError, VidscribeError
from vidscribe.listings.ledger import WATCH_FILE, ListingLedger, Run, now_iso
from vidscribe.listings.runs import ListingOptions, take
from vidscribe.listings.source import listing_id
from vidscribe.media.urls import classify
from vidscribe.redact import redact_url
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store

WATCH_JOB = "vidscribe.listings.jobs.watch_job"
WATCH_QUEUE = "download"  # listing is network work, like fetching
DEFAULT_EVERY = "6h"
# RQ's Repeat needs a count of repeats; each round sets it back to this, so a watch never runs out.
REPEATS_AHEAD = 1000
# Seconds one round may take: listing max_entries entries (paged, 30-100 per request on the
# platforms) and queuing them; a round past it fails and the next one runs on schedule.
ROUND_TIMEOUT = 1800
ROUND_RESULT_TTL = 7 * 24 * 3600  # the last round's result, for `rq info` and rq-dashboard
_EVERY = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> int:
    """"6h", "30m", "1d", "90s" -> seconds (a unit is required: a bare number is a likely slip)."""
    m = _EVERY.match(text.strip().lower())
    seconds = int(float(m.group(1)) * _UNITS[m.group(2)]) if m else 0
    if seconds < 1:
        raise SourceError(f"not an interval: {text!r} (expected a number and a unit: 90s, 30m, 6h, 1d)")
    return seconds


def format_every(seconds: int) -> str:
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclass
class Watch:
    listing_id: str
    url: str  # no credentials (refused when given): watches are stored
    every: int  # seconds between rounds
    options: dict[str, Any] = field(default_factory=dict)  # ListingOptions, as given to `watch add`
    added_at: str | None = None


def watch_job_id(listing: str) -> str:
    return f"watch-{listing}"


def read_watch(settings: Settings, listing: str) -> Watch | None:
    path = ListingLedger(settings.data).folder(listing) / WATCH_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Watch(**{k: data[k] for k in ("listing_id", "url", "every", "options", "added_at") if k in data})
    except (OSError, ValueError, TypeError, KeyError):
        return None


def watches(settings: Settings) -> list[Watch]:
    ledger = ListingLedger(settings.data)
    found = (read_watch(settings, lid) for lid in ledger.ids())
    return [w for w in found if w is not None]


def add_watch(conn: Redis, settings: Settings, url: str, every: int, options: ListingOptions) -> Watch:
    """Store the watch and arm its job; the first round is queued now. Adding a watched URL again
    changes its interval and options and checks it now (and re-arms a job Redis lost)."""
    text = url.strip()
    ref = classify(text, settings.allow_private_urls)
    if ref.url is None:
        raise SourceError("a local file cannot be watched: give a channel, account, playlist or feed URL",
                          source=text)
    if redact_url(text) != text:
        raise SourceError("a watched URL must not carry credentials (it is stored); use --cookies", source=text)
    lid = listing_id(text)
    ledger = ListingLedger(settings.data)
    previous = read_watch(settings, lid)
    watch = Watch(lid, text, every, options.to_dict(), previous.added_at if previous else now_iso())
    with ledger.locked(lid):
        atomic_write(ledger.folder(lid) / WATCH_FILE, json.dumps(asdict(watch), ensure_ascii=False, indent=2) + "\n")
    arm(conn, settings, watch)
    return watch


def arm(conn: Redis, settings: Settings, watch: Watch) -> None:
    """Queue the watch's round now, repeating every `watch.every` seconds. A round already running
    is left to finish: it re-reads watch.json and re-arms itself with the new interval."""
    from vidscribe.queue.connection import get_queue
    from vidscribe.queue.graph import FAILURE_TTL, RETRY, data_arg
    from vidscribe.queue.trust import VidscribeJob

    job_id = watch_job_id(watch.listing_id)
    try:
        job = VidscribeJob.fetch(job_id, connection=conn, serializer=get_queue(WATCH_QUEUE, conn).serializer)
    except Exception:  # no such job (or unreadable: replaced below)
        job = None
    if job is not None:
        if job.get_status(refresh=False) == JobStatus.STARTED:
            return
        job.delete(remove_from_queue=True)
    get_queue(WATCH_QUEUE, conn).enqueue(
        WATCH_JOB, args=(watch.listing_id, data_arg(settings)), job_id=job_id,
        repeat=Repeat(times=REPEATS_AHEAD, interval=watch.every), retry=RETRY, job_timeout=ROUND_TIMEOUT,
        result_ttl=ROUND_RESULT_TTL, failure_ttl=FAILURE_TTL, description=f"watch {watch.url}")


def remove_watch(conn: Redis | None, settings: Settings, which: str) -> Watch:
    """Stop watching (`which`: the URL or the listing ID). The listing's record and its runs stay,
    and so does every video it led to; a round running now finishes and does not repeat."""
    lid = which if which.startswith("listing-") else listing_id(which)
    watch = read_watch(settings, lid)
    if watch is None:
        raise SourceError("not watched (see `vidscribe watch list`)", source=which)
    ledger = ListingLedger(settings.data)
    with ledger.locked(lid):
        (ledger.folder(lid) / WATCH_FILE).unlink(missing_ok=True)
    if conn is not None:
        from vidscribe.queue.graph import active_job

        job = active_job(conn, watch_job_id(lid))
        if job is not None and job.get_status(refresh=False) != JobStatus.STARTED:
            job.delete(remove_from_queue=True)
    return watch


def schedule_state(conn: Redis, watch: Watch) -> str:
    """Where the watch's job stands in Redis: running, queued, the next round's time, or why none."""
    from vidscribe.queue.connection import get_queue
    from vidscribe.queue.graph import active_job

    job_id = watch_job_id(watch.listing_id)
    job = active_job(conn, job_id)
    if job is None:
        return "not scheduled (run `vidscribe watch add URL` again to re-arm it)"
    status = job.get_status(refresh=False)
    if status == JobStatus.SCHEDULED:
        registry = ScheduledJobRegistry(queue=get_queue(WATCH_QUEUE, conn))
        try:
            when: datetime = registry.get_scheduled_time(job_id)
        except Exception:  # gone between the two reads
            return "scheduled"
        return f"next round {when.replace(microsecond=0).isoformat()}"
    return "running" if status == JobStatus.STARTED else str(getattr(status, "value", status))


@dataclass
class RoundResult:
    status: str  # ok, failed, removed
    error: str | None = None
    queued: list[str] = field(default_factory=list)  # entry URLs (redacted) queued for fetching
    refused: dict[str, str] = field(default_factory=dict)  # entry URL -> why submit refused it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_round(conn: Redis, settings: Settings, listing: str) -> RoundResult:
    """One round: list, take the entries no earlier run returned (within the watch's options), and
    queue a fetch for each. A listing that fails is recorded (by `take`) and the round ends normally."""
    from vidscribe.queue import graph

    watch = read_watch(settings, listing)
    if watch is None:
        return RoundResult("removed")
    options = ListingOptions.from_dict(watch.options)
    try:
        taken = take(watch.url, settings, Store(settings.data), "watch", options, new_only=True)
    except VidscribeError as e:
        return RoundResult("failed", error=e.reason)
    if taken is None:
        reason = "a single video, not a listing: enqueue it instead of watching it"
        ListingLedger(settings.data).record_run(Run(listing, now_iso(), "watch", "failed", error=reason,
                                                    permanent=True, options=options.to_dict()), url=watch.url)
        return RoundResult("failed", error=reason)
    result = RoundResult("ok")
    for entry in taken.choice.taken:
        sub = graph.submit(conn, settings, entry.url, account=taken.account(entry))
        if sub.refused:
            result.refused[redact_url(entry.url)] = sub.refused
        else:
            result.queued.append(redact_url(entry.url))
    return result
