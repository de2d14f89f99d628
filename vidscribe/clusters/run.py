"""`find_clusters`: the index brought up to date, then its pairs grouped."""

from __future__ import annotations

import contextlib
import sqlite3

from vidscribe.clusters import index
from vidscribe.clusters.group import Cluster, build_clusters
from vidscribe.clusters.index import UpdateStats
from vidscribe.errors import VidscribeError
from vidscribe.transcripts.store import Store


def find_clusters(store: Store, rebuild: bool = False, update: bool = True) -> tuple[list[Cluster], UpdateStats | None]:
    """Every cluster of reposts in the store, with the index update's figures (None without `update`)."""
    path = index.index_path(store)
    try:
        conn = index.connect(path)
        with contextlib.closing(conn):
            stats = index.update(store, conn, rebuild=rebuild) if update or rebuild else None
            pairs = index.load_pairs(conn)
            videos = index.load_videos(conn, {v for a, b, _ in pairs for v in (a, b)})
    except (sqlite3.Error, OSError) as e:  # a read-only data root, a full disk, a locked database
        raise VidscribeError(f"cannot update the repost index: {getattr(e, 'strerror', None) or e}",
                             source=str(path)) from None
    return build_clusters(pairs, videos), stats
