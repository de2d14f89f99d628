"""Where a source's media comes from: yt-dlp (as a library) for URLs, a copy for local files.

`resolve` names the video (its ID and the info to store) and applies the limits that can be known
before any media byte arrives: a local file's size, a URL's size and duration from its metadata or
from the first bytes of its media (`remote.py`). `fetch_into` then brings the media into a hidden
temporary file of the video's media folder; `ingest.py` checks it and commits it with its info and
audio (`folder.py`). A download is stopped as soon as it passes the size limit.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidscribe.errors import SourceError
from vidscribe.media import folder
from vidscribe.media.ids import video_id_from_content, video_id_from_info
from vidscribe.media.limits import too_large, too_long
from vidscribe.media.remote import check_before_download
from vidscribe.media.urls import classify
from vidscribe.media.ytdl import DownloadProgress, download, extract_info, guess_video_id, stored_info
from vidscribe.settings import Settings
from vidscribe.transcripts.model import HttpResponse
from vidscribe.transcripts.store import Store

MEDIA_STEM = folder.MEDIA_STEM
INFO_FILE = folder.INFO_FILE

__all__ = ["DownloadProgress", "Fetched", "Resolved", "fetch_into", "guess_video_id", "remove_temporary", "resolve",
           "sha256_file", "stored_media", "too_large", "too_long"]


@dataclass(frozen=True)
class Resolved:
    """A source named: its video ID and the info its info.json holds, before any media is fetched."""

    source: str  # as given (a URL with its credentials, for the request)
    video_id: str
    info: dict[str, Any]  # what info.json holds: yt-dlp's sanitised info, or a small one for a local file
    path: Path | None = None  # a local file
    sha256: str | None = None  # a local file's content hash (its ID comes from it)
    ytdl_info: dict[str, Any] | None = None  # yt-dlp's full info, to download from


@dataclass(frozen=True)
class Fetched:
    video_id: str
    media_path: Path
    info: dict[str, Any]  # yt-dlp's sanitised info dict (a small one for local files)
    sha256: str
    downloaded: bool  # False when the media was already in the store


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stored_media(store: Store, video_id: str) -> Path | None:
    return folder.stored_media(store.media_dir(video_id))


def resolve(source: str, settings: Settings, store: Store, force: bool = False) -> Resolved:
    """The source's video ID and info; for a URL whose media is not stored yet (or `force`), the limits
    its metadata or first bytes can tell are checked too."""
    ref = classify(source, settings.allow_private_urls)
    if ref.path is not None:
        return _resolve_local(ref.text, ref.path, settings)
    assert ref.url is not None
    info = extract_info(ref.url, settings)
    video_id = video_id_from_info(info.get("extractor_key"), info.get("id"), ref.url)
    if force or stored_media(store, video_id) is None:
        check_before_download(info, settings, ref.url)
    return Resolved(ref.url, video_id, stored_info(info), ytdl_info=info)


def _resolve_local(text: str, path: Path, settings: Settings) -> Resolved:
    if not path.exists():
        hint = " (for a URL, include http:// or https://)" if "." in path.name and "/" not in text else ""
        raise SourceError(f"no such file{hint}", source=text)
    if not path.is_file():
        raise SourceError("not a regular file", source=text)
    size = path.stat().st_size
    if size == 0:
        raise SourceError("empty file (0 bytes)", source=text)
    if size > settings.max_filesize:
        raise too_large(text, settings.max_filesize, size)
    digest = sha256_file(path)
    video_id = video_id_from_content(digest)
    info = {"id": video_id, "title": path.stem, "extractor_key": "LocalFile", "original_path": str(path),
            "filesize": size}
    return Resolved(text, video_id, info, path=path, sha256=digest)


def fetch_into(resolved: Resolved, directory: Path, settings: Settings,
               progress: DownloadProgress | None = None,
               responses: list[HttpResponse] | None = None) -> tuple[Path, str, dict[str, Any]]:
    """The media in a hidden temporary file (or folder) of `directory`: (that file, the name it will
    have, the info to store). The caller removes the temporary whatever happens. `responses` receives
    a download's HTTP responses (see `ytdl.download`)."""
    if resolved.path is not None:
        # The suffix only helps ffmpeg guess; it is cut to a safe, short extension.
        suffix = re.sub(r"[^A-Za-z0-9]", "", resolved.path.suffix)[:8].lower() or "bin"
        tmp = folder.temp_file(directory, MEDIA_STEM, f".partial.{suffix}")
        try:
            shutil.copyfile(resolved.path, tmp)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp, f"{MEDIA_STEM}.{suffix}", resolved.info
    assert resolved.ytdl_info is not None
    partial = folder.download_folder(directory)
    try:
        downloaded, info = download(resolved.ytdl_info, partial, settings, resolved.source, progress, responses)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return downloaded, downloaded.name, info


def remove_temporary(path: Path) -> None:
    """Remove what `fetch_into` returned (the file, or the download folder holding it), if still there."""
    if path.parent.name.startswith(folder.DOWNLOAD_PREFIX):
        shutil.rmtree(path.parent, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
