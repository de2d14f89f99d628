"""The viewer's catalog: one row per stored transcript, in SQLite, so the corpus page can sort,
filter and page 10,000 videos without opening 10,000 files.

Like the search index (`corpus.index`) it is derived and rebuildable: `sync` compares each
`transcripts/<id>/transcript.json`'s size and mtime with what it recorded, re-reads only the files
that changed, and drops videos whose file is gone. It lives at `<data>/viewer/catalog.sqlite`
(elsewhere when the data root is read-only), in WAL mode, so pages read while a sync writes.

Tables: `videos` (what the corpus page shows, one row per video), `stages` (video, stage, status:
the stage-state filter) and `findings` (every finding with its video's account: the finding-kind
filter and the account page's aggregates). Queries live in `vidscribe.serve.queries`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidscribe import pipeline
from vidscribe.corpus.values import video_url
from vidscribe.serve.security import contained
from vidscribe.transcripts.store import TRANSCRIPT_FILE, Store

log = logging.getLogger(__name__)

CATALOG_FORMAT = 1  # bump when rows change: a catalog of another format is rebuilt
VIEWER_DIR = "viewer"  # under the data root: the catalog and cached thumbnails
PENDING = "pending"  # a stage with no record yet

_DDL = [
    """CREATE TABLE IF NOT EXISTS videos (
        video_id TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
        title TEXT, account TEXT, uploader TEXT, upload_date TEXT, duration REAL, url TEXT,
        sha256 TEXT, fetched_at TEXT, languages TEXT, segments INTEGER NOT NULL DEFAULT 0,
        cues INTEGER NOT NULL DEFAULT 0, lines INTEGER NOT NULL DEFAULT 0,
        findings INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL, stages TEXT NOT NULL DEFAULT '{}',
        readable INTEGER NOT NULL DEFAULT 1)""",
    "CREATE TABLE IF NOT EXISTS stages (video_id TEXT NOT NULL, stage TEXT NOT NULL, status TEXT NOT NULL, "
    "error TEXT, PRIMARY KEY (video_id, stage)) WITHOUT ROWID",
    """CREATE TABLE IF NOT EXISTS findings (
        video_id TEXT NOT NULL, n INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, raw TEXT,
        track TEXT, start REAL, end REAL, context TEXT, amount REAL, amount_max REAL, currency TEXT,
        period TEXT, label TEXT, PRIMARY KEY (video_id, n)) WITHOUT ROWID""",
    *[f"CREATE INDEX IF NOT EXISTS videos_{c} ON videos({c}, video_id)"
      for c in ("account", "upload_date", "duration", "findings", "state", "title")],
    "CREATE INDEX IF NOT EXISTS stages_status ON stages(stage, status)",
    "CREATE INDEX IF NOT EXISTS findings_kind ON findings(kind, video_id)",
]
_TABLES = ("videos", "stages", "findings")


@dataclass(frozen=True)
class SyncStats:
    videos: int
    changed: int
    removed: int
    seconds: float


def stage_names() -> list[str]:
    """Every stage a video goes through, media first."""
    return [pipeline.MEDIA_STAGE, *pipeline.stage_names()]


def default_path(root: Path) -> Path:
    """`<data>/viewer/catalog.sqlite`, or a folder of the temporary directory (named after the data
    root) when the data root cannot be written: a read-only corpus is still browsable."""
    folder = root / VIEWER_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
        return folder / "catalog.sqlite"
    except OSError:
        import hashlib

        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
        folder = Path(tempfile.gettempdir()) / f"vidscribe-viewer-{key}"
        folder.mkdir(mode=0o700, exist_ok=True)
        return folder / "catalog.sqlite"


def connect(path: Path, *, write: bool = False) -> sqlite3.Connection:
    """A connection to the catalog (created and brought to the current format when `write`)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    if write:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] not in (0, CATALOG_FORMAT):
            for table in _TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
        for ddl in _DDL:
            conn.execute(ddl)
        conn.execute(f"PRAGMA user_version = {CATALOG_FORMAT}")
    return conn


# --- rows of one transcript file ------------------------------------------------------------------

def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _list(part: Any, key: str) -> list[dict[str, Any]]:
    items = part.get(key) if isinstance(part, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def account_of(video: dict[str, Any]) -> str | None:
    """The account a video is filed under: the uploader's ID, else their name, else the channel."""
    return _text(video.get("uploader_id")) or _text(video.get("uploader")) or _text(video.get("channel"))


def _stages(data: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    raw = data.get("stages") if isinstance(data.get("stages"), dict) else {}
    out = {}
    for name, record in raw.items():
        if isinstance(name, str) and isinstance(record, dict) and isinstance(record.get("status"), str):
            out[name] = (record["status"], _text(record.get("error")))
    return out


def overall_state(stages: dict[str, tuple[str, str | None]]) -> str:
    """failed (any stage failed), done (every stage done or skipped), else pending."""
    statuses = [stages[n][0] if n in stages else PENDING for n in stage_names()]
    if "failed" in statuses:
        return "failed"
    return "done" if all(s in ("done", "skipped") for s in statuses) else PENDING


def _languages(data: dict[str, Any]) -> str | None:
    found = []
    speech, subtitles = data.get("speech"), data.get("subtitles")
    if isinstance(speech, dict) and _text(speech.get("language")):
        found.append(speech["language"])
    if _list(subtitles, "cues") and "zh" not in found:
        found.append("zh")  # burned-in subtitles are read as Chinese
    return ", ".join(found) or None


def video_row(video_id: str, st: os.stat_result, data: dict[str, Any] | None) -> dict[str, Any]:
    """The `videos` row of one transcript file's JSON (None: unreadable)."""
    row: dict[str, Any] = {"video_id": video_id, "mtime_ns": st.st_mtime_ns, "size": st.st_size,
                           "readable": int(data is not None), "state": PENDING, "stages": "{}", "segments": 0,
                           "cues": 0, "lines": 0, "findings": 0}
    if data is None:
        return row
    video = data.get("video") if isinstance(data.get("video"), dict) else {}
    stages = _stages(data)
    media = data["stages"].get(pipeline.MEDIA_STAGE) if isinstance(data.get("stages"), dict) else None
    fetched = media.get("finished_at") if isinstance(media, dict) else None
    row.update(
        title=_text(video.get("title")), account=account_of(video), uploader=_text(video.get("uploader")),
        upload_date=_text(video.get("upload_date")), duration=_number(video.get("duration")),
        url=video_url(_text(video.get("webpage_url")), _text(video.get("source"))),
        sha256=_text(video.get("sha256")), fetched_at=_text(fetched), languages=_languages(data),
        segments=len(_list(data.get("speech"), "segments")), cues=len(_list(data.get("subtitles"), "cues")),
        lines=len(data["aligned"]) if isinstance(data.get("aligned"), list) else 0,
        findings=len(_list(data, "findings")), state=overall_state(stages),
        stages=json.dumps({n: s for n, (s, _) in stages.items()}))
    return row


def finding_rows(video_id: str, data: dict[str, Any] | None) -> list[tuple[Any, ...]]:
    rows = []
    for n, f in enumerate(_list(data, "findings")):
        kind, value = _text(f.get("kind")), f.get("value")
        if kind is None or not isinstance(value, str):
            continue
        money = f.get("money") if isinstance(f.get("money"), dict) else {}
        rows.append((video_id, n, kind, value, _text(f.get("raw")), _text(f.get("track")), _number(f.get("start")),
                     _number(f.get("end")), _text(f.get("context")), _number(money.get("amount")),
                     _number(money.get("amount_max")), _text(money.get("currency")), _text(money.get("period")),
                     _text(f.get("label"))))
    return rows


_VIDEO_COLUMNS = ("video_id", "mtime_ns", "size", "title", "account", "uploader", "upload_date", "duration", "url",
                  "sha256", "fetched_at", "languages", "segments", "cues", "lines", "findings", "state", "stages",
                  "readable")


def _write(conn: sqlite3.Connection, video_id: str, st: os.stat_result, data: dict[str, Any] | None) -> None:
    _delete(conn, video_id)
    row = video_row(video_id, st, data)
    conn.execute(f"INSERT INTO videos({', '.join(_VIDEO_COLUMNS)}) VALUES ({', '.join('?' * len(_VIDEO_COLUMNS))})",
                 [row.get(c) for c in _VIDEO_COLUMNS])
    conn.executemany("INSERT INTO stages VALUES (?, ?, ?, ?)",
                     [(video_id, name, status, error) for name, (status, error) in
                      (_stages(data) if data else {}).items()])
    conn.executemany(f"INSERT INTO findings VALUES ({', '.join('?' * 14)})", finding_rows(video_id, data))


def _delete(conn: sqlite3.Connection, video_id: str) -> None:
    for table in _TABLES:
        conn.execute(f"DELETE FROM {table} WHERE video_id = ?", (video_id,))


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class Catalog:
    """The catalog of one data root: `sync` (one writer at a time) and read connections per thread."""

    def __init__(self, store: Store, path: Path | None = None) -> None:
        self.store = store
        self.path = path or default_path(store.root)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self.generation = 0  # changes whenever a sync changed a row: cached answers expire with it
        self._memo: dict[str, tuple[int, Any]] = {}
        with contextlib.closing(connect(self.path, write=True)):
            pass

    @contextlib.contextmanager
    def reader(self) -> Iterator[sqlite3.Connection]:
        """A read connection of this thread (kept open: pages are served from a thread pool)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        yield conn

    def memo(self, key: str, compute: Callable[[sqlite3.Connection], Any]) -> Any:
        """`compute(connection)`, computed once per catalog generation (account and kind lists, counts)."""
        generation = self.generation
        cached = self._memo.get(key)
        if cached is not None and cached[0] == generation:
            return cached[1]
        with self.reader() as conn:
            value = compute(conn)
        self._memo[key] = (generation, value)
        return value

    def sync(self) -> SyncStats:
        """Bring the catalog in line with the transcript files; only changed files are read."""
        started = time.monotonic()
        with self._write_lock, contextlib.closing(connect(self.path, write=True)) as conn:
            files = self.store.transcript_stats()
            known = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT video_id, mtime_ns, size FROM videos")}
            removed = sorted(known.keys() - files.keys())
            changed = sorted(v for v, st in files.items() if known.get(v) != (st.st_mtime_ns, st.st_size))
            for start in range(0, len(changed) + len(removed), 500):  # short transactions: readers never wait long
                self._apply(conn, changed, removed, start, 500)
            total = conn.execute("SELECT count(*) FROM videos").fetchone()[0]
        if changed or removed:
            self.generation += 1
        return SyncStats(total, len(changed), len(removed), round(time.monotonic() - started, 3))

    def _apply(self, conn: sqlite3.Connection, changed: list[str], removed: list[str], start: int, size: int) -> None:
        work = (changed + removed)[start:start + size]
        conn.execute("BEGIN IMMEDIATE")
        try:
            for video_id in work:
                path = contained(self.store.transcript_dir(video_id), TRANSCRIPT_FILE)  # no symlink out
                try:
                    st = path.stat() if path else None
                except OSError:
                    st = None
                if path is None or st is None:
                    _delete(conn, video_id)
                    continue
                try:
                    data = _read(path)
                except OSError:
                    continue  # vanished or unreadable right now: the next sync sees it
                _write(conn, video_id, st, data)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
