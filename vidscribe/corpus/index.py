"""The search index over every stored transcript: an SQLite database at `<data>/index.sqlite`.

The index is derived: the transcript files stay the truth, `rebuild_index` recreates it from them
and `update_index` (run before each search) re-reads only transcripts whose file changed (size
and mtime, then SHA-256), drops deleted ones and adds new ones.

Three tables:

- `lines` (FTS5): one row per timed line, a speech segment, a subtitle cue (all its lines), an
  overlay or a screen text block, with track `speech`, `subtitles`, `overlay` or `screen`, and the
  keyframe image of a cue or screen text block (relative to its transcript folder). Its text is
  folded (simplified script, half-width ASCII) and split into tokens: every CJK character is a
  token of its own, other text splits into words (see `corpus.query` for how a query is
  matched). The rowid is the video's number << 20 | the line's number, so a video's rows are one
  rowid range, in time order.
- `findings`: one row per finding, with the keys its normalised value is searched by (E.164
  digits and national number of phones, amount and currency of money, names, emails, URLs: see
  `corpus.values`), the line it was found in (and that line's keyframe), and where it sorts among
  the lines.
- `videos`: one row per transcript file: its size, mtime and SHA-256, URL and title.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidscribe.analysis.evidence import safe_keyframe
from vidscribe.analysis.text import fold
from vidscribe.chinese import HAN_CLASS
from vidscribe.corpus.values import finding_keys, video_url
from vidscribe.transcripts.store import Store

log = logging.getLogger(__name__)

INDEX_FILE = "index.sqlite"
INDEX_FORMAT = 5  # bump when rows or tokens change: an index of another format is rebuilt (5: screen, keyframes)
# Tracks of indexed lines and findings, in their order at one time. `subtitles` is the track the
# CLI's `show --track` names; findings in transcript.json say `subtitle`. `screen`: static text
# blocks (screenshots, a still image's text); `frame`: QR codes read from the picture.
TRACKS = ("speech", "subtitles", "overlay", "screen", "frame")
_FINDING_TRACKS = {"subtitle": "subtitles"}
_ROW_BITS = 20  # rowid = video number << 20 | line number: a video's rows are one rowid range

# One CJK character (Han, kana, hangul) per token; other letters and digits in runs.
CJK = f"\u3040-\u30ff\uac00-\ud7af{HAN_CLASS}"  # kana, Hangul and Han
_TOKEN = re.compile(rf"[{CJK}]|[^\W_{CJK}]+")

Line = tuple[str, float | None, float | None, str, str | None]  # track, start, end, text, keyframe


@dataclass(frozen=True)
class IndexStats:
    videos: int  # in the index after the update
    added: int
    updated: int
    removed: int
    lines: int  # rows written in this update
    seconds: float
    findings: int = 0  # finding rows written in this update


def index_path(store: Store) -> Path:
    return store.root / INDEX_FILE


def search_form(text: str) -> str:
    """`fold`, and ё as е (Russian writes both; unicode61 folds case and Latin accents only)."""
    return fold(text).replace("ё", "е").replace("Ё", "Е")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(search_form(text))


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """Tokens of `text` with their character spans (none where folding changed the length)."""
    folded = search_form(text)
    if len(folded) != len(text):
        return []
    return [(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(folded)]


# --- the database ---------------------------------------------------------------------------

_VIDEOS_DDL = """CREATE TABLE IF NOT EXISTS videos (
    num INTEGER PRIMARY KEY,
    video_id TEXT NOT NULL UNIQUE,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT,
    lines INTEGER NOT NULL DEFAULT 0,
    url TEXT,
    title TEXT
)"""
_LINES_DDL = """CREATE VIRTUAL TABLE IF NOT EXISTS lines USING fts5(
    body, track, video_id UNINDEXED, start UNINDEXED, end UNINDEXED, text UNINDEXED, keyframe UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
)"""
_FINDINGS_DDL = """CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,  -- video number << 20 | finding number
    pos REAL NOT NULL,  -- where it sorts among the lines: its line's rowid, else between two
    line INTEGER,  -- rowid in `lines` of the line it was found in (null: a QR code, ...)
    video_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    raw TEXT,
    track TEXT NOT NULL,
    start REAL,
    end REAL,
    text TEXT,
    key TEXT,
    digits TEXT,
    national TEXT,
    amount REAL,
    amount_max REAL,
    currency TEXT,
    keyframe TEXT  -- its line's keyframe, relative to the transcript folder
)"""
_FINDINGS_INDEXES = [f"CREATE INDEX IF NOT EXISTS findings_{c} ON findings({c})"
                     for c in ("key", "digits", "national", "amount", "amount_max", "line")]
_TABLES = ("lines", "findings", "videos")


def _create(conn: sqlite3.Connection) -> None:
    for ddl in (_VIDEOS_DDL, _LINES_DDL, _FINDINGS_DDL, *_FINDINGS_INDEXES):
        conn.execute(ddl)
    if conn.execute("PRAGMA user_version").fetchone()[0] != INDEX_FORMAT:
        conn.execute(f"PRAGMA user_version = {INDEX_FORMAT}")


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(path, timeout=60, isolation_level=None)  # transactions are explicit


def open_index(store: Store) -> sqlite3.Connection:
    """The index, created empty if missing; an index of another format or an unreadable file
    is dropped (it is derived) and the next update fills it from the transcripts."""
    path = index_path(store)
    try:
        return _prepare(_connect(path))
    except sqlite3.OperationalError:  # locked, read-only, ...: a real problem, not a bad file
        raise
    except sqlite3.DatabaseError:  # not a database or malformed (a torn copy, a stray file)
        path.unlink(missing_ok=True)
        return _prepare(_connect(path))


def _prepare(conn: sqlite3.Connection) -> sqlite3.Connection:
    try:
        conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, INDEX_FORMAT):
            conn.execute("BEGIN IMMEDIATE")
            for table in _TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute("COMMIT")
        _create(conn)
        return conn
    except BaseException:
        conn.close()
        raise


# --- rows of one transcript -------------------------------------------------------------------


def _time(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _items(part: Any, key: str) -> list[dict[str, Any]]:
    items = part.get(key) if isinstance(part, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _keyframe(item: dict[str, Any]) -> str | None:
    name = item.get("keyframe")
    return safe_keyframe(name) if isinstance(name, str) else None


def transcript_lines(data: dict[str, Any]) -> list[Line]:
    """(track, start, end, text, keyframe) of every timed line in a transcript file's JSON, in time
    order: speech segments, subtitle cues, overlays and screen text blocks."""
    out: list[Line] = []
    speech, subtitles = data.get("speech"), data.get("subtitles")
    for track, items in (("speech", _items(speech, "segments")), ("subtitles", _items(subtitles, "cues")),
                         ("overlay", _items(subtitles, "overlays")), ("screen", _items(subtitles, "screen_text"))):
        for item in items:
            text = str(item.get("text") or "").strip()
            if text:
                out.append((track, item.get("start"), item.get("end"), text, _keyframe(item)))
    out.sort(key=lambda r: (_time(r[1]), TRACKS.index(r[0])))
    return out


def finding_rows(base: int, video_id: str, data: dict[str, Any], lines: list[Line]) -> list[tuple[Any, ...]]:
    """Rows of the `findings` table for a transcript whose lines are `lines` (rowids from `base`).

    A finding points at the line it came from (same track, start and text); one that has no line
    (a QR code in a frame) sorts among the lines by its time."""
    where: dict[tuple[str, Any, str], int] = {}
    for i, (track, start, _, text, _) in enumerate(lines):
        where.setdefault((track, start, text), i)
    order = [(_time(start), TRACKS.index(track)) for track, start, _, _, _ in lines]
    rows = []
    for j, f in enumerate(_items(data, "findings")[: 1 << _ROW_BITS]):
        kind, value = f.get("kind"), f.get("value")
        if not isinstance(kind, str) or not isinstance(value, str):
            continue
        track = str(f.get("track") or "")
        track = _FINDING_TRACKS.get(track, track)
        text = str(f.get("context") or f.get("raw") or value).strip()
        i = where.get((track, f.get("start"), text))
        if i is not None:
            line: int | None = base | i
            pos = float(base | i)
            keyframe = lines[i][4]
        else:
            rank = TRACKS.index(track) if track in TRACKS else len(TRACKS)
            line, pos = None, base + bisect.bisect_right(order, (_time(f.get("start")), rank)) - 0.5
            keyframe = None
        k = finding_keys(f)
        rows.append((base | j, pos, line, video_id, kind, value, f.get("raw"), track, f.get("start"),
                     f.get("end"), text, k.key, k.digits, k.national, k.amount, k.amount_max, k.currency, keyframe))
    return rows


def _insert(conn: sqlite3.Connection, num: int, video_id: str, data: dict[str, Any]) -> tuple[int, int]:
    base = num << _ROW_BITS
    lines = transcript_lines(data)[: 1 << _ROW_BITS]
    conn.executemany("INSERT INTO lines(rowid, body, track, video_id, start, end, text, keyframe) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [(base | i, " ".join(tokens(text)), track, video_id, start, end, text, keyframe)
                      for i, (track, start, end, text, keyframe) in enumerate(lines)])
    found = finding_rows(base, video_id, data, lines)
    conn.executemany(f"INSERT INTO findings VALUES ({', '.join('?' * 18)})", found)
    return len(lines), len(found)


def _video_info(data: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(URL, title) of a transcript file's video."""
    video = data.get("video") if data is not None else None
    if not isinstance(video, dict):
        return None, None
    text = {k: v if isinstance(v, str) else None for k, v in video.items()}
    return video_url(text.get("webpage_url"), text.get("source")), text.get("title")


def _delete(conn: sqlite3.Connection, num: int) -> None:
    low, high = num << _ROW_BITS, ((num + 1) << _ROW_BITS) - 1
    conn.execute("DELETE FROM lines WHERE rowid BETWEEN ? AND ?", (low, high))
    conn.execute("DELETE FROM findings WHERE id BETWEEN ? AND ?", (low, high))


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value: Any) -> Any:
    """JSON data with lone surrogates ("\\ud800" in the file) as U+FFFD: SQLite takes UTF-8 only."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def _read(path: Path) -> tuple[str, dict[str, Any] | None]:
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        data = json.loads(raw)
    except ValueError:
        return sha, None  # unreadable: indexed as empty until the file changes
    if _SURROGATE_ESCAPE.search(raw):  # rare: only then walk the whole document
        data = _without_surrogates(data)
    return sha, data if isinstance(data, dict) else None


# --- keeping it in line with the files ----------------------------------------------------------

Known = dict[str, tuple[int, int, int, str | None]]  # video ID -> num, mtime_ns, size, sha256


def _known(conn: sqlite3.Connection) -> Known:
    return {vid: (num, mtime, size, sha) for num, vid, mtime, size, sha in
            conn.execute("SELECT num, video_id, mtime_ns, size, sha256 FROM videos")}


def _stale(files: dict[str, os.stat_result], known: Known) -> bool:
    if known.keys() - files.keys():
        return True
    return any(vid not in known or known[vid][1] != st.st_mtime_ns or known[vid][2] != st.st_size
               for vid, st in files.items())


@dataclass
class _Counts:
    added: int = 0
    updated: int = 0
    lines: int = 0
    findings: int = 0


def _refresh(conn: sqlite3.Connection, store: Store, vid: str, st: os.stat_result, known: Known,
             next_num: int, counts: _Counts) -> int:
    """Re-read one transcript whose file changed (or is new); returns the next free number."""
    old = known.get(vid)
    try:
        sha, data = _read(store.transcript_path(vid))
    except OSError:
        return next_num  # vanished between the scan and the read: the next update sees it
    if old is not None and old[3] == sha:  # touched, not changed
        conn.execute("UPDATE videos SET mtime_ns = ?, size = ? WHERE num = ?", (st.st_mtime_ns, st.st_size, old[0]))
        return next_num
    if old is not None:
        num = old[0]
        _delete(conn, num)
        counts.updated += 1
    else:
        num, next_num = next_num, next_num + 1
        counts.added += 1
    lines, found = _insert(conn, num, vid, data) if data is not None else (0, 0)
    counts.lines += lines
    counts.findings += found
    conn.execute("INSERT OR REPLACE INTO videos(num, video_id, mtime_ns, size, sha256, lines, url, title) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (num, vid, st.st_mtime_ns, st.st_size, sha, lines,
                                                     *_video_info(data)))
    return next_num


def _sync(conn: sqlite3.Connection, store: Store, full: bool) -> IndexStats:
    started = time.monotonic()
    files = store.transcript_stats()
    if not full and not _stale(files, _known(conn)):  # the common case: no write lock taken
        total = conn.execute("SELECT count(*) FROM videos").fetchone()[0]
        return IndexStats(total, 0, 0, 0, 0, round(time.monotonic() - started, 3))
    conn.execute("BEGIN IMMEDIATE")  # one writer at a time; searches keep reading the last commit
    try:
        if full:
            conn.execute("DELETE FROM videos")
            conn.execute("DELETE FROM findings")
            conn.execute("DROP TABLE lines")
            conn.execute(_LINES_DDL)
        known = _known(conn)  # again, under the lock: another process may have just updated it
        counts = _Counts()
        removed = [vid for vid in known if vid not in files]
        for vid in removed:
            _delete(conn, known[vid][0])
            conn.execute("DELETE FROM videos WHERE num = ?", (known[vid][0],))
        next_num = (conn.execute("SELECT max(num) FROM videos").fetchone()[0] or 0) + 1
        for vid in sorted(files):
            st, old = files[vid], known.get(vid)
            if old is None or old[1] != st.st_mtime_ns or old[2] != st.st_size:
                next_num = _refresh(conn, store, vid, st, known, next_num, counts)
        if full:
            conn.execute("INSERT INTO lines(lines) VALUES ('optimize')")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    total = conn.execute("SELECT count(*) FROM videos").fetchone()[0]
    return IndexStats(total, counts.added, counts.updated, len(removed), counts.lines,
                      round(time.monotonic() - started, 3), counts.findings)


def update_index(store: Store) -> IndexStats:
    """Bring the index in line with the transcript files: only changed files are read."""
    with contextlib.closing(open_index(store)) as conn:
        return _sync(conn, store, full=False)


def rebuild_index(store: Store) -> IndexStats:
    """Recreate the index from every transcript file (`vidscribe index --rebuild`). Done in one
    transaction: a search running meanwhile sees the old index, never a half-built one."""
    with contextlib.closing(open_index(store)) as conn:
        return _sync(conn, store, full=True)
