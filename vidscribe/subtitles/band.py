"""Where the subtitles are: the band, found from a few sparse OCR samples of whole frames.

A subtitle is a horizontally centred line whose vertical position stays put across samples while
its text changes. A moving sign fails the stable-position test, a corner watermark the centring
test, a persistent centred title the changing-text test (it becomes an overlay instead). Pure
functions over OCR rows, so they are tested without video.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from vidscribe.errors import ConfigError
from vidscribe.subtitles.engines import Box
from vidscribe.subtitles.text import Row, is_centred, similar

SAME_TEXT = 0.8  # similarity above which two readings are the same line


@dataclass(frozen=True)
class Band:
    y0: int  # crop rows in frame pixels, end exclusive
    y1: int
    line_height: float  # typical subtitle line height in pixels (sets the detector's scale)
    source: str = "auto"  # auto or setting
    lines_cy: tuple[float, ...] = ()  # vertical centres of the subtitle lines the samples saw

    def holds_line(self, cy: float) -> bool:
        """Whether a line centred at `cy` sits where the samples saw subtitle lines."""
        return any(abs(cy - c) <= 0.6 * self.line_height for c in self.lines_cy)


@dataclass
class Sample:
    t: float
    rows: list[Row]


@dataclass
class _Cluster:
    cy: float
    rows: list[tuple[int, Row]] = field(default_factory=list)  # (sample index, row)

    @property
    def samples(self) -> set[int]:
        return {i for i, _ in self.rows}

    def distinct_texts(self) -> int:
        texts: list[str] = []
        for _, row in self.rows:
            if not any(similar(row.text, t, SAME_TEXT) for t in texts):
                texts.append(row.text)
        return len(texts)

    @property
    def height(self) -> float:
        return statistics.median(r.height for _, r in self.rows)


def parse_band(value: str, height: int) -> tuple[int, int]:
    """`y0:y1` in pixels (`900:1100`) or fractions of the height (`0.7:0.95`)."""
    m = re.fullmatch(r"\s*([\d.]+)\s*:\s*([\d.]+)\s*", value)
    if not m:
        raise ConfigError(f"VIDSCRIBE_OCR_BAND={value!r} is not y0:y1 (pixels, or fractions like 0.7:0.95)")
    a, b = float(m.group(1)), float(m.group(2))
    if a <= 1 and b <= 1:
        a, b = a * height, b * height
    y0, y1 = max(0, int(round(a))), min(height, int(round(b)))
    if y1 - y0 < 8:
        raise ConfigError(f"VIDSCRIBE_OCR_BAND={value!r} selects no usable rows of a {height}-px frame")
    return y0, y1


def _clusters(samples: Sequence[Sample], width: int) -> list[_Cluster]:
    clusters: list[_Cluster] = []
    for i, sample in enumerate(samples):
        for row in sample.rows:
            if not is_centred(row, width):
                continue
            for c in clusters:
                if abs(row.cy - c.cy) <= 0.6 * max(row.height, c.height):
                    c.rows.append((i, row))
                    c.cy = statistics.median(r.cy for _, r in c.rows)
                    break
            else:
                clusters.append(_Cluster(row.cy, [(i, row)]))
    return clusters


MARGIN_LINES = 2.6  # line heights of room above and below the lines seen: a three-line caption
# (lines 1.25-1.3 heights apart) seen by any one of its lines, a Chinese line over a Russian one
# seen by either, all fit.


def band_around(top: float, bottom: float, line_height: float, height: int,
                lines_cy: tuple[float, ...] = ()) -> Band:
    """A band over rows [top, bottom) with MARGIN_LINES of room above and below."""
    y0 = max(0, int(top - MARGIN_LINES * line_height))
    y1 = min(height, int(bottom + MARGIN_LINES * line_height))
    return Band(y0, y1, float(line_height), lines_cy=lines_cy)


def _band_of(members: Sequence[_Cluster], height: int) -> Band:
    h = statistics.median(r.height for c in members for _, r in c.rows)
    top = min(r.box.y0 for c in members for _, r in c.rows)
    bottom = max(r.box.y1 for c in members for _, r in c.rows)
    return band_around(top, bottom, h, height, tuple(sorted(c.cy for c in members)))


def candidate_bands(samples: Sequence[Sample], width: int, height: int, *, min_samples: int = 2) -> list[Band]:
    """Bands around every centred line seen at one height in at least `min_samples` samples
    (1 when the samples hold only text that stood still), overlapping ones merged, lowest
    first. Whether a band's text changes (subtitles) or not (a fixed title) is for the track
    pass to see; a moving sign or a corner watermark never gets here."""
    clusters = [c for c in _clusters(samples, width) if len(c.samples) >= min_samples]
    bands = sorted((_band_of([c], height) for c in clusters), key=lambda b: b.y0)
    merged: list[Band] = []
    for b in bands:
        if merged and b.y0 < merged[-1].y1:
            m = merged[-1]
            lines = tuple(sorted(m.lines_cy + b.lines_cy))
            merged[-1] = Band(m.y0, max(m.y1, b.y1), min(m.line_height, b.line_height), lines_cy=lines)
        else:
            merged.append(b)
    return sorted(merged, key=lambda b: -b.y1)


@dataclass
class StaticText:
    """A line found at one place with one text in several samples: watermark, logo, title."""

    text: str
    score: float
    box: Box
    samples: list[int]  # indices of the samples it was seen in
    centred: bool


def static_texts(samples: Sequence[Sample], width: int, *, min_samples: int = 2) -> list[StaticText]:
    """Rows that recur at the same place with the same text (candidates for overlays)."""
    groups: list[list[tuple[int, Row]]] = []
    for i, sample in enumerate(samples):
        for row in sample.rows:
            for g in groups:
                ref = g[0][1]
                if g[-1][0] != i and row.box.iou(ref.box) >= 0.7 and similar(row.text, ref.text, 0.6):
                    g.append((i, row))
                    break
            else:
                groups.append([(i, row)])
    out = []
    for g in groups:
        if len({i for i, _ in g}) < min_samples:
            continue
        best = max(g, key=lambda ir: ir[1].score)[1]
        out.append(StaticText(best.text, best.score, best.box, sorted({i for i, _ in g}),
                              is_centred(best, width)))
    return out
