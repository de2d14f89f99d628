"""Corpus exports for spreadsheets and scripts: one row per finding or per aligned line, each with
the video's ID, URL, uploader and times.

Both formats have the same columns. A findings row also carries its times as mm:ss, the media's
SHA-256, and for subtitle, overlay and screen text findings the OCR confidence of the cue, overlay
or screen text block it was read from and, for cues and screen text, that item's keyframe image
(a path relative to the data root): the evidence to check the finding against.
`url` is the video's web page URL, else its source URL; a local file's row has its path.

CSV is written for spreadsheets: UTF-8 with a byte-order mark when written to a file (Excel reads
Chinese and Cyrillic correctly only with it), every cell with newlines, quotes or commas quoted,
control and invisible bidi characters shown as `<U+XXXX>`, and text cells that a spreadsheet
would run as a formula (=, @, tab or CR first, or + or - followed by anything but a number) prefixed
with an apostrophe; a phone number or amount ("+79991234567", "+7 (999) 123-45-67") is left as it
reads. JSONL keeps values exactly as they are, one JSON object per line, with control and bidi
characters escaped as `\\uXXXX` (see `corpus.safe`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TextIO

from vidscribe.analysis.evidence import finding_keyframe, finding_source
from vidscribe.atomic import atomic_open
from vidscribe.corpus.safe import csv_cell, json_line
from vidscribe.corpus.values import video_url
from vidscribe.errors import VidscribeError
from vidscribe.transcripts.formats import mmss
from vidscribe.transcripts.model import Finding, Transcript
from vidscribe.transcripts.store import Store

Format = Literal["csv", "jsonl"]
FORMATS = ("csv", "jsonl")

VIDEO_COLUMNS = ["video_id", "url", "uploader", "uploader_id", "title", "upload_date"]
FINDING_COLUMNS = [*VIDEO_COLUMNS, "sha256", "kind", "value", "raw", "track", "start", "end", "start_mmss",
                   "end_mmss", "amount", "amount_max", "currency", "period", "region", "label", "confidence",
                   "keyframe", "context"]
TRANSCRIPT_COLUMNS = [*VIDEO_COLUMNS, "line", "start", "end", "subtitle", "speech", "agreement"]


def _video(t: Transcript) -> dict[str, Any]:
    v = t.video
    return {"video_id": v.id, "url": video_url(v.webpage_url, v.source), "uploader": v.uploader,
            "uploader_id": v.uploader_id, "title": v.title, "upload_date": v.upload_date}


def _mmss(seconds: float | None) -> str | None:
    return None if seconds is None else mmss(seconds)


def _keyframe(video_id: str, name: str | None) -> str | None:
    """A keyframe relative to the data root (the transcript keeps it relative to its folder)."""
    return str(PurePosixPath("transcripts", video_id, name)) if name else None


def finding_row(t: Transcript, f: Finding, video: dict[str, Any] | None = None) -> dict[str, Any]:
    """One export row: the finding, its video, and where it was read from."""
    m = f.money
    item = finding_source(t, f)
    return {**(video or _video(t)), "sha256": t.video.sha256, "kind": f.kind, "value": f.value, "raw": f.raw,
            "track": f.track, "start": f.start, "end": f.end, "start_mmss": _mmss(f.start),
            "end_mmss": _mmss(f.end), "amount": m.amount if m else None,
            "amount_max": m.amount_max if m else None, "currency": m.currency if m else None,
            "period": m.period if m else None, "region": f.region, "label": f.label,
            "confidence": item.confidence if item is not None else None,
            "keyframe": _keyframe(t.video.id, finding_keyframe(t, f)), "context": f.context}


def finding_rows(transcripts: Iterable[Transcript]) -> Iterator[dict[str, Any]]:
    for t in transcripts:
        video = _video(t)
        for f in t.findings:
            yield finding_row(t, f, video)


def transcript_rows(transcripts: Iterable[Transcript]) -> Iterator[dict[str, Any]]:
    for t in transcripts:
        video = _video(t)
        for i, line in enumerate(t.aligned):
            yield {**video, "line": i + 1, "start": line.start, "end": line.end, "subtitle": line.subtitle,
                   "speech": line.speech, "agreement": line.agreement}


def write_rows(rows: Iterable[dict[str, Any]], columns: list[str], fmt: Format, out: TextIO) -> int:
    """Write `rows` to `out` as CSV (with a header) or JSONL; returns the number of rows."""
    if fmt not in FORMATS:
        raise VidscribeError(f"unknown export format {fmt!r}; formats: {', '.join(FORMATS)}")
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(c)) for c in columns])
            count += 1
    else:
        for row in rows:
            out.write(json_line({c: row.get(c) for c in columns}))
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
