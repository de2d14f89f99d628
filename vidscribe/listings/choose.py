"""Which entries of a listing to fetch: a pure function of the entries, the date bounds, the limit
and what was seen or stored before.

Entries without an upload date (many flat listings carry none: YouTube's, most HTML pages) are
taken when a date range is set, and named in `undated`: a clip missed is worse for the record
than one fetched outside the range, and looking up each entry's date would cost a request per
entry on sites that rate-limit. The fetched video's own `upload_date` then tells.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    key: str  # the video ID it will most likely get (or url-<hash of its URL>): what "seen" means
    url: str  # what is fetched, as the listing gave it
    title: str | None = None
    upload_date: dt.date | None = None
    uploader: str | None = None  # the entry's own account fields, when the listing carries them
    uploader_id: str | None = None
    channel_url: str | None = None


@dataclass
class Choice:
    taken: list[Entry] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # key -> why it was not taken
    undated: list[str] = field(default_factory=list)  # keys taken with no known date while a range was set


# Reasons an entry is not taken (the listing run records them).
SEEN = "seen in an earlier run"
STORED = "already in the store"
BEFORE = "uploaded before --since"
AFTER = "uploaded after --until"
OVER_LIMIT = "over --max-entries"


def choose(entries: Sequence[Entry], *, since: dt.date | None = None, until: dt.date | None = None,
           limit: int = 0, seen: Iterable[str] = (), stored: Iterable[str] = ()) -> Choice:
    """The entries to fetch, in listing order: within [since, until] (inclusive days), not seen
    before, not stored, at most `limit` of them (0: no limit); every other entry with its reason."""
    seen_keys, stored_keys = set(seen), set(stored)
    out = Choice()
    listed: set[str] = set()
    for entry in entries:
        if entry.key in listed:  # listed twice (a page embedding one clip twice): its first place counts
            continue
        listed.add(entry.key)
        reason = _reason(entry, since, until, seen_keys, stored_keys)
        if reason is None and limit and len(out.taken) >= limit:
            reason = OVER_LIMIT
        if reason is not None:
            out.skipped[entry.key] = reason
            continue
        out.taken.append(entry)
        if entry.upload_date is None and (since or until):
            out.undated.append(entry.key)
    return out


def _reason(entry: Entry, since: dt.date | None, until: dt.date | None, seen: set[str], stored: set[str]
            ) -> str | None:
    if entry.key in seen:
        return SEEN
    if entry.key in stored:
        return STORED
    if entry.upload_date is not None:
        if since and entry.upload_date < since:
            return BEFORE
        if until and entry.upload_date > until:
            return AFTER
    return None
