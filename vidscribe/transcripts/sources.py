"""The ledger of submitted sources: `<data>/sources/<hash of the source>.json`.

A transcript exists only once a video is fetched; before that (queued, downloading) and when the
fetch fails (404, unsupported URL, too long) the ledger is the store's record of the source, so
`vidscribe status` tells the truth even after Redis has lost its queues.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vidscribe.atomic import atomic_write
from vidscribe.redact import redact_text, redact_url
from vidscribe.transcripts.model import from_jsonable, to_jsonable

SourceStatus = Literal["queued", "running", "done", "failed"]
# An atomic write of a record takes milliseconds (an fsync on a slow network disk, seconds): a temporary
# older than this was left by a writer that was killed.
STALE_TEMPORARY_SECONDS = 300


@dataclass
class SourceRecord:
    source: str
    status: SourceStatus
    video_id: str | None = None
    error: str | None = None
    permanent: bool | None = None  # for failures: would retrying help?
    job_id: str | None = None
    updated_at: str | None = None


def source_key(source: str) -> str:
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()[:24]


class SourceLedger:
    def __init__(self, data_root: str | Path):
        self.root = Path(data_root) / "sources"

    def path(self, source: str) -> Path:
        return self.root / f"{source_key(source)}.json"

    def get(self, source: str) -> SourceRecord | None:
        try:
            return from_jsonable(SourceRecord, json.loads(self.path(source).read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError):
            return None

    def put(self, record: SourceRecord) -> SourceRecord:
        """Store `record` under its source's key; the stored source and error carry no credentials
        (a source given with a password must be given again to be fetched again)."""
        record.updated_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        stored = dataclasses.replace(record, source=redact_url(record.source),
                                     error=redact_text(record.error) if record.error else None)
        path = self.path(record.source)
        atomic_write(path, json.dumps(to_jsonable(stored), ensure_ascii=False))
        self._remove_dead_temporaries(path)
        return record

    @staticmethod
    def _remove_dead_temporaries(path: Path) -> None:
        """A writer killed mid-write leaves `.<name>.*.tmp` beside the record; writers of one record
        take no lock, so only a temporary too old to belong to a live write is removed."""
        now = time.time()
        for tmp in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):  # gone already: another writer removed it
                if now - tmp.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                    tmp.unlink()

    def records(self) -> Iterator[SourceRecord]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*.json")):
            try:
                yield from_jsonable(SourceRecord, json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
