"""The store's record of listings: `<data>/listings/<listing-id>/`.

    listing.json          the listing: its URL, title, account, last run, and every entry it ever
                          returned (first and last seen, title, upload date, URL)
    runs/<UTC time>.json  one file per run, named to the microsecond (they sort by time): which
                          entries it returned, which it took and why it skipped the others, or
                          why the listing failed
    watch.json            present while the listing is watched (`vidscribe watch add`)

Entries that a listing stops returning (a deleted video, a deleted account) stay recorded, and
their videos keep everything already fetched. Writes are atomic; listing.json is rewritten under
the listing's own lock (a watch round and an inline `process` may run at once). URLs are stored
without credentials.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vidscribe import locks
from vidscribe.atomic import atomic_write
from vidscribe.errors import SourceError
from vidscribe.listings.choose import Choice, Entry
from vidscribe.listings.source import Account, Listing
from vidscribe.redact import redact_url

LISTING_ID_RE = re.compile(r"^listing-[0-9a-f]{16}$")
LISTING_FILE = "listing.json"
WATCH_FILE = "watch.json"
RUNS = "runs"


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def check_listing_id(listing_id: str) -> str:
    if not LISTING_ID_RE.match(listing_id):
        raise SourceError(f"not a listing ID: {listing_id!r}")
    return listing_id


@dataclass
class Run:
    """One listing run, as `runs/<time>.json` holds it."""

    listing_id: str
    at: str  # ISO 8601 UTC, when the listing was read
    by: str  # process, enqueue or watch
    status: str  # ok or failed
    error: str | None = None
    permanent: bool | None = None  # for a failure: would the next round help? (it is tried anyway)
    returned: list[str] = field(default_factory=list)  # entry keys in listing order
    taken: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    undated: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # entry URL -> why (a private address, ...)
    options: dict[str, Any] = field(default_factory=dict)  # since, until, max_entries, skip_stored


class ListingLedger:
    def __init__(self, data_root: str | Path):
        self.root = Path(data_root) / "listings"

    def folder(self, listing_id: str) -> Path:
        return self.root / check_listing_id(listing_id)

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if LISTING_ID_RE.match(p.name) and p.is_dir())

    def read(self, listing_id: str) -> dict[str, Any] | None:
        return _read_json(self.folder(listing_id) / LISTING_FILE)

    def seen(self, listing_id: str) -> set[str]:
        record = self.read(listing_id)
        return set((record or {}).get("entries", {}))

    def runs(self, listing_id: str) -> list[dict[str, Any]]:
        folder = self.folder(listing_id) / RUNS
        runs = [_read_json(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
        return [r for r in runs if r is not None]

    @contextlib.contextmanager
    def locked(self, listing_id: str) -> Iterator[None]:
        with locks.exclusive(self.folder(listing_id) / ".lock"):
            yield

    def record_run(self, run: Run, listing: Listing | None = None, url: str | None = None,
                   entries: list[Entry] | None = None) -> None:
        """Write the run's file, then fold it into listing.json (under the listing's lock)."""
        folder = self.folder(run.listing_id)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")  # file names sort by time
        with self.locked(run.listing_id):
            target = folder / RUNS / f"{stamp}.json"
            n = 1
            while target.exists():  # two runs within one second
                n += 1
                target = folder / RUNS / f"{stamp}-{n}.json"
            atomic_write(target, _dumps(asdict(run)))
            record = self.read(run.listing_id) or {"listing_id": run.listing_id, "entries": {}}
            if url is not None:
                record["url"] = redact_url(url)
            if listing is not None:
                record.update(title=listing.title, extractor=listing.extractor, account=listing.account.to_dict())
            record.setdefault("first_listed_at", run.at)
            record.update(last_run_at=run.at, last_status=run.status, last_error=run.error)
            if run.status == "ok":
                record["last_ok_at"] = run.at
            known: dict[str, Any] = record.setdefault("entries", {})
            for entry in entries or []:
                item = known.setdefault(entry.key, {"first_seen": run.at})
                item.update(url=redact_url(entry.url), title=entry.title, last_seen=run.at,
                            upload_date=entry.upload_date.isoformat() if entry.upload_date else None)
            atomic_write(folder / LISTING_FILE, _dumps(record))


def run_of(listing_id: str, by: str, choice: Choice, listing: Listing, options: dict[str, Any]) -> Run:
    return Run(listing_id, now_iso(), by, "ok", returned=[e.key for e in listing.entries],
               taken=[e.key for e in choice.taken], skipped=dict(choice.skipped), undated=list(choice.undated),
               refused=dict(listing.refused), options=options)


def account_dict(entry: Entry, listing: Account) -> dict[str, str]:
    """The account to record on the entry's video: the entry's own fields (a playlist mixes
    accounts), else the listing's."""
    own = Account(entry.uploader, entry.uploader_id, entry.channel_url).to_dict()
    return own or listing.to_dict()  # never half of one account and half of another


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
