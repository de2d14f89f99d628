"""From a band's read intervals to readings, cues and overlays (pure: no video, no OCR).

Lines that stay the same through most of a band's intervals are a fixed caption sharing the band:
they become overlays and leave the cue texts. A "cue" on screen for nearly the whole clip is a
fixed caption or title too.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from vidscribe.subtitles.band import Band
from vidscribe.subtitles.cues import CueDraft, Reading, build_cues
from vidscribe.subtitles.engines import Box
from vidscribe.subtitles.overlays import OverlayDraft
from vidscribe.subtitles.screen import ScreenDraft
from vidscribe.subtitles.text import Row, is_centred, join_rows, similar
from vidscribe.subtitles.tracking import BandTrack, Interval

REF_STRIDE = 1_000_000  # CueDraft.ref = band number * REF_STRIDE + interval number
OVERLAY_IOU = 0.3  # a row overlapping an overlay's box this much, while it is shown, is that overlay
IN_BLOCK = 0.5  # a row with this share of its box inside a screen text block belongs to the block
SAME_LINE_SIMILARITY = 0.8  # two readings of one line (OCR varies by a character or two)
SAME_LINE_SHIFT = 0.5  # line heights two readings of one line may lie apart vertically
FIXED_SHARE = 0.6  # a line read in this share of a band's readings is fixed (OCR misses it now and then)
FIXED_MIN_READINGS = 3  # too few readings tell a fixed line from a long cue
GAP_SHARE = 0.6  # an unread interval with under this share of its neighbours' text pixels is a gap:
# the 2-4 frames between two showings of one text kept 40-50% (the busy background) on the bench
WHOLE_CLIP = 0.9  # a single cue on screen for this share of the clip is a fixed caption: an overlay


def keep_row(row: Row, t: float, width: int, overlays: Sequence[OverlayDraft],
             screen: Sequence[ScreenDraft] = ()) -> bool:
    """Scene text and corner watermarks are off-centre; a fixed centred caption is an overlay; a
    line of a screen text block is screen text."""
    return is_centred(row, width) and not any(o.start <= t < o.end and row.box.iou(o.box) >= OVERLAY_IOU
                                              for o in overlays) \
        and not any(s.start <= t < s.end and s.box.intersection(row.box) >= IN_BLOCK * row.box.area for s in screen)


def rows_of(iv: Interval) -> list[Row] | None:
    if iv.rows is None:
        return None
    return (iv.rows.result() if isinstance(iv.rows, Future) else iv.rows).rows


OWN_TIE = 0.1  # row heights: bands whose lines lie this close to equally near a row tie for it. Two
# bands read the same line in boxes a few px apart; by the nearest lines alone each judged the other
# nearer and the line was lost from its cue (long-mixed at 199.7 s: `欢迎咨询` over `不看学历`, the
# distances 1.5 and 9.5 px apart for a 130-px line)


def owns(band: Band, row: Row, bands: Sequence[Band]) -> bool:
    """Whether `band` reads `row` for the cues: bands may overlap; a row belongs to the band whose
    lines (where its text was first seen) lie nearest, so one subtitle is never part of two bands'
    cues (a caption band reaching down to the subtitles keeps only the caption). On a tie
    (OWN_TIE), to the band with the most room around the row (farthest from its edges): both
    bands judge that alike from their own boxes of the row."""
    def distance(b: Band) -> float:
        return min((abs(row.cy - c) for c in b.lines_cy), default=float("inf"))
    holding = [b for b in bands if b.y0 <= row.cy < b.y1]
    if not holding or band not in holding:
        return True
    nearest = min(distance(b) for b in holding)
    tied = [b for b in holding if distance(b) <= nearest + OWN_TIE * row.height]
    return max(tied, key=lambda b: min(row.box.y0 - b.y0, b.y1 - row.box.y1)) is band


def band_readings(bt: BandTrack, number: int, width: int, overlays: Sequence[OverlayDraft],
                  screen: Sequence[ScreenDraft] = (), bands: Sequence[Band] = ()
                  ) -> tuple[list[Reading], dict[int, tuple[float, np.ndarray]], list[OverlayDraft]]:
    """Readings of one band's intervals; lines that stay the same through most of them are a
    fixed caption sharing the band: they become overlays and leave the cue texts."""
    per_interval: list[list[Row] | None] = []
    images: dict[int, tuple[float, np.ndarray]] = {}
    last: list[Row] | None = None
    last_ref: int | None = None
    refs: list[int | None] = []
    for i, iv in enumerate(bt.intervals):
        rows = rows_of(iv)
        if rows is not None:
            last = [r for r in rows if keep_row(r, (iv.start_t + iv.end_t) / 2, width, overlays, screen)
                    and owns(bt.band, r, bands)]
            last_ref = number * REF_STRIDE + i
            images[last_ref] = (iv.read_t, iv.copies[0][1])
        elif not (iv.same_as_previous and iv.pixels >= bt.min_pixels):
            last, last_ref = None, None  # empty or too short: a gap
        # else the same text as the interval before (a glitch split it): its reading stands
        per_interval.append(last)
        refs.append(last_ref)
    per_interval = without_moving(bt.intervals, per_interval, bt.band.line_height)
    fixed = fixed_rows(bt.intervals, per_interval, bt.band.line_height)
    fixed_overlays = [OverlayDraft(start, end, row.text, row.score, row.box, True) for row, (start, end) in fixed]
    readings = []
    for i, (iv, rows, ref) in enumerate(zip(bt.intervals, per_interval, refs, strict=True)):
        kept = sorted((r for r in rows or [] if not any(same_line(r, f, bt.band.line_height) for f, _ in fixed)),
                      key=lambda r: r.cy)
        joined = join_rows(kept)
        if joined is None:
            readings.append(Reading(iv.start_t, iv.end_t, "", 0.0, blank=_blank(bt, i)))
        elif iv.segments and iv.rows is not None:  # read here, not carried from the interval before
            # Texts one character apart within the interval (verify.py): a reading each.
            for start, end, seg_rows in iv.segments:
                seg = sorted((r for r in seg_rows if keep_row(r, (start + end) / 2, width, overlays, screen)
                              and owns(bt.band, r, bands)
                              and not any(same_line(r, f, bt.band.line_height) for f, _ in fixed)),
                             key=lambda r: r.cy)
                j = join_rows(seg)
                readings.append(Reading(start, end, j[0], j[1], j[2], ref, tuple(seg)) if j else
                                Reading(start, end, "", 0.0))
        else:
            readings.append(Reading(iv.start_t, iv.end_t, joined[0], joined[1], joined[2], ref, tuple(kept)))
    return readings, images, fixed_overlays


MOVING_WINDOW = 8.0  # s: readings of one line this close together are compared for a move (the bench's sign
# crosses its frame in 8 s; at 3 s, 4 of its readings found no partner)
MOVING_MIN_SHIFT = 0.15  # line heights both ends of a line's box must go the same way to have moved
# (a still line's box ends jitter by 2-3 px between readings; a sign at 120 px/s read 0.2 s apart
# went 24 px, 0.26 of its caption band's line height)
MOVING_SPAN = 0.5  # share of the smaller shift by which the two ends' shifts may differ: a box that
# gained a mark at one end (`，`, an emoji read apart) grows, it does not move


def _moved(a: Row, b: Row, line_height: float) -> bool:
    """Whether two readings of one line are at places a translation apart (both box ends shifted
    the same way, by about the same amount)."""
    dx0, dx1 = b.box.x0 - a.box.x0, b.box.x1 - a.box.x1
    least = max(2.0, MOVING_MIN_SHIFT * line_height)
    return dx0 * dx1 > 0 and min(abs(dx0), abs(dx1)) >= least \
        and abs(dx0 - dx1) <= MOVING_SPAN * min(abs(dx0), abs(dx1))


def without_moving(intervals: Sequence[Interval], per_interval: Sequence[list[Row] | None],
                   line_height: float) -> list[list[Row] | None]:
    """Each interval's rows less the lines read at places a translation apart in another interval
    near it (MOVING_WINDOW): a sign or a ticker moving through the band, read on the intervals the
    change tracker could not tell were moving (tracking: `Interval.moved`), and any other reading
    of a line seen moving (the same text at the same height). A subtitle never moves.
    Without this the moving sign of the realistic bench either became cues or, read in most
    intervals, a fixed overlay at one place for most of the clip."""
    moving: set[int] = set()  # ids of the rows (an interval carrying the reading before shares its rows)
    for i, rows in enumerate(per_interval):
        for j in range(i + 1, len(per_interval)):
            if not rows or intervals[j].start_t - intervals[i].end_t > MOVING_WINDOW:
                break
            for a in rows:
                for b in per_interval[j] or []:
                    if b is not a and same_line(a, b, line_height) and _moved(a, b, line_height):
                        moving |= {id(a), id(b)}
    if not moving:
        return list(per_interval)
    # A reading of a line seen moving, with no other reading near enough to show it move, is that
    # line too (the same text at the same height): one kind of each is enough to compare with.
    seen: dict[tuple[str, int], Row] = {}
    for rows in per_interval:
        for r in rows or []:
            if id(r) in moving:
                seen.setdefault((r.text, round(r.cy / max(1.0, line_height))), r)
    kinds = list(seen.values())
    return [None if rows is None else [r for r in rows if id(r) not in moving
                                       and not any(same_line(r, m, line_height) for m in kinds)]
            for rows in per_interval]


def _blank(bt: BandTrack, i: int) -> bool:
    """Whether interval `i` (read as nothing) is a gap between cues: the band empty, or holding
    under GAP_SHARE of the text of the intervals on both sides (what is left is background)."""
    iv = bt.intervals[i]
    if iv.pixels < bt.min_pixels:
        return True
    sides = [bt.intervals[j].pixels for j in (i - 1, i + 1) if 0 <= j < len(bt.intervals)]
    return len(sides) == 2 and iv.pixels < GAP_SHARE * min(sides)


def same_line(a: Row, b: Row, line_height: float) -> bool:
    return abs(a.cy - b.cy) <= SAME_LINE_SHIFT * line_height and similar(a.text, b.text, SAME_LINE_SIMILARITY)


def fixed_rows(intervals: Sequence[Interval], per_interval: Sequence[list[Row] | None],
               line_height: float) -> list[tuple[Row, tuple[float, float]]]:
    """Rows read the same at the same place through most of a band's readings, with their span."""
    read = [(iv, rows) for iv, rows in zip(intervals, per_interval, strict=True) if rows]
    texts = {" / ".join(r.text for r in rows) for _, rows in read}
    if len(read) < FIXED_MIN_READINGS or len(texts) < 2:
        return []  # too few readings to tell a fixed line from a long cue
    fixed = []
    seen: list[Row] = []
    for _, rows in read:
        for row in rows:
            if any(same_line(row, s, line_height) for s in seen):
                continue
            seen.append(row)
            hits = [iv for iv, rr in read if any(same_line(row, r, line_height) for r in rr)]
            if len(hits) >= FIXED_SHARE * len(read) and len(hits) >= FIXED_MIN_READINGS:
                fixed.append((row, (hits[0].start_t, hits[-1].end_t)))
    return fixed


def band_cues(readings: Sequence[Reading], duration: float) -> tuple[list[CueDraft], list[OverlayDraft]]:
    """Cues of one band; a single cue on screen for nearly the whole clip is an overlay instead."""
    cues = build_cues(readings)
    if len(cues) == 1 and cues[0].end - cues[0].start >= WHOLE_CLIP * duration:
        c = cues.pop()
        return [], [OverlayDraft(c.start, c.end, c.text, c.score, c.box or Box(0, 0, 0, 0), True)]
    return cues, []


SAME_FRAMES = 0.1  # s: cues of two bands starting this close together change together
END_SLACK = 0.35  # s: ... and may end this far apart: a sign crossing one band ends its interval early
# (long-mixed at 85.7 s: a three-line caption, its lines in two bands, ended 0.23 s apart and stayed
# two cues, neither matching)
STACK_GAP = 1.0  # line heights between two cues stacked into one (captions space lines 1.25-1.3 apart)
SAME_ROW_OVERLAP = 0.5  # share of the lower height two rows must share vertically to be one line


def merge_stacked(cues: Sequence[CueDraft]) -> list[CueDraft]:
    """Cues of different bands shown over the same frames, one right above the other, are one cue:
    a caption whose lines fell into two overlapping bands. A line both bands read is kept once
    (the surer reading)."""
    out: list[CueDraft] = []
    for cue in sorted(cues, key=lambda c: (c.start, c.box.y0 if c.box else 0)):
        for i, other in enumerate(out):
            if _stacked(other, cue):
                out[i] = _joined(other, cue)
                break
        else:
            out.append(cue)
    return out


def _stacked(a: CueDraft, b: CueDraft) -> bool:
    if a.box is None or b.box is None or abs(a.start - b.start) > SAME_FRAMES or abs(a.end - b.end) > END_SLACK:
        return False
    h = max(1, min(r.height for r in (*a.lines, *b.lines))) if a.lines and b.lines else max(a.box.height, 1)
    gap = max(a.box.y0, b.box.y0) - min(a.box.y1, b.box.y1)  # negative: they overlap
    return gap <= STACK_GAP * h


def _joined(a: CueDraft, b: CueDraft) -> CueDraft:
    rows: list[Row] = list(a.lines)
    for row in b.lines:
        same = [i for i, r in enumerate(rows)
                if r.box.overlap_y(row.box) >= SAME_ROW_OVERLAP * min(r.height, row.height)]
        if not same:
            rows.append(row)
        elif all(row.score * len(row.text) > rows[i].score * len(rows[i].text) for i in same):
            rows = [r for i, r in enumerate(rows) if i not in same] + [row]
    joined = join_rows(sorted(rows, key=lambda r: r.cy))
    if joined is None:
        return a
    text, score, box = joined
    return CueDraft(min(a.start, b.start), max(a.end, b.end), text, score, box, a.ref, a.readings + b.readings,
                    tuple(sorted(rows, key=lambda r: r.cy)))
