"""The pipeline: media, then each stage in order, each committed to the store as it finishes.

    ingest (fetch, probe, audio)  ->  speech  ->  subtitles  ->  align  -> ...

`process` runs it inline (the CLI's embedded mode); the queue runs the same `run_stage` per job.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import importlib
import logging
import time
from collections.abc import Iterable
from typing import Protocol

from vidscribe.errors import VidscribeError
from vidscribe.evidence import provenance
from vidscribe.listings.account import ACCOUNT_FIELDS, fill_account
from vidscribe.media import ingest as media
from vidscribe.media.fetch import stored_media
from vidscribe.media.urls import canonical_source
from vidscribe.settings import Settings
from vidscribe.stage import MEDIA_STAGE, STAGE_MODULES, Stage, StageContext, StageOutput
from vidscribe.transcripts.model import StageRecord, Transcript
from vidscribe.transcripts.render import DERIVED_FILES
from vidscribe.transcripts.store import Store

log = logging.getLogger(__name__)



class Reporter(Protocol):
    def download(self, done: int, total: int | None) -> None: ...
    def stage_started(self, video_id: str, stage: str) -> None: ...
    def stage_finished(self, video_id: str, stage: str, record: StageRecord) -> None: ...


class SilentReporter:
    def download(self, done: int, total: int | None) -> None:
        pass

    def stage_started(self, video_id: str, stage: str) -> None:
        pass

    def stage_finished(self, video_id: str, stage: str, record: StageRecord) -> None:
        pass


def stage_names() -> list[str]:
    return list(STAGE_MODULES)


def check_stage_names(names: Iterable[str]) -> list[str]:
    known = [MEDIA_STAGE, *STAGE_MODULES]
    for name in names:
        if name not in known:
            raise VidscribeError(f"unknown stage {name!r}; stages: {', '.join(known)}")
    return list(names)


def get_stage(name: str) -> Stage:
    if name not in STAGE_MODULES:
        check_stage_names([name])  # one message for unknown names
        raise VidscribeError(f"the {MEDIA_STAGE} stage is not a stage module: it runs through ingest_source")
    return importlib.import_module(STAGE_MODULES[name]).STAGE


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def ingest_source(source: str, settings: Settings, store: Store, reporter: Reporter | None = None,
                  force: bool = False) -> Transcript:
    """Run the media stage for `source` and record it; returns the stored transcript. The transcript is
    saved under the same hold of the video's lock as the media, its info and its audio."""
    reporter = reporter or SilentReporter()
    reporter.stage_started(source, MEDIA_STAGE)
    started = time.monotonic()
    source = canonical_source(source)
    saved: list[tuple[Transcript, StageRecord]] = []

    def record(got: media.Ingested) -> None:  # under the video's lock
        stage = StageRecord("done", round(time.monotonic() - started, 3), media.VERSION, finished_at=_now(),
                            tools=provenance.stage_tools(MEDIA_STAGE))
        if got.audio_path is None:
            stage.error = "no audio stream"  # not a failure: the speech stage is skipped for this reason
        transcript = store.load(got.meta.id) if store.exists(got.meta.id) else Transcript(video=got.meta)
        earlier, transcript.video = transcript.video, got.meta
        # An account recorded earlier (from a listing: a feed's direct links name none) outlives a re-fetch
        fill_account(transcript, {name: getattr(earlier, name) for name in ACCOUNT_FIELDS})
        transcript.provenance = got.provenance or transcript.provenance  # media found stored: as fetched
        transcript.stages[MEDIA_STAGE] = stage
        store.save(transcript)
        saved.append((transcript, stage))

    try:
        media.ingest(source, settings, store, progress=reporter.download, force=force, record=record)
    except OSError as e:  # the user's environment (disk full, permissions), not a bug: one line
        raise VidscribeError(os_error_reason(e, store), source=source) from None
    transcript, stage = saved[0]
    reporter.stage_finished(transcript.video.id, MEDIA_STAGE, stage)
    return transcript


# Errors of writing somewhere full or closed: a library may name the file it read from, so these name
# the data root, the one place the user can free or fix.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


def os_error_reason(e: OSError, store: Store) -> str:
    """One line for an OSError met while storing: the data root for a full or read-only disk,
    else the file named by the error."""
    if e.errno in _WRITE_ERRNOS or e.filename is None:
        return f"cannot write to {store.root} (the data root): {e.strerror or e}"
    return f"{e.filename}: {e.strerror or e}"


def stage_context(settings: Settings, store: Store, transcript: Transcript) -> StageContext:
    video_id = transcript.video.id
    media_path = stored_media(store, video_id)
    if media_path is None:
        raise VidscribeError(f"the media of {video_id} is missing from {store.media_dir(video_id)}: "
                             "fetch it again with `vidscribe process SOURCE`")
    audio = media.audio_path(store, video_id)
    if transcript.video.has_audio and not audio.is_file():
        raise VidscribeError(f"the audio track of {video_id} is missing: fetch it again")
    return StageContext(
        settings=settings,
        transcript=transcript,
        media_path=media_path,
        audio_path=audio if transcript.video.has_audio else None,
        output_dir=store.transcript_dir(video_id),
    )


def run_stage(stage: Stage | str, video_id: str, settings: Settings, store: Store,
              reporter: Reporter | None = None, reraise: bool = False) -> StageRecord:
    """Run one stage on a stored video and commit its outputs; failures are recorded, and raised
    again only with `reraise` (the queue needs the exception to decide whether to retry).

    Any error, a bug included (even one importing the stage's module), is recorded in the transcript
    as the stage `failed` with its reason. A stage that fails keeps its previous outputs and data,
    so a bad re-run never replaces a good result with nothing.
    """
    reporter = reporter or SilentReporter()
    name = stage if isinstance(stage, str) else stage.name
    reporter.stage_started(video_id, name)
    started = time.monotonic()
    output: StageOutput | None = None
    error: str | None = None
    failure: Exception | None = None
    version = "" if isinstance(stage, str) else stage.version
    try:
        if isinstance(stage, str):
            stage = get_stage(stage)
            version = stage.version
        ctx = stage_context(settings, store, store.load(video_id))
        output = stage.run(ctx)
    except VidscribeError as e:
        error, failure = str(e), e
    except Exception as e:  # a bug: keep the traceback for --debug, record a one-line reason
        log.debug("stage %s failed on %s", name, video_id, exc_info=True)
        error, failure = f"internal error in the {name} stage: {type(e).__name__}: {e}", e
    seconds = round(time.monotonic() - started, 3)
    if output is None:
        record = StageRecord("failed", seconds, version, error=error, finished_at=_now())
    else:
        record = StageRecord("skipped" if output.skipped else "done", seconds, version, error=output.skipped,
                             finished_at=_now(), outputs=sorted(set(output.files) - set(DERIVED_FILES)))
        record.tools = provenance.stage_tools(name, output.changes)
        record.sha256 = provenance.output_hashes(output.files, record.outputs)
    try:
        _commit(store, video_id, name, record, output)
    except OSError as e:  # disk full, data root turned read-only: the user's environment, not a bug
        record = StageRecord("failed", seconds, version, error=os_error_reason(e, store), finished_at=_now())
        failure = failure or e
        with contextlib.suppress(OSError):  # with the new files gone there may be room to say so
            _commit(store, video_id, name, record, None)
    reporter.stage_finished(video_id, name, record)
    if reraise and failure is not None:
        raise failure
    return record


def _write_outputs(store: Store, video_id: str, output: StageOutput, names: list[str], keep: list[str]) -> None:
    """Write the stage's files; if one fails (disk full), remove the new ones already written (those
    no saved transcript refers to) before the error goes on."""
    written: list[str] = []
    try:
        for file_name in names:
            store.write_output(video_id, file_name, output.files[file_name])
            written.append(file_name)
    except OSError:
        for file_name in set(written) - set(keep):
            (store.transcript_dir(video_id) / file_name).unlink(missing_ok=True)
        raise


def _commit(store: Store, video_id: str, name: str, record: StageRecord, output: StageOutput | None) -> None:
    """The stage's files, its transcript entry (with the derived files `Store.save` renders) and the
    removal of its stale files, under the video's lock: two runs of one stage (a re-queued job still
    running, an inline run beside a worker) cannot interleave their outputs."""
    with store.locked(video_id):
        transcript = store.load(video_id)
        previous = transcript.stages.get(name)
        if output is None:  # failed: the previous outputs and data stay
            record.outputs = previous.outputs if previous else []
        else:
            _write_outputs(store, video_id, output, record.outputs, keep=previous.outputs if previous else [])
            transcript = dataclasses.replace(transcript, **output.changes)
        transcript.stages[name] = record
        store.save(transcript)
        if output is not None and previous is not None:
            for stale in set(previous.outputs) - set(record.outputs) - set(DERIVED_FILES):
                (store.transcript_dir(video_id) / stale).unlink(missing_ok=True)


def process(source: str, settings: Settings, store: Store, stages: Iterable[str] | None = None,
            reporter: Reporter | None = None, force: bool = False) -> Transcript:
    """Everything for one source, inline. Raises VidscribeError if the media stage fails."""
    transcript = ingest_source(source, settings, store, reporter, force=force)
    for name in stage_names() if stages is None else stages:
        if name == MEDIA_STAGE:
            continue
        run_stage(name, transcript.video.id, settings, store, reporter)
    return store.load(transcript.video.id)


def failed_stages(transcript: Transcript) -> list[tuple[str, str]]:
    return [(name, rec.error or "failed") for name, rec in transcript.stages.items()
            if rec.status == "failed"]
