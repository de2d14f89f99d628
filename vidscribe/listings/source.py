"""Listing a channel, account, playlist, feed or page with yt-dlp's flat extraction.

Flat extraction reads the listing's pages only, not each entry's: an entry is a URL with what the
listing says about it (a title, often an upload date or timestamp, sometimes the account). Pages
that embed media directly (HTML5 `<video>` tags) give resolved entries whose URL is the media's.

The address guard applies to the listing URL, to every request yt-dlp makes while listing, and to
every entry URL (an entry on a private address is skipped with that reason). A URL that is a single
video is not a listing (`list_url` returns None): it is fetched as before. Where yt-dlp finds nothing
(an unsupported URL), the document is read as an Atom feed (`atom.read_feed`), which yt-dlp does not read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from vidscribe.errors import SourceError, VidscribeError
from vidscribe.listings import atom
from vidscribe.listings.choose import Entry
from vidscribe.listings.dates import entry_date
from vidscribe.media.ids import URL_NAMED_EXTRACTORS, url_hash, video_id_from_info
from vidscribe.media.urls import classify
from vidscribe.media.ytdl import UNSUPPORTED, classify_download_error, first_text, guess_video_id, ydl_options
from vidscribe.redact import redact_url
from vidscribe.settings import Settings

log = logging.getLogger(__name__)

# Nested listings (a channel's tabs: videos, shorts, live) are listed this deep; deeper ones are
# skipped as entries. yt-dlp's channel pages nest one level; two leaves room for a playlist of playlists.
MAX_DEPTH = 2


@dataclass(frozen=True)
class Account:
    """Who posted: what the listing (or the entry) says; None where it says nothing."""

    uploader: str | None = None
    uploader_id: str | None = None
    channel_url: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("uploader", self.uploader), ("uploader_id", self.uploader_id),
                                  ("channel_url", self.channel_url)) if v}


@dataclass
class Listing:
    url: str  # as given, for requests
    title: str | None
    extractor: str | None
    account: Account
    entries: list[Entry] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # entry URL (redacted) -> why it was not kept

    @property
    def listing_id(self) -> str:
        return listing_id(self.url)


def normalise(url: str) -> str:
    """The form a listing's ID is made from: no credentials, scheme and host lower-case, no
    fragment, no trailing slash on the path (`https://WWW.tiktok.com/@x/` = `https://www.tiktok.com/@x`)."""
    parts = urlsplit(redact_url(url.strip()))
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def listing_id(url: str) -> str:
    """`listing-<hash of the normalised URL>`: path-safe, never from a title."""
    return "listing-" + hashlib.sha256(normalise(url).encode("utf-8")).hexdigest()[:16]


def url_kind(url: str) -> str:
    """"video", "listing" or "unknown", from yt-dlp's URL patterns alone (no network). Generic URLs
    (feeds, pages, direct links) are "unknown": only fetching them tells."""
    from yt_dlp.extractor import gen_extractor_classes

    for ie in gen_extractor_classes():
        if not ie.suitable(url):
            continue
        if ie.ie_key() == "Generic":
            return "unknown"
        single = ie.is_single_video(url)
        return "video" if single else "listing" if single is False else "unknown"
    return "unknown"


def probe_kind(url: str, settings: Settings) -> str:
    """"listing" or "video" for a URL its pattern cannot tell (a feed, a page, a short link): yt-dlp's
    first look only (`process=False`: one request for a generic URL, no entry and no redirect target
    extracted). Raises the VidscribeError of a URL that cannot be read."""
    import yt_dlp
    from yt_dlp.networking.exceptions import RequestError
    from yt_dlp.utils import DownloadError

    from vidscribe.media.urls import public_addresses_only

    try:
        # noplaylist, as the single-video path: a video URL naming its playlist too stays one video
        with public_addresses_only(not settings.allow_private_urls), yt_dlp.YoutubeDL(ydl_options(settings)) as ydl:
            info = ydl.extract_info(url, download=False, process=False) or {}
    except (DownloadError, RequestError) as e:
        error = classify_download_error(str(e), url)
        if error.reason == UNSUPPORTED and atom.read_feed(url, settings, limit=1) is not None:
            return "listing"  # an Atom feed, which yt-dlp does not read (atom.FeedRefused: one it refuses)
        raise error from None
    kind = info.get("_type", "video")
    if kind in ("playlist", "multi_video"):
        return "listing"
    target = info.get("url")
    if kind in ("url", "url_transparent") and isinstance(target, str) and url_kind(target) == "listing":
        return "listing"
    return "video"


def list_url(url: str, settings: Settings, limit: int = 0) -> Listing | None:
    """The entries `url` lists (its first `limit`, 0: all), or None when it is a single video.
    A listing that cannot be read raises the VidscribeError yt-dlp's message maps to (login needed,
    HTTP 404 for a deleted account, 429 rate limited: transient)."""
    ref = classify(url, settings.allow_private_urls)
    if ref.url is None:
        raise SourceError("a local file is not a listing", source=url)
    try:
        info, entries = _read_listing(ref.url, settings, limit, depth=1)
    except SourceError as e:
        feed = atom.read_feed(ref.url, settings, limit) if e.reason == UNSUPPORTED else None
        if feed is None:
            raise
        info, entries = feed
    if info.get("_type") not in ("playlist", "multi_video"):
        return None
    account = account_of(info, default_url=redact_url(ref.url))
    listing = Listing(ref.url, first_text(info, "title"), first_text(info, "extractor_key"), account)
    for raw in entries:
        _add_entry(listing, raw, settings)
    return listing


def _read_listing(url: str, settings: Settings, limit: int, depth: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """yt-dlp's flat info for `url` and its first `limit` entries (0: all), nested playlists in
    place. Every page is read inside the address guard: yt-dlp reads a listing's pages lazily, as
    its entries are iterated, so they are iterated here and nowhere else."""
    import itertools

    import yt_dlp
    from yt_dlp.networking.exceptions import RequestError
    from yt_dlp.utils import DownloadError

    from vidscribe.media.urls import public_addresses_only

    opts = ydl_options(settings, noplaylist=False, extract_flat="in_playlist", lazy_playlist=True)
    if limit:
        opts["playlistend"] = limit
    try:
        with public_addresses_only(not settings.allow_private_urls), yt_dlp.YoutubeDL(opts) as ydl:
            info = ydl.extract_info(url, download=False)
            if not info:
                raise SourceError("nothing found at this address", source=url)
            if info.get("_type") not in ("playlist", "multi_video"):
                return info, []
            flat = _flatten(info.get("entries") or [], settings, limit, depth)
            entries = list(itertools.islice(flat, limit or None))
    except (DownloadError, RequestError) as e:
        raise classify_download_error(str(e), url) from None
    return info, entries


def _flatten(entries: Iterable[Any], settings: Settings, limit: int, depth: int) -> Iterator[dict[str, Any]]:
    """Entries in listing order; a nested playlist's entries in its place; an entry whose URL is
    itself a listing (a channel's tab) listed in turn, up to MAX_DEPTH."""
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("_type") in ("playlist", "multi_video"):
            yield from _flatten(entry.get("entries") or [], settings, limit, depth + 1)
            continue
        url = entry.get("url")
        if (entry.get("_type") in ("url", "url_transparent") and isinstance(url, str) and depth < MAX_DEPTH
                and url_kind(url) == "listing"):
            try:
                nested_info, nested = _read_listing(url, settings, limit, depth + 1)
            except VidscribeError as e:
                log.info("%s: nested listing not read: %s", redact_url(url), e)
                continue
            yield from nested or [nested_info]
            continue
        yield entry


def entry_url(entry: dict[str, Any]) -> str | None:
    """The URL an entry is fetched from: a URL entry's own (yt-dlp's smuggled extras removed); for an
    entry the listing resolved (a page's `<video>`), its own page if it has one, else its media's."""
    from yt_dlp.utils import unsmuggle_url

    url = entry.get("url")
    if entry.get("_type") in ("url", "url_transparent"):
        return unsmuggle_url(url)[0] if isinstance(url, str) else None
    page = entry.get("webpage_url")
    listing_page = entry.get("playlist_webpage_url")
    if isinstance(page, str) and (not isinstance(listing_page, str) or normalise(page) != normalise(listing_page)):
        return page
    return url if isinstance(url, str) else None


def entry_key(entry: dict[str, Any], url: str) -> str:
    """The video ID the entry will most likely get when fetched: from the listing's extractor and ID
    for a platform's entry, from the URL's pattern, else `url-<hash>` as a direct link gets."""
    ie = entry.get("ie_key") if entry.get("_type") in ("url", "url_transparent") else None
    platform_id = entry.get("id")
    if isinstance(ie, str) and ie.lower() not in URL_NAMED_EXTRACTORS and platform_id:
        return video_id_from_info(ie, str(platform_id), url)
    return guess_video_id(url) or f"url-{url_hash(url)}"


def _add_entry(listing: Listing, raw: dict[str, Any], settings: Settings) -> None:
    url = entry_url(raw)
    if not url:
        return
    try:
        ref = classify(url, settings.allow_private_urls)
    except VidscribeError as e:
        listing.refused[redact_url(url)] = e.reason
        return
    if ref.url is None:  # a listing names network sources only, never a file on the machine reading it
        listing.refused[redact_url(url)] = "refused: not an http(s) URL"
        return
    own = account_of(raw)
    listing.entries.append(Entry(key=entry_key(raw, url), url=url, title=first_text(raw, "title"),
                                 upload_date=entry_date(raw), uploader=own.uploader,
                                 uploader_id=own.uploader_id, channel_url=own.channel_url))


def account_of(info: dict[str, Any], default_url: str | None = None) -> Account:
    """The account fields yt-dlp gives for a listing or an entry (`default_url`: the listing's own
    URL, the channel URL when the listing names none)."""
    url = first_text(info, "channel_url", "uploader_url")
    return Account(uploader=first_text(info, "uploader", "channel", "creator"),
                   uploader_id=first_text(info, "uploader_id", "channel_id"),
                   channel_url=redact_url(url) if url else default_url)


