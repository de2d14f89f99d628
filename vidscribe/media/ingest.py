"""The media stage: fetch, probe, check limits, extract the 16 kHz audio. Yields the video's metadata."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidscribe.media.audio import extract_audio
from vidscribe.media.fetch import DownloadProgress, Fetched, fetch, too_long
from vidscribe.media.probe import MediaInfo, probe
from vidscribe.redact import redact_url
from vidscribe.settings import Settings
from vidscribe.transcripts.model import VideoMeta
from vidscribe.transcripts.store import Store

VERSION = "1"
AUDIO_FILE = "audio.wav"


@dataclass(frozen=True)
class Ingested:
    meta: VideoMeta
    media_path: Path
    audio_path: Path | None  # None when the media has no audio stream
    probe: MediaInfo
    downloaded: bool


def audio_path(store: Store, video_id: str) -> Path:
    return store.media_dir(video_id) / AUDIO_FILE


def forget_unrecorded(store: Store, video_id: str) -> None:
    """Remove the media of a video no transcript records (its ingest failed part-way): the store
    never holds a source file that no transcript accounts for."""
    if not store.exists(video_id):
        shutil.rmtree(store.media_dir(video_id), ignore_errors=True)


def _text(info: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = info.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def video_meta(source: str, fetched: Fetched, media: MediaInfo, data_root: Path) -> VideoMeta:
    info = fetched.info
    try:
        media_file = str(fetched.media_path.relative_to(data_root))
    except ValueError:
        media_file = str(fetched.media_path)
    return VideoMeta(
        id=fetched.video_id,
        source=redact_url(source),  # credentials were for the request only
        title=_text(info, "title", "fulltitle"),
        uploader=_text(info, "uploader", "creator", "channel"),
        duration=round(media.duration, 3),
        width=media.width,
        height=media.height,
        fps=media.fps,
        sha256=fetched.sha256,
        uploader_id=_text(info, "uploader_id", "channel_id"),
        channel=_text(info, "channel"),
        webpage_url=redact_url(_text(info, "webpage_url", "original_url") or "") or None,
        extractor=_text(info, "extractor_key"),
        upload_date=_text(info, "upload_date"),
        has_audio=media.has_audio,
        has_video=media.has_video,
        media_file=media_file,
    )


def ingest(source: str, settings: Settings, store: Store, progress: DownloadProgress | None = None,
           force: bool = False) -> Ingested:
    probed: dict[str, MediaInfo] = {}

    def validate(path: Path) -> None:  # before a new file replaces anything in the store
        media = probe(path, settings.ffmpeg_timeout, source=source)
        if media.duration > settings.max_duration:
            raise too_long(source, media.duration, settings.max_duration)
        probed["media"] = media

    fetched = fetch(source, settings, store, progress=progress, force=force, validate=validate)
    media = probed.get("media") or probe(fetched.media_path, settings.ffmpeg_timeout, source=source)
    audio = None
    if media.has_audio:
        audio = audio_path(store, fetched.video_id)
        if fetched.downloaded or not audio.is_file():
            try:
                extract_audio(fetched.media_path, audio, settings.ffmpeg_timeout, source=source)
            except BaseException:
                forget_unrecorded(store, fetched.video_id)
                raise
    meta = video_meta(source, fetched, media, store.root)
    return Ingested(meta, fetched.media_path, audio, media, fetched.downloaded)
