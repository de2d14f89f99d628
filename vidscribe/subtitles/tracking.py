"""Tracking the bands over every frame and scheduling OCR: each band's text mask goes through a
change tracker; each stable interval keeps a few band crops and is read once, when it ends, in an
OCR worker thread (`bandread.py`; OCR_WORKERS of them, an engine each); an interval whose text is
the one before's, moved (a sign passing through: a new interval every few frames), is not read
(`detect.displaced`). New bands and screen text are looked for twice a second (`finders.py`);
static-text candidates (watermarks) are checked five times a second and new ones looked for every
SCAN_SECONDS (`overlays.py`).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from vidscribe.media.frames import Picture
from vidscribe.subtitles.band import Band
from vidscribe.subtitles.bandread import BandReader, Read, ReadCounts, Submit
from vidscribe.subtitles.detect import (
    CLUTTER_LINES,
    LOOSE_BRIGHT,
    Change,
    ChangeTracker,
    centred_lines,
    displaced,
    luma_text_masks,
    same_lines,
    same_place,
    swallowed,
    text_bbox,
    text_masks,
)
from vidscribe.subtitles.engines import Box, OcrEngine
from vidscribe.subtitles.finders import CHECKS_PER_SECOND, BandFinder, ScreenFinder
from vidscribe.subtitles.locate import Located, polarity
from vidscribe.subtitles.overlays import MAX_WATCHES, SCAN_LAG, SCAN_SECONDS, ScanCost, Watch, scan
from vidscribe.subtitles.reading import TrackFrame
from vidscribe.subtitles.screen import ScreenDraft
from vidscribe.subtitles.scripts import load_cyrillic
from vidscribe.subtitles.text import CENTRE_TOLERANCE, SYMBOL_ALLOWANCE, Row
from vidscribe.subtitles.verify import LATEST_SECONDS, MAX_FRAMES, VERIFY_SECONDS, Verify, same_looks, unpacked

EMPTY_CHARS = 0.12  # mask pixels / line height^2 under which a band counts as empty (half a character)
EMPTY_FLOOR = 40  # ... and never fewer pixels than this
READ_CHARS = 0.25  # mask pixels / line height^2 an interval needs to be worth an OCR call (one character)
READ_FLOOR = 80
OCR_WORKERS = 2  # intervals read at once, each worker with an engine of its own: on long-mixed the one
# worker was busy for the whole pass (OCR 57-65 s of 59-67 s) with 1.6 of 2 cores in use
MIN_READ_FRAMES = 3  # intervals shorter than this are transition fragments: not read
TRACK_WINDOW = 12  # frames of masks the change tracker keeps to place a change on its frame
PROGRESS_EVERY = 25  # frames
MOVED_KEEP = 0.6  # share of a line's last-frame mask found at its first frame's place: a sign moving
# 120 px/s keeps under 0.1 after 3 frames; compression noise costs text at most 0.2
CENTRED_CACHE = 4  # reference masks whose centred lines are kept: the current interval's and the
# changes judged against it (a clutter-only change's reference becomes the interval's)
SAME_LINE_BOX = 0.8  # IoU of a centred line's boxes in two masks for it to be the same line
HALF_SIZE_LINE = 96  # px: a band with lines this tall is tracked and read at half size. Its lines are
# then still 48 px or more, the height the recogniser reads at (and the detector's crops were shrunk
# to above 72 px anyway); mask work falls 4-fold (4K at 111 px, long-mixed's caption band at 128 px).
# Measured alternative (2026-12-04): half-size masks but OCR of the frame's own crops read worse on
# the realistic bench (F1 0.977 against 0.986: the emoji after two big captions read as `0` and `；`);
# at half size one emoji is read as `！` (`俄军招募！`, within the bench's 10% CER)
MOVED_MAX_LINES = 2  # line heights a moving text may have gone between two intervals' references
# (a sign at 120 px/s goes 16-24 px in the 4-6 frames between them: half a line; a ticker at
# 400 px/s 80 px)


class _Timings(Protocol):
    decode: float
    detect: float
    ocr: float
    scan: float
    cpu_track: float
    cpu_ocr: float
    frames: int
    ocr_calls: int
    scans: int
    script_calls: int
    verify_calls: int


@dataclass
class Interval:
    start: int  # frame index
    pixels: int
    same_as_previous: bool
    copies: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (frame index, band crop), made on close
    text_box: Box | None = None  # where its text is in the band crop

    next_copy: int = 0
    end: int = -1
    rows: Future[Read] | Read | None = None
    start_t: float = 0.0  # seconds, filled when the pass ends
    end_t: float = 0.0
    read_t: float = 0.0  # time of the frame OCR read
    ref: np.ndarray | None = None  # the tracker's reference mask of its text (latest)
    off_centre: bool = False  # not read: its text held no centred line
    moved: bool = False  # not read: its text is the interval before's moved, or (a short interval)
    # moves on in the next one (a sign passing through)
    first: tuple[int, TrackFrame] | None = None  # the frame near its start
    latest: list[tuple[int, TrackFrame]] = field(default_factory=list)  # the last two frames near its end
    shots: list[tuple[int, TrackFrame]] = field(default_factory=list)  # frames to copy from (see `copies`)
    masks: list[np.ndarray] | None = field(default_factory=list)  # packed masks from `start` (None: too long)
    segments: list[tuple[float, float, list[Row]]] = field(default_factory=list)  # texts one character apart


def work_scale(line_height: float) -> int:
    """How many times smaller than the frame a band is tracked and read: 2 for lines of at least
    HALF_SIZE_LINE px, else 1."""
    return 2 if line_height >= HALF_SIZE_LINE else 1


def work_top(band: Band) -> int:
    """The band's top row in working pixels (its reads' band_y0): the frame's, rounded down."""
    return band.y0 // work_scale(band.line_height)


class BandTrack:
    """Change tracking and OCR scheduling for one band. A band of tall lines is tracked and read at
    half size (`work_scale`): its masks, boxes and crops are in half-size pixels (the frame's
    divided by `scale`, its top row rounded down to a multiple of it); the readings it sends on
    are scaled back to the frame's pixels (`bandread.scaled`), and the copies kept as evidence are
    the frame's own."""

    def __init__(self, band: Band, width: int, polarity: str, blank: list[Box], ocr: Submit, fps: float = 25):
        self.band, self.width = band, width
        self.polarity = polarity
        s = self.scale = work_scale(band.line_height)
        self.line_height = band.line_height / s  # in working pixels, as every size below
        self.work_width = width // s
        self.work_y0 = work_top(band)
        self.work_rows = (band.y1 - self.work_y0 * s) // s
        # The frame's rows the masks and the copies read are made from: work_rows * s of them.
        self.rows = (self.work_y0 * s, (self.work_y0 + self.work_rows) * s)
        self.min_pixels = max(EMPTY_FLOOR, int(EMPTY_CHARS * self.line_height ** 2))
        self.read_pixels = max(READ_FLOOR, int(READ_CHARS * self.line_height ** 2))
        self.tracker = ChangeTracker(self.min_pixels, window=TRACK_WINDOW)
        top = self.rows[0]
        self.blank = [Box(x0 // s, max(0, y0 - top) // s, -(-x1 // s), -(-(min(band.y1, y1) - top) // s))
                      for x0, y0, x1, y1 in blank if y0 < band.y1 and y1 > band.y0]
        self.intervals: list[Interval] = []
        self._ocr = ocr
        self._centred_cache: list[tuple[np.ndarray, list[Box]]] = []
        self.verify_frames = max(2 * MIN_READ_FRAMES, round(fps * VERIFY_SECONDS))
        self.latest_every = max(2, round(fps * LATEST_SECONDS))

    def _work(self, rows: np.ndarray) -> np.ndarray:
        """The band's rows of a frame (`rows`) at working size."""
        s = self.scale
        if s == 1:
            return rows
        return cv2.resize(rows[:self.work_rows * s, :self.work_width * s], (self.work_width, self.work_rows),
                          interpolation=cv2.INTER_AREA)

    def masks(self, frame: TrackFrame) -> tuple[np.ndarray, np.ndarray]:
        """The band's text mask and its colour-tolerant variant (TRACK_BRIGHT)."""
        y0, y1 = self.rows
        luma = frame.luma(0, y0, self.width, y1) if self.polarity == "light" else None
        if luma is not None:
            strict, loose = luma_text_masks(self._work(luma), frame.grey_lut, LOOSE_BRIGHT)
        else:
            gray = self._work(frame.gray(0, y0, self.width, y1))
            strict, loose = text_masks(gray if self.polarity == "light" else 255 - gray, LOOSE_BRIGHT)
        for bx0, by0, bx1, by1 in self.blank:
            strict[by0:by1, bx0:bx1] = 0
            loose[by0:by1, bx0:bx1] = 0
        return strict, loose

    def push(self, index: int, frame: TrackFrame) -> None:
        strict, loose = self.masks(frame)
        for change in self.tracker.push(index, strict, loose, owned=True):
            if self._clutter_only(change):
                continue  # something passed behind the same text: the interval goes on, unread again
            # Text that moved since the interval before (a sign, a ticker): a new interval every
            # few frames, none of them a subtitle; reading each cost most of the OCR time.
            before = self.intervals[-1].ref if self.intervals else None
            moved = before is not None and displaced(before, change.ref,
                                                     max_shift=int(MOVED_MAX_LINES * self.line_height),
                                                     scale=self.scale)
            if self.intervals:
                self.close(change.index, moves_on=moved)
            iv = Interval(change.index, change.pixels, change.same_as_previous, ref=change.ref, moved=moved)
            self.intervals.append(iv)
            iv.shots.append((index, frame))
            iv.first = iv.shots[0]
            iv.next_copy = change.index + 2 * max(2, index - change.index)
            iv.text_box = text_bbox(change.ref, self.line_height)
            # The masks of its frames so far (the tracker keeps the recent ones), for verify.py.
            iv.masks = [np.packbits(self.tracker.mask(i)) for i in range(change.index, index)]
        if not self.intervals:
            return
        iv = self.intervals[-1]
        if iv.masks is not None:
            iv.masks.append(np.packbits(strict))
            if len(iv.masks) > MAX_FRAMES:
                iv.masks = None  # too long to verify: not kept
        if (index - iv.start) % self.latest_every == 0 and index > iv.start + 1:
            iv.latest = iv.latest[-1:] + [(index, frame)]
        if index == iv.next_copy:
            # Copies at doubling offsets: when the interval ends one of the last two lies near its middle.
            iv.shots = iv.shots[-1:] + [(index, frame)]
            iv.next_copy = iv.start + 2 * (index - iv.start)
            ref = self.tracker.reference
            if ref is not None and self.tracker.current_start == iv.start:
                iv.text_box = text_bbox(ref, self.line_height)
                iv.ref = ref

    def _still_centred_line(self, ref: np.ndarray, masks: list[np.ndarray] | None) -> bool:
        """Whether the interval's text mask holds a centred line that stayed put from its first
        frame to its last (a sign crossing the middle is centred for a moment, never still)."""
        lines = self._centred(ref)
        if not lines:
            return swallowed(ref, self.line_height)  # a busy background hides the lines: read
        if any(b.height >= CLUTTER_LINES * self.line_height for b in lines):
            # A centred cluster too tall for a line: the busy picture joined the line (long-mixed's
            # test pattern around a karaoke line, whose strokes turn colour: its first and last
            # masks differ inside the cluster), or a three-line caption. Read, stillness not judged.
            return True
        if not masks or len(masks) < 2:
            return True
        first, last = unpacked(masks, ref.shape, 0, 0), unpacked(masks, ref.shape, 0, len(masks) - 1)
        # What is there at the end was there at the start, at the same place (a karaoke line that
        # turned red, a fade, lose pixels; a moving sign's are elsewhere).
        return any(same_place(last[b.y0:b.y1, b.x0:b.x1], first[b.y0:b.y1, b.x0:b.x1], keep=MOVED_KEEP)
                   for b in lines)

    def _centred(self, ref: np.ndarray) -> list[Box]:
        """`centred_lines` of a reference mask, kept for the last few masks asked about: an
        interval's reference is judged again at each change and at its close (the references are
        never changed in place; the cache holds them, so their ids stay theirs)."""
        for mask, lines in self._centred_cache:
            if mask is ref:
                return lines
        lines = centred_lines(ref, self.work_width, self.line_height, tolerance=CENTRE_TOLERANCE,
                              allowance=SYMBOL_ALLOWANCE)
        self._centred_cache = [*self._centred_cache[-(CENTRED_CACHE - 1):], (ref, lines)]
        return lines

    def _clutter_only(self, change: Change) -> bool:
        """Whether a change left the current interval's centred lines as they were (what changed
        is clutter around them): then it is no new interval, and costs no OCR call."""
        if not self.intervals or change.same_as_previous:
            return False
        iv = self.intervals[-1]
        if iv.ref is None or iv.ref.shape != change.ref.shape or change.pixels < self.read_pixels:
            return False
        lines, new = self._centred(iv.ref), self._centred(change.ref)
        if len(new) != len(lines) or not all(any(a.iou(b) >= SAME_LINE_BOX for b in new) for a in lines):
            return False
        if not same_lines(iv.ref, change.ref, lines):
            return False
        iv.ref = change.ref
        return True

    def _copy(self, shot: tuple[int, TrackFrame]) -> tuple[int, np.ndarray]:
        """A frame's band crop (BGR, the frame's pixels): converted only for the frames an interval
        is read from."""
        index, frame = shot
        return index, frame.color()[self.rows[0]:self.rows[1]].copy()

    def _crop(self, shot: tuple[int, TrackFrame]) -> tuple[int, np.ndarray]:
        """A frame's band crop (BGR) at working size, for OCR."""
        index, copy = self._copy(shot)
        return index, self._work(copy)

    def close(self, end: int, *, moves_on: bool = False) -> None:
        """End the current interval at frame `end` and send it to be read, unless it is empty, the
        same text as before, too short, moving (`moves_on`: its text moved on in the interval that
        begins at `end`; only a short interval is judged by that), or holds no centred line."""
        iv = self.intervals[-1]
        iv.end = end
        iv.moved = iv.moved or (moves_on and end - iv.start < self.verify_frames)
        ref, iv.ref = iv.ref, None  # not kept: a long clip has thousands of intervals
        masks, iv.masks = iv.masks, None
        first, iv.first = iv.first, None
        latest = [c for c in iv.latest if c[0] < end]
        iv.latest = []
        shots, iv.shots = iv.shots, []  # the frames are let go: only the crops read are kept
        iv.copies = [(i, _NO_CROP) for i, _ in shots]
        if iv.pixels < self.read_pixels or iv.same_as_previous or end - iv.start < MIN_READ_FRAMES \
                or not shots or iv.moved:
            return  # empty, the same text as before, too short to be read, or moving
        if ref is not None and not self._still_centred_line(ref, masks[:end - iv.start] if masks else None):
            iv.off_centre = True
            return  # only off-centre or moving text (a sign passing through): no subtitle to read
        # A copy taken while the change was being confirmed shows the next interval: not this one.
        shots = [c for c in shots if c[0] < end]
        if not shots:
            iv.copies = []
            return
        middle = (iv.start + end) / 2
        shots = sorted(shots, key=lambda c: abs(c[0] - middle))
        iv.copies = [self._copy(shots[0])]  # the frame's pixels: the cue's evidence
        crop = self._work(iv.copies[0][1])
        # The other copy, some frames away, tells text that stays put from text moving through.
        other = self._crop(shots[1])[1] if len(shots) > 1 else None
        # OCR only where the mask says the text is: the detector's cost grows with the area.
        box = iv.text_box or Box(0, 0, crop.shape[1], crop.shape[0])
        verify = None
        if masks is not None and first is not None and latest and end - iv.start >= self.verify_frames \
                and len(masks) >= end - iv.start:
            shape = ref.shape if ref is not None else crop.shape[:2]
            # The copies near the start and end are read only where their text masks differ from
            # the middle copy's: the same characters read again cost a recogniser batch for nothing.
            # A line height beyond the text box: a later text may be a character longer.
            lh = round(self.line_height)
            looks = not same_looks(masks, shape, iv.start, [first[0], shots[0][0], latest[-1][0]],
                                   box.grown(lh, lh // 2, shape[1], shape[0]), lh)
            verify = Verify(self._crop(first), self._crop(latest[-1]), masks, iv.start, shape, looks=looks)
        iv.rows = self._ocr(crop, box, other, self.polarity, middle_at=shots[0][0], start=iv.start, end=end,
                            verify=verify, line_height=self.line_height, scale=self.scale)


_NO_CROP = np.empty((0, 0, 3), np.uint8)  # an unread interval's copies: only their frame indices count


@dataclass
class Tracked:
    tracks: list[BandTrack]
    end: float  # seconds: the end of the last frame
    screen: list[ScreenDraft]


def track(pictures: Iterable[Picture], engine: OcrEngine, located: Located, watches: list[Watch],
          timings: _Timings, *, threaded: bool = True,
          progress: Callable[[float], None] = lambda f: None) -> Tracked:
    """Every frame: each band's text mask -> change tracker -> OCR once per stable interval;
    static-text checks five times a second; new bands and screen text blocks looked for twice a
    second. Returns the band tracks, the end time and the screen text."""
    run = _TrackPass(engine, located, watches, timings, threaded)
    duration = located.info.duration or 1.0
    cpu, ocr_before = time.thread_time(), timings.cpu_ocr
    t_decode = time.perf_counter()
    for index, picture in enumerate(pictures):
        t_detect = time.perf_counter()
        timings.decode += t_detect - t_decode
        run.frame(TrackFrame(index, picture))
        if index % PROGRESS_EVERY == 0:
            progress(min(1.0, picture.t / duration))
        t_decode = time.perf_counter()
        timings.detect += t_decode - t_detect
    # OCR read here, not in a worker (threaded=False), is counted as OCR, not tracking.
    inline_ocr = timings.cpu_ocr - ocr_before if run.executor is None else 0.0
    timings.cpu_track += time.thread_time() - cpu - inline_ocr
    return run.finish()


class _TrackPass:
    """The state of one track pass: the band tracks, the finders, the watches and the OCR workers."""

    def __init__(self, engine: OcrEngine, located: Located, watches: list[Watch], timings: _Timings,
                 threaded: bool):
        info = located.info
        self.engine, self.info, self.watches, self.timings = engine, info, watches, timings
        self.fps = info.fps or 25
        # OCR workers, each with an engine of its own: one when the engine cannot make a twin.
        cyrillic = load_cyrillic()
        engines = [engine] + ([engine.twin()] if threaded and hasattr(engine, "twin")
                              and (os.cpu_count() or 1) >= OCR_WORKERS else [])
        self.readers: queue.SimpleQueue[BandReader] = queue.SimpleQueue()
        self.counts = [ReadCounts() for _ in engines]  # each reader's, added to timings at the end
        for e, counts in zip(engines, self.counts, strict=True):
            self.readers.put(BandReader(e, counts, cyrillic, info.height))
        self.executor = ThreadPoolExecutor(max_workers=len(engines), thread_name_prefix="ocr") if threaded else None
        self.cpu_lock = threading.Lock()
        self.blank = [w.box for w in watches if w.blank]
        self.tracks = [self._band_track(b, polarity(b, located)) for b in located.bands]
        self.finder = BandFinder(info.width, info.height, self.fps)
        self.check_every = max(1, round(self.fps / CHECKS_PER_SECOND))
        self.screens = ScreenFinder(info.width, info.height, check_every=self.check_every)
        self.scan_every = max(1, round(self.fps * SCAN_SECONDS))
        self.times: list[float] = []
        self.empty: list[tuple[int, Box]] = []  # (scan number, box): read, nothing there
        self.before: np.ndarray | None = None
        self.cost = ScanCost()

    def _band_track(self, band: Band, pol: str) -> BandTrack:
        # Its reads are in working pixels: the band's top row in them is its reader's band_y0.
        return BandTrack(band, self.info.width, pol, self.blank, self.submit_for(work_top(band)), self.fps)

    def submit_for(self, band_y0: int) -> Submit:
        def submit(crop: np.ndarray, box: Box, other: np.ndarray | None, pol: str,
                   **more: object) -> Future[Read] | Read:
            self.timings.ocr_calls += 1
            if self.executor:
                return self.executor.submit(self._read, crop, box, other, pol, band_y0, **more)
            return self._read(crop, box, other, pol, band_y0, **more)
        return submit

    def _read(self, *args: object, **more: object) -> Read:
        """One interval read by whichever worker's reader is free."""
        reader = self.readers.get()
        cpu = time.thread_time()
        try:
            return reader(*args, **more)  # type: ignore[arg-type]
        finally:
            with self.cpu_lock:  # two workers add to it
                self.timings.cpu_ocr += time.thread_time() - cpu
            self.readers.put(reader)

    def frame(self, frame: TrackFrame) -> None:
        self.times.append(frame.picture.t)
        for bt in self.tracks:
            bt.push(frame.index, frame)
        self._find(frame)
        self._scan(frame)
        if frame.index % self.check_every == 0:
            for w in self.watches:
                if frame.picture.t + 1e-6 >= w.since:
                    w.check(frame.picture.t, frame)

    def _find(self, frame: TrackFrame) -> None:
        active = [sw.box for sw in self.screens.watches if not sw.gone]
        for band, pol in self.finder.push(frame, [bt.band for bt in self.tracks],
                                          [w.box for w in self.watches] + active):
            # Centred text where no band is (a caption at the top, in the middle): a band of its
            # own, tracked from the frames kept back, so its first cue starts on its frame.
            bt = self._band_track(band, pol)
            for old in self.finder.history:
                bt.push(old.index, old)
            self.tracks.append(bt)
        self.screens.avoid = [w.box for w in self.watches]
        self.screens.push(frame, self.finder, self.submit_for)

    def _scan(self, frame: TrackFrame) -> None:
        index, every = frame.index, self.scan_every
        if index % every == every // 2 - SCAN_LAG:
            self.before = frame.gray(0, 0, self.info.width, self.info.height)
        if index % every == every // 2 and len(self.watches) < MAX_WATCHES and self.before is not None:
            # Static text that appears after the locate pass (an end-card watermark, the
            # Douyin watermark moving to another corner): look for new text outside the bands.
            number = index // every
            self.empty = [(n, b) for n, b in self.empty if number - n < 3]
            self.watches += scan(self.engine, frame, self.before, frame.picture.t, [bt.band for bt in self.tracks],
                                 self.watches, self.empty, number, self.cost,
                                 inside=[sw.box for sw in self.screens.watches if not sw.gone])

    def finish(self) -> Tracked:
        times, timings = self.times, self.timings
        timings.frames = len(times)
        timings.scan, timings.scans = self.cost.seconds, self.cost.calls
        for bt in self.tracks:
            if bt.intervals:
                bt.close(len(times))
        if self.executor:
            self.executor.shutdown(wait=True)
        for counts in self.counts:
            counts.add_to(timings)
        _interval_times(self.tracks, times, self.fps)
        step = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 1 / self.fps
        self.screens.finish(step)
        return Tracked(self.tracks, times[-1] + step if times else 0.0, self.screens.drafts(step))


def _interval_times(tracks: list[BandTrack], times: list[float], fps: float) -> None:
    """Interval frame indices -> seconds (an end past the last frame is the clip's end)."""
    step = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 1 / (fps or 25)
    end_time = times[-1] + step if times else 0.0
    for bt in tracks:
        for iv in bt.intervals:
            iv.read_t = times[min(iv.copies[0][0], len(times) - 1)] if iv.copies and times else 0.0
            iv.start_t = times[iv.start] if iv.start < len(times) else end_time
            iv.end_t = times[iv.end] if iv.end < len(times) else end_time
            if iv.rows is not None:  # the reads are done (the worker has been shut down)
                read = iv.rows.result() if isinstance(iv.rows, Future) else iv.rows
                iv.rows = read
                iv.segments = [(times[g.start] if g.start < len(times) else end_time,
                                times[g.end] if g.end < len(times) else end_time, g.rows) for g in read.segments]
