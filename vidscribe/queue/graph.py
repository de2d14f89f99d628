"""Putting work on the queues: a fetch job per source, then one job per stage per video, chained
with RQ dependencies (align waits for speech and subtitles), deduplicated by deterministic job IDs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Dependency, Job, JobStatus
from rq.serializers import JSONSerializer

from vidscribe import pipeline
from vidscribe.errors import VidscribeError
from vidscribe.media.fetch import guess_video_id, sha256_file, stored_media
from vidscribe.media.ids import video_id_from_content
from vidscribe.media.urls import canonical_source, classify
from vidscribe.queue.connection import get_queue
from vidscribe.settings import Settings
from vidscribe.transcripts.model import Transcript
from vidscribe.transcripts.sources import SourceLedger, SourceRecord, source_key
from vidscribe.transcripts.store import Store

ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
# Transient failures (network, HTTP 5xx) are retried with back-off (trust.RETRY_BACKOFF, applied by
# the workers' job class); the scheduler that `vidscribe worker` runs moves them back onto the queue.
# A job whose worker died uses a retry too, but goes straight back to its queue (worker/sweep.py), and
# so the jobs carry no interval: RQ's clean-up, run by whatever counts the started jobs (`rq info`,
# rq-dashboard), would otherwise schedule a dead worker's job 10 to 300 s ahead.
RETRY = Retry(max=3)
RESULT_TTL = 24 * 3600
FAILURE_TTL = 30 * 24 * 3600
FETCH_TIMEOUT = 3600
# Seconds of job time allowed per second of media, on top of a fixed allowance (CPU-sized).
_PER_SECOND = {"speech": 4.0, "subtitles": 1.5}


@dataclass(frozen=True)
class Submission:
    source: str
    video_id: str | None
    job_ids: tuple[str, ...] = ()
    refused: str | None = None  # the one-line reason nothing was queued

    def line(self) -> str:
        """`source <tab> video ID or - <tab> queued | refused: reason`."""
        if self.refused:
            # Some reasons already say it ("refused: 127.0.0.1 is a private address"): say it once.
            reason = self.refused.removeprefix("refused:").strip()
            what = f"refused: {reason}"
        else:
            what = "queued"
        return f"{self.source}\t{self.video_id or '-'}\t{what}"


def fetch_job_id(source: str) -> str:
    return f"fetch-{source_key(source)}"


def stage_job_id(video_id: str, stage: str) -> str:
    return f"{stage}-{video_id}"


def job_timeout(stage: str, duration: float | None) -> int:
    return int(300 + _PER_SECOND.get(stage, 0.5) * (duration or 600))


def active_job(conn: Redis, job_id: str) -> Job | None:
    try:
        job = Job.fetch(job_id, connection=conn, serializer=JSONSerializer)
    except NoSuchJobError:
        return None
    return job if job.get_status(refresh=False) in ACTIVE else None


def _forget_ended(conn: Redis, job_id: str) -> None:
    """Delete an ended job (failed, finished, stopped, canceled) about to be queued again under the
    same ID, registries included: otherwise it would stay listed as failed (`rq info`, rq-dashboard)
    after its re-run finished. An active job is left alone (callers reuse it instead)."""
    try:
        job = Job.fetch(job_id, connection=conn, serializer=JSONSerializer)
    except NoSuchJobError:
        return
    if job.get_status(refresh=False) not in ACTIVE:
        job.delete(remove_from_queue=True)


def downstream(stage: str) -> list[str]:
    """`stage` and every stage that reads its output, directly or not, in pipeline order."""
    chosen = {stage}
    for name in pipeline.stage_names():
        if set(pipeline.get_stage(name).after) & chosen:
            chosen.add(name)
    return [name for name in pipeline.stage_names() if name in chosen]


def stages_to_run(transcript: Transcript, stage: str | None = None) -> list[str]:
    """`stage` and what depends on it; without one, every stage missing or failed and what depends on it."""
    starts = [stage] if stage else [n for n in pipeline.stage_names() if n not in transcript.stages
                                    or transcript.stages[n].status == "failed"]
    todo = {name for first in starts for name in downstream(first)}
    return [name for name in pipeline.stage_names() if name in todo]


def complete(transcript: Transcript) -> bool:
    return all(transcript.stages.get(name) and transcript.stages[name].status in ("done", "skipped")
               for name in pipeline.stage_names())


def enqueue_stages(conn: Redis, data: str, video_id: str, stages: Iterable[str],
                   duration: float | None) -> list[str]:
    """One job per stage, each waiting for the stages it reads that are part of this graph.

    A stage of this video that is already queued or running is reused, not queued twice.
    """
    jobs: dict[str, Job] = {}
    order = [name for name in pipeline.stage_names() if name in set(stages)]
    for name in order:
        stage = pipeline.get_stage(name)
        job_id = stage_job_id(video_id, name)
        existing = active_job(conn, job_id)
        if existing:
            jobs[name] = existing
            continue
        _forget_ended(conn, job_id)
        parents = [jobs[d] for d in stage.after if d in jobs]
        # allow_failure: a stage is released when a stage it reads fails too, and records itself failed
        # ("input stage X failed", jobs.stage_job) instead of waiting in Redis for ever.
        depends = Dependency(jobs=parents, allow_failure=True) if parents else None
        jobs[name] = get_queue(stage.queue, conn).enqueue(
            "vidscribe.queue.jobs.stage_job", args=(video_id, name, data), job_id=job_id,
            depends_on=depends, retry=RETRY, job_timeout=job_timeout(name, duration),
            result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL, description=f"{name} {video_id}")
    return [j.id for j in jobs.values()]


def _enqueue_fetch(conn: Redis, settings: Settings, source: str, force: bool,
                   account: dict[str, str] | None = None) -> str:
    job_id = fetch_job_id(source)
    # Recorded before the job exists: a fast worker's "running"/"done" must not be overwritten.
    SourceLedger(settings.data).put(SourceRecord(source, "queued", job_id=job_id))
    _forget_ended(conn, job_id)
    # The account of the listing the source came from (JSON, only when there is one).
    args = (source, data_arg(settings), force, account) if account else (source, data_arg(settings), force)
    get_queue("download", conn).enqueue(
        "vidscribe.queue.jobs.fetch_job", args=args, job_id=job_id,
        retry=RETRY, job_timeout=FETCH_TIMEOUT, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
        description=f"fetch {source}")
    return job_id


def data_arg(settings: Settings) -> str:
    """The data root as jobs carry it: absolute, since workers run in other working directories."""
    return str(settings.data.resolve())


def submit(conn: Redis, settings: Settings, source: str, force: bool = False,
           account: dict[str, str] | None = None) -> Submission:
    """Queue one source unless it is already queued or (without `force`) already processed.
    `account`: the listing's account, recorded on the video where its own metadata names none."""
    store = Store(settings.data)
    text = source.strip()
    try:
        text, video_id, certain = _identify(text, settings)
    except VidscribeError as e:
        return Submission(text, None, refused=e.reason)

    if active_job(conn, fetch_job_id(text)):
        return Submission(text, video_id if certain else None, refused="already queued")
    record = SourceLedger(settings.data).get(text)
    video_id = video_id or (record.video_id if record else None)
    if video_id and store.exists(video_id) and not force:
        transcript = store.load(video_id)
        if complete(transcript):
            return Submission(text, video_id, refused="already processed (use --force to redo it)")
        if stored_media(store, video_id):  # fetched before: finish it without downloading again
            jobs = enqueue_stages(conn, data_arg(settings), video_id, stages_to_run(transcript),
                                  transcript.video.duration)
            return Submission(text, video_id, tuple(jobs))
    known = video_id if video_id and (certain or store.exists(video_id)) else None
    return Submission(text, known, (_enqueue_fetch(conn, settings, text, force, account),))


def _identify(text: str, settings: Settings) -> tuple[str, str | None, bool]:
    """(source as queued, video ID if known, whether that ID is certain) for one source.

    A local file is queued by its absolute path (workers run in other working directories) and its
    ID is its content hash, known now. A URL's ID is only a guess, for finding earlier work:
    fetching tells for sure."""
    ref = classify(text, settings.allow_private_urls)
    if ref.path is None:
        return text, guess_video_id(text), False
    if not ref.path.is_file():
        raise VidscribeError("no such file", source=text)
    path = canonical_source(str(ref.path))  # absolute, as the transcript will store it
    try:
        digest = sha256_file(Path(path))
    except OSError as e:
        raise VidscribeError(f"cannot read the file: {e.strerror or e}", source=text) from None
    return path, video_id_from_content(digest), True


def reprocess(conn: Redis, settings: Settings, video_ids: Iterable[str], stage: str | None = None
              ) -> list[Submission]:
    """Queue `stage` and the stages after it for stored videos, from the stored media (no download).

    Without `stage`, each video runs its stages that are missing or failed, and those after them.
    """
    store = Store(settings.data)
    out = []
    for video_id in video_ids:
        try:
            transcript = store.load(video_id)
        except VidscribeError as e:
            out.append(Submission(video_id, video_id, refused=e.reason))
            continue
        if not stored_media(store, video_id):
            out.append(Submission(video_id, video_id, refused="media missing: enqueue the source again"))
            continue
        todo = stages_to_run(transcript, stage)
        if not todo:
            out.append(Submission(video_id, video_id, refused="nothing to do: every stage is done"))
            continue
        jobs = enqueue_stages(conn, data_arg(settings), video_id, todo, transcript.video.duration)
        out.append(Submission(video_id, video_id, tuple(jobs)))
    return out


def requeue_sources(conn: Redis, settings: Settings, statuses: set[str]) -> list[Submission]:
    """Queue again the sources whose fetch never produced a video (failed, or lost with Redis)."""
    out = []
    for record in SourceLedger(settings.data).records():
        if record.status not in statuses or record.video_id:
            continue
        if active_job(conn, fetch_job_id(record.source)):
            continue
        out.append(Submission(record.source, None, (_enqueue_fetch(conn, settings, record.source, False),)))
    return out


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    # Numeric parts compare as numbers ("10" > "9"); the tuple keeps mixed parts comparable.
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.replace("-", ".").split("."))


def select_videos(store: Store, *, all_videos: bool = False, failed: bool = False, unfinished: bool = False,
                  before_version: str | None = None, stage: str | None = None) -> list[str]:
    chosen = []
    names = pipeline.stage_names()
    for transcript in store.transcripts():
        stages = transcript.stages
        has_failed = any(r.status == "failed" for r in stages.values())
        has_missing = any(n not in stages for n in names)
        if all_videos or (failed and has_failed) or (unfinished and has_missing):
            chosen.append(transcript.video.id)
        elif before_version and stage:
            record = stages.get(stage)
            if record is None or _version_key(record.version) < _version_key(before_version):
                chosen.append(transcript.video.id)
    return chosen

