"""Texts one character apart inside one stable interval (`还剩3个名额` then `还剩2个名额`, `月薪20万`
then `月薪25万`): a digit changes too few mask pixels to be told from a busy background, so the
change tracker keeps one interval. A long interval is therefore also read near its start and near
its end, on the middle reading's lines only (small crops); where two of the three readings differ,
both surely read, the interval is split on the frame where its text mask, in the columns of the
differing characters, turns from the earlier look to the later one. Pure functions over masks and
rows, tested without video.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from vidscribe.chinese import HAN
from vidscribe.subtitles.detect import dilate
from vidscribe.subtitles.engines import Box
from vidscribe.subtitles.text import Row, squash

VERIFY_SECONDS = 0.8  # intervals at least this long may hold two cues (each over 0.4 s): read thrice
LATEST_SECONDS = 0.25  # between refreshes of an interval's copy near its end (a colour conversion each)
MAX_FRAMES = 900  # masks kept per interval (30 s at 30 fps); longer ones are not verified
SURE = 0.9  # a look's lines at least this confident for a difference to count (not OCR noise)
ALIKE_CHANGE = 0.1  # share of a cell's text-mask pixels that may come or go (1-px tolerance) between
# two looks at the same characters: the same subtitle keeps 93-100% of a line's pixels over moving
# backgrounds (detect.SAME_CORE); one digit turning into another changes 5-8% of a line's pixels,
# a third or more of the cell (a line height square) it lies in
ALIKE_FLOOR = 8  # px: fewer pixels than this coming or going in a cell is noise, not a stroke


@dataclass
class Segment:
    start: int  # frame index, end exclusive
    end: int
    rows: list[Row]


@dataclass
class Verify:
    """What a long interval's reader needs to check it: the copies near its start and end, and
    the band's packed text mask of every frame from `mask_start`."""

    first: tuple[int, np.ndarray]
    latest: tuple[int, np.ndarray]
    masks: list[np.ndarray]  # np.packbits of each frame's 0/1 mask (rows of `shape[1]` bits)
    mask_start: int
    shape: tuple[int, int]
    looks: bool = True  # the copies near the start and end may be worth reading: their text masks
    # differ somewhere in the text box from the middle's (same_looks); else only the Cyrillic reader
    # uses them. The reader reads them where they differ on a Chinese line (line_looks_alike)


def unpacked(masks: Sequence[np.ndarray], shape: tuple[int, int], mask_start: int, frame: int) -> np.ndarray:
    """The 0/1 mask of `frame` from an interval's packed masks."""
    h, w = shape
    return np.unpackbits(masks[frame - mask_start], count=h * w).reshape(h, w)


def same_looks(masks: Sequence[np.ndarray], shape: tuple[int, int], mask_start: int, frames: Sequence[int],
               region: Box, cell: int) -> bool:
    """Whether the text masks of `frames` show the same characters inside `region` (band pixels):
    of each frame's steady text (its mask's pixels there in the frames before and after it too),
    under ALIKE_CHANGE in every cell (a `cell`-px square, cells half a cell apart) is missing from
    the next frame's mask (1-px tolerance), and the other way round. Then reading those frames
    again can tell nothing the middle reading did not: texts one character apart differ in that
    character's cell. Background clutter that comes and goes is not steady; text the next frame
    lacks counts, clutter it adds does not. Where it cannot tell (an empty region), False."""
    h, w = shape
    x0, y0, x1, y1 = max(0, region.x0), max(0, region.y0), min(w, region.x1), min(h, region.y1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return False
    cell = max(2, cell)
    last = mask_start + len(masks) - 1

    def at(frame: int) -> np.ndarray:
        return unpacked(masks, shape, mask_start, frame)[y0:y1, x0:x1]

    looks = []
    for f in sorted(set(frames)):
        mask = at(f)
        steady = mask & at(max(mask_start, f - 1)) & at(min(last, f + 1))
        looks.append((mask, steady))
    for (a, steady_a), (b, steady_b) in zip(looks, looks[1:], strict=False):
        missing = (steady_a & (1 - dilate(b))) | (steady_b & (1 - dilate(a)))
        if np.count_nonzero(missing) < ALIKE_FLOOR:
            continue
        text = cell_sums(steady_a | steady_b, cell)
        if (cell_sums(missing, cell) >= np.maximum(ALIKE_FLOOR, ALIKE_CHANGE * text)).any():
            return False
    return True


LINE_ROOM = 0.25  # line heights above and below a line's box in its own looks test: its ink, not
# the next line's (a Russian line under a Chinese one sits 0.3-0.6 heights below it)
LINE_CELL = 0.5  # line heights: the cell of a line's own looks test. A half-width digit turning into
# another is a small part of a whole line-height cell: `奖金100万卢布` to `奖金200万卢布` (long-mixed,
# 6.2 s) changed 8.8% of such a cell, under ALIKE_CHANGE, and 18% of a half-height one


def line_looks_alike(verify: Verify, row: Row, band_y0: int, middle_at: int, copy: int | None = None) -> bool:
    """Whether the copies near the interval's start and end show, on `row` (a Chinese line of the
    middle reading, frame pixels), the middle's characters (same_looks, a line height of room at
    each end: a later text may be a character longer); `copy`: only that copy's frame against the
    middle's. Then that copy need not be read on it: the reader takes the middle's reading for
    its. The band-wide test at the interval's close (Verify.looks) also sees what changes around
    the lines (a sign passing, the Russian line's blur, clutter); on the realistic bench
    (2026-12-03) 153 of 178 verify batches it let through read nothing new, and what texts one
    character apart change lies on their lines."""
    frames = [verify.first[0], middle_at, verify.latest[0]] if copy is None else [copy, middle_at]
    lh = row.height
    local = Box(row.box.x0, row.box.y0 - band_y0, row.box.x1, row.box.y1 - band_y0)
    region = local.grown(lh, int(LINE_ROOM * lh), verify.shape[1], verify.shape[0])
    return same_looks(verify.masks, verify.shape, verify.mask_start, frames, region, max(2, int(LINE_CELL * lh)))


def cell_sums(mask: np.ndarray, cell: int) -> np.ndarray:
    """Pixel counts of `mask` in `cell`-px squares half a cell apart (cut at the mask's edges)."""
    total = cv2.integral(mask, sdepth=cv2.CV_32S)
    h, w = mask.shape
    step = max(1, cell // 2)
    ys = np.arange(0, max(1, h - cell + step), step)
    xs = np.arange(0, max(1, w - cell + step), step)
    y0, x0 = ys[:, None], xs[None, :]
    y1, x1 = np.minimum(y0 + cell, h), np.minimum(x0 + cell, w)
    return total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0]


def key_text(rows: Sequence[Row]) -> str:
    """The text compared between looks: the Chinese lines (PP-OCR's Latin look-alikes of a Russian
    line vary from frame to frame; they are read by Tesseract once, on the middle copy)."""
    return "\n".join(squash(r.text) for r in sorted(rows, key=lambda r: r.cy) if HAN.search(r.text))


def sure(rows: Sequence[Row]) -> bool:
    chinese = [r for r in rows if HAN.search(r.text)]
    return bool(chinese) and min(r.score for r in chinese) >= SURE


def differing_box(a: Sequence[Row], b: Sequence[Row]) -> Box | None:
    """Frame-pixel box of the characters where two readings of the same lines differ (first
    differing line), a character wide on each side; None when they do not differ."""
    for ra in sorted((r for r in a if HAN.search(r.text)), key=lambda r: r.cy):
        rb = min((r for r in b if HAN.search(r.text)), key=lambda r: abs(r.cy - ra.cy), default=None)
        if rb is None or abs(rb.cy - ra.cy) > ra.height or squash(ra.text) == squash(rb.text):
            continue
        ta, tb = squash(ra.text), squash(rb.text)
        ops = [op for op in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes() if op[0] != "equal"]
        if not ops:
            continue
        lo, hi = ops[0][1], max(ops[-1][2], ops[0][1] + 1)
        char = ra.box.width / max(1, len(ta))
        x0 = int(ra.box.x0 + (lo - 1) * char)
        x1 = int(ra.box.x0 + (hi + 1) * char)
        return Box(max(0, x0), ra.box.y0, max(x0 + 1, x1), ra.box.y1)
    return None


def split_frame(masks: Sequence[np.ndarray], shape: tuple[int, int], mask_start: int, fa: int, fb: int,
                region: Box) -> int:
    """The first frame of the later text, between frames `fa` (showing the earlier) and `fb`
    (showing the later): the split that best sorts the frames' masks, inside `region` (band
    pixels), into like `fa`'s and like `fb`'s."""
    h, w = shape
    x0, y0, x1, y1 = max(0, region.x0), max(0, region.y0), min(w, region.x1), min(h, region.y1)

    def part(frame: int) -> np.ndarray:
        return unpacked(masks, shape, mask_start, frame)[y0:y1, x0:x1]

    a, b = part(fa), part(fb)
    frames = list(range(fa + 1, fb + 1))
    if not frames:
        return fb
    to_a = np.array([np.count_nonzero(part(f) != a) for f in frames], float)
    to_b = np.array([np.count_nonzero(part(f) != b) for f in frames], float)
    # cost of splitting before frames[k]: frames before are like a, the rest like b
    cost = np.concatenate(([0.0], np.cumsum(to_a)))[:-1] + np.cumsum(to_b[::-1])[::-1]
    return frames[int(np.argmin(cost))]


def merged_rows(middle: Sequence[Row], other: Sequence[Row]) -> list[Row]:
    """The middle reading with its Chinese lines replaced by another look's (its Russian lines,
    read by Tesseract on the middle copy, stand)."""
    out = [r for r in middle if not HAN.search(r.text)]
    out += [r for r in other if HAN.search(r.text)]
    return sorted(out, key=lambda r: r.cy)


def segments(start: int, end: int, middle_at: int, rows: list[Row], looks: list[tuple[int, list[Row]]],
             verify: Verify, band_y0: int, middle_look: list[Row] | None = None) -> list[Segment]:
    """The interval [start, end) as segments of one text each, from the middle reading (`rows`,
    read at frame `middle_at`) and the other looks (frame, rows), in time order. `middle_look`: the
    middle copy read the way the other looks were (compared with them; `rows` is what is kept)."""
    views = sorted([(middle_at, middle_look if middle_look is not None else rows, True)]
                   + [(f, r, False) for f, r in looks], key=lambda v: v[0])
    out: list[Segment] = []
    seg_start, (f_prev, rows_prev, _) = start, views[0]
    current = rows if views[0][2] else merged_rows(rows, rows_prev)
    for f, look, is_middle in views[1:]:
        if not (sure(look) and sure(rows_prev)):
            continue  # an unsure look tells nothing: OCR noise is no change
        if key_text(look) == key_text(rows_prev):
            f_prev, rows_prev = f, look  # the same text until here: a change lies later
            continue
        region = differing_box(rows_prev, look)
        if region is None:
            continue
        local = Box(region.x0, region.y0 - band_y0, region.x1, region.y1 - band_y0)
        k = split_frame(verify.masks, verify.shape, verify.mask_start, f_prev, f, local)
        out.append(Segment(seg_start, k, current))
        seg_start, f_prev, rows_prev = k, f, look
        current = rows if is_middle else merged_rows(rows, look)
    out.append(Segment(seg_start, end, current))
    return out
