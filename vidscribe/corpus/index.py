"""Full-text search over every stored transcript: an SQLite FTS5 index at `<data>/index.sqlite`.

The index is derived: the transcript files stay the truth, `rebuild_index` recreates it from them
and `update_index` (run before each search) re-reads only transcripts whose file changed (size
and mtime, then SHA-256), drops deleted ones and adds new ones.

Each indexed row is one timed line: a speech segment, a subtitle cue or an overlay. Its text is
folded (simplified script, half-width ASCII) and split into tokens: every CJK character is a token
of its own, other text splits into words. A query is tokenised the same way and each of its
whitespace-separated terms becomes a quoted FTS5 phrase, so "签约奖金" finds the four characters
in a row and one- or two-character Chinese queries ("军", "签约") work, which FTS5's trigram
tokenizer cannot do; a word's last token also matches as a prefix ("контракт" finds
"контракта"). User text only ever reaches FTS5 inside double quotes: operators in a query (NEAR,
AND, "-", "*", quotes) are searched as text, never parsed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidscribe.analysis.text import fold
from vidscribe.errors import VidscribeError
from vidscribe.transcripts.store import TRANSCRIPT_FILE, VIDEO_ID_RE, Store

log = logging.getLogger(__name__)

INDEX_FILE = "index.sqlite"
INDEX_FORMAT = 2  # bump when rows or tokens change: an index of another format is rebuilt
TRACKS = ("speech", "subtitle", "overlay")
_ROW_BITS = 20  # rowid = video number << 20 | line number: a video's rows are one rowid range

# One CJK character (Han, kana, hangul) per token; other letters and digits in runs.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Hit:
    video_id: str
    track: str
    start: float | None
    end: float | None
    text: str  # the whole line as stored in the transcript
    snippet: str  # the line around the first match, the match in «»
    highlights: list[list[int]] = field(default_factory=list)  # [start, end) character spans in `text`


@dataclass(frozen=True)
class IndexStats:
    videos: int  # in the index after the update
    added: int
    updated: int
    removed: int
    lines: int  # rows written in this update
    seconds: float


def index_path(store: Store) -> Path:
    return store.root / INDEX_FILE


def _search_form(text: str) -> str:
    """`fold`, and ё as е (Russian writes both; unicode61 folds case and Latin accents only)."""
    return fold(text).replace("ё", "е").replace("Ё", "Е")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(_search_form(text))


def _token_spans(text: str) -> list[tuple[int, int, str]]:
    """Tokens of `text` with their character spans (none where folding changed the length)."""
    folded = _search_form(text)
    if len(folded) != len(text):
        return []
    return [(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(folded)]


def fts_query(query: str, track: str | None = None) -> str | None:
    """The FTS5 MATCH expression for a user query, or None when it holds nothing searchable."""
    phrases = []
    for term in query.split():
        toks = tokens(term)
        if not toks:
            continue
        phrase = '"' + " ".join(t.replace('"', '""') for t in toks) + '"'
        if _LETTER.search(toks[-1]) and not re.match(f"[{_CJK}]", toks[-1]):
            phrase += " *"
        phrases.append(phrase)
    if not phrases:
        return None
    expr = "body : (" + " AND ".join(phrases) + ")"
    if track is not None:
        if track not in TRACKS:
            raise VidscribeError(f"unknown track {track!r}; tracks: {', '.join(TRACKS)}")
        expr = f'track : "{track}" AND ' + expr
    return expr


# --- the database ---------------------------------------------------------------------------

_VIDEOS_DDL = """CREATE TABLE IF NOT EXISTS videos (
    num INTEGER PRIMARY KEY,
    video_id TEXT NOT NULL UNIQUE,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT,
    lines INTEGER NOT NULL DEFAULT 0
)"""
_LINES_DDL = """CREATE VIRTUAL TABLE IF NOT EXISTS lines USING fts5(
    body, track, video_id UNINDEXED, start UNINDEXED, end UNINDEXED, text UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
)"""


def _create(conn: sqlite3.Connection) -> None:
    conn.execute(_VIDEOS_DDL)
    conn.execute(_LINES_DDL)
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
            conn.execute("DROP TABLE IF EXISTS lines")
            conn.execute("DROP TABLE IF EXISTS videos")
            conn.execute("COMMIT")
        _create(conn)
        return conn
    except BaseException:
        conn.close()
        raise


def _transcript_files(store: Store) -> dict[str, os.stat_result]:
    base = store.root / "transcripts"
    found: dict[str, os.stat_result] = {}
    if not base.is_dir():
        return found
    with os.scandir(base) as entries:
        for entry in entries:
            if not VIDEO_ID_RE.match(entry.name):
                continue
            with contextlib.suppress(OSError):
                found[entry.name] = os.stat(os.path.join(entry.path, TRANSCRIPT_FILE))
    return found


def transcript_lines(data: dict[str, Any]) -> list[tuple[str, float | None, float | None, str]]:
    """(track, start, end, text) of every timed line in a transcript file's JSON, in time order."""
    out: list[tuple[str, float | None, float | None, str]] = []
    speech = data.get("speech") or {}
    subtitles = data.get("subtitles") or {}
    for track, items in (("speech", speech.get("segments")), ("subtitle", subtitles.get("cues")),
                         ("overlay", subtitles.get("overlays"))):
        for item in items or []:
            text = str(item.get("text") or "").strip()
            if text:
                out.append((track, item.get("start"), item.get("end"), text))
    out.sort(key=lambda r: (r[1] if isinstance(r[1], (int, float)) else 0.0, TRACKS.index(r[0])))
    return out


def _insert(conn: sqlite3.Connection, num: int, video_id: str, data: dict[str, Any]) -> int:
    rows = [((num << _ROW_BITS) | i, " ".join(tokens(text)), track, video_id, start, end, text)
            for i, (track, start, end, text) in enumerate(transcript_lines(data)[: 1 << _ROW_BITS])]
    conn.executemany("INSERT INTO lines(rowid, body, track, video_id, start, end, text) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _delete(conn: sqlite3.Connection, num: int) -> None:
    conn.execute("DELETE FROM lines WHERE rowid BETWEEN ? AND ?",
                 (num << _ROW_BITS, ((num + 1) << _ROW_BITS) - 1))


def _read(path: Path) -> tuple[bytes, str, dict[str, Any] | None]:
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        data = json.loads(raw)
    except ValueError:
        return raw, sha, None  # unreadable: indexed as empty until the file changes
    return raw, sha, data if isinstance(data, dict) else None


def _known(conn: sqlite3.Connection) -> dict[str, tuple[int, int, int, str | None]]:
    return {vid: (num, mtime, size, sha) for num, vid, mtime, size, sha in
            conn.execute("SELECT num, video_id, mtime_ns, size, sha256 FROM videos")}


def _stale(files: dict[str, os.stat_result], known: dict[str, tuple[int, int, int, str | None]]) -> bool:
    if known.keys() - files.keys():
        return True
    return any(vid not in known or known[vid][1] != st.st_mtime_ns or known[vid][2] != st.st_size
               for vid, st in files.items())


def _sync(conn: sqlite3.Connection, store: Store, full: bool) -> IndexStats:
    started = time.monotonic()
    files = _transcript_files(store)
    if not full and not _stale(files, _known(conn)):  # the common case: no write lock taken
        total = conn.execute("SELECT count(*) FROM videos").fetchone()[0]
        return IndexStats(total, 0, 0, 0, 0, round(time.monotonic() - started, 3))
    conn.execute("BEGIN IMMEDIATE")  # one writer at a time; searches keep reading the last commit
    try:
        if full:
            conn.execute("DELETE FROM videos")
            conn.execute("DROP TABLE lines")
            conn.execute(_LINES_DDL)
        known = _known(conn)  # again, under the lock: another process may have just updated it
        added = updated = lines = 0
        removed = [vid for vid in known if vid not in files]
        for vid in removed:
            _delete(conn, known[vid][0])
            conn.execute("DELETE FROM videos WHERE num = ?", (known[vid][0],))
        next_num = (conn.execute("SELECT max(num) FROM videos").fetchone()[0] or 0) + 1
        for vid in sorted(files):
            st = files[vid]
            old = known.get(vid)
            if old is not None and old[1] == st.st_mtime_ns and old[2] == st.st_size:
                continue
            try:
                _, sha, data = _read(store.transcript_path(vid))
            except OSError:
                continue  # vanished between the scan and the read: the next update sees it
            if old is not None and old[3] == sha:  # touched, not changed
                conn.execute("UPDATE videos SET mtime_ns = ?, size = ? WHERE num = ?",
                             (st.st_mtime_ns, st.st_size, old[0]))
                continue
            if old is not None:
                num = old[0]
                _delete(conn, num)
                updated += 1
            else:
                num, next_num = next_num, next_num + 1
                added += 1
            n = _insert(conn, num, vid, data) if data is not None else 0
            lines += n
            conn.execute("INSERT OR REPLACE INTO videos(num, video_id, mtime_ns, size, sha256, lines) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (num, vid, st.st_mtime_ns, st.st_size, sha, n))
        if full:
            conn.execute("INSERT INTO lines(lines) VALUES ('optimize')")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    total = conn.execute("SELECT count(*) FROM videos").fetchone()[0]
    return IndexStats(total, added, updated, len(removed), lines, round(time.monotonic() - started, 3))


def update_index(store: Store) -> IndexStats:
    """Bring the index in line with the transcript files: only changed files are read."""
    with contextlib.closing(open_index(store)) as conn:
        return _sync(conn, store, full=False)


def rebuild_index(store: Store) -> IndexStats:
    """Recreate the index from every transcript file (`vidscribe index --rebuild`). Done in one
    transaction: a search running meanwhile sees the old index, never a half-built one."""
    with contextlib.closing(open_index(store)) as conn:
        return _sync(conn, store, full=True)


# --- search ---------------------------------------------------------------------------------


def search(store: Store, query: str, track: str | None = None, limit: int = 50,
           refresh: bool = True) -> list[Hit]:
    """Lines matching `query` across the corpus: video by video (in the order they were first
    indexed; by ID after a rebuild), in time order within a video, at most `limit`.

    `track`: speech, subtitle or overlay only. `refresh`: first update the index for changed
    transcript files (one stat per transcript; pass False to query the index as it is).
    """
    if limit <= 0:
        return []
    expr = fts_query(query, track)
    if expr is None:
        return []
    if not (store.root / "transcripts").is_dir() and not index_path(store).is_file():
        return []  # nothing stored (or a mistyped data root): do not create an index there
    if refresh:
        try:
            update_index(store)
        except sqlite3.OperationalError as e:  # locked by a long writer, a read-only data root
            if not index_path(store).is_file():
                raise VidscribeError(f"cannot build the search index at {index_path(store)}: {e}") from None
            log.warning("search index not refreshed (%s); results may miss the latest transcripts", e)
    with contextlib.closing(open_index(store)) as conn:
        rows = conn.execute("SELECT video_id, track, start, end, text FROM lines WHERE lines MATCH ? "
                            "ORDER BY rowid LIMIT ?", (expr, limit)).fetchall()
    terms = [tokens(term) for term in query.split()]
    return [_hit(vid, tr, start, end, text, terms) for vid, tr, start, end, text in rows]


def count_matches(store: Store, query: str, track: str | None = None) -> int:
    """How many lines match `query` (the index as it is: call after `search` or `update_index`)."""
    expr = fts_query(query, track)
    if expr is None:
        return 0
    with contextlib.closing(open_index(store)) as conn:
        return conn.execute("SELECT count(*) FROM lines WHERE lines MATCH ?", (expr,)).fetchone()[0]


def _hit(video_id: str, track: str, start: float | None, end: float | None, text: str,
         terms: list[list[str]]) -> Hit:
    spans = highlights(text, terms)
    return Hit(video_id, track, start, end, text, snippet(text, spans), [list(s) for s in spans])


def highlights(text: str, terms: list[list[str]]) -> list[tuple[int, int]]:
    """Character spans of each query term's token sequence in `text` (as the index matched it)."""
    toks = _token_spans(text)
    words = [t for _, _, t in toks]
    spans: list[tuple[int, int]] = []
    for term in terms:
        want = [t.lower() for t in term if t]
        if not want:
            continue
        prefix_last = bool(_LETTER.search(want[-1])) and not re.match(f"[{_CJK}]", want[-1])
        for i in range(len(words) - len(want) + 1):
            head_ok = words[i:i + len(want) - 1] == want[:-1]
            last = words[i + len(want) - 1]
            if head_ok and (last.startswith(want[-1]) if prefix_last else last == want[-1]):
                spans.append((toks[i][0], toks[i + len(want) - 1][1]))
    return _union(spans)


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def snippet(text: str, spans: list[tuple[int, int]], width: int = 40) -> str:
    """`text` cut to about `width` characters either side of the first match, matches in «»."""
    if not spans:
        return text if len(text) <= 2 * width else text[: 2 * width] + "…"
    lo = max(0, spans[0][0] - width)
    hi = min(len(text), spans[0][1] + width)
    out, pos = [], lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        out += [text[pos:s], "«", text[s:e], "»"]
        pos = e
    out.append(text[pos:hi])
    return ("…" if lo > 0 else "") + "".join(out) + ("…" if hi < len(text) else "")
