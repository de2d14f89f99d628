"""The subtitle pass over a video: locate the band, track changes on every frame, OCR once per
stable interval, build cues and overlays. Returns plain data; `stage.py` turns it into the
transcript and files.

Two decodes, because seeking in long-GOP H.264 costs more than decoding: a short *locate* pass
OCRs a few downscaled whole frames until a centred line shows up at one height in two of them
(usually the first two, 0.7 s apart), then the *track* pass reads every frame, computes a text
mask of each candidate band (from the luma plane: no colour conversion) and runs OCR only when the
mask says the text there changed, in a worker thread. The track pass's frames are decoded ahead
in a thread of their own, from the start, while the locate pass still runs. A candidate band whose text never
changes (a fixed title) ends up an overlay, not cues.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vidscribe.media.frames import Ahead, FrameReader, Picture, VideoInfo
from vidscribe.subtitles.band import Band, Sample, StaticText, candidate_bands, parse_band, static_texts
from vidscribe.subtitles.cues import CueDraft, Reading, build_cues
from vidscribe.subtitles.detect import ChangeTracker, dilate, overlap, text_bbox, text_mask
from vidscribe.subtitles.engines import Box, Keep, OcrEngine, TextLine
from vidscribe.subtitles.overlays import (
    MAX_WATCHES,
    SCAN_LAG,
    SCAN_SECONDS,
    OverlayDraft,
    ScanCost,
    Watch,
    make_watch,
    merge_overlays,
    overlays_from,
    scan,
)
from vidscribe.subtitles.reading import TrackFrame, add_uncovered, proposal_lines, read_lines
from vidscribe.subtitles.text import Row, group_rows, is_centred, join_rows, similarity

SAMPLE_SIDE = 640  # whole frames are OCRed for band finding at this long side (thin text needs >480)
DETECTOR_AFTER = 3  # samples read by text-mask proposals alone before the detector joins in
REF_STRIDE = 1_000_000  # CueDraft.ref = band number * REF_STRIDE + interval number


@dataclass
class Timings:
    locate: float = 0.0  # the whole locate pass (its decoding and OCR)
    decode: float = 0.0  # track pass: waiting for decoded frames (decoded ahead, in a thread)
    detect: float = 0.0  # track pass: text masks and change tracking
    ocr: float = 0.0  # track pass: OCR calls (in a worker thread, overlapping decoding)
    total: float = 0.0
    scan: float = 0.0  # track pass: OCR of new static-text candidates (in the decoding thread)
    frames: int = 0
    samples: int = 0  # locate-pass OCR calls (whole frames)
    ocr_calls: int = 0  # track-pass OCR calls (band crops)
    scans: int = 0  # track-pass OCR calls (static-text candidates)


@dataclass
class Extraction:
    info: VideoInfo
    band: Band | None  # the band the cues came from (the one with most cues)
    cues: list[CueDraft]
    overlays: list[OverlayDraft]
    images: dict[int, np.ndarray]  # CueDraft.ref -> BGR band crop the text was read from
    timings: Timings = field(default_factory=Timings)
    image_times: dict[int, float] = field(default_factory=dict)  # CueDraft.ref -> time of that frame
    bands: list[Band] = field(default_factory=list)  # every candidate band tracked
    models: tuple[str, ...] = ()  # the engine's detection and recognition models


PAIR_GAP = 0.15  # s: each sample is looked at twice this far apart, to tell still text from moving


def _sample_times(duration: float) -> Iterator[float]:
    # Dense at first (the band is usually clear within a few seconds), then sparse, ~40 at most;
    # each sample time twice, PAIR_GAP apart.
    t = 0.3
    step = 0.7
    while True:
        yield t
        yield t + PAIR_GAP
        t += step
        if t >= 6.0:
            step = max(1.5, duration / 40 if duration > 0 else 1.5)


def _still_rows(rows: list[Row], gray: np.ndarray, later: np.ndarray) -> list[Row]:
    """Rows whose text mask is the same a moment later: a sign moving through the picture is not
    (nor a subtitle changing in between: the next sample sees it)."""
    kept = []
    for row in rows:
        x0, y0, x1, y1 = row.box
        now, then = text_mask(gray[y0:y1, x0:x1]), text_mask(later[y0:y1, x0:x1])
        pixels = cv2.countNonZero(now)
        if pixels < 20 or overlap(now, dilate(then)) >= 0.85 * pixels:
            kept.append(row)
    return kept


@dataclass
class Located:
    info: VideoInfo
    bands: list[Band]
    samples: list[Sample]
    images: list[np.ndarray]  # the downscaled sample frames
    scale: float


def locate(path: Path, engine: OcrEngine, *, band_setting: str | None, timings: Timings) -> Located:
    """Sample whole frames until a centred line stands still in one (or the video ends)."""
    started = time.perf_counter()
    samples: list[Sample] = []
    images: list[np.ndarray] = []
    bands: list[Band] = []
    with FrameReader(path) as reader:
        info = reader.info
        scale = min(1.0, SAMPLE_SIDE / max(info.width, info.height))
        override = parse_band(band_setting, info.height) if band_setting else None
        lines: list[list[TextLine]] = []
        grays: list[tuple[np.ndarray, np.ndarray]] = []  # each sample's grey frame and the one after
        seen: list[tuple[Box, np.ndarray, list[TextLine]]] = []
        use_detector = False
        first: tuple[float, np.ndarray] | None = None
        for t, frame in reader.frames(times=_sample_times(info.duration), ring=2):
            if first is None:  # the sample; read once its pair frame, PAIR_GAP later, is there
                first = (t, frame)
                continue
            t0, sample = first
            first = None
            later = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            small = cv2.resize(sample, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
                if scale < 1.0 else sample.copy()
            found = proposal_lines(engine, sample, seen, later)
            if use_detector:
                found = add_uncovered(found, read_lines(engine, small, scale=scale))
            lines.append(found)
            grays.append((cv2.cvtColor(sample, cv2.COLOR_BGR2GRAY), later))
            # Keep what stood still: a single sighting then suffices for a band.
            samples.append(Sample(t0, _still_rows(group_rows(found), *grays[-1])))
            images.append(small)
            if override and len(samples) >= 2:
                break
            if not override and candidate_bands(samples, info.width, info.height, min_samples=1):
                break
            if len(samples) == DETECTOR_AFTER and not use_detector:
                # No band from the mask's proposals: the text may be dark on light, or unoutlined.
                # From now on the detector reads each (downscaled) sample too, earlier ones included.
                use_detector = True
                for i, image in enumerate(images):
                    lines[i] = add_uncovered(lines[i], read_lines(engine, image, scale=scale))
                    samples[i] = Sample(samples[i].t, _still_rows(group_rows(lines[i]), *grays[i]))
                if candidate_bands(samples, info.width, info.height, min_samples=1):
                    break
    if override:
        rows = [r for s in samples for r in s.rows if override[0] <= r.cy < override[1]]
        h = float(np.median([r.height for r in rows])) if rows else (override[1] - override[0]) / 3
        bands = [Band(override[0], override[1], h, source="setting",
                      lines_cy=tuple(sorted({r.cy for r in rows if is_centred(r, info.width)})))]
    else:
        bands = candidate_bands(samples, info.width, info.height, min_samples=1)
    timings.locate = time.perf_counter() - started
    timings.samples = len(samples)
    return Located(info, bands, samples, images, scale)


def _polarity(band: Band, located: Located) -> str:
    """Light text with a dark outline or box (nearly all subtitles), unless the light mask misses
    the subtitle rows the samples read and the inverted one finds them (dark text, light box)."""
    light = dark = 0.0
    for sample, image in zip(located.samples, located.images, strict=True):
        for row in sample.rows:
            if not (band.y0 <= row.cy < band.y1 and is_centred(row, located.info.width)):
                continue
            x0, y0, x1, y1 = (int(v * located.scale) for v in row.box)
            gray = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
            if gray.size:
                light += cv2.countNonZero(text_mask(gray)) / gray.size
                dark += cv2.countNonZero(text_mask(255 - gray)) / gray.size
    return "dark" if light < 0.03 and dark > 3 * light else "light"


@dataclass
class _Interval:
    start: int  # frame index
    pixels: int
    same_as_previous: bool
    copies: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (frame index, band crop)
    text_box: Box | None = None  # where its text is in the band crop

    next_copy: int = 0
    end: int = -1
    rows: Future[list[Row]] | list[Row] | None = None
    start_t: float = 0.0  # seconds, filled when the pass ends
    end_t: float = 0.0
    read_t: float = 0.0  # time of the frame OCR read


class _BandTrack:
    """Change tracking and OCR scheduling for one band."""

    def __init__(self, band: Band, width: int, polarity: str, blank: list[Box],
                 ocr: Callable[..., Future[list[Row]] | list[Row]]):
        self.band, self.width = band, width
        self.polarity = polarity
        self.min_pixels = max(40, int(0.12 * band.line_height ** 2))  # about half a character
        self.read_pixels = max(80, int(0.25 * band.line_height ** 2))  # about one: worth an OCR call
        self.tracker = ChangeTracker(self.min_pixels, window=12)
        self.blank = [Box(x0, max(0, y0 - band.y0), x1, min(band.y1, y1) - band.y0)
                      for x0, y0, x1, y1 in blank if y0 < band.y1 and y1 > band.y0]
        self.intervals: list[_Interval] = []
        self._ocr = ocr

    def push(self, index: int, frame: TrackFrame) -> None:
        y0, y1 = self.band.y0, self.band.y1
        gray = frame.gray(0, y0, self.width, y1)
        mask = text_mask(gray if self.polarity == "light" else 255 - gray)
        for bx0, by0, bx1, by1 in self.blank:
            mask[by0:by1, bx0:bx1] = 0
        for change in self.tracker.push(index, mask):
            if self.intervals:
                self.close(change.index)
            iv = _Interval(change.index, change.pixels, change.same_as_previous)
            self.intervals.append(iv)
            iv.copies.append((index, frame.color()[y0:y1].copy()))
            iv.next_copy = change.index + 2 * max(2, index - change.index)
            iv.text_box = text_bbox(change.ref, self.band.line_height)
        if self.intervals and index == self.intervals[-1].next_copy:
            # Copies at doubling offsets: when the interval ends one of the last two lies near its middle.
            iv = self.intervals[-1]
            iv.copies = iv.copies[-1:] + [(index, frame.color()[y0:y1].copy())]
            iv.next_copy = iv.start + 2 * (index - iv.start)
            ref = self.tracker.reference
            if ref is not None and self.tracker.current_start == iv.start:
                iv.text_box = text_bbox(ref, self.band.line_height)

    def close(self, end: int) -> None:
        iv = self.intervals[-1]
        iv.end = end
        if iv.pixels < self.read_pixels or iv.same_as_previous or end - iv.start < 3 or not iv.copies:
            return  # empty, the same text as before, or too short to be read
        # A copy taken while the change was being confirmed shows the next interval: not this one.
        iv.copies = [c for c in iv.copies if c[0] < end]
        if not iv.copies:
            return
        middle = (iv.start + end) / 2
        copies = sorted(iv.copies, key=lambda c: abs(c[0] - middle))
        iv.copies = copies[:1]
        crop = copies[0][1]
        # The other copy, some frames away, tells text that stays put from text moving through.
        other = copies[1][1] if len(copies) > 1 else None
        # OCR only where the mask says the text is: the detector's cost grows with the area.
        box = iv.text_box or Box(0, 0, crop.shape[1], crop.shape[0])
        iv.rows = self._ocr(crop, box, other, self.polarity)


def track(pictures: Iterable[Picture], engine: OcrEngine, located: Located, watches: list[Watch],
          timings: Timings, *, threaded: bool = True,
          progress: Callable[[float], None] = lambda f: None) -> tuple[list[_BandTrack], float]:
    """Every frame: each band's text mask -> change tracker -> OCR once per stable interval;
    static-text checks five times a second. Returns the band tracks and the end time."""
    info = located.info
    executor = ThreadPoolExecutor(max_workers=1) if threaded else None

    def read(crop: np.ndarray, box: Box, other: np.ndarray | None, polarity: str,
             band_y0: int) -> list[Row]:
        t0 = time.perf_counter()
        x0, y0, x1, y1 = box
        lines = read_lines(engine, crop[y0:y1, x0:x1], dx=x0, dy=band_y0 + y0,
                           keep=_text_pixels(crop[y0:y1, x0:x1], polarity))
        if other is not None:  # box by box: a moving piece must not join a subtitle's row
            lines = [ln for ln in lines if _still(ln.box, crop, other, band_y0, polarity)]
            if lines and min(ln.score for ln in lines) < SECOND_LOOK:
                # Unsure (something crossing the text, a flash): read the other copy too and
                # keep whichever reading is surer.
                timings.ocr_calls += 1
                again = read_lines(engine, other[y0:y1, x0:x1], dx=x0, dy=band_y0 + y0,
                                   keep=_text_pixels(other[y0:y1, x0:x1], polarity))
                again = [ln for ln in again if _still(ln.box, other, crop, band_y0, polarity)]
                if again and _surety(again) > _surety(lines):
                    lines = again
        rows = group_rows(lines)
        timings.ocr += time.perf_counter() - t0
        return rows

    def submit_for(band_y0: int) -> Callable[..., Future[list[Row]] | list[Row]]:
        def submit(*args: object) -> Future[list[Row]] | list[Row]:
            timings.ocr_calls += 1
            return executor.submit(read, *args, band_y0) if executor else read(*args, band_y0)  # type: ignore[arg-type]
        return submit

    blank = [w.box for w in watches if w.blank]
    tracks = [_BandTrack(b, info.width, _polarity(b, located), blank, submit_for(b.y0)) for b in located.bands]
    check_every = max(1, round((info.fps or 25) / 5))
    scan_every = max(1, round((info.fps or 25) * SCAN_SECONDS))
    duration = info.duration or 1.0
    times: list[float] = []
    empty: list[tuple[int, Box]] = []  # (scan number, box): read, nothing there
    before: np.ndarray | None = None
    cost = ScanCost()
    t_decode = time.perf_counter()
    for index, picture in enumerate(pictures):
        t_detect = time.perf_counter()
        timings.decode += t_detect - t_decode
        t = picture.t
        times.append(t)
        frame = TrackFrame(index, picture)
        for bt in tracks:
            bt.push(index, frame)
        if index % scan_every == scan_every // 2 - SCAN_LAG:
            before = frame.gray(0, 0, info.width, info.height)
        if index % scan_every == scan_every // 2 and len(watches) < MAX_WATCHES and before is not None:
            # Static text that appears after the locate pass (an end-card watermark, the
            # Douyin watermark moving to another corner): look for new text outside the bands.
            number = index // scan_every
            empty = [(n, b) for n, b in empty if number - n < 3]
            watches += scan(engine, frame, before, t, located.bands, watches, empty, number, cost)
        if index % check_every == 0:
            for w in watches:
                if t + 1e-6 >= w.since:
                    w.check(t, frame)
        if index % 25 == 0:
            progress(min(1.0, t / duration))
        t_decode = time.perf_counter()
        timings.detect += t_decode - t_detect
    timings.frames = len(times)
    timings.scan, timings.scans = cost.seconds, cost.calls
    for bt in tracks:
        if bt.intervals:
            bt.close(len(times))
    if executor:
        executor.shutdown(wait=True)
    step = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 1 / (info.fps or 25)
    end_time = times[-1] + step if times else 0.0
    for bt in tracks:  # interval frame indices -> times
        for iv in bt.intervals:
            iv.read_t = times[min(iv.copies[0][0], len(times) - 1)] if iv.copies and times else 0.0
            iv.start_t = times[iv.start] if iv.start < len(times) else end_time
            iv.end_t = times[iv.end] if iv.end < len(times) else end_time
    return tracks, end_time


SECOND_LOOK = 0.95  # a band reading with a line scored below this is checked on a second frame


def _text_pixels(image: np.ndarray, polarity: str) -> Keep:
    """Whether a detected box holds text-mask pixels: a subtitle is light text with a dark edge
    (or the reverse), background clutter the detector boxes (specks, shapes) mostly is not, and
    each box costs the recogniser as much as a line of text."""
    def keep(box: Box) -> bool:
        x0, y0, x1, y1 = box
        gray = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        return gray.size > 0 and cv2.countNonZero(text_mask(gray if polarity == "light" else 255 - gray)) >= 20
    return keep


def _surety(lines: list[TextLine]) -> float:
    """Confidence of a reading: its least sure line, then how many characters it read."""
    return min(ln.score for ln in lines) + 1e-3 * sum(len(ln.text) for ln in lines)


def _still(box: Box, crop: np.ndarray, other: np.ndarray, band_y0: int,
           polarity: str) -> bool:
    """Whether a box read in a band crop holds text that stays put: its text mask is the same in
    another copy of the band from the same interval. A sign moving through the band is not."""
    x0, y0, x1, y1 = box
    y0, y1 = max(0, y0 - band_y0), max(0, y1 - band_y0)
    masks = []
    for image in (crop, other):
        gray = cv2.cvtColor(image[y0:y1, max(0, x0):max(0, x1)], cv2.COLOR_BGR2GRAY)
        masks.append(text_mask(gray if polarity == "light" else 255 - gray))
    pixels = cv2.countNonZero(masks[0])
    # The same subtitle keeps 93-100% (1-px tolerance); a sign moving through, 60-75%.
    return pixels < 20 or overlap(masks[0], dilate(masks[1])) >= 0.85 * pixels


def _keep(row: Row, t: float, width: int, overlays: list[OverlayDraft]) -> bool:
    # Scene text and corner watermarks are off-centre; a fixed centred caption is an overlay.
    return is_centred(row, width) and not any(o.start <= t < o.end and row.box.iou(o.box) >= 0.3
                                              for o in overlays)


def band_readings(bt: _BandTrack, number: int, width: int, overlays: list[OverlayDraft]
                  ) -> tuple[list[Reading], dict[int, tuple[float, np.ndarray]], list[OverlayDraft]]:
    """Readings of one band's intervals; lines that stay the same through most of them are a
    fixed caption sharing the band: they become overlays and leave the cue texts."""
    per_interval: list[list[Row] | None] = []
    images: dict[int, tuple[float, np.ndarray]] = {}
    last: list[Row] | None = None
    last_ref: int | None = None
    refs: list[int | None] = []
    for i, iv in enumerate(bt.intervals):
        if iv.rows is not None:
            rows = iv.rows.result() if isinstance(iv.rows, Future) else iv.rows
            last = [r for r in rows if _keep(r, (iv.start_t + iv.end_t) / 2, width, overlays)]
            last_ref = number * REF_STRIDE + i
            images[last_ref] = (iv.read_t, iv.copies[0][1])
        elif not (iv.same_as_previous and iv.pixels >= bt.min_pixels):
            last, last_ref = None, None  # empty or too short: a gap
        # else the same text as the interval before (a glitch split it): its reading stands
        per_interval.append(last)
        refs.append(last_ref)
    fixed = _fixed_rows(bt.intervals, per_interval, bt.band.line_height)
    overlays = []
    for row, (start, end) in fixed:
        overlays.append(OverlayDraft(start, end, row.text, row.score, row.box, True))
    readings = []
    for iv, rows, ref in zip(bt.intervals, per_interval, refs, strict=True):
        kept = [r for r in rows or [] if not any(_same_line(r, f, bt.band.line_height) for f, _ in fixed)]
        joined = join_rows(kept)
        if joined is None:
            readings.append(Reading(iv.start_t, iv.end_t, "", 0.0))
        else:
            readings.append(Reading(iv.start_t, iv.end_t, joined[0], joined[1], joined[2], ref))
    return readings, images, overlays


def _same_line(a: Row, b: Row, line_height: float) -> bool:
    return abs(a.cy - b.cy) <= 0.5 * line_height and similarity(a.text, b.text) >= 0.8


def _fixed_rows(intervals: list[_Interval], per_interval: list[list[Row] | None],
                line_height: float) -> list[tuple[Row, tuple[float, float]]]:
    read = [(iv, rows) for iv, rows in zip(intervals, per_interval, strict=True) if rows]
    texts = {" / ".join(r.text for r in rows) for _, rows in read}
    if len(read) < 3 or len(texts) < 2:
        return []  # too few readings to tell a fixed line from a long cue
    fixed = []
    seen: list[Row] = []
    for _, rows in read:
        for row in rows:
            if any(_same_line(row, s, line_height) for s in seen):
                continue
            seen.append(row)
            hits = [iv for iv, rr in read if any(_same_line(row, r, line_height) for r in rr)]
            if len(hits) >= 0.6 * len(read) and len(hits) >= 3:  # OCR misses it now and then
                fixed.append((row, (hits[0].start_t, hits[-1].end_t)))
    return fixed


def extract(path: str | Path, engine: OcrEngine, *, band_setting: str | None = None, threaded: bool = True,
            progress: Callable[[float], None] = lambda f: None) -> Extraction:
    started = time.perf_counter()
    path = Path(path)
    timings = Timings()
    # The track pass's decoding starts now, in a thread: it runs while the locate pass reads samples.
    # With 2 cores that thread, the OCR worker and this one fill them: no decoder threads on top
    # (they cost ~15% more CPU for frame threading's bookkeeping and gained nothing measurable).
    with FrameReader(path) as reader, Ahead(reader, threaded=(os.cpu_count() or 1) > 2) as pictures:
        return _extract(path, pictures, engine, band_setting, threaded, progress, started, timings)


def _extract(path: Path, pictures: Ahead, engine: OcrEngine, band_setting: str | None, threaded: bool,
             progress: Callable[[float], None], started: float, timings: Timings) -> Extraction:
    located = locate(path, engine, band_setting=band_setting, timings=timings)
    info, samples = located.info, located.samples
    progress(0.1)
    # Text outside the bands' lines is watched for how long it stays put: a watermark, a logo
    # and a fixed title do (overlays), a moving sign does not. Seen unchanged in two samples, or
    # off-centre and off the subtitle lines, it is also kept out of the band masks (not an
    # off-centre row on a subtitle line: that may be half a subtitle read).
    statics = static_texts(samples, info.width, min_samples=1)

    def on_line(st: StaticText) -> bool:
        return any(b.holds_line(st.box.cy) for b in located.bands)

    def band_line(st: StaticText) -> bool:
        return st.centred and on_line(st)

    watches = [make_watch(st, samples[st.samples[0]].t, info.width, info.height,
                          blank=len(st.samples) >= 2 or not (st.centred or on_line(st)))
               for st in statics if not band_line(st)][:MAX_WATCHES]
    duration = info.duration
    cues: list[CueDraft] = []
    overlays: list[OverlayDraft] = []
    images: dict[int, tuple[float, np.ndarray]] = {}
    primary: Band | None = None
    if located.bands:
        tracks, duration = track(pictures, engine, located, watches, timings, threaded=threaded,
                                 progress=lambda f: progress(0.1 + 0.85 * f))
        pictures.close()
        # Overlays first: their boxes and spans take their lines out of the cues.
        overlays = overlays_from(watches, samples, duration, engine, tracked=True)
        best = 0
        for number, bt in enumerate(tracks):
            readings, band_images, fixed = band_readings(bt, number, info.width, overlays)
            overlays += fixed
            band_cues = build_cues(readings)
            # One "cue" on screen for nearly the whole clip is a fixed caption or title: an overlay.
            if len(band_cues) == 1 and band_cues[0].end - band_cues[0].start >= 0.9 * duration:
                c = band_cues.pop()
                overlays.append(OverlayDraft(c.start, c.end, c.text, c.score, c.box or Box(0, 0, 0, 0), True))
            if len(band_cues) > best:
                best, primary = len(band_cues), bt.band
            cues += band_cues
            images.update(band_images)
    else:
        pictures.close()  # no band: the pictures decoded ahead are not needed
        overlays = overlays_from(watches, samples, duration, engine, tracked=False)
    used = {c.ref for c in cues}
    timings.total = time.perf_counter() - started
    return Extraction(info, primary, sorted(cues, key=lambda c: (c.start, c.box.y0 if c.box else 0)),
                      merge_overlays(overlays), {k: v[1] for k, v in images.items() if k in used}, timings,
                      image_times={k: v[0] for k, v in images.items() if k in used}, bands=located.bands,
                      models=tuple(engine.models))


