"""Corpus exports for spreadsheets and scripts: one row per finding or per aligned line, each with
the video's ID, URL, uploader and times.

CSV is written for spreadsheets: UTF-8 with a byte-order mark when written to a file (Excel reads
Chinese and Cyrillic correctly only with it), and text cells that a spreadsheet would run as a
formula (=, +, -, @ first: "+7 999 ..." or a hostile caption) prefixed with an apostrophe. JSONL
keeps values exactly as they are, one JSON object per line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, TextIO

from vidscribe.atomic import atomic_open
from vidscribe.errors import VidscribeError
from vidscribe.transcripts.model import Transcript
from vidscribe.transcripts.store import Store

Format = Literal["csv", "jsonl"]
FORMATS = ("csv", "jsonl")

VIDEO_COLUMNS = ["video_id", "url", "uploader", "uploader_id", "title", "upload_date"]
FINDING_COLUMNS = [*VIDEO_COLUMNS, "kind", "value", "raw", "track", "start", "end", "amount", "amount_max",
                   "currency", "period", "region", "label", "context"]
TRANSCRIPT_COLUMNS = [*VIDEO_COLUMNS, "line", "start", "end", "subtitle", "speech", "agreement"]


def _video(t: Transcript) -> dict[str, Any]:
    v = t.video
    return {"video_id": v.id, "url": v.webpage_url or v.source, "uploader": v.uploader,
            "uploader_id": v.uploader_id, "title": v.title, "upload_date": v.upload_date}


def finding_rows(transcripts: Iterable[Transcript]) -> Iterator[dict[str, Any]]:
    for t in transcripts:
        video = _video(t)
        for f in t.findings:
            m = f.money
            yield {**video, "kind": f.kind, "value": f.value, "raw": f.raw, "track": f.track,
                   "start": f.start, "end": f.end, "amount": m.amount if m else None,
                   "amount_max": m.amount_max if m else None, "currency": m.currency if m else None,
                   "period": m.period if m else None, "region": f.region, "label": f.label,
                   "context": f.context}


def transcript_rows(transcripts: Iterable[Transcript]) -> Iterator[dict[str, Any]]:
    for t in transcripts:
        video = _video(t)
        for i, line in enumerate(t.aligned):
            yield {**video, "line": i + 1, "start": line.start, "end": line.end, "subtitle": line.subtitle,
                   "speech": line.speech, "agreement": line.agreement}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 2000000, not 2000000.0
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # shown as text, never evaluated
    return value


def write_rows(rows: Iterable[dict[str, Any]], columns: list[str], fmt: Format, out: TextIO) -> int:
    """Write `rows` to `out` as CSV (with a header) or JSONL; returns the number of rows."""
    if fmt not in FORMATS:
        raise VidscribeError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
            count += 1
    else:
        for row in rows:
            out.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False) + "\n")
            count += 1
    return count


@contextlib.contextmanager
def _output(out: Path | TextIO | None, fmt: Format) -> Iterator[TextIO]:
    if out is None:
        yield sys.stdout
    elif isinstance(out, Path):  # written beside and renamed: a failed export leaves no half file
        with atomic_open(out) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
            yield text
            text.flush()
            text.detach()
    else:
        yield out


def export_findings(store: Store, fmt: Format, out: Path | TextIO | None = None,
                    kinds: Iterable[str] | None = None) -> int:
    """Every finding in the corpus, one row each (`kinds`: only these kinds). `out`: a file path,
    an open text stream, or None for stdout. Returns the number of rows."""
    wanted = set(kinds) if kinds is not None else None
    rows = (r for r in finding_rows(store.transcripts()) if wanted is None or r["kind"] in wanted)
    with _output(out, fmt) as stream:
        return write_rows(rows, FINDING_COLUMNS, fmt, stream)


def export_transcripts(store: Store, fmt: Format, out: Path | TextIO | None = None) -> int:
    """Every aligned line in the corpus, one row each (transcripts not yet aligned have none)."""
    with _output(out, fmt) as stream:
        return write_rows(transcript_rows(store.transcripts()), TRANSCRIPT_COLUMNS, fmt, stream)
