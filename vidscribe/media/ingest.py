"""The media stage: fetch, probe, check limits, extract the 16 kHz audio. Yields the video's metadata.

The source is named first (`fetch.resolve`: network for a URL, no lock); then, under the video's
lock, what killed runs left is removed, and the media, its info.json and its audio are fetched,
checked and committed (`folder.commit`), and the caller's `record` runs (the transcript), so
concurrent runs on one video take turns and a later one finds the media stored.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vidscribe.evidence import provenance
from vidscribe.media import folder
from vidscribe.media.audio import extract_audio
from vidscribe.media.fetch import (
    DownloadProgress,
    Fetched,
    Resolved,
    fetch_into,
    remove_temporary,
    resolve,
    sha256_file,
)
from vidscribe.media.limits import too_long
from vidscribe.media.probe import MediaInfo, probe
from vidscribe.media.ytdl import first_text
from vidscribe.redact import redact_url
from vidscribe.settings import Settings
from vidscribe.transcripts.model import Provenance, VideoMeta
from vidscribe.transcripts.store import Store

VERSION = "1"
AUDIO_FILE = folder.AUDIO_FILE


@dataclass(frozen=True)
class Ingested:
    meta: VideoMeta
    media_path: Path
    audio_path: Path | None  # None when the media has no audio stream
    probe: MediaInfo
    downloaded: bool
    provenance: Provenance | None = None  # recorded when it was fetched (None: found stored)


Record = Callable[[Ingested], None]  # runs under the video's lock once the media is committed


def audio_path(store: Store, video_id: str) -> Path:
    return store.media_dir(video_id) / AUDIO_FILE


def forget_unrecorded(store: Store, video_id: str) -> None:
    """Remove the media of a video no transcript records (its ingest failed part-way): the store
    never holds a source file that no transcript accounts for. Call it holding the video's lock."""
    if not store.exists(video_id):
        shutil.rmtree(store.media_dir(video_id), ignore_errors=True)


def video_meta(source: str, fetched: Fetched, media: MediaInfo, data_root: Path) -> VideoMeta:
    info = fetched.info
    try:
        media_file = str(fetched.media_path.relative_to(data_root))
    except ValueError:
        media_file = str(fetched.media_path)
    return VideoMeta(
        id=fetched.video_id,
        source=redact_url(source),  # credentials were for the request only
        title=first_text(info, "title", "fulltitle"),
        uploader=first_text(info, "uploader", "creator", "channel"),
        duration=round(media.duration, 3),
        width=media.width,
        height=media.height,
        fps=media.fps,
        sha256=fetched.sha256,
        uploader_id=first_text(info, "uploader_id", "channel_id"),
        channel=first_text(info, "channel"),
        webpage_url=redact_url(first_text(info, "webpage_url", "original_url") or "") or None,
        extractor=first_text(info, "extractor_key"),
        upload_date=first_text(info, "upload_date"),
        has_audio=media.has_audio,
        has_video=media.has_video,
        media_file=media_file,
        channel_url=redact_url(first_text(info, "channel_url", "uploader_url") or "") or None,
    )


def ingest(source: str, settings: Settings, store: Store, progress: DownloadProgress | None = None,
           force: bool = False, record: Record | None = None) -> Ingested:
    """Fetch (or find stored) `source`'s media, info and audio; `record` then runs under the same lock.
    Whatever fails, no media is left that no transcript accounts for."""
    resolved = resolve(source, settings, store, force)
    with store.locked(resolved.video_id):
        try:
            folder.remove_leftovers(store, resolved.video_id)
            got = _ingest_locked(resolved, source, settings, store, progress, force)
            if record is not None:
                record(got)
        except BaseException:
            forget_unrecorded(store, resolved.video_id)
            raise
    return got


def _ingest_locked(resolved: Resolved, source: str, settings: Settings, store: Store,
                   progress: DownloadProgress | None, force: bool) -> Ingested:
    directory = store.media_dir(resolved.video_id)
    existing = folder.stored_media(directory)
    if existing is not None and not force:
        return _stored(resolved, source, existing, settings, store)
    retrieved_at, responses = provenance.now_utc(), []
    media_tmp, name, info = fetch_into(resolved, directory, settings, progress, responses)
    audio_tmp: Path | None = None
    try:
        media = probe(media_tmp, settings.ffmpeg_timeout, source=source)
        if media.duration > settings.max_duration:
            raise too_long(source, media.duration, settings.max_duration)
        if media.has_audio:
            audio_tmp = folder.temp_file(directory, AUDIO_FILE, ".new.wav")
            extract_audio(media_tmp, audio_tmp, settings.ffmpeg_timeout, source=source)
        digest = resolved.sha256 or sha256_file(media_tmp)
        target = folder.commit(directory, media_tmp, name, info, audio_tmp)
    finally:
        remove_temporary(media_tmp)
        if audio_tmp is not None:
            audio_tmp.unlink(missing_ok=True)
        folder.remove_if_empty(directory)
    fetched = Fetched(resolved.video_id, target, info, digest, downloaded=True)
    audio = directory / AUDIO_FILE if media.has_audio else None
    size = target.stat().st_size
    origin = provenance.for_file(source, resolved.path, retrieved_at, digest, size) if resolved.path else \
        provenance.for_url(source, info, responses, retrieved_at, digest, size)
    return Ingested(video_meta(source, fetched, media, store.root), target, audio, media, True, origin)


def _stored(resolved: Resolved, source: str, media_path: Path, settings: Settings, store: Store) -> Ingested:
    """Media already stored: its info re-created if a killed run lost it (from the source's info,
    extracted again, not downloaded), its audio extracted if missing."""
    directory = media_path.parent
    info = folder.read_info(directory)
    if info is None:
        info = resolved.info
        folder.write_info(directory, info)
    media = probe(media_path, settings.ffmpeg_timeout, source=source)
    audio = directory / AUDIO_FILE if media.has_audio else None
    if audio is not None and not audio.is_file():
        extract_audio(media_path, audio, settings.ffmpeg_timeout, source=source)
    fetched = Fetched(resolved.video_id, media_path, info, resolved.sha256 or sha256_file(media_path), False)
    return Ingested(video_meta(source, fetched, media, store.root), media_path, audio, media, False)
