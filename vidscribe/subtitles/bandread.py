"""Reading one stable interval of a band (in an OCR worker thread): the detector runs where the
mask says the text is, boxes without text-mask pixels are not recognised, moving boxes are dropped,
an unsure reading is checked on a second copy, a line touching its crop's side is read again on the
band's whole width, lines a band's inner edge cuts are left to the band beyond it, a line read as
Latin letters is read again by the Cyrillic reader (`scripts.py`), and a long interval is checked
for texts one character apart (`verify.py`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Protocol

import cv2
import numpy as np

from vidscribe.chinese import HAN
from vidscribe.subtitles.detect import LOOSE_BRIGHT, stays_put_in, text_mask
from vidscribe.subtitles.engines import Box, Keep, OcrEngine, TextLine
from vidscribe.subtitles.reading import read_lines, to_frame
from vidscribe.subtitles.scripts import (
    CyrillicReader,
    choose,
    needs_second_reading,
    script_of,
)
from vidscribe.subtitles.text import Row, bare, group_rows, squash
from vidscribe.subtitles.verify import Segment, Verify, line_looks_alike, segments

OCR_LINE_PX = 48  # line height OCR crops are shrunk to when their text is much larger
OCR_SHRINK_OVER = 1.5  # ... larger than this many times OCR_LINE_PX (captions at 6-9% of the height, 4K)
SIDE_TOUCH = 2  # px: a read line this near the side of its OCR crop may go on past it
LINE_VPAD = 0.3  # line heights above and below a line's box in its Cyrillic reader crop
CUT_EDGE = 1  # px: a read line this near a band's inner edge is cut by it
SECOND_LOOK = 0.95  # a band reading with a line scored below this is checked on a second frame
MIN_BOX_PIXELS = 20  # text-mask pixels a detected box needs to be worth recognising
TRACK_BRIGHT = LOOSE_BRIGHT  # the checks on read boxes (still, worth reading) tolerate karaoke colours


class _Timings(Protocol):
    ocr: float
    ocr_calls: int
    script_calls: int
    verify_calls: int


@dataclass
class ReadCounts:
    """One reader's share of the pass's OCR figures (`Timings`' fields of the same names), kept
    apart: each OCR worker counts in its own, and the pass adds them up when the workers are done
    (two threads adding to one attribute may lose a count)."""

    ocr: float = 0.0
    ocr_calls: int = 0
    script_calls: int = 0
    verify_calls: int = 0

    def add_to(self, timings: _Timings) -> None:
        timings.ocr += self.ocr
        timings.ocr_calls += self.ocr_calls
        timings.script_calls += self.script_calls
        timings.verify_calls += self.verify_calls


@dataclass
class Read:
    """An interval's reading: its rows, and when it held texts one character apart, the segments."""

    rows: list[Row]
    segments: list[Segment] = field(default_factory=list)


Submit = Callable[..., "Future[Read] | Read"]



def text_pixels(image: np.ndarray, polarity: str) -> Keep:
    """Whether a detected box holds text-mask pixels: a subtitle is light text with a dark edge
    (or the reverse), background clutter the detector boxes (specks, shapes) mostly is not, and
    each box costs the recogniser as much as a line of text."""
    def keep(box: Box) -> bool:
        x0, y0, x1, y1 = box
        gray = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        return gray.size > 0 and cv2.countNonZero(text_mask(gray if polarity == "light" else 255 - gray,
                                                            bright=TRACK_BRIGHT)) >= MIN_BOX_PIXELS
    return keep


def surety(lines: list[TextLine]) -> float:
    """Confidence of a reading: its least sure line, then how many characters it read."""
    return min(ln.score for ln in lines) + 1e-3 * sum(len(ln.text) for ln in lines)


def line_box(box: Box, crop: np.ndarray, band_y0: int, polarity: str) -> Box:
    """A row's box widened to the ink of its line (the text mask along its rows): PP-OCR's box
    often leaves out a Cyrillic line's first letter, read as no Latin look-alike."""
    y0, y1 = max(0, box.y0 - band_y0), min(crop.shape[0], box.y1 - band_y0)
    gray = cv2.cvtColor(crop[y0:y1], cv2.COLOR_BGR2GRAY)
    cols = np.count_nonzero(text_mask(gray if polarity == "light" else 255 - gray), axis=0)
    x0, x1 = ink_span(cols, box.x0, box.x1, max_gap=max(4, box.height))
    pad = max(2, box.height // 8)
    vpad = int(LINE_VPAD * box.height)  # room for the Cyrillic reader to tell the line from what touches the crop
    return Box(max(0, x0 - pad), max(band_y0, box.y0 - vpad), min(crop.shape[1], x1 + pad),
               min(band_y0 + crop.shape[0], box.y1 + vpad))


def ink_span(cols: np.ndarray, x0: int, x1: int, *, max_gap: int) -> tuple[int, int]:
    """[x0, x1) grown over columns holding ink (`cols` > 0) as long as no gap wider than
    `max_gap` columns interrupts it."""
    ink = np.flatnonzero(cols > 0)
    lo, hi = x0, x1
    for x in ink[::-1]:
        if x < lo and lo - x <= max_gap:
            lo = int(x)
    for x in ink:
        if x >= hi and x - hi < max_gap:
            hi = int(x) + 1
    return lo, hi


def still_in_band(box: Box, crop: np.ndarray, other: np.ndarray, band_y0: int, polarity: str) -> bool:
    """Whether a box read in a band crop holds text that stays put: its text mask is the same in
    another copy of the band from the same interval. A sign moving through the band is not."""
    x0, y0, x1, y1 = max(0, box.x0), max(0, box.y0 - band_y0), max(0, box.x1), max(0, box.y1 - band_y0)
    now, later = (cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY) for image in (crop, other))
    return stays_put_in(now, later, (0, 0, now.shape[1], now.shape[0]), polarity=polarity, bright=TRACK_BRIGHT)


class BandReader:
    """OCR of one stable interval's band crop (in a worker thread): the detector runs where the
    mask says the text is, boxes without text-mask pixels are not recognised, moving boxes are
    dropped, an unsure reading is checked on a second copy, and a line read as Latin letters is
    read again by the Cyrillic reader (`scripts.py`), which decides its script."""

    def __init__(self, engine: OcrEngine, timings: _Timings, cyrillic: CyrillicReader | None = None,
                 frame_height: int = 0):
        self.engine, self.timings, self.cyrillic = engine, timings, cyrillic
        self.frame_height = frame_height

    def _lines(self, image: np.ndarray, box: Box, band_y0: int, polarity: str,
               line_height: float = 0.0, other: np.ndarray | None = None) -> list[TextLine]:
        """The lines read in `box` of `image` (a band crop); with `other` (another copy of the band
        from the interval), only those that stay put there: a moving piece must not join a
        subtitle's row, and is not even recognised (on long-mixed a sign passing through the
        band made a fifth of the recogniser's work)."""
        x0, y0, x1, y1 = box
        part = image[y0:y1, x0:x1]
        scale = 1.0
        if line_height > OCR_LINE_PX * OCR_SHRINK_OVER:
            # Large text (captions, 4K) shrunk for the detector, whose cost grows with the area;
            # the recogniser scales every line to 48 px anyway.
            scale = OCR_LINE_PX / line_height
            part = cv2.resize(part, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        worth = text_pixels(part, polarity)
        if other is None:
            return read_lines(self.engine, part, scale=scale, dx=x0, dy=band_y0 + y0, keep=worth)

        def keep(b: Box) -> bool:
            return worth(b) and still_in_band(to_frame(b, scale, x0, band_y0 + y0), image, other, band_y0, polarity)
        return read_lines(self.engine, part, scale=scale, dx=x0, dy=band_y0 + y0, keep=keep)

    def __call__(self, crop: np.ndarray, box: Box, other: np.ndarray | None, polarity: str, band_y0: int, *,
                 middle_at: int = 0, start: int = 0, end: int = 0, verify: Verify | None = None,
                 line_height: float = 0.0, scale: int = 1) -> Read:
        """Read an interval from `crop` (its band, BGR) where `box` says its text is. Every size
        is in working pixels, the frame's divided by `scale` (a band of tall lines is read at
        half size): the rows returned are in the frame's."""
        t0 = time.perf_counter()
        lines = self._lines(crop, box, band_y0, polarity, line_height, other)  # moving pieces left out
        left, right = box.x0 > 0, box.x1 < crop.shape[1]  # sides of the text box inside the band
        if any((left and ln.box.x0 - box.x0 <= SIDE_TOUCH) or (right and box.x1 - ln.box.x1 <= SIDE_TOUCH)
               for ln in lines):
            # A line touching the text box's side may go on past it (characters the mask missed: a
            # colour it does not see): never read less than the whole band would give. Not for a
            # line that moves (left out): a sign entering the band touches its text box's side;
            # nor at a side that is the band's own edge, past which there is nothing to read (on
            # the realistic bench 38 of 42 such reads, a sign at the frame's edge, gave nothing new).
            self.timings.ocr_calls += 1
            box = Box(0, box.y0, crop.shape[1], box.y1)
            lines = self._lines(crop, box, band_y0, polarity, line_height, other)
        if other is not None and any(ln.score < SECOND_LOOK for ln in lines if not self._read_again(ln.text)):
            # Unsure (something crossing the text, a flash): read the other copy too and
            # keep whichever reading is surer. A Russian line PP-OCR read as Latin look-alikes
            # (scored 0.7-0.9) is no reason: the Cyrillic reader reads it again from several
            # copies. On long-mixed 48 of 57 second looks were for such lines (8.7 s).
            self.timings.ocr_calls += 1
            again = self._lines(other, box, band_y0, polarity, line_height, crop)
            if again and surety(again) > surety(lines):
                lines = again
        # Other frames of the interval, for the Cyrillic reader to pick its surest reading from.
        copies = [crop] + ([verify.first[1], verify.latest[1]] if verify is not None else
                           [other] if other is not None else [])
        rows = [self._script(row, copies, band_y0, polarity) for row in group_rows(lines)
                if not self._cut(row.box, band_y0, crop.shape[0], scale)]
        rows, parts = self._whole_lines(rows, crop, band_y0, polarity, middle_at, start, end, verify, line_height,
                                        lines)
        self.timings.ocr += time.perf_counter() - t0
        return scaled(Read(rows, parts if len(parts) > 1 else []), scale)

    def _whole_lines(self, rows: list[Row], crop: np.ndarray, band_y0: int, polarity: str, middle_at: int,
                     start: int, end: int, verify: Verify | None, line_height: float,
                     boxes: list[TextLine] = ()) -> tuple[list[Row], list[Segment]]:
        """The Chinese lines read again whole by the recogniser alone (a crop per line, half a line
        of room at each side), in one batch: a mark the detector boxed apart or left out (the `，`
        of `名额有限，先到先得`, a caption's trailing `，`) is back in the line when that is all the
        whole reading adds (with_marks). A long interval's copies near its start and end are read
        in the same batch (the lines whose masks differ there), to split texts one character apart
        (verify.py)."""
        chinese = [r for r in rows if HAN.search(r.text)]
        # A long interval's lines whose masks on the copy near its start (and near its end) differ
        # from the middle's: only these are read on that copy; the others show the middle's
        # characters there. Of the realistic bench's 135 lines that differ on either, 51 differ on
        # one copy only (a fade at one end, say): the other copy's reading of them is not needed.
        copies = (verify.first, verify.latest) if verify is not None and verify.looks else ()
        sides = [[r for r in chinese if not line_looks_alike(verify, r, band_y0, middle_at, frame)]
                 for frame, _ in copies]
        if verify is not None and not any(sides):
            # The masks near its start and end show the middle's characters on its Chinese lines
            # (or on the whole text box, tested at the interval's close): one text.
            verify = None
        if verify is None:  # read whole only where the detector may have left a mark out
            chinese = [r for r in chinese if may_lack_marks(r, boxes, crop, band_y0, polarity)]
            if not chinese:
                return rows, []
        recognise = getattr(self.engine, "recognise", None)
        if not chinese or recognise is None:  # an engine without a recogniser of its own
            parts = self._verify(rows, polarity, band_y0, middle_at, start, end, verify, line_height) \
                if verify is not None and rows else []
            return rows, parts
        crops = [_whole_line(crop, r, band_y0) for r in chinese]
        if verify is not None:
            crops += [_whole_line(image, r, band_y0) for (_, image), side in zip(copies, sides, strict=True)
                      for r in side]
            self.timings.verify_calls += 1
        read = recognise(crops)
        n = len(chinese)
        middle = [Row(within(text), score, r.box, r.script) for r, (text, score) in zip(chinese, read[:n], strict=True)]
        whole = with_marks(rows, middle)
        if verify is None:
            return whole, []
        looks = []
        for (frame, _), side in zip(copies, sides, strict=True):
            own = {id(r): Row(within(text), score, r.box, r.script)
                   for r, (text, score) in zip(side, read[n:n + len(side)], strict=True)}
            n += len(side)
            looks.append((frame, [own.get(id(r), same) for r, same in zip(chinese, middle, strict=True)]))
        return whole, segments(start, end, middle_at, whole, looks, verify, band_y0, middle_look=middle)

    def _verify(self, rows: list[Row], polarity: str, band_y0: int, middle_at: int, start: int, end: int,
                verify: Verify, line_height: float) -> list[Segment]:
        """With the detector as well (an engine without a recogniser of its own): read the copies
        near the interval's start and end where the middle reading's lines are; split the interval
        where they differ (verify.py)."""
        if not any(HAN.search(r.text) for r in rows):
            return []
        h = int(np.median([r.height for r in rows]))
        region = Box.union(r.box for r in rows).grown(h // 2, h // 3, verify.shape[1], band_y0 + verify.shape[0])
        local = Box(region.x0, max(0, region.y0 - band_y0), region.x1, region.y1 - band_y0)
        looks = []
        for frame, image in (verify.first, verify.latest):
            self.timings.verify_calls += 1
            looks.append((frame, group_rows(self._lines(image, local, band_y0, polarity, line_height))))
        return segments(start, end, middle_at, rows, looks, verify, band_y0)

    def _cut(self, box: Box, band_y0: int, band_height: int, scale: int = 1) -> bool:
        """A line the band's edge cuts (not the frame's): half read, it is garbage; the band on the
        other side of that edge reads it whole."""
        top = box.y0 - band_y0 <= CUT_EDGE and band_y0 > 0
        bottom = box.y1 - band_y0 >= band_height - CUT_EDGE and band_y0 + band_height < self.frame_height // scale
        return top or bottom

    def _read_again(self, text: str) -> bool:
        """Whether the Cyrillic reader reads this line again (decide_script)."""
        return self.cyrillic is not None and needs_second_reading(text)

    def _script(self, row: Row, copies: list[np.ndarray], band_y0: int, polarity: str) -> Row:
        if self._read_again(row.text):
            self.timings.script_calls += len(copies)
        return decide_script(row, copies, band_y0, polarity, self.cyrillic)


MARK_ROOM = 0.15  # line heights of ink past a line's box that may be a mark the detector left out (a
# full-width `，` sits in the left half of its cell, 0.1-0.5 heights past the last character; the
# box may hold part of it: `不看学历，` in blocky ink went on 0.24 heights past its box, `欢迎咨询，` 0.16)


def _whole_line(image: np.ndarray, row: Row, band_y0: int) -> np.ndarray:
    """A line's crop for the recogniser: half a line of room at each side, an eighth above and below."""
    return image[max(0, row.box.y0 - band_y0 - row.height // 8):row.box.y1 - band_y0 + row.height // 8,
                 max(0, row.box.x0 - row.height // 2):row.box.x1 + row.height // 2]


def scaled(read: Read, scale: int) -> Read:
    """A reading in working pixels (the frame's divided by `scale`) in the frame's pixels."""
    if scale == 1:
        return read

    def up(rows: list[Row]) -> list[Row]:
        return [replace(r, box=Box(*(v * scale for v in r.box))) for r in rows]
    return Read(up(read.rows), [replace(g, rows=up(g.rows)) for g in read.segments])


def may_lack_marks(row: Row, boxes: list[TextLine], crop: np.ndarray, band_y0: int, polarity: str) -> bool:
    """Whether reading `row` whole may add a mark (with_marks): the detector read it in several
    boxes (split at a mark whose box the keep filter dropped), or text-mask ink goes on past its
    end (a trailing mark left out). Otherwise the whole reading, a recogniser call a line, can add
    nothing with_marks would take. Measured before this check (realistic bench, 2026-12-03): of
    299 lines read in short intervals (no verify batch), the whole reading changed none; this
    check would have kept 19 of them. Of the 359 Chinese lines of long intervals (2026-12-04), it
    keeps 95 (MARK_ROOM 0.15) and every line whose whole reading added a true mark; the one
    change it drops was a misreading (an emoji read as `！`). A long interval whose copies differ
    reads its lines whole all the same: its verify batch needs them."""
    if sum(1 for b in boxes if row.box.x0 <= b.box.cx < row.box.x1 and row.box.y0 <= b.box.cy < row.box.y1) > 1:
        return True
    y0, y1 = max(0, row.box.y0 - band_y0), min(crop.shape[0], row.box.y1 - band_y0)
    if y1 <= y0:
        return True  # not in the crop: read it whole rather than guess
    gray = cv2.cvtColor(crop[y0:y1], cv2.COLOR_BGR2GRAY)
    cols = np.count_nonzero(text_mask(gray if polarity == "light" else 255 - gray, bright=TRACK_BRIGHT), axis=0)
    _, x1 = ink_span(cols, row.box.x0, row.box.x1, max_gap=max(4, row.height // 2))
    return x1 - row.box.x1 > MARK_ROOM * row.height


def with_marks(rows: list[Row], whole: list[Row]) -> list[Row]:
    """`rows` with each line whose whole reading (`whole`, same boxes) differs from it only by
    marks inside the line it has more of taking that reading's text: the detector split the line
    at a mark (`名额有限，先到先得` read `名额有限 先到先得`) and the keep filter (MIN_BOX_PIXELS)
    dropped the mark's box; and a trailing sentence mark (TRAILING_MARKS) the detector left out.
    Any other difference keeps the detector's reading."""
    by_box = {w.box: w for w in whole}
    out = []
    for row in rows:
        w = by_box.get(row.box)
        if w is not None:
            lead, core, trail = _marks_around(row.text)
            _, whole_core, whole_trail = _marks_around(w.text)
            if bare(whole_core) == bare(core):
                if len(squash(whole_core)) > len(squash(core)):
                    core = whole_core
                if not trail and whole_trail and all(ch in TRAILING_MARKS for ch in whole_trail):
                    trail = whole_trail
                row = Row(lead + core + trail, row.score, row.box, row.script)
        out.append(row)
    return out


TRAILING_MARKS = "，！？、；"  # marks a whole-line reading may add at a line's end: a caption's
# trailing `，` the detector leaves out (six captions of the realistic bench, each read by the
# whole-line crop); not `：` nor `。`, which a subtitle box's edge reads as


def within(text: str) -> str:
    """A whole-line reading without the marks its crop's room adds at the ends: what is around the
    line there (a subtitle box's edge, a speck of the picture: `工资直接打到银行卡.` and `无需俄语基础“`
    over a Game of Life background, each a missed cue) is not the line's. Trailing marks a caption
    may end with (TRAILING_MARKS) stay."""
    _, core, trail = _marks_around(text)
    return core + (trail if trail and all(ch in TRAILING_MARKS for ch in trail) else "")


_AROUND = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)


def _marks_around(text: str) -> tuple[str, str, str]:
    """(leading marks, the line, trailing marks). Only marks inside a line are taken from its whole
    reading: at its ends the crop's room (a subtitle box's edge) reads as a spurious `：` (seen on
    every boxed line of the compressed bench clips)."""
    m = _AROUND.match(text)
    assert m is not None
    return m.group(1), m.group(2), m.group(3)


def decide_script(row: Row, copies: np.ndarray | list[np.ndarray], crop_y0: int, polarity: str,
                  cyrillic: CyrillicReader | None) -> Row:
    """The row with its script decided: a line PP-OCR read as Latin letters is read again by the
    Cyrillic reader from `copies` (band crops of frames showing it: full-width rows of the frame
    starting at `crop_y0`), and its surest reading counts (surest_cyrillic)."""
    if cyrillic is None or not needs_second_reading(row.text):
        return replace(row, script=script_of(row.text))
    crops = [copies] if isinstance(copies, np.ndarray) else copies
    box = line_box(row.box, crops[0], crop_y0, polarity)
    surest = cyrillic.surest([c[box.y0 - crop_y0:box.y1 - crop_y0, box.x0:box.x1] for c in crops], polarity)
    text, score, script = choose(row.text, row.score, surest)
    return Row(text, score, row.box, script)


