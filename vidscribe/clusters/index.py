"""The repost index: an SQLite database at `<data>/clusters.sqlite`, derived from the transcripts'
fingerprints (`rebuild` recreates it from them; `update` adds new and changed videos, drops
deleted ones) and holding every matched pair with its evidence.

Adding a video looks up candidates instead of comparing it with every other video (`keys`): videos
sharing a chunk of a frame hash (`frame_keys`, a multi-index hash table) that pass the quick check
on their packed hashes (`videos.hashes`), and videos sharing an LSH band of a text sketch
(`text_keys`). Candidates are compared in full (`match.compare`) and matches stored in `pairs`.
Each video is added in its own transaction, so a crash leaves the index as it was before it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidscribe.clusters import keys
from vidscribe.clusters.match import compare, compare_sketches, prepare, same_text
from vidscribe.corpus.values import video_url
from vidscribe.fingerprint.text import PERMUTATIONS
from vidscribe.transcripts.model import Fingerprint, Transcript, from_jsonable, to_jsonable
from vidscribe.transcripts.store import Store

INDEX_FILE = "clusters.sqlite"
INDEX_FORMAT = 4  # bump when keys or evidence change: an index of another format is rebuilt
MAX_CANDIDATES = 400  # compared in full, those with the most shared keys first
_IN_BATCH = 500  # keys per SELECT ... IN (...)

_DDL = [
    """CREATE TABLE IF NOT EXISTS videos (
        num INTEGER PRIMARY KEY, video_id TEXT NOT NULL UNIQUE, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
        upload_date TEXT, uploader TEXT, uploader_id TEXT, url TEXT, title TEXT,
        fingerprint BLOB,  -- JSON, zlib-compressed; null when the video has none yet
        hashes BLOB,  -- the stored hashes packed, 32 bytes each, for the quick check
        sketches BLOB  -- the text sketches packed (keys.pack_sketches), for the quick check
    )""",
    "CREATE TABLE IF NOT EXISTS frame_keys (key INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY (key, num)) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS text_keys (key INTEGER NOT NULL, num INTEGER NOT NULL, PRIMARY KEY (key, num)) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS pairs (a INTEGER NOT NULL, b INTEGER NOT NULL, evidence TEXT NOT NULL, "
    "PRIMARY KEY (a, b)) WITHOUT ROWID",
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
    conn.execute("PRAGMA synchronous=NORMAL")  # derived: a power cut may lose the last videos added, not the file
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


# --- candidates -----------------------------------------------------------------------------------

def _lookup(conn: sqlite3.Connection, table: str, keys: Iterable[int]) -> list[tuple[int, int]]:
    """(key, video number) rows of `table` (ours) with one of `keys`."""
    found: list[tuple[int, int]] = []
    keys = list(keys)
    for i in range(0, len(keys), _IN_BATCH):
        batch = keys[i:i + _IN_BATCH]
        found += conn.execute(f"SELECT key, num FROM {table} WHERE key IN ({','.join('?' * len(batch))})", batch)
    return found


def _fingerprint(blob: bytes | None) -> Fingerprint | None:
    return None if blob is None else from_jsonable(Fingerprint, json.loads(zlib.decompress(blob)))


def pack_fingerprint(fp: Fingerprint) -> bytes:
    """A fingerprint as the index keeps it (its hex digits compress to about half)."""
    return zlib.compress(json.dumps(to_jsonable(fp), separators=(",", ":")).encode(), 6)


def candidates(conn: sqlite3.Connection, fp: Fingerprint, query: np.ndarray, exclude: int) -> list[int]:
    """Videos sharing a frame key with `query` that pass the quick check, then videos sharing a
    text band with `fp`; at most MAX_CANDIDATES of each, most shared keys first."""
    rows = keys.frame_key_rows(query)
    hits: dict[int, set[int]] = {}  # video -> the query rows that share a key with it
    for key, num in _lookup(conn, "frame_keys", rows):
        if num != exclude:
            hits.setdefault(num, set()).update(rows[key])
    nums = sorted(hits, key=lambda n: -len(hits[n]))[:MAX_CANDIDATES]
    chosen = [num for num, blob in _column(conn, "hashes", nums)
              if blob and keys.near(query[sorted(hits[num])], np.frombuffer(blob, np.uint8).reshape(-1, 32))]
    texts = Counter(num for _, num in _lookup(conn, "text_keys", keys.text_keys(fp)) if num != exclude)
    alike = [num for num, blob in _column(conn, "sketches", [n for n, _ in texts.most_common(MAX_CANDIDATES)])
             if same_text(compare_sketches(fp.texts, keys.unpack_sketches(blob, PERMUTATIONS)))]
    return list(dict.fromkeys([*chosen, *alike]))


def add_fingerprint(conn: sqlite3.Connection, num: int, fp: Fingerprint) -> int:
    """Compare `fp` (video `num`, already in `videos`) with its candidates, store the matches and
    its keys; the number of matches. Call inside a transaction."""
    prepared = prepare(fp)
    stored = keys.packed(prepared, stored_only=True)
    found = 0
    for other_num, text in _column(conn, "fingerprint", candidates(conn, fp, keys.packed(prepared, False), num)):
        other = _fingerprint(text)
        if other is None:
            continue
        # A pair is stored once, as (lower number, higher number), its evidence in that order.
        evidence = compare(other, fp, pb=prepared) if other_num < num else compare(fp, other, pa=prepared)
        if evidence.match:
            conn.execute("INSERT OR REPLACE INTO pairs VALUES (?, ?, ?)",
                         (min(num, other_num), max(num, other_num),
                          json.dumps(to_jsonable(evidence), separators=(",", ":"))))
            found += 1
    conn.execute("UPDATE videos SET hashes = ?, sketches = ? WHERE num = ?",
                 (stored.tobytes(), keys.pack_sketches(fp), num))
    conn.executemany("INSERT OR IGNORE INTO frame_keys VALUES (?, ?)",
                     ((k, num) for k in sorted(keys.frame_keys(stored))))
    conn.executemany("INSERT OR IGNORE INTO text_keys VALUES (?, ?)", ((k, num) for k in sorted(keys.text_keys(fp))))
    return found


def _column(conn: sqlite3.Connection, column: str, nums: list[int]) -> Iterator[tuple[int, Any]]:
    """(num, value of `column`) of these videos; `column` is one of ours."""
    for i in range(0, len(nums), _IN_BATCH):
        batch = nums[i:i + _IN_BATCH]
        yield from conn.execute(f"SELECT num, {column} FROM videos WHERE num IN ({','.join('?' * len(batch))})",
                                batch)


def remove(conn: sqlite3.Connection, num: int) -> None:
    """Drop a video, its keys (derived again from what it stored: no index by video needed) and pairs."""
    row = conn.execute("SELECT fingerprint, hashes FROM videos WHERE num = ?", (num,)).fetchone()
    if row is None:
        return
    fp, blob = _fingerprint(row[0]), row[1]
    if blob:
        conn.executemany("DELETE FROM frame_keys WHERE key = ? AND num = ?",
                         ((k, num) for k in keys.frame_keys(np.frombuffer(blob, np.uint8).reshape(-1, 32))))
    if fp is not None:
        conn.executemany("DELETE FROM text_keys WHERE key = ? AND num = ?", ((k, num) for k in keys.text_keys(fp)))
    for sql in ("DELETE FROM pairs WHERE a = ?", "DELETE FROM pairs WHERE b = ?", "DELETE FROM videos WHERE num = ?"):
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
                        None if fp is None else pack_fingerprint(fp)))
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
    present = store.transcript_stats()  # one scan, as the corpus index's freshness check
    for video_id, st in sorted(present.items()):
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
    for video_id in set(known) - set(present):
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
        rows = conn.execute("SELECT video_id, upload_date, uploader, uploader_id, url, title FROM videos "
                            f"WHERE video_id IN ({','.join('?' * len(batch))})", batch)
        for vid, date, uploader, uploader_id, url, title in rows:
            out[vid] = {"video_id": vid, "upload_date": date, "uploader": uploader, "uploader_id": uploader_id,
                        "url": url, "title": title}
    return out
