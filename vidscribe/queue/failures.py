"""Recording in the store what a job's end means when the job itself could not: it was killed with
its worker once too often, it ran past its time limit, or its data could not be read.

The store is the truth `vidscribe status` and `retry-failed` read: a stage that failed for good is
`failed` in the transcript with its reason (a source that was never fetched, `failed` in the source
ledger), and a stage whose input failed is recorded failed instead of running on a missing input.
A failure is recorded as `pipeline.run_stage` records one: the previous outputs stay, and
`Store.save` renders the derived files again.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from rq.job import Job

from vidscribe import pipeline
from vidscribe.errors import VidscribeError
from vidscribe.transcripts.model import StageRecord, Transcript
from vidscribe.transcripts.sources import SourceLedger, SourceRecord
from vidscribe.transcripts.store import Store, check_video_id

log = logging.getLogger(__name__)

FETCH_JOB = "vidscribe.queue.jobs.fetch_job"
STAGE_JOB = "vidscribe.queue.jobs.stage_job"
FETCH_PREFIX = "fetch-"  # graph.fetch_job_id; stage jobs are graph.stage_job_id: "<stage>-<video ID>"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Subject:
    """What a vidscribe job works on, from its arguments, or from its ID when they cannot be read."""

    who: str  # video ID, source, or the job ID
    stage: str  # stage name; "media" for a fetch job; the function's name for anything else
    data: str | None = None  # the data root the job carries (None when its arguments cannot be read)
    fetch: bool = False


def subject(job: Job) -> Subject:
    try:
        func, args = job.func_name or "", list(job.args)
    except Exception:  # data that is not JSON: the ID our graph gave the job still says what it was
        return _subject_from_id(job.id)
    if func == STAGE_JOB and len(args) >= 2:
        return Subject(str(args[0]), str(args[1]), str(args[2]) if len(args) > 2 else None)
    if func == FETCH_JOB and args:
        return Subject(str(args[0]), pipeline.MEDIA_STAGE, str(args[1]) if len(args) > 1 else None, fetch=True)
    return Subject(job.id, "job")


def _subject_from_id(job_id: str) -> Subject:
    if job_id.startswith(FETCH_PREFIX):
        return Subject(job_id, pipeline.MEDIA_STAGE, fetch=True)
    for name in pipeline.stage_names():
        if job_id.startswith(f"{name}-"):
            return Subject(job_id.removeprefix(f"{name}-"), name)
    return Subject(job_id, "job")


def input_failure(transcript: Transcript, stage: str) -> str | None:
    """Why `stage` must not run on this transcript: a stage it reads failed or never ran."""
    for needed in pipeline.get_stage(stage).after:
        record = transcript.stages.get(needed)
        if record is None:
            return f"input stage {needed} has not run"
        if record.status == "failed":
            return f"input stage {needed} failed"
    return None


def record_stage_failure(store: Store, video_id: str, stage: str, reason: str) -> None:
    """`stage` of `video_id` recorded `failed` with `reason`; its previous outputs stay."""
    try:
        version = pipeline.get_stage(stage).version
    except Exception:  # an unimportable stage module is itself a failure worth recording
        version = ""

    def fail(transcript: Transcript) -> Transcript:
        previous = transcript.stages.get(stage)
        transcript.stages[stage] = StageRecord("failed", 0.0, version, error=reason, finished_at=_now(),
                                               outputs=previous.outputs if previous else [])
        return transcript

    store.update(video_id, fail)


def record_final_failure(job: Job, reason: str, data_root: Path, since: dt.datetime | None = None) -> None:
    """Record that `job` failed for good, unless the store already says so for its last run (begun
    at `since`): a stage that raised was recorded by `pipeline.run_stage` with a better reason.
    `data_root` serves when the job's own arguments cannot be read. Never raises: the job has
    already failed in Redis, and an unwritable store must not stop the worker."""
    what = subject(job)
    root = Path(what.data) if what.data else data_root
    started = since.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat() if since else None
    try:
        if what.fetch:
            _record_source_failure(SourceLedger(root), job.id, what, reason, started)
        elif what.stage in pipeline.stage_names():
            store = Store(root)
            check_video_id(what.who)
            if not store.exists(what.who):
                return
            record = store.load(what.who).stages.get(what.stage)
            if record and record.status == "failed" and started and (record.finished_at or "") >= started:
                return
            record_stage_failure(store, what.who, what.stage, reason)
    except (VidscribeError, OSError) as e:
        log.warning("%s %s: could not record the failure in %s: %s", what.who, what.stage, root, e)


def _record_source_failure(ledger: SourceLedger, job_id: str, what: Subject, reason: str,
                           started: str | None) -> None:
    if what.who == job_id:  # arguments unreadable: the ledger knows the source by its job
        found = [r for r in ledger.records() if r.job_id == job_id and not r.video_id]
        if not found:
            return
        source = found[0].source
    else:
        source = what.who
    record = ledger.get(source)
    if record and (record.video_id or (record.status == "failed" and started and (record.updated_at or "") >= started)):
        return  # fetched after all, or already recorded failed by fetch_job
    ledger.put(SourceRecord(source, "failed", error=reason, permanent=True, job_id=job_id))
