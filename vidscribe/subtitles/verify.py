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

import numpy as np

from vidscribe.chinese import HAN
from vidscribe.subtitles.engines import Box
from vidscribe.subtitles.text import Row, squash

VERIFY_SECONDS = 0.8  # intervals at least this long may hold two cues (each over 0.4 s): read thrice
LATEST_SECONDS = 0.25  # between refreshes of an interval's copy near its end (a colour conversion each)
MAX_FRAMES = 900  # masks kept per interval (30 s at 30 fps); longer ones are not verified
SURE = 0.9  # a look's lines at least this confident for a difference to count (not OCR noise)


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
        bits = np.unpackbits(masks[frame - mask_start], count=h * w).reshape(h, w)
        return bits[y0:y1, x0:x1]

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
