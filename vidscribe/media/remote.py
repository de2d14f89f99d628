"""Limits before a download: a URL's size and duration, from yt-dlp's metadata or from a few bytes of the media.

Platform extractors give `duration` (and often `filesize`). A direct link (`https://cdn/clip.mp4`) gives
neither: yt-dlp's generic extractor only looks at its Content-Type. So the media itself is asked, through
yt-dlp's own connection (cookies, proxy and the address guard apply): a ranged request for its first
bytes gives the total size (Content-Range or Content-Length), and the duration comes from the container
header: an MP4's `mvhd` (one small ranged read per top-level box when `moov` sits after the media, as
ffmpeg writes it), or ffprobe on the first bytes for Matroska/WebM, FLV and the like.
"""

from __future__ import annotations

import json
import logging
import re
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidscribe.errors import VidscribeError
from vidscribe.media.limits import check_limits
from vidscribe.media.tools import input_guard, run_tool
from vidscribe.media.urls import REFUSED_MARKER, public_addresses_only
from vidscribe.media.ytdl import classify_download_error, media_parts, ydl_options
from vidscribe.settings import Settings

log = logging.getLogger(__name__)

HEAD_BYTES = 16 * 1024  # first read: MP4's first boxes (a front moov's mvhd), a Matroska/FLV header
MAX_TOP_BOXES = 32  # top-level MP4 boxes walked to find moov (each past the head costs one ranged read)
MOOV_READ = 4096  # bytes of moov read to find mvhd, its first child in practice
PEEK_PROBE_TIMEOUT = 30.0  # s for ffprobe on the first bytes (a small file: anything longer is not worth it)
_MP4_BOXES = {b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pdin", b"uuid", b"moof", b"sidx"}
_RANGE_TOTAL = re.compile(r"bytes \d+-\d+/(\d+)")

ReadAt = Callable[[int, int], bytes]  # (offset, length) -> bytes; b"" when the server cannot seek


@dataclass(frozen=True)
class Peek:
    size: int | None  # bytes, from the server's headers
    duration: float | None  # seconds, from the container's header


def expected_size(info: dict[str, Any]) -> int | None:
    sizes = [p.get("filesize") or p.get("filesize_approx") for p in media_parts(info)]
    return int(sum(sizes)) if sizes and all(sizes) else None


def check_before_download(info: dict[str, Any], settings: Settings, url: str) -> None:
    """Refuse a URL over the size or duration limit before its media is downloaded, as far as
    its metadata or the first bytes of its media can tell."""
    duration, size = info.get("duration"), expected_size(info)
    check_limits(url, settings, duration, size)
    parts = media_parts(info)
    if (duration and size) or not all(p.get("protocol") in ("http", "https") and p.get("url") for p in parts):
        return  # known, or a manifest (HLS, DASH): its size is counted as it downloads
    import yt_dlp

    with public_addresses_only(not settings.allow_private_urls), yt_dlp.YoutubeDL(ydl_options(settings)) as ydl:
        peeks = [_peek(ydl, part, settings, url) for part in parts]
    sizes = [p.size for p in peeks]
    durations = [p.duration for p in peeks if p.duration]
    check_limits(url, settings, duration or max(durations, default=None),
                 size or (sum(s for s in sizes if s) if all(sizes) else None))


def _peek(ydl: Any, part: dict[str, Any], settings: Settings, source: str) -> Peek:
    from yt_dlp.networking import Request
    from yt_dlp.networking.exceptions import RequestError

    url, headers = part["url"], dict(part.get("http_headers") or {})
    seekable = True

    def read_at(offset: int, length: int) -> bytes:
        nonlocal seekable
        if not seekable:
            return b""
        request = Request(url, headers={**headers, "Range": f"bytes={offset}-{offset + length - 1}"})
        with ydl.urlopen(request) as response:
            if response.status != 206:  # the whole file instead: no seeking (read no more of it)
                seekable = False
                return b"" if offset else response.read(length)
            return response.read(length)

    try:
        request = Request(url, headers={**headers, "Range": f"bytes=0-{HEAD_BYTES - 1}"})
        with ydl.urlopen(request) as response:
            seekable = response.status == 206
            total = _total_size(response.status, response.headers)
            head = response.read(HEAD_BYTES)
        duration = _mp4_duration(head, read_at, total) if head[4:8] in _MP4_BOXES else \
            _probed_duration(head, settings, source)
    except RequestError as e:  # the download says it better (404, ...), unless the guard refused the address
        if REFUSED_MARKER in str(e):
            raise classify_download_error(str(e), source) from None
        log.debug("peek at %s failed: %s", source, e)
        return Peek(None, None)
    return Peek(total, duration)


def _total_size(status: int, headers: Any) -> int | None:
    if status == 206:
        m = _RANGE_TOTAL.match(headers.get("Content-Range") or "")
        return int(m.group(1)) if m else None
    length = headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def _mp4_duration(head: bytes, read_at: ReadAt, total: int | None) -> float | None:
    """The duration in an MP4's mvhd, walking top-level boxes from `head` on (reading past it)."""
    offset = 0
    for _ in range(MAX_TOP_BOXES):
        box = head[offset:offset + 16] if offset + 16 <= len(head) else read_at(offset, 16)
        if len(box) < 8:
            return None
        size, kind = struct.unpack(">I4s", box[:8])
        header = 8
        if size == 1 and len(box) == 16:
            size, header = struct.unpack(">Q", box[8:16])[0], 16
        elif size == 0:  # to the end of the file
            size = total - offset if total else 0
        if kind == b"moov":
            body = head[offset + header:offset + header + MOOV_READ]
            if len(body) < MOOV_READ and offset + header + len(body) >= len(head):
                body = read_at(offset + header, MOOV_READ)
            return _mvhd_duration(body)
        if size < header:
            return None
        offset += size
    return None


def _mvhd_duration(moov: bytes) -> float | None:
    pos = 0
    try:
        while pos + 8 <= len(moov):
            size, kind = struct.unpack(">I4s", moov[pos:pos + 8])
            if kind == b"mvhd":
                body = moov[pos + 8:]
                timescale, duration = struct.unpack(">IQ", body[20:32]) if body[0] == 1 else \
                    struct.unpack(">II", body[12:20])
                unknown = duration in (0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)
                return duration / timescale if timescale and not unknown else None
            if size < 8:
                return None
            pos += size
    except (struct.error, IndexError):
        return None
    return None


def _probed_duration(head: bytes, settings: Settings, source: str) -> float | None:
    """The duration a container header states (Matroska/WebM, FLV...), from ffprobe on the first bytes."""
    if not head:
        return None
    with tempfile.TemporaryDirectory(prefix="vidscribe-peek-") as folder:
        path = Path(folder) / "head"
        path.write_bytes(head)
        try:
            out = run_tool(["ffprobe", "-v", "error", *input_guard(), "-print_format", "json", "-show_format",
                            str(path)], min(settings.ffmpeg_timeout, PEEK_PROBE_TIMEOUT), source, "ffprobe")
            duration = json.loads(out or b"{}").get("format", {}).get("duration")
            return float(duration) if duration not in (None, "N/A") else None
        except (VidscribeError, ValueError, AttributeError):
            return None  # not a header ffprobe knows from its first bytes: the download is checked as it goes

