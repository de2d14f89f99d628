"""The repost index: an SQLite database at `<data>/clusters.sqlite`, derived from the transcripts'
fingerprints (`rebuild` recreates it from them; `update` adds new and changed videos, drops
deleted ones) and holding every matched pair with its evidence.

Adding a video looks up candidates instead of comparing it with every other video:

- pictures, a multi-index hash table: each stored (unmirrored) PDQ hash is cut into `CHUNKS`
  chunks of 16 bits, each a row `(chunk << 16 | value, video)` in `frame_keys`. Two hashes
  within 45 bits agree exactly on at least one of 16 chunks with probability over 0.6, and a
  shared clip has many frame pairs: every video that has one chunk in common with any variant
  (mirrors included) of the new video's frames is a candidate.
- text, LSH bands: the 128 MinHash values in `BANDS` bands of `ROWS`; a video sharing a whole band
  is a candidate (Jaccard 0.5 -> found with probability 0.87, 0.6 -> 0.99, 0.1 -> 0.003).

Candidates are then compared in full (`match.compare`) and matches stored in `pairs`. Each video
is added in its own transaction, so a crash leaves the index as it was before that video.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidscribe.clusters.match import Prepared, compare, prepare
from vidscribe.corpus.values import video_url
from vidscribe.transcripts.model import Fingerprint, Transcript, from_jsonable, to_jsonable
from vidscribe.transcripts.store import TRANSCRIPT_FILE, Store

INDEX_FILE = "clusters.sqlite"
INDEX_FORMAT = 1  # bump when keys or evidence change: an index of another format is rebuilt
CHUNKS = 16  # 16-bit chunks of a 256-bit PDQ hash
# Variants other than the whole frame are indexed by every other chunk only: a shared clip has many
# frame pairs, and the index stays about half the size (bench/clusters.py measures both).
SECONDARY_CHUNKS = range(0, CHUNKS, 2)
BANDS, ROWS = 32, 4  # LSH bands over the 128 MinHash values
MAX_CANDIDATES = 400  # compared in full, those with the most shared keys first
_IN_BATCH = 500  # keys per SELECT ... IN (...)

_DDL = [
    """CREATE TABLE IF NOT EXISTS videos (
        num INTEGER PRIMARY KEY, video_id TEXT NOT NULL UNIQUE, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
        upload_date TEXT, uploader TEXT, uploader_id TEXT, url TEXT, title TEXT,
        fingerprint TEXT  -- JSON, null when the video has none yet
    )""",
    "CREATE TABLE IF NOT EXISTS frame_keys (key INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY (key, num)) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS text_keys (key INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY (key, num)) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS pairs (a INTEGER NOT NULL, b INTEGER NOT NULL, evidence TEXT NOT NULL, "
    "PRIMARY KEY (a, b)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS frame_keys_num ON frame_keys(num)",
    "CREATE INDEX IF NOT EXISTS text_keys_num ON text_keys(num)",
    "CREATE INDEX IF NOT EXISTS pairs_b ON pairs(b)",
]
_TABLES = ("videos", "frame_keys", "text_keys", "pairs")


@dataclass(frozen=True)
class UpdateStats:
    videos: int  # in the index after the update
    fingerprinted: int
    added: int
    removed: int
    pairs: int
    seconds: float


def index_path(store: Store) -> Path:
    return store.root / INDEX_FILE


def connect(path: Path) -> sqlite3.Connection:
    """The index at `path`, created empty if missing; one of another format is emptied (it is derived)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError:  # not a database: derived, so start again
        conn.close()
        path.unlink()
        conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        version = 0
    conn.execute("PRAGMA journal_mode=WAL")
    if version != INDEX_FORMAT:
        drop(conn)
    return conn


def drop(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        for table in _TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for ddl in _DDL:
            conn.execute(ddl)
        conn.execute(f"PRAGMA user_version = {INDEX_FORMAT}")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# --- keys ------------------------------------------------------------------------------------------

def frame_keys(prepared: Prepared, stored_only: bool) -> set[int]:
    """Multi-index keys of every present hash; with `stored_only`, those the index stores: the
    unmirrored variants, each by SECONDARY_CHUNKS but the whole frame by all (a query looks up all)."""
    keys: set[int] = set()
    packed = np.packbits(prepared.bits, axis=2)  # (frames, variants, 32) bytes
    for i, j in zip(*np.nonzero(prepared.present), strict=True):
        if stored_only and not prepared.stored[j]:
            continue
        words = packed[i, j].view(">u2")  # the 16 chunks of 16 bits
        chunks = SECONDARY_CHUNKS if stored_only and prepared.variants[j] != "full" else range(CHUNKS)
        keys.update(c << 16 | int(words[c]) for c in chunks)
    return keys


def text_keys(fp: Fingerprint) -> set[int]:
    """LSH band keys of every text sketch (texts of any track share one table: cross-track matches)."""
    keys: set[int] = set()
    for sketch in fp.texts:
        values = sketch.minhash
        for band in range(min(BANDS, len(values) // ROWS)):
            chunk = values[band * ROWS:(band + 1) * ROWS]
            digest = hashlib.blake2b(bytes([band]) + b"".join(v.to_bytes(4, "little") for v in chunk), digest_size=8)
            keys.add(int.from_bytes(digest.digest(), "little", signed=True))
    return keys


def _lookup(conn: sqlite3.Connection, table: str, keys: Iterable[int]) -> Counter[int]:
    hits: Counter[int] = Counter()
    keys = list(keys)
    for i in range(0, len(keys), _IN_BATCH):
        batch = keys[i:i + _IN_BATCH]
        sql = f"SELECT num FROM {table} WHERE key IN ({','.join('?' * len(batch))})"  # noqa: S608 (table is ours)
        hits.update(num for (num,) in conn.execute(sql, batch))
    return hits


# --- adding and removing -----------------------------------------------------------------------------

def _fingerprint(text: str | None) -> Fingerprint | None:
    return None if text is None else from_jsonable(Fingerprint, json.loads(text))


def candidates(conn: sqlite3.Connection, fp: Fingerprint, prepared: Prepared, exclude: int) -> list[int]:
    """Videos sharing a frame key or a text band with `fp`, most shared keys first."""
    hits = _lookup(conn, "frame_keys", frame_keys(prepared, stored_only=False))
    hits.update(_lookup(conn, "text_keys", text_keys(fp)))
    hits.pop(exclude, None)
    return [num for num, _ in hits.most_common(MAX_CANDIDATES)]


def add_fingerprint(conn: sqlite3.Connection, num: int, fp: Fingerprint) -> int:
    """Compare `fp` (video `num`, already in `videos`) with its candidates, store the matches and
    its keys; the number of matches. Call inside a transaction."""
    prepared = prepare(fp)
    found = 0
    for other_num, text in _fingerprints(conn, candidates(conn, fp, prepared, num)):
        other = _fingerprint(text)
        if other is None:
            continue
        # A pair is stored once, as (lower number, higher number), its evidence in that order.
        older, newer = ((other_num, other, None), (num, fp, prepared)) if other_num < num else \
            ((num, fp, prepared), (other_num, other, None))
        evidence = compare(older[1], newer[1], older[2], newer[2])
        if evidence.match:
            conn.execute("INSERT OR REPLACE INTO pairs VALUES (?, ?, ?)",
                         (older[0], newer[0], json.dumps(to_jsonable(evidence), separators=(",", ":"))))
            found += 1
    conn.executemany("INSERT OR IGNORE INTO frame_keys VALUES (?, ?)",
                     ((k, num) for k in sorted(frame_keys(prepared, stored_only=True))))
    conn.executemany("INSERT OR IGNORE INTO text_keys VALUES (?, ?)", ((k, num) for k in sorted(text_keys(fp))))
    return found


def _fingerprints(conn: sqlite3.Connection, nums: list[int]) -> Iterator[tuple[int, str | None]]:
    for i in range(0, len(nums), _IN_BATCH):
        batch = nums[i:i + _IN_BATCH]
        yield from conn.execute(f"SELECT num, fingerprint FROM videos WHERE num IN ({','.join('?' * len(batch))})",  # noqa: S608
                                batch)


def remove(conn: sqlite3.Connection, num: int) -> None:
    for sql in ("DELETE FROM frame_keys WHERE num = ?", "DELETE FROM text_keys WHERE num = ?",
                "DELETE FROM pairs WHERE a = ?", "DELETE FROM pairs WHERE b = ?", "DELETE FROM videos WHERE num = ?"):
        conn.execute(sql, (num,))


def add_video(conn: sqlite3.Connection, t: Transcript, mtime_ns: int, size: int) -> int:
    """Insert (or replace) the video of `t` and its matches; the number of matches."""
    v = t.video
    row = conn.execute("SELECT num FROM videos WHERE video_id = ?", (v.id,)).fetchone()
    if row is not None:
        remove(conn, row[0])
    fp = t.fingerprint
    cur = conn.execute("INSERT INTO videos (video_id, mtime_ns, size, upload_date, uploader, uploader_id, url, title,"
                       " fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (v.id, mtime_ns, size, v.upload_date, v.uploader, v.uploader_id,
                        video_url(v.webpage_url, v.source), v.title,
                        None if fp is None else json.dumps(to_jsonable(fp), separators=(",", ":"))))
    num = int(cur.lastrowid or 0)
    return 0 if fp is None else add_fingerprint(conn, num, fp)


def update(store: Store, conn: sqlite3.Connection, rebuild: bool = False) -> UpdateStats:
    """Bring the index up to date with the transcript files (all of them again with `rebuild`)."""
    started = time.monotonic()
    if rebuild:
        drop(conn)
    known = {vid: (num, mtime, size) for num, vid, mtime, size in
             conn.execute("SELECT num, video_id, mtime_ns, size FROM videos")}
    added = removed = 0
    present = set()
    for video_id in store.video_ids():
        present.add(video_id)
        try:
            st = (store.transcript_dir(video_id) / TRANSCRIPT_FILE).stat()
        except FileNotFoundError:
            continue
        old = known.get(video_id)
        if old is not None and old[1:] == (st.st_mtime_ns, st.st_size):
            continue
        try:
            t = store.load(video_id)
        except Exception:  # noqa: BLE001 (an unreadable transcript is skipped; `vidscribe show` names the fault)
            continue
        with transaction(conn):
            add_video(conn, t, st.st_mtime_ns, st.st_size)
        added += 1
    for video_id in set(known) - present:
        with transaction(conn):
            remove(conn, known[video_id][0])
        removed += 1
    count = conn.execute("SELECT count(*), count(fingerprint) FROM videos").fetchone()
    pairs = conn.execute("SELECT count(*) FROM pairs").fetchone()[0]
    return UpdateStats(count[0], count[1], added, removed, pairs, round(time.monotonic() - started, 3))


def load_pairs(conn: sqlite3.Connection) -> list[tuple[str, str, dict[str, Any]]]:
    """Every matched pair as (older video ID, newer video ID, evidence)."""
    rows = conn.execute("SELECT va.video_id, vb.video_id, p.evidence FROM pairs p JOIN videos va ON va.num = p.a "
                        "JOIN videos vb ON vb.num = p.b")
    return [(a, b, json.loads(ev)) for a, b, ev in rows]


def load_videos(conn: sqlite3.Connection, video_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = list(video_ids)
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), _IN_BATCH):
        batch = ids[i:i + _IN_BATCH]
        rows = conn.execute("SELECT video_id, upload_date, uploader, uploader_id, url, title FROM videos "  # noqa: S608
                            f"WHERE video_id IN ({','.join('?' * len(batch))})", batch)
        for vid, date, uploader, uploader_id, url, title in rows:
            out[vid] = {"video_id": vid, "upload_date": date, "uploader": uploader, "uploader_id": uploader_id,
                        "url": url, "title": title}
    return out
