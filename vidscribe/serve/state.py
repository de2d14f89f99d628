"""What the server knows between requests: the catalog, the search index's freshness, whether the
queue (Redis) answers, and the source ledger's counts, kept current by one background thread.

Requests never wait on a scan of the data root or on Redis: they read what the last refresh found
(every `interval` seconds). Pages say when the catalog or the index is still being built and when
the queue is unreachable.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vidscribe.corpus.index import update_index
from vidscribe.errors import VidscribeError
from vidscribe.serve.catalog import Catalog, SyncStats
from vidscribe.settings import Settings
from vidscribe.transcripts.sources import SourceLedger
from vidscribe.transcripts.store import Store

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0


@dataclass
class QueueState:
    reachable: bool | None = None  # None: not asked yet
    error: str | None = None
    queued: dict[str, int] = field(default_factory=dict)


@dataclass
class Freshness:
    ready: bool = False  # the first refresh has finished
    refreshed_at: float | None = None
    error: str | None = None


class Corpus:
    """The data root as the server sees it. `refresh` brings everything up to date once; `start`
    runs it every `interval` seconds in a daemon thread until `stop`."""

    def __init__(self, settings: Settings, interval: float = REFRESH_SECONDS) -> None:
        self.settings = settings
        self.store = Store(settings.data)
        self.catalog = Catalog(self.store)
        self.interval = interval
        self.catalog_state = Freshness()
        self.index_state = Freshness()
        self.queue = QueueState()
        self.sources = {"waiting": 0, "failed": 0}
        self.last_sync: SyncStats | None = None
        self._sources_mtime: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refresh_lock = threading.Lock()

    # --- refreshing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Ask the queue, sync the catalog, update the search index, count the ledger: each part
        that fails is recorded (and shown), never raised."""
        with self._refresh_lock:
            self.probe_queue()
            self._step(self.catalog_state, self._sync_catalog)
            self._step(self.index_state, lambda: update_index(self.store))
            self._count_sources()

    def _sync_catalog(self) -> None:
        self.last_sync = self.catalog.sync()

    def _step(self, state: Freshness, work: Callable[[], object]) -> None:
        try:
            work()
            state.error = None
        except (OSError, sqlite3.Error, VidscribeError) as e:
            state.error = f"{type(e).__name__}: {e}"
            log.warning("refresh failed: %s", state.error)
        state.ready = True
        state.refreshed_at = time.time()

    def probe_queue(self) -> QueueState:
        """Whether Redis answers, and how many jobs wait on each queue."""
        from vidscribe.queue.connection import QUEUE_NAMES, connect, get_queue

        try:
            conn = connect(self.settings.redis_url)
        except VidscribeError as e:
            self.queue = QueueState(False, e.reason)
            return self.queue
        try:
            self.queue = QueueState(True, None, {name: get_queue(name, conn).count for name in QUEUE_NAMES})
        except Exception as e:  # noqa: BLE001 (any Redis failure means: unreachable)
            self.queue = QueueState(False, f"{type(e).__name__}: {e}")
        finally:
            conn.close()
        return self.queue

    def _count_sources(self) -> None:
        """Sources submitted but never fetched, from the ledger (re-read only when it changed)."""
        ledger = SourceLedger(self.store.root)
        try:
            mtime = ledger.root.stat().st_mtime_ns
        except OSError:
            self.sources = {"waiting": 0, "failed": 0}
            return
        if mtime == self._sources_mtime:
            return
        waiting = failed = 0
        for record in ledger.records():
            if not record.video_id:
                failed += record.status == "failed"
                waiting += record.status != "failed"
        self.sources, self._sources_mtime = {"waiting": waiting, "failed": failed}, mtime

    # --- the thread -----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="vidscribe-refresh", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresh()
            except Exception:  # a bug here must not end the thread: the next round tries again
                log.exception("refresh failed")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def status(self) -> dict[str, Any]:
        """Freshness of the catalog and index, and the queue's state, for pages and /api/status."""
        return {
            "catalog": {"ready": self.catalog_state.ready, "error": self.catalog_state.error,
                        "refreshed_at": self.catalog_state.refreshed_at},
            "index": {"ready": self.index_state.ready, "error": self.index_state.error,
                      "refreshed_at": self.index_state.refreshed_at},
            "queue": {"reachable": self.queue.reachable, "error": self.queue.error, "queued": self.queue.queued},
            "sources": dict(self.sources),
        }
