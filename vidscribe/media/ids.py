"""Stable, path-safe video IDs.

`<extractor>-<id>` from yt-dlp, reduced to [A-Za-z0-9_-]. A generic/direct link's "id" is only
the file name (every CDN serves a `video.mp4`), so it gets a hash of the URL instead; a local
file gets a hash of its content, so the same clip under two names is one video.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_ID_LENGTH = 96
# Extractors whose "id" is derived from the URL's file name, not a platform ID: two sites' `page.html`
# would share `html5mediaembed-page-1` (yt-dlp's key for a page's own <video>), so these hash the URL.
URL_NAMED_EXTRACTORS = frozenset({"generic", "html5", "html5mediaembed", "directurl"})


def _reduce(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_-")


def url_hash(url: str) -> str:
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


def video_id_from_info(extractor_key: str | None, platform_id: str | None, url: str) -> str:
    extractor = _reduce((extractor_key or "").lower())
    if not extractor or extractor in URL_NAMED_EXTRACTORS or not platform_id:
        return f"url-{url_hash(url)}"
    ident = _reduce(str(platform_id))
    if not ident:
        return f"url-{url_hash(url)}"
    video_id = f"{extractor}-{ident}"
    if len(video_id) > MAX_ID_LENGTH:  # keep it unique: long IDs end in a hash of the full one
        digest = hashlib.sha256(video_id.encode()).hexdigest()[:12]
        video_id = f"{video_id[:MAX_ID_LENGTH - 13]}-{digest}"
    return video_id


def video_id_from_content(sha256_hex: str) -> str:
    return f"file-{sha256_hex[:16]}"
