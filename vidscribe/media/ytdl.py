"""yt-dlp as a library: options, the info of a URL, its download into a folder, and its errors as one line.

Every request yt-dlp makes runs under the address guard (`urls.public_addresses_only`), so a redirect
or a DNS answer that leads to a private address is refused wherever it happens.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vidscribe.errors import SourceError, TransientError, VidscribeError
from vidscribe.evidence.provenance import recording_class
from vidscribe.media.ids import video_id_from_info
from vidscribe.media.limits import TooLarge, too_large
from vidscribe.media.urls import REFUSED_MARKER, check_host, public_addresses_only
from vidscribe.redact import redact_tree
from vidscribe.settings import Settings
from vidscribe.transcripts.model import HttpResponse

log = logging.getLogger(__name__)

MEDIA_STEM = "source"
DownloadProgress = Callable[[int, int | None], None]  # bytes done, total if known

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


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


def ydl_options(settings: Settings, **extra: Any) -> dict[str, Any]:
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


# What yt-dlp's HTTP layers say about a redirect to another scheme (requests; urllib).
_OTHER_SCHEME = re.compile(r"(?:no connection adapters were found for|unsupported url scheme)\W*"
                           r"([a-z][a-z0-9+.-]*)(:(?://)?)?", re.IGNORECASE)


UNSUPPORTED = "unsupported URL: no video found at this address"  # yt-dlp found no extractor and nothing on the page


def classify_download_error(message: str, source: str) -> VidscribeError:
    text = _ANSI.sub("", message).strip()
    text = re.sub(r"^(ERROR:\s*)+", "", text)
    text = re.sub(r"^\[[^\]]+\]\s*", "", text)  # "[generic] abc: " prefixes
    low = text.lower()
    if REFUSED_MARKER in text:
        return SourceError("refused: the address led (by redirect or DNS) to a private, loopback or link-local "
                           "address; set VIDSCRIBE_ALLOW_PRIVATE_URLS=1 to allow it", source=source)
    if m := _OTHER_SCHEME.search(text):
        scheme = m.group(1).lower() + (m.group(2) or ":")
        return SourceError(f"refused: the address redirected to a {scheme} URL; only http and https are fetched",
                           source=source)
    if "cookie" in low:
        return SourceError(f"the site wants fresh cookies: export them from a browser session into a "
                           f"Netscape cookies.txt and pass --cookies FILE (yt-dlp said: {text})",
                           source=source)
    if "unsupported url" in low:
        return SourceError(UNSUPPORTED, source=source)
    if m := re.search(r"http error (\d{3})", low):
        return http_error(int(m.group(1)), source)
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


def http_error(code: int, source: str) -> VidscribeError:
    """`HTTP 404 Not Found`: the status and its standard name (a server's own wording varies)."""
    try:
        status = f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        status = f"HTTP {code}"
    if code >= 500 or code == 429:
        return TransientError(f"server error: {status}", source=source)
    return SourceError(status, source=source)


def first_text(info: dict[str, Any], *keys: str) -> str | None:
    """The first of `keys` that yt-dlp's metadata gives a non-empty value for, as text."""
    for key in keys:
        value = info.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def public_info(info: dict[str, Any]) -> dict[str, Any]:
    """yt-dlp's info without what must not be stored: the cookies and headers (from --cookies) it
    attaches to every format, credentials in URLs, and local paths."""
    secret = ("cookies", "http_headers")
    for fmt in [info, *(info.get("formats") or []), *(info.get("requested_formats") or [])]:
        if isinstance(fmt, dict):
            for key in secret:
                fmt.pop(key, None)
    return redact_tree(info)  # no userinfo or signed-URL secrets in any URL it holds


def stored_info(info: dict[str, Any]) -> dict[str, Any]:
    """What info.json keeps of yt-dlp's info: JSON-safe, no private keys, no secrets."""
    import yt_dlp

    return public_info(yt_dlp.YoutubeDL.sanitize_info(info, remove_private_keys=True))


def media_parts(info: dict[str, Any]) -> list[dict[str, Any]]:
    """The format(s) yt-dlp chose to download: one file, or a video and an audio to merge."""
    return [p for p in info.get("requested_formats") or [info] if isinstance(p, dict)]


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


def extract_info(url: str, settings: Settings) -> dict[str, Any]:
    """yt-dlp's info for one video (no media downloaded); the hosts of its media pass the address rule."""
    import yt_dlp  # import cost (~0.5 s) paid only when a URL is fetched
    from yt_dlp.networking.exceptions import RequestError
    from yt_dlp.utils import DownloadError

    try:
        with public_addresses_only(not settings.allow_private_urls), yt_dlp.YoutubeDL(ydl_options(settings)) as ydl:
            info = ydl.extract_info(url, download=False)
    except (DownloadError, RequestError) as e:  # RequestError: a redirect yt-dlp cannot follow (file://)
        raise classify_download_error(str(e), url) from None
    if not info:
        raise SourceError("no video found at this address", source=url)
    if info.get("_type") in ("playlist", "multi_video"):
        count = len(list(info.get("entries") or []))
        raise SourceError(f"a playlist of {count} entries, not one video: enqueue the entries' URLs",
                          source=url)
    # yt-dlp may have followed the page to media hosted elsewhere: apply the same address rule.
    for part in media_parts(info):
        parts = urlsplit(str(part.get("url") or ""))
        if parts.scheme.lower() == "file":
            raise SourceError("refused: the media is at a file:// address", source=url)
        if parts.hostname:
            check_host(parts.hostname, settings.allow_private_urls, source=url)
    return info


def download(info: dict[str, Any], folder: Path, settings: Settings, url: str,
             progress: DownloadProgress | None = None,
             responses: list[HttpResponse] | None = None) -> tuple[Path, dict[str, Any]]:
    """Download the media `info` describes into `folder` (a private temporary folder); returns the
    file and the info to store. Stops as soon as more than VIDSCRIBE_MAX_FILESIZE has arrived.
    `responses` (when given) receives the download's HTTP responses, for its provenance."""
    import yt_dlp
    from yt_dlp.networking.exceptions import RequestError
    from yt_dlp.utils import DownloadError

    limit = settings.max_filesize

    def hook(d: dict[str, Any]) -> None:
        done = int(d.get("downloaded_bytes") or 0)
        if done > limit:  # servers that send no Content-Length are stopped here
            raise TooLarge()
        if progress and d.get("status") in ("downloading", "finished"):
            progress(done, d.get("total_bytes") or d.get("total_bytes_estimate"))

    logger = _Logger()
    opts = ydl_options(settings, outtmpl={"default": f"{MEDIA_STEM}.%(ext)s"}, logger=logger,
                       paths={"home": str(folder), "temp": str(folder)}, progress_hooks=[hook])
    try:
        ydl_class = yt_dlp.YoutubeDL if responses is None else recording_class(responses)
        with public_addresses_only(not settings.allow_private_urls), ydl_class(opts) as ydl:
            result = ydl.process_ie_result(info, download=True)
    except DownloadError as e:
        if isinstance(getattr(e, "exc_info", (None, None))[1], TooLarge):
            raise too_large(url, limit) from None
        raise classify_download_error(str(e), url) from None
    except RequestError as e:
        raise classify_download_error(str(e), url) from None
    except TooLarge:
        raise too_large(url, limit) from None
    files = [p for p in folder.glob(f"{MEDIA_STEM}.*") if p.is_file()
             and not p.name.endswith((".part", ".ytdl")) and ".f" not in p.suffixes[:-1]]
    if not files:
        if logger.too_large:
            raise too_large(url, limit, how="the server reports a file ")
        raise SourceError("the download produced no file", source=url)
    downloaded = max(files, key=lambda p: p.stat().st_size)
    if downloaded.stat().st_size > limit:
        raise too_large(url, limit)
    return downloaded, stored_info(result or info)
