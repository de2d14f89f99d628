"""Fetch a source into `media/<video_id>/`: yt-dlp (as a library) for URLs, a copy for local files.

Limits (duration, size) are checked on yt-dlp's metadata before any byte is downloaded, enforced
again while downloading, and once more on the probed file. The media lands under its final name
only when complete, so a killed download never looks finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vidscribe.atomic import atomic_move, atomic_write
from vidscribe.errors import SourceError, TransientError, VidscribeError
from vidscribe.media.ids import video_id_from_content, video_id_from_info
from vidscribe.media.urls import REFUSED_MARKER, SourceRef, check_host, classify, public_addresses_only
from vidscribe.redact import redact_tree
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store

log = logging.getLogger(__name__)

MEDIA_STEM = "source"
INFO_FILE = "info.json"
DownloadProgress = Callable[[int, int | None], None]  # bytes done, total if known
Validate = Callable[[Path], None]  # raises VidscribeError for a file that must not be stored

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Fetched:
    video_id: str
    media_path: Path
    info: dict[str, Any]  # yt-dlp's sanitised info dict (a small one for local files)
    sha256: str
    downloaded: bool  # False when the media was already in the store


class _TooLarge(Exception):
    pass


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stored_media(store: Store, video_id: str) -> Path | None:
    directory = store.media_dir(video_id)
    if not directory.is_dir():
        return None
    found = sorted(p for p in directory.glob(f"{MEDIA_STEM}.*") if p.is_file())
    return found[0] if found else None


def too_large(source: str, limit: int, size: int | None = None, how: str = "") -> SourceError:
    what = f"{_mib(size)} is over" if size else "over"
    return SourceError(f"too large: {how}{what} the limit of {_mib(limit)} (VIDSCRIBE_MAX_FILESIZE)", source=source)


def too_long(source: str, duration: float, limit: float) -> SourceError:
    return SourceError(f"too long: {duration:.0f} s is over the limit of {limit:.0f} s (VIDSCRIBE_MAX_DURATION)",
                       source=source)


def _mib(n: float) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"


def fetch(source: str, settings: Settings, store: Store, progress: DownloadProgress | None = None,
          force: bool = False, validate: Validate | None = None) -> Fetched:
    """Fetch `source` into the store. A new file is checked by `validate` before it replaces
    anything, so a bad download (or a bad forced re-download) never displaces good media."""
    ref = classify(source, settings.allow_private_urls)
    if ref.path is not None:
        return _fetch_local(ref, settings, store, force, validate)
    return _fetch_url(ref, settings, store, progress, force, validate)


def _commit(candidate: Path, target: Path, info: dict[str, Any], validate: Validate | None) -> None:
    """Validate, then move the new media in; other-extension copies of older media go after."""
    if validate:
        validate(candidate)
    atomic_move(candidate, target)
    for old in target.parent.glob(f"{MEDIA_STEM}.*"):
        if old.name != target.name:
            old.unlink(missing_ok=True)
    atomic_write(target.parent / INFO_FILE, json.dumps(info, ensure_ascii=False, indent=1, default=str))


# -- local files --------------------------------------------------------------------------------

def _fetch_local(ref: SourceRef, settings: Settings, store: Store, force: bool,
                 validate: Validate | None) -> Fetched:
    path = ref.path
    assert path is not None
    if not path.exists():
        hint = " (for a URL, include http:// or https://)" if "." in path.name and "/" not in ref.text \
            else ""
        raise SourceError(f"no such file{hint}", source=ref.text)
    if not path.is_file():
        raise SourceError("not a regular file", source=ref.text)
    size = path.stat().st_size
    if size == 0:
        raise SourceError("empty file (0 bytes)", source=ref.text)
    if size > settings.max_filesize:
        raise too_large(ref.text, settings.max_filesize, size)
    digest = sha256_file(path)
    video_id = video_id_from_content(digest)
    directory = store.media_dir(video_id)
    existing = stored_media(store, video_id)
    if existing and not force:
        return Fetched(video_id, existing, _read_info(directory), digest, downloaded=False)
    # The suffix only helps ffmpeg guess; it is cut to a safe, short extension.
    suffix = re.sub(r"[^A-Za-z0-9]", "", path.suffix)[:8].lower() or "bin"
    target = directory / f"{MEDIA_STEM}.{suffix}"
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".source.", suffix=f".partial.{suffix}", dir=directory)
    os.close(fd)
    info = {"id": video_id, "title": path.stem, "extractor_key": "LocalFile", "original_path": str(path),
            "filesize": size}
    try:
        shutil.copyfile(path, tmp)
        _commit(Path(tmp), target, info, validate)
    finally:
        Path(tmp).unlink(missing_ok=True)
        _remove_if_empty(directory)
    return Fetched(video_id, target, info, digest, downloaded=True)


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty: it holds media from before
        directory.rmdir()


def _read_info(directory: Path) -> dict[str, Any]:
    try:
        return json.loads((directory / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# -- URLs through yt-dlp ------------------------------------------------------------------------

class _Logger:
    """yt-dlp's messages go to our log (visible with --debug), never straight to the terminal."""

    def __init__(self) -> None:
        self.too_large: str | None = None  # yt-dlp skips (does not fail) a file over max_filesize

    def debug(self, msg: str) -> None:
        if "larger than max-filesize" in msg:
            self.too_large = msg
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)


def _ydl_options(settings: Settings, **extra: Any) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "logger": _Logger(),
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "socket_timeout": settings.socket_timeout,
        "retries": settings.retries,
        "fragment_retries": settings.retries,
        "extractor_retries": settings.retries,
        # One file with audio and video; social clips are short, so cap the height to keep OCR cheap.
        "format": "bv*[height<=1080]+ba/b[height<=1080]/bv*+ba/b",
        "merge_output_format": "mp4",
        "max_filesize": settings.max_filesize,
        "overwrites": True,
        "cachedir": False,
    }
    if settings.cookies:
        if not Path(settings.cookies).is_file():
            raise SourceError(f"cookies file not found: {settings.cookies}", source="VIDSCRIBE_COOKIES")
        opts["cookiefile"] = str(settings.cookies)
    if settings.proxy:
        opts["proxy"] = settings.proxy
    opts.update(extra)
    return opts


def _classify_download_error(message: str, source: str) -> VidscribeError:
    text = _ANSI.sub("", message).strip()
    text = re.sub(r"^(ERROR:\s*)+", "", text)
    text = re.sub(r"^\[[^\]]+\]\s*", "", text)  # "[generic] abc: " prefixes
    low = text.lower()
    if REFUSED_MARKER in text:
        return SourceError("refused: the address led (by redirect or DNS) to a private, loopback or link-local "
                           "address; set VIDSCRIBE_ALLOW_PRIVATE_URLS=1 to allow it", source=source)
    if "cookie" in low:
        return SourceError(f"the site wants fresh cookies: export them from a browser session into a "
                           f"Netscape cookies.txt and pass --cookies FILE (yt-dlp said: {text})",
                           source=source)
    if "unsupported url" in low:
        return SourceError("unsupported URL: no video found at this address", source=source)
    if m := re.search(r"http error (\d{3})", low):
        code = int(m.group(1))
        if code >= 500 or code == 429:
            return TransientError(f"server error: HTTP {code}", source=source)
        return SourceError(f"HTTP {code}: {text.split(':')[-1].strip() or 'request refused'}",
                           source=source)
    transient_words = ("timed out", "timeout", "connection reset", "temporary failure", "connection "
                       "aborted", "remote end closed", "incomplete read", "network is unreachable")
    if any(w in low for w in transient_words):
        return TransientError(f"network error: {text}", source=source)
    if "connection refused" in low:
        return TransientError("connection refused", source=source)
    if any(w in low for w in ("private video", "login", "sign in", "not available", "removed",
                              "geo restrict", "members-only")):
        return SourceError(f"not available: {text}", source=source)
    return SourceError(text or "download failed", source=source)


def _public_info(info: dict[str, Any]) -> dict[str, Any]:
    """yt-dlp's info without what must not be stored: the cookies and headers (from --cookies) it
    attaches to every format, credentials in URLs, and local paths."""
    secret = ("cookies", "http_headers")
    for fmt in [info, *(info.get("formats") or []), *(info.get("requested_formats") or [])]:
        if isinstance(fmt, dict):
            for key in secret:
                fmt.pop(key, None)
    return redact_tree(info)  # no userinfo or signed-URL secrets in any URL it holds


def _expected_size(info: dict[str, Any]) -> int | None:
    parts = info.get("requested_formats") or [info]
    sizes = [p.get("filesize") or p.get("filesize_approx") for p in parts]
    return int(sum(sizes)) if sizes and all(sizes) else None


def _media_urls(info: dict[str, Any]) -> list[str]:
    parts = info.get("requested_formats") or [info]
    return [p["url"] for p in parts if isinstance(p.get("url"), str)]


def _check_limits(info: dict[str, Any], settings: Settings, source: str) -> None:
    duration = info.get("duration")
    if duration and duration > settings.max_duration:
        raise too_long(source, duration, settings.max_duration)
    size = _expected_size(info)
    if size and size > settings.max_filesize:
        raise too_large(source, settings.max_filesize, size)


def guess_video_id(url: str) -> str | None:
    """The video ID a URL will get, from yt-dlp's URL patterns alone (no network); None when only
    fetching can tell (short links that redirect, pages whose ID is inside the HTML)."""
    from yt_dlp.extractor import gen_extractor_classes

    for ie in gen_extractor_classes():
        if not ie.suitable(url):
            continue
        if ie.ie_key() == "Generic":  # a redirect may still land on a platform extractor
            return None
        try:
            temp_id = ie.get_temp_id(url)
        except Exception:  # an extractor's URL pattern without an id group
            return None
        return video_id_from_info(ie.ie_key(), temp_id, url) if temp_id else None
    return None


def _fetch_url(ref: SourceRef, settings: Settings, store: Store, progress: DownloadProgress | None,
               force: bool, validate: Validate | None) -> Fetched:
    import yt_dlp  # import cost (~0.5 s) paid only when a URL is fetched
    from yt_dlp.utils import DownloadError

    url = ref.url
    assert url is not None
    guard = public_addresses_only(not settings.allow_private_urls)
    try:
        with guard, yt_dlp.YoutubeDL(_ydl_options(settings)) as ydl:
            info = ydl.extract_info(url, download=False)
    except DownloadError as e:
        raise _classify_download_error(str(e), url) from None
    if not info:
        raise SourceError("no video found at this address", source=url)
    if info.get("_type") in ("playlist", "multi_video"):
        count = len(list(info.get("entries") or []))
        raise SourceError(f"a playlist of {count} entries, not one video: enqueue the entries' URLs",
                          source=url)
    # yt-dlp may have followed the page to media hosted elsewhere: apply the same address rule.
    for media_url in _media_urls(info):
        host = urlsplit(media_url).hostname
        if host:
            check_host(host, settings.allow_private_urls, source=url)
    _check_limits(info, settings, url)

    video_id = video_id_from_info(info.get("extractor_key"), info.get("id"), url)
    directory = store.media_dir(video_id)
    existing = stored_media(store, video_id)
    if existing and not force:
        return Fetched(video_id, existing, _read_info(directory) or info, sha256_file(existing),
                       downloaded=False)

    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(".download-*"):  # left by a worker that was killed mid-download
        shutil.rmtree(stale, ignore_errors=True)
    partial = Path(tempfile.mkdtemp(prefix=".download-", dir=directory))
    limit = settings.max_filesize

    def hook(d: dict[str, Any]) -> None:
        done = int(d.get("downloaded_bytes") or 0)
        if done > limit:  # servers that send no Content-Length are stopped here
            raise _TooLarge()
        if progress and d.get("status") in ("downloading", "finished"):
            progress(done, d.get("total_bytes") or d.get("total_bytes_estimate"))

    logger = _Logger()
    opts = _ydl_options(settings, outtmpl={"default": f"{MEDIA_STEM}.%(ext)s"}, logger=logger,
                        paths={"home": str(partial), "temp": str(partial)}, progress_hooks=[hook])
    try:
        with public_addresses_only(not settings.allow_private_urls), yt_dlp.YoutubeDL(opts) as ydl:
            result = ydl.process_ie_result(info, download=True)
        files = [p for p in partial.glob(f"{MEDIA_STEM}.*") if p.is_file()
                 and not p.name.endswith((".part", ".ytdl")) and ".f" not in p.suffixes[:-1]]
        if not files:
            if logger.too_large:
                raise too_large(url, limit, how="the server reports a file ")
            raise SourceError("the download produced no file", source=url)
        downloaded = max(files, key=lambda p: p.stat().st_size)
        if downloaded.stat().st_size > limit:
            raise too_large(url, limit)
        target = directory / downloaded.name
        digest = sha256_file(downloaded)
        clean = _public_info(yt_dlp.YoutubeDL.sanitize_info(result or info, remove_private_keys=True))
        _commit(downloaded, target, clean, validate)
    except DownloadError as e:
        if isinstance(getattr(e, "exc_info", (None, None))[1], _TooLarge):
            raise too_large(url, limit) from None
        raise _classify_download_error(str(e), url) from None
    except _TooLarge:
        raise too_large(url, limit) from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        _remove_if_empty(directory)
    return Fetched(video_id, target, clean, digest, downloaded=True)
