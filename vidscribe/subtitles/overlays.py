"""Overlays: text fixed on screen for a good part of a clip (the 抖音号 watermark, a logo, a fixed
title) with its time span. Candidates come from the locate samples and from scans during the
track pass; each is watched (its text mask compared five times a second) to find how long it
stays put, and read at native size from crops kept while it is there."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from vidscribe.subtitles.band import Band, Sample, StaticText
from vidscribe.subtitles.detect import dilate, overlap, propose_lines, stays_put_in, text_mask
from vidscribe.subtitles.engines import Box, OcrEngine
from vidscribe.subtitles.reading import TrackFrame, read_small
from vidscribe.subtitles.text import Row, group_rows, is_centred, similar, squash


@dataclass
class OverlayDraft:
    start: float
    end: float
    text: str
    score: float
    box: Box
    centred: bool


@dataclass
class Watch:
    """Presence checks of one static-text candidate (watermark, logo) during the track pass."""

    static: StaticText
    since: float  # time of the sample that first saw it: the reference is taken there
    box: Box  # padded crop box
    blank: bool = False  # seen unchanged in two samples: kept out of the band masks
    ref: np.ndarray | None = None  # reference text mask
    ref_pixels: int = 0
    polarity: str = "light"
    wide: Box = Box(0, 0, 0, 0)  # the box grown around it, for the final reading
    crops: list[np.ndarray] = field(default_factory=list)  # BGR `wide` crops, taken while present
    checks: list[tuple[float, bool]] = field(default_factory=list)

    def _keep_crop(self, frame: TrackFrame) -> None:
        x0, y0, x1, y1 = self.wide
        self.crops.append(frame.color()[y0:y1, x0:x1].copy())

    def check(self, t: float, frame: TrackFrame) -> None:
        x0, y0, x1, y1 = self.box
        gray = frame.gray(x0, y0, x1, y1)
        if self.ref is None:
            light, dark = text_mask(gray), text_mask(255 - gray)
            self.polarity = "light" if cv2.countNonZero(light) >= cv2.countNonZero(dark) else "dark"
            self.ref = light if self.polarity == "light" else dark
            self.ref_pixels = cv2.countNonZero(self.ref)
            self._keep_crop(frame)
            self.checks.append((t, True))
            return
        mask = text_mask(gray if self.polarity == "light" else 255 - gray)
        present = self.ref_pixels >= 12 and overlap(self.ref, dilate(mask)) >= 0.6 * self.ref_pixels
        self.checks.append((t, present))
        if present and len(self.checks) in (6, 30):  # two more looks, ~1 s and ~6 s in
            self._keep_crop(frame)


SCAN_SECONDS = 2.0  # track pass: look for new static text this often
SCAN_LAG = 4  # frames between the two looks that tell static text from moving
MAX_WATCHES = 40


@dataclass
class ScanCost:
    seconds: float = 0.0
    calls: int = 0


def scan(engine: OcrEngine, frame: TrackFrame, before: np.ndarray, t: float, bands: list[Band],
         watches: list[Watch], empty: list[tuple[int, Box]], number: int,
         cost: ScanCost, inside: Sequence[Box] = ()) -> list[Watch]:
    """New static text in `frame` outside the subtitle lines (compared with the grey frame
    `before`, a few frames earlier, to leave moving text alone). `empty` remembers boxes read in
    vain (scan number, box) so they are not read again at once."""
    height, width = before.shape[:2]
    gray = frame.gray(0, 0, width, height)
    found = []
    for box in propose_lines(gray, max_boxes=6):
        x0, y0, x1, y1 = box
        if any(o.intersection(box) >= 0.5 * box.area for o in inside):
            continue  # a line of a screen text block (screen.py reads it)
        if _subtitle_like(box, width, bands):
            continue  # a subtitle or caption line (part of one): the band finder's (tracking.BandFinder)
        if any(box.iou(w.box) >= 0.3 for w in watches + found) or any(box.iou(b) >= 0.5 for _, b in empty):
            continue
        if not stays_put_in(gray, before, box):
            continue  # moving (a sign in the picture): not worth an OCR call
        t0 = time.perf_counter()
        rows = group_rows(read_small(engine, frame.color()[y0:y1, x0:x1], (y1 - y0) * 0.6, dx=x0, dy=y0))
        cost.seconds += time.perf_counter() - t0
        cost.calls += 1
        if not rows:
            empty.append((number, box))
            continue
        for row in rows:
            if _subtitle_like(row.box, width, bands):
                continue  # read whole, the piece the mask saw is a subtitle line
            found.append(make_watch(StaticText(row.text, row.score, row.box, [], is_centred(row, width)), t,
                                    width, height))
    return found


def _subtitle_like(box: Box, width: int, bands: list[Band]) -> bool:
    """Centred, or in a band across the middle: a piece of a subtitle line (a karaoke line's part
    not yet coloured, an OCR box that left out a line's start). A corner watermark in a band never
    reaches the middle."""
    return is_centred(Row("", 0.0, box), width) or (box.x0 < width / 2 < box.x1
                                                    and any(b.y0 <= box.cy < b.y1 for b in bands))


def make_watch(st: StaticText, since: float, width: int, height: int, blank: bool = False) -> Watch:
    seen = st.box
    h = seen.height
    pad = max(2, h // 6)
    # Wider for reading: a first sighting may have caught part of the line ("recruit_1" of
    # "抖音号：recruit_1488" over a busy background).
    return Watch(st, since, seen.grown(pad, pad, width, height), blank,
                 wide=seen.grown(3 * h, h // 2, width, height))


def presence_spans(watch: Watch, first_start: float, duration: float, *,
                   max_gap: float = 1.0) -> list[tuple[float, float]]:
    """Where the checks saw the static text; the first span reaches back to `first_start`."""
    spans: list[list[float]] = []
    checks = watch.checks
    for k, (t, present) in enumerate(checks):
        if not present:
            continue
        end = checks[k + 1][0] if k + 1 < len(checks) else duration
        if spans and t - spans[-1][1] <= max_gap:
            spans[-1][1] = end
        else:
            spans.append([t, end])
    if spans and checks and spans[0][0] == checks[0][0]:
        spans[0][0] = min(spans[0][0], first_start)
    return [(a, b) for a, b in spans]


def best_reading(engine: OcrEngine, w: Watch) -> tuple[str, float, Box]:
    """The watched text read at native size from the crops kept while it was on screen: the row
    on the watched line with the most confidently read characters wins."""
    st = w.static
    seen = st.box
    best = (st.text, st.score, seen)
    best_weight = len(squash(st.text)) * st.score
    for n, crop in enumerate(w.crops):
        if n and best[1] >= 0.95 and len(squash(best[0])) >= len(squash(st.text)):
            break  # read well already: the later crops are for text read badly the first time
        for row in group_rows(read_small(engine, crop, seen.height, dx=w.wide.x0, dy=w.wide.y0)):
            on_line = row.box.overlap_y(seen) >= 0.5 * seen.height
            overlaps = row.box.overlap_x(seen) > 0
            weight = len(squash(row.text)) * row.score
            if on_line and overlaps and weight > best_weight and row.score >= 0.8:
                best, best_weight = (row.text, row.score, row.box), weight
    return best


def overlays_from(watches: list[Watch], samples: list[Sample], duration: float, engine: OcrEngine,
                  *, tracked: bool) -> list[OverlayDraft]:
    """Overlays: static texts on screen for a good part of the clip (at least 2 s and 30% of it),
    with their spans; the text re-read at native size from a crop the track pass kept."""
    times = [s.t for s in samples]
    out = []
    for w in watches:
        st = w.static
        if st.samples:  # seen in locate samples: from midway before the first to midway after the last
            first, last = st.samples[0], st.samples[-1]
            start = 0.0 if first == 0 else (times[first - 1] + times[first]) / 2
            end = duration if last == len(times) - 1 else (times[last] + times[last + 1]) / 2
        else:  # found by a scan of the track pass: seen once, at `since`; only checks tell more
            start = end = w.since
        spans = presence_spans(w, start, duration) if tracked and w.checks else [(start, end)]
        spans = [(a, b) for a, b in spans if b - a >= max(2.0, 0.3 * duration)]
        if not spans:
            continue
        text, score, box = best_reading(engine, w)
        for a, b in spans:
            out.append(OverlayDraft(a, min(b, duration), text, score, box, st.centred))
    return out


def merge_overlays(overlays: list[OverlayDraft]) -> list[OverlayDraft]:
    """One overlay per text and place: sightings of one watermark (from samples, from scans, as
    a fixed row of a band) are merged, their spans joined where they touch."""
    out: list[OverlayDraft] = []
    for ov in sorted(overlays, key=lambda o: (o.start, -o.score)):
        for i, o in enumerate(out):
            same_place = ov.box.iou(o.box) >= 0.4
            if same_place and similar(ov.text, o.text, 0.6) and ov.start <= o.end + 1.0:
                best = o if o.score >= ov.score and len(o.text) >= len(ov.text) else ov
                out[i] = OverlayDraft(o.start, max(o.end, ov.end), best.text, max(o.score, ov.score), best.box,
                                      o.centred)
                break
        else:
            out.append(ov)
    return sorted(out, key=lambda o: (o.start, o.box.y0))
