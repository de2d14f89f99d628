"""One listing run: read the listing, choose its entries, record the run in the store.

`expand` is what `vidscribe process` and `enqueue` call for each source: None for a single video
(a local file, a URL yt-dlp's patterns name as one video, a direct media link), which then goes
the way it always went; else the run, whose `taken` entries are fetched as videos. Watch rounds
call `take` with `new_only`: entries any earlier run of the listing returned are not taken again.
`expand_each` runs `expand` over a batch of sources: `vidscribe process`, `vidscribe enqueue` and
`POST /api/enqueue` all expand their sources through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from vidscribe.errors import VidscribeError
from vidscribe.listings import source
from vidscribe.listings.atom import FeedRefused
from vidscribe.listings.choose import Choice, Entry, choose
from vidscribe.listings.dates import bound
from vidscribe.listings.ledger import ListingLedger, Run, account_dict, now_iso, run_of
from vidscribe.media.urls import classify
from vidscribe.settings import Settings
from vidscribe.transcripts.sources import SourceLedger
from vidscribe.transcripts.store import Store


@dataclass(frozen=True)
class ListingOptions:
    """What to take from a listing: a run's own copy of the listing settings (a watch keeps its own)."""

    max_entries: int = 100
    since: str | None = None
    until: str | None = None
    skip_stored: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> ListingOptions:
        return cls(settings.max_entries, settings.since, settings.until, settings.skip_stored)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ListingOptions:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Taken:
    listing: source.Listing
    choice: Choice
    run: Run

    def account(self, entry: Entry) -> dict[str, str]:
        return account_dict(entry, self.listing.account)


Source = tuple[str, dict[str, str] | None]  # a source to fetch, and the account of the listing it came from


@dataclass
class Expansion:
    """One source as given, expanded: itself (`taken` None: a single video), a listing's run, or the
    error that kept its listing from being read (`error`: nothing of it is fetched)."""

    item: str
    taken: Taken | None = None
    error: Exception | None = None

    @property
    def sources(self) -> list[Source]:
        if self.error is not None:
            return []
        if self.taken is None:
            return [(self.item, None)]
        return [(entry.url, self.taken.account(entry) or None) for entry in self.taken.choice.taken]


def expand_each(items: Iterable[str], settings: Settings, store: Store, by: str, force: bool = False
                ) -> Iterator[Expansion]:
    """`expand` for each item, in order, as each is read (what `process`, `enqueue` and the API's
    enqueue share). With `force`, entries already stored are taken too. A listing that fails, for
    whatever reason, is an Expansion with its error: one listing never stops the batch."""
    options = ListingOptions.from_settings(settings)
    if force:
        options = dataclasses.replace(options, skip_stored=False)
    for item in items:
        try:
            yield Expansion(item, taken=expand(item, settings, store, by, options))
        except Exception as e:  # reported by the caller (with its traceback under --debug)
            yield Expansion(item, error=e)


def is_direct_media(url: str) -> bool:
    """A link to a media file by its extension (`.../clip.mp4`): a single video, never listed."""
    from yt_dlp.utils import MEDIA_EXTENSIONS, determine_ext

    ext = determine_ext(url.split("?", 1)[0].split("#", 1)[0], default_ext="")
    return ext in {*MEDIA_EXTENSIONS.video, *MEDIA_EXTENSIONS.audio, *MEDIA_EXTENSIONS.manifests}


def expand(text: str, settings: Settings, store: Store, by: str, options: ListingOptions | None = None
           ) -> Taken | None:
    """The run for a listing URL, or None when `text` is a single video (or cannot be read as a
    listing: the single-video path then reports why, as it always did). A URL yt-dlp's patterns name
    as a listing (a TikTok @user, a YouTube channel) is listed at once; a generic URL (a feed, a page, a
    short link) gets yt-dlp's first look (one request, `source.probe_kind`) and is listed when that
    finds a playlist; a failure of that look is left to the single-video path, which reports it."""
    value = text.strip()
    if "://" not in value:
        return None
    try:
        ref = classify(value, settings.allow_private_urls)
    except VidscribeError:
        return None  # refused or malformed: the single-video path says so
    if ref.url is None or is_direct_media(ref.url):
        return None
    kind = source.url_kind(ref.url)
    if kind == "unknown":
        try:
            kind = source.probe_kind(ref.url, settings)
        except FeedRefused:
            raise  # XML refused on purpose (entities, size): the single-video path would only call it unsupported
        except VidscribeError:
            return None
    if kind == "video":
        return None
    return take(ref.url, settings, store, by, options or ListingOptions.from_settings(settings))


def take(url: str, settings: Settings, store: Store, by: str, options: ListingOptions, new_only: bool = False
         ) -> Taken | None:
    """List `url`, choose its entries, record the run; None for a single video. A listing that cannot
    be read is recorded as a failed run with its reason, and raised."""
    ledger = ListingLedger(settings.data)
    listing_id = source.listing_id(url)
    try:
        listing = source.list_url(url, settings, options.max_entries)
    except VidscribeError as e:
        ledger.record_run(Run(listing_id, now_iso(), by, "failed", error=e.reason, permanent=e.permanent,
                              options=options.to_dict()), url=url)
        raise
    if listing is None:
        return None
    seen = ledger.seen(listing_id) if new_only else set()
    stored = stored_keys(store, settings, listing.entries) if options.skip_stored else set()
    choice = choose(listing.entries, since=bound(options.since), until=bound(options.until),
                    limit=options.max_entries, seen=seen, stored=stored)
    run = run_of(listing_id, by, choice, listing, options.to_dict())
    ledger.record_run(run, listing, url, listing.entries)
    return Taken(listing, choice, run)


def stored_keys(store: Store, settings: Settings, entries: list[Entry]) -> set[str]:
    """Keys of the entries whose video is in the store: by the ID the entry will get, or by the video
    an earlier fetch of the same URL produced (the source ledger)."""
    sources = SourceLedger(settings.data)
    out = set()
    for entry in entries:
        if _exists(store, entry.key):
            out.add(entry.key)
            continue
        record = sources.get(entry.url)
        if record is not None and record.video_id and _exists(store, record.video_id):
            out.add(entry.key)
    return out


def _exists(store: Store, video_id: str) -> bool:
    try:
        return store.exists(video_id)
    except VidscribeError:  # not a valid video ID (a key made from odd extractor data)
        return False
