"""Subtitle file formats (SRT, WebVTT, plain text) and the reader for our JSON.

Writers take `(start, end, text)` entries so every track (speech, subtitles, aligned) shares one
implementation. Output is kept to what ffmpeg's own demuxers read back (tests check it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from vidscribe.transcripts.model import Transcript


class Entry(NamedTuple):
    start: float
    end: float
    text: str


MIN_DURATION = 0.001  # players and ffmpeg drop cues whose end is not after their start


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


# Author text must never contain what a reader takes for a timing line. Readers find timing lines by
# their timestamps (pysubs2: any line with two `h:m:s,ms`; ffmpeg: `h:m:s,ms --> h:m:s,ms`; WebVTT:
# `mm:ss.ttt -->`), and every timestamp has a colon between digits: that colon becomes U+2236 (∶),
# which reads the same. Runs of dashes before ">" ("--->" too) become "->", so no "-->" is left.
_TIME_COLON = re.compile(r"(?<=\d)\s*:\s*(?=\d)")
_ARROW = re.compile(r"-{2,}\s*>")


def _clean_lines(text: str) -> list[str]:
    """Author text as cue lines: no blank line (it would end the cue), no timing line."""
    lines = [_ARROW.sub("->", _TIME_COLON.sub("\u2236", " ".join(line.split()))) for line in text.splitlines()]
    return [line for line in lines if line]


def _prepared(entries: Iterable[Entry]) -> list[tuple[float, float, list[str]]]:
    out = []
    for start, end, text in sorted(entries, key=lambda e: (e.start, e.end)):
        lines = _clean_lines(text)
        if lines:
            out.append((start, max(end, start + MIN_DURATION), lines))
    return out


def to_srt(entries: Iterable[Entry]) -> str:
    blocks = []
    for n, (start, end, lines) in enumerate(_prepared(entries), 1):
        blocks.append(f"{n}\n{_clock(start, ',')} --> {_clock(end, ',')}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(entries: Iterable[Entry]) -> str:
    blocks = ["WEBVTT"]
    for start, end, lines in _prepared(entries):
        body = "\n".join(_vtt_escape(line) for line in lines)
        blocks.append(f"{_clock(start, '.')} --> {_clock(end, '.')}\n{body}")
    return "\n\n".join(blocks) + "\n"


def mmss(seconds: float) -> str:
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def to_text(entries: Iterable[Entry]) -> str:
    """One `[mm:ss] text` line per entry."""
    lines = [f"[{mmss(start)}] {' '.join(lines)}" for start, _, lines in _prepared(entries)]
    return "\n".join(lines) + ("\n" if lines else "")


def read_transcript(path: str | Path) -> Transcript:
    return Transcript.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
