"""Clusters written out: a table for the terminal, the whole structure as JSON (also what the API
returns), and one row per clustered video as CSV or JSONL (the same columns as each other).

Author text (titles, uploader names) is made safe as the corpus exports make it (`corpus.safe`):
CSV cells guarded against formula injection and control characters shown, JSONL with unsafe
characters escaped, the table through `one_line`.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from vidscribe.atomic import atomic_open
from vidscribe.clusters.group import Cluster, describe
from vidscribe.corpus.export import write_rows
from vidscribe.corpus.safe import json_line, one_line

FORMATS = ("table", "json", "jsonl", "csv")
COLUMNS = ["cluster", "size", "rank", "first", "video_id", "upload_date", "uploader", "uploader_id", "url", "title",
           "matched_with", "same_footage", "footage_coverage", "footage_bits", "footage", "same_text", "text_jaccard",
           "text_containment", "text_tracks"]


def cluster_rows(clusters: Iterable[Cluster]) -> Iterator[dict[str, Any]]:
    """One row per video in a cluster, with the match that ties it to an earlier video."""
    for c in clusters:
        for v in c.videos:
            ev = v.evidence or {}
            text = ev.get("text") or {}
            yield {"cluster": c.number, "size": len(c.videos), "rank": v.rank, "first": v.first, "video_id": v.video_id,
                   "upload_date": v.upload_date, "uploader": v.uploader, "uploader_id": v.uploader_id, "url": v.url,
                   "title": v.title, "matched_with": v.matched_with,
                   "same_footage": ev.get("same_footage") if ev else None,
                   "footage_coverage": ev.get("coverage") if ev else None, "footage_bits": ev.get("median_bits"),
                   "footage": describe_footage(ev),
                   "same_text": ev.get("same_text") if ev else None, "text_jaccard": text.get("jaccard"),
                   "text_containment": text.get("containment"),
                   "text_tracks": f"{text['track_a']}~{text['track_b']}" if text else None}


def describe_footage(evidence: dict[str, Any]) -> str | None:
    """Every footage span as "earlier video's time = this video's time", ';'-separated."""
    spans = evidence.get("footage") or []
    return "; ".join(f"{s['a_start']:.1f}-{s['a_end']:.1f}={s['b_start']:.1f}-{s['b_end']:.1f}" for s in spans) or None


def clusters_json(clusters: Iterable[Cluster]) -> list[dict[str, Any]]:
    return [{"cluster": c.number, "size": len(c.videos), "videos": [asdict(v) for v in c.videos], "pairs": c.pairs}
            for c in clusters]


def table(clusters: list[Cluster]) -> Iterator[str]:
    """The clusters as lines for a terminal."""
    for c in clusters:
        first = c.videos[0]
        who = one_line(first.uploader or first.uploader_id) or "unknown account"
        when = first.upload_date or "date unknown"
        lead = {"yes": f"first posted by {who} ({when})", "tie": f"first posted on {when} by several accounts",
                "undated": "no upload dates: first poster unknown"}[first.first]
        yield f"cluster {c.number}: {len(c.videos)} videos, {lead}"
        for v in c.videos:
            yield "  ".join(["", f"{v.rank:>3}", (v.upload_date or "undated").ljust(8), v.first.ljust(7),
                             v.video_id, one_line(v.uploader or v.uploader_id) or "-", one_line(v.title) or "-"])
            if v.evidence:
                yield f"        matches {v.matched_with}: {one_line(describe(v.evidence))}"
        yield ""


@contextlib.contextmanager
def _output(out: Path | None, fmt: str) -> Iterator[TextIO]:
    """stdout, or a file written atomically (CSV with a byte-order mark, for Excel)."""
    if out is None:
        yield sys.stdout
        return
    with atomic_open(out) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
        yield text
        text.flush()
        text.detach()


def write_clusters(clusters: list[Cluster], fmt: str, out: Path | None = None) -> int:
    """Write `clusters` in `fmt` (one of FORMATS) to `out` or stdout; the number of rows or clusters."""
    with _output(out, fmt) as stream:
        if fmt in ("csv", "jsonl"):
            return write_rows(cluster_rows(clusters), COLUMNS, fmt, stream)  # type: ignore[arg-type]
        if fmt == "json":
            stream.write(json_line(clusters_json(clusters)))  # unsafe characters of author text escaped
            return len(clusters)
        for line in table(clusters):
            stream.write(line + "\n")
        return len(clusters)
