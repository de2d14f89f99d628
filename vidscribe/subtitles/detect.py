"""Cheap per-frame subtitle change detection inside the band: a text mask and a change tracker.

OCR costs ~100 ms per band crop, decoding a frame ~1 ms; so OCR runs once per stable interval and
this module finds the intervals. Grey-level differences fail on bright or moving backgrounds
(white text over a ~230 sky barely changes the pixels), so the tracker compares *text masks*:
bright pixels with a much darker pixel within 2 px (the outline, shadow or box every readable
burned-in subtitle has). A subtitle's mask pixels stay put while it is shown, whatever moves
behind it; background clutter comes and goes. Changes are confirmed over a few frames (one-frame
glitches are ignored) and then placed on the exact frame by bisecting over the recent masks.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from vidscribe.geometry import Box

_K3 = np.ones((3, 3), np.uint8)
LOOSE_BRIGHT = 110  # grey level at which text seen before still counts as there: karaoke turns
# characters red (grey ~120), blue (~155) or yellow (~225) one by one; at the mask's 170 red
# characters dropped out and a karaoke cue fell apart into pieces. New text must still reach 170:
# at 110 busy backgrounds (green cells, grey ~150, on black) made a new interval every few frames.
_K5 = np.ones((5, 5), np.uint8)
TEXT_BRIGHT, TEXT_CONTRAST = 170, 90  # text_mask's grey levels: light text, and its dark edge


def text_mask(gray: np.ndarray, *, bright: int = TEXT_BRIGHT, contrast: int = TEXT_CONTRAST) -> np.ndarray:
    """uint8 0/1 mask of pixels at least `bright` with a pixel `contrast` darker within 2 px."""
    darkest = cv2.erode(gray, _K5)
    local = cv2.subtract(gray, darkest)
    _, hi = cv2.threshold(gray, bright - 1, 1, cv2.THRESH_BINARY)
    _, edge = cv2.threshold(local, contrast - 1, 1, cv2.THRESH_BINARY)
    return cv2.bitwise_and(hi, edge)


def text_masks(gray: np.ndarray, loose_bright: int, *, bright: int = TEXT_BRIGHT,
               contrast: int = TEXT_CONTRAST) -> tuple[np.ndarray, np.ndarray]:
    """`text_mask` at `bright` and at `loose_bright` (lower) in one pass: the edge test is shared,
    and done first (the grey levels kept where it passes, 0 elsewhere: one pass fewer per band
    and frame than two masks ANDed with it, the same pixels for levels of 1 or more)."""
    local = cv2.subtract(gray, cv2.erode(gray, _K5))
    if min(bright, loose_bright) < 1:  # a level of 0 passes every pixel, edge or not
        _, edge = cv2.threshold(local, contrast - 1, 1, cv2.THRESH_BINARY)
        _, hi = cv2.threshold(gray, bright - 1, 1, cv2.THRESH_BINARY)
        _, lo = cv2.threshold(gray, loose_bright - 1, 1, cv2.THRESH_BINARY)
        return cv2.bitwise_and(hi, edge), cv2.bitwise_and(lo, edge)
    _, edge = cv2.threshold(local, contrast - 1, 255, cv2.THRESH_BINARY)
    edged = cv2.bitwise_and(gray, edge)
    _, hi = cv2.threshold(edged, bright - 1, 1, cv2.THRESH_BINARY)
    _, lo = cv2.threshold(edged, loose_bright - 1, 1, cv2.THRESH_BINARY)
    return hi, lo


@functools.lru_cache(maxsize=8)
def _luma_levels(lut: bytes, loose_bright: int) -> tuple[int, int, int]:
    table = np.frombuffer(lut, np.uint8)
    first = lambda grey: int(np.argmax(table >= grey)) if table[-1] >= grey else 256  # noqa: E731
    slope = (int(table[235]) - int(table[16])) / 219 or 1.0
    return first(TEXT_BRIGHT), first(loose_bright), round(TEXT_CONTRAST / slope)


def luma_text_masks(luma: np.ndarray, grey_lut: np.ndarray, loose_bright: int) -> tuple[np.ndarray, np.ndarray]:
    """`text_masks` of grey = grey_lut[luma], computed on the luma itself (no table lookup: 2.4x
    faster on a caption band). The brightness levels map exactly (the table is non-decreasing);
    the contrast by the table's slope (limited range: 90 grey levels are 77 luma levels), which
    decides ~0.2% of the mask pixels differently (long-mixed, 600 frames: 27k of 13.7M)."""
    bright, loose, contrast = _luma_levels(grey_lut.tobytes(), loose_bright)
    return text_masks(luma, loose, bright=bright, contrast=contrast)


def dilate(mask: np.ndarray, radius: int = 1) -> np.ndarray:
    return cv2.dilate(mask, _K3 if radius == 1 else np.ones((2 * radius + 1,) * 2, np.uint8))


def overlap(a: np.ndarray, b_dilated: np.ndarray) -> int:
    """Pixels of mask `a` covered by (an already dilated) mask `b`."""
    return cv2.countNonZero(cv2.bitwise_and(a, b_dilated))


STILL_KEEP = 0.85  # share of a text mask's pixels found again (1-px tolerance) in a later frame
# for it to count as staying put: the same subtitle keeps 93-100% over noisy, moving backgrounds; a
# sign moving through the picture 60-75%.
STILL_MIN_PIXELS = 20  # below this a mask is too small to judge: it counts as staying put


def stays_put(now: np.ndarray, later: np.ndarray, *, keep: float = STILL_KEEP,
              min_pixels: int = STILL_MIN_PIXELS) -> bool:
    """Whether the text in mask `now` is still there, at the same place, in mask `later` (both
    0/1 masks of one region): subtitles, watermarks and screen text do; a sign moving through the
    picture does not. Masks under `min_pixels` pass (nothing to judge)."""
    pixels = cv2.countNonZero(now)
    return pixels < min_pixels or overlap(now, dilate(later)) >= keep * pixels


def same_place(a: np.ndarray, b: np.ndarray, *, keep: float, min_pixels: int = STILL_MIN_PIXELS) -> bool:
    """Whether the text of two masks of one region (an interval's first and last frames) is at the
    same place: the smaller mask found in the other (1-px tolerance) for `keep` of its pixels.
    The smaller, because either may have lost text or gained clutter: a karaoke line's last frame
    lost its sung characters (turned red), a busy background (a zooming fractal, a compressed
    Game of Life) adds pixels to either frame, and `stays_put(last, first)` failed on those
    subtitles; a moving sign's pixels are elsewhere in both."""
    na, nb = cv2.countNonZero(a), cv2.countNonZero(b)
    small, large = (a, b) if na <= nb else (b, a)
    return min(na, nb) < min_pixels or overlap(small, dilate(large)) >= keep * min(na, nb)


def stays_put_in(gray: np.ndarray, later: np.ndarray, box: tuple[int, int, int, int], *,
                 polarity: str = "light", keep: float = STILL_KEEP, bright: int = 170) -> bool:
    """`stays_put` for the text masks of one box (x0, y0, x1, y1) of two grey images."""
    x0, y0, x1, y1 = (max(0, int(v)) for v in box)
    a, b = gray[y0:y1, x0:x1], later[y0:y1, x0:x1]
    if polarity != "light":
        a, b = 255 - a, 255 - b
    return stays_put(text_mask(a, bright=bright), text_mask(b, bright=bright), keep=keep)


MOVED_MIN_SHIFT = 4  # px: a shorter displacement is jitter or growth of text that stayed put (a sign
# at 120 px/s goes 4 px a frame at 30 fps, 12 px or more between two intervals)
GROWTH_PX = 3  # new pixels this near old ones are the same text growing (a fade-in, the encoder
# sharpening after a cut, a thin outline filling in), not text that moved: left out of the test
MOVED_EXPLAINED = 0.5  # share of the pixels a move must explain (1-px tolerance): on the realistic
# bench a sign's new pixels lay 0.55-1.0 on its earlier mask moved (long-mixed's rotating test
# pattern takes up to 0.45 of them; at 0.7, 190 of that band's 356 reads were the sign), a new
# subtitle's 0.02-0.52 at the best shift; with MOVED_MARGIN no cue of either bench group was lost
MOVED_BALANCE = 0.5  # a move leaves about as many pixels as it takes (leading and trailing edges of
# each stroke): the smaller of the two at least this share of the larger. A line added above or
# below a cue takes many and leaves few (a boxed line: 2868 against 430), and its box's edges lie on
# the old box moved by a line
MOVED_STEP = 2  # px between the shifts tried: the 1-px tolerance covers the ones between
MOVED_MARGIN = 0.35  # how much better the best shift must explain the pixels than the median shift
# along its axis: a dense line growing (a fade-in, a thin outline filling in) lies on its own
# strokes at almost any horizontal shift (0.8-1.0 at every shift of 32-84 px), a moving sign at one
# (0.39-0.47 better than the median over long-mixed's test pattern)


COVERAGE_POINTS = 2048  # mask pixels a move is judged on: a larger mask is judged on every k-th of
# its pixels (in raster order), which changes its shares by under a percent


def _coverage(part: np.ndarray, other_dilated: np.ndarray, shifts: list[tuple[int, int]]) -> list[float]:
    """For each shift (dx, dy), the share of mask `part`'s pixels on `other_dilated` once `part`
    is moved back by it. All shifts at once, by looking the pixels up (a shift costs a lookup per
    pixel, not a pass over the mask's bounding box)."""
    points = cv2.findNonZero(part)  # (x, y) in raster order, as np.nonzero gives them, 4x faster
    if points is None:
        return [0.0] * len(shifts)
    points = points.reshape(-1, 2)[::max(1, -(-len(points) // COVERAGE_POINTS))]
    xs, ys = points[:, 0].astype(np.intp), points[:, 1].astype(np.intp)
    d = np.asarray(shifts, np.intp).reshape(-1, 2)
    pad = int(np.abs(d).max()) if len(d) else 0
    padded = cv2.copyMakeBorder(other_dilated, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    width = padded.shape[1]
    at = (ys + pad) * width + xs + pad  # flat indices of the pixels, unshifted
    hits = padded.ravel().take(at[None, :] - (d[:, 1:2] * width + d[:, 0:1]))
    return list(np.count_nonzero(hits, axis=1) / len(xs))


def _move(part: np.ndarray, other_dilated: np.ndarray, max_shift: int, scale: int = 1) -> tuple[int, int] | None:
    """The shift (dx, dy) along one axis, MOVED_MIN_SHIFT to `max_shift` px, that puts
    MOVED_EXPLAINED of mask `part`'s pixels on `other_dilated` (part moved back by it), clearly
    better than most shifts along that axis do (MOVED_MARGIN); None when there is none."""
    best: tuple[float, tuple[int, int]] | None = None
    axes = []
    for axis, length in (((1, 0), part.shape[1]), ((0, 1), part.shape[0])):
        # No farther than the mask is long: beyond that nothing can be explained.
        steps = range(-(-MOVED_MIN_SHIFT // scale), min(max_shift, length) + 1, max(1, MOVED_STEP // scale))
        axes.append([(axis[0] * d, axis[1] * d) for s in steps for d in (s, -s)])
    covers = _coverage(part, other_dilated, axes[0] + axes[1]) if axes[0] or axes[1] else []
    for shifts, cover in ((axes[0], covers[:len(axes[0])]), (axes[1], covers[len(axes[0]):])):
        if not shifts:
            continue
        top = max(range(len(shifts)), key=cover.__getitem__)
        if cover[top] >= MOVED_EXPLAINED and cover[top] - float(np.median(cover)) >= MOVED_MARGIN \
                and (best is None or cover[top] > best[0]):
            best = (cover[top], shifts[top])
    return best[1] if best else None


def displaced(old: np.ndarray, new: np.ndarray, *, max_shift: int, scale: int = 1) -> bool:
    """Whether the change from mask `old` to mask `new` is text that moved (a sign passing through,
    a scrolling ticker), and nothing else: `new`'s pixels that are not where `old`'s were lie on
    `old` moved by one displacement (MOVED_MIN_SHIFT to `max_shift` px along an axis), and `old`'s
    pixels that are gone lie on `new` moved back by it. What stayed in place (a box edge, a
    watermark) or grew in place (GROWTH_PX) is left out of the test. A subtitle never moves; a new
    one appearing beside moving text, a line added or leaving, is not explained by the move
    (MOVED_BALANCE). `scale`: the masks are this many times smaller than the frame (a band of tall
    lines), and every px above is the frame's: on half-size masks the 1-px tolerance is none (an
    exact pixel is a 2-px cell), or two different captions at one place looked moved by 16 px
    (0.50 of their pixels explained, against 0.02-0.52 at full size)."""
    if old.shape != new.shape or max_shift < -(-MOVED_MIN_SHIFT // scale):
        return False
    growth = -(-GROWTH_PX // scale)
    fresh = cv2.bitwise_and(new, 1 - dilate(old, growth))  # what is not where old's pixels were
    gone = cv2.bitwise_and(old, 1 - dilate(new, growth))  # what is no longer where it was
    taken, left = cv2.countNonZero(fresh), cv2.countNonZero(gone)
    if min(taken, left) < max(STILL_MIN_PIXELS, MOVED_BALANCE * max(taken, left)):
        return False  # in place (the same text, or part of it), or text added or taken away
    old_near, new_near = (dilate(old), dilate(new)) if scale == 1 else (old, new)
    shift = _move(fresh, old_near, max_shift, scale)
    return shift is not None and _coverage(gone, new_near, [(-shift[0], -shift[1])])[0] >= MOVED_EXPLAINED


def first_true(lo: int, hi: int, pred: Callable[[int], bool]) -> int:
    """Smallest i in [lo, hi] with pred(i), assuming pred is monotone (False... then True...).

    Returns hi + 1 when pred is False everywhere. Used to place a confirmed change on the exact
    frame among the recent ones.
    """
    while lo <= hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid - 1
        else:
            lo = mid + 1
    return lo


@dataclass
class Change:
    """The interval that began at `index` (frames numbered as pushed): its settled reference mask."""

    index: int
    ref: np.ndarray  # uint8 0/1, the pixels that stayed text over the first frames
    pixels: int  # ref's size; below the tracker's min_pixels the interval counts as empty
    same_as_previous: bool = False  # the masks match the previous interval's: same text, no new OCR


class ChangeTracker:
    """Feed one mask per frame (`push`); get back the start of each new stable interval.

    `min_pixels`: text area (mask pixels) below which a band counts as empty, about half a
    character. `keep`: fraction of the current text's pixels that must still be there, exactly
    (the same line keeps 90-100% of its pixels over noisy, moving backgrounds; a different line
    at the same place 45-60%).
    `fresh`: new persistent text, as a fraction of the current text (and at least `min_pixels`),
    that means a new subtitle. `confirm`: frames a change must persist before it counts.
    `settle`: frames after a change whose common pixels become the new reference; `grow`:
    frames after a change during which pixels that turn stable join the reference.
    """

    def __init__(self, min_pixels: int, *, keep: float = 0.75, fresh: float = 0.5, confirm: int = 2,
                 settle: int = 2, window: int = 12, grow: int = 12):
        if window < confirm + settle + 1:
            raise ValueError("window too small for confirm + settle")
        self.min_pixels = max(1, int(min_pixels))
        self.keep = keep
        self.fresh = fresh
        self.confirm = confirm
        self.settle = settle
        self.grow = grow
        self._masks: deque[tuple[int, np.ndarray]] = deque(maxlen=window)
        self._loose: deque[np.ndarray] = deque(maxlen=window)  # each frame's colour-tolerant mask
        self._ref: np.ndarray | None = None
        self._ref_pixels = 0
        self._ref_dilated: np.ndarray | None = None
        self._outside: np.ndarray | None = None  # 0/1, where the dilated reference is not (kept, used per frame)
        self._start = 0  # index where the current interval began
        self._settled = False
        self._pending = 0
        self._prev_ref: np.ndarray | None = None  # reference of the interval before, for same-text
        self._prev_pixels = 0

    def _set_dilated(self, dilated: np.ndarray) -> None:
        self._ref_dilated = dilated
        self._outside = 1 - dilated

    @property
    def current_start(self) -> int:
        return self._start

    @property
    def reference(self) -> np.ndarray | None:
        """The current interval's reference mask (None while it settles)."""
        return self._ref

    def _mask_at(self, index: int) -> np.ndarray:
        first = self._masks[0][0]
        return self._masks[index - first][1]

    def mask(self, index: int) -> np.ndarray:
        """The mask pushed for frame `index` (one of the last `window` frames)."""
        return self._mask_at(index)

    def _loose_at(self, index: int) -> np.ndarray:
        return self._loose[index - self._masks[0][0]]

    def _settle(self, upto: int) -> Change | None:
        """Build the reference from frames start..upto; returns the Change once settled."""
        ref = None
        for i in range(self._start, upto + 1):
            m = self._mask_at(i)
            ref = m.copy() if ref is None else cv2.bitwise_and(ref, m)
        assert ref is not None
        self._ref = ref
        self._ref_pixels = cv2.countNonZero(ref)
        self._set_dilated(dilate(ref, 2))
        self._settled = True
        same = False
        if self._prev_ref is not None and self._prev_pixels >= self.min_pixels \
                and self._ref_pixels >= self.min_pixels:
            # Split by a glitch (occlusion, flash) rather than a new subtitle: each side covers
            # nearly all of the other, pixel for pixel (with a 1-px tolerance, two different dense
            # CJK lines at one place overlap 80-95%; exactly, 45-60%).
            a = overlap(self._prev_ref, ref) / self._prev_pixels
            b = overlap(ref, self._prev_ref) / self._ref_pixels
            same = a >= 0.85 and b >= 0.85
        elif self._prev_ref is not None:
            same = self._prev_pixels < self.min_pixels and self._ref_pixels < self.min_pixels
        return Change(self._start, ref, self._ref_pixels, same)

    def _changed(self, mask: np.ndarray, prev: np.ndarray | None, loose: np.ndarray) -> bool:
        if self._ref is None:
            return False
        if self._ref_pixels >= self.min_pixels and overlap(self._ref, loose) < self.keep * self._ref_pixels:
            return True
        if prev is None:
            return False
        fresh = cv2.bitwise_and(cv2.bitwise_and(mask, prev), self._outside)
        return cv2.countNonZero(fresh) >= max(self.min_pixels, self.fresh * self._ref_pixels)

    def push(self, index: int, mask: np.ndarray, loose: np.ndarray | None = None, *,
             owned: bool = False) -> list[Change]:
        """Process frame `index` (consecutive integers from the first one pushed). Returns settled
        new intervals. `loose`: the same frame's mask at a lower brightness (colour-tolerant), used to
        tell whether the current text is still there: a karaoke character turning red keeps it.
        `owned`: the masks are the tracker's to keep (the caller never changes them): not copied."""
        if self._masks and index != self._masks[-1][0] + 1:
            raise ValueError("frames must be pushed in order without gaps")
        if not self._masks:
            self._start = index  # a band found late starts at the first frame it is given
        prev = self._masks[-1][1] if self._masks else None
        self._masks.append((index, mask if owned else mask.copy()))
        loose = self._masks[-1][1] if loose is None else loose if owned else loose.copy()
        self._loose.append(loose)
        out: list[Change] = []
        if not self._settled:
            if index - self._start + 1 >= self.settle:
                change = self._settle(index)
                if change is not None:
                    out.append(change)
            return out
        if not self._changed(mask, prev, loose):
            self._pending = 0
            if index - self._start < self.grow and len(self._masks) >= 3:
                # After a cut the encoder sharpens the new text over several frames: let the
                # reference take in pixels that have since been stable for three frames, so the
                # sharpening is not mistaken for new text. Only early on: later growth is news.
                stable = cv2.bitwise_and(cv2.bitwise_and(mask, self._masks[-2][1]), self._masks[-3][1])
                assert self._ref is not None
                self._ref = cv2.bitwise_or(self._ref, stable)
                self._ref_pixels = cv2.countNonZero(self._ref)
                self._set_dilated(dilate(self._ref, 2))
            return out
        self._pending += 1
        if self._pending < self.confirm:
            return out
        # Confirmed at `index`; the change began at most `confirm - 1` frames before, possibly earlier
        # for a detector that lags (new text needs two frames to count as persistent).
        newest = self._masks[-1][1]
        fresh_part = cv2.bitwise_and(newest, self._outside)
        fresh_pixels = cv2.countNonZero(fresh_part)
        ref, ref_pixels = self._ref, self._ref_pixels
        assert ref is not None

        def looks_new(i: int) -> bool:
            m = self._mask_at(i)
            if ref_pixels >= self.min_pixels and overlap(ref, self._loose_at(i)) < self.keep * ref_pixels:
                return True
            return fresh_pixels >= self.min_pixels and overlap(fresh_part, dilate(m)) >= 0.5 * fresh_pixels

        lo = max(self._start + 1, self._masks[0][0])
        hi = index - self.confirm + 1
        start = min(first_true(lo, hi, looks_new), hi)
        self._prev_ref, self._prev_pixels = self._ref, self._ref_pixels
        self._start = start
        self._pending = 0
        self._settled = False
        self._ref = None
        if index - start + 1 >= self.settle:
            change = self._settle(index)
            if change is not None:
                out.append(change)
        return out


SAME_CORE = 0.95  # share of a line's mask pixels found again (1-px tolerance) for it to hold the same
# text: the same subtitle keeps 93-100% over moving backgrounds; strict, so that a digit changing
# (5-8% of a line's pixels) is not taken for the same text
TALL_EDGE = 0.12  # of the frame height: mask runs this tall are edges in the picture, not strokes


def propose_lines(gray: np.ndarray, *, max_boxes: int = 8) -> list[Box]:
    """Boxes of line-shaped clusters of text-mask pixels in a whole frame.

    The detector of a downscaled frame misses small or busy-background text that the mask sees
    at native size (a 20-px watermark, white outlined text over foliage-like clutter); these boxes
    are read at native size instead. Largest first, padded.
    """
    mask = text_mask(gray)
    h, w = mask.shape
    # Long vertical edges (colour bars, door frames) would join every line they pass into one blob
    # too tall to be text: taken out first. No character stroke is this tall (captions are at most
    # 9% of the height). Looked for on every other row, a quarter of the work (the opening's cost
    # grows with the kernel's height too): an edge's runs keep their length to a row.
    tall = max(8, int(TALL_EDGE * h))
    half = np.ascontiguousarray(mask[::2])
    edges = cv2.morphologyEx(half, cv2.MORPH_OPEN, np.ones((max(4, tall // 2), 1), np.uint8))
    mask = cv2.subtract(mask, np.repeat(edges, 2, axis=0)[:h])
    joined = cv2.dilate(mask, np.ones((3, 15), np.uint8))  # characters of a line into one blob
    boxes: list[tuple[int, Box]] = []  # (mask pixels, box)
    for x, y, bw, bh in sorted(component_boxes(joined), key=lambda b: (b[1], b[0])):  # top to bottom
        if not (10 <= bh <= h / 6 and bw >= 1.5 * bh and bw <= 0.98 * w):
            continue
        count = cv2.countNonZero(mask[y:y + bh, x:x + bw])
        if count < 40 or not 0.05 <= count / (bw * bh) <= 0.6:
            continue
        boxes.append((count, Box(x, y, x + bw, y + bh)))
    # Pieces of one line (split at a wide space, "抖音号：" + handle) are read together: the
    # detector needs the context, and the row must be judged whole.
    merged: list[tuple[int, Box]] = []
    for count, b in sorted(boxes, key=lambda cb: cb[1].x0):
        for k, (c2, m) in enumerate(merged):
            if b.overlap_y(m) >= 0.5 * min(b.height, m.height) and b.x0 - m.x1 <= 2 * max(b.height, m.height):
                merged[k] = (count + c2, Box.union((b, m)))
                break
        else:
            merged.append((count, b))
    out = []
    for _, box in sorted(merged, reverse=True)[:max_boxes]:
        pad = max(4, box.height // 3)
        out.append(box.grown(pad, pad, w, h))
    return out


def text_bbox(mask: np.ndarray, line_height: float) -> Box | None:
    """Where the text of a band mask is, padded for the OCR detector: rows and columns holding a
    few mask pixels (stray clutter pixels do not widen it). None when there is nothing."""
    rows = np.flatnonzero(np.count_nonzero(mask, axis=1) >= 3)
    cols = np.flatnonzero(np.count_nonzero(mask, axis=0) >= 2)
    if rows.size == 0 or cols.size == 0:
        return None
    h, w = mask.shape
    pad_y, pad_x = int(0.5 * line_height), int(1.0 * line_height)
    return Box(int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1).grown(pad_x, pad_y, w, h)


def same_lines(a: np.ndarray, b: np.ndarray, lines: list[Box]) -> bool:
    """Whether masks `a` and `b` hold the same text on `lines` (boxes of centred lines): each
    covers SAME_CORE of the other there, with a 1-px tolerance."""
    for x0, y0, x1, y1 in lines:
        pa, pb = a[y0:y1, x0:x1], b[y0:y1, x0:x1]
        na, nb = cv2.countNonZero(pa), cv2.countNonZero(pb)
        if not na or not nb or overlap(pa, dilate(pb)) < SAME_CORE * na or overlap(pb, dilate(pa)) < SAME_CORE * nb:
            return False
    return bool(lines)


CLUTTER_LINES = 3  # line heights: a joined mask cluster this tall is no single line but a busy
# background that swallowed the lines (the bench's zooming fractal: 3.6 line heights, off centre),
# or a caption of three lines: either way the interval is read, its centring not judged


def component_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of each 8-connected component of a 0/1 mask, as connectedComponentsWithStats
    gives them, from the components' outer borders: 5-25x cheaper on a band's joined mask (the
    stats pass scans every pixel twice). Order: not the labels' (callers must not depend on it)."""
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return []
    # RETR_CCOMP: every component's outer border is at the top level (no parent), holes below.
    return [cv2.boundingRect(c) for c, link in zip(contours, hierarchy[0], strict=True) if link[3] < 0]


def _clusters(mask: np.ndarray, line_height: float) -> list[Box]:
    """The mask's characters joined into line-shaped clusters (across gaps of up to a line height)."""
    h = max(2, int(line_height))
    joined = cv2.dilate(mask, np.ones((max(1, h // 4), h), np.uint8))
    return sorted(Box(x, y, x + w, y + hh) for x, y, w, hh in component_boxes(joined)
                  if hh >= 0.4 * line_height and w >= line_height)


def swallowed(mask: np.ndarray, line_height: float) -> bool:
    """Whether a cluster of the mask is too tall for text (CLUTTER_LINES): a line inside it is not
    seen by `centred_lines`, so an interval without centred lines is read all the same."""
    return any(b.height >= CLUTTER_LINES * line_height for b in _clusters(mask, line_height))


def centred_lines(mask: np.ndarray, width: int, line_height: float, *, tolerance: float,
                  allowance: float) -> list[Box]:
    """Boxes of the line-shaped clusters of a band's text mask centred on the frame (`width`).
    Characters are joined across gaps of up to a line height; clusters on one row are judged
    together (a phone number's groups), or, when the row is not centred, the widest run of
    neighbouring clusters in it that is: a busy picture's bright cells on the row of a subtitle
    (the bench's Game of Life) put the row's middle off centre, and the cue went unread."""
    rows: list[tuple[Box, list[Box]]] = []
    for b in sorted(_clusters(mask, line_height), key=lambda b: b.x0):
        for i, (r, members) in enumerate(rows):
            if b.overlap_y(r) >= 0.5 * min(b.height, r.height):
                rows[i] = (Box.union((r, b)), [*members, b])
                break
        else:
            rows.append((b, [b]))

    def centred(box: Box) -> bool:
        return abs(box.cx - width / 2) <= tolerance * width + allowance * box.height

    out = []
    for row, members in rows:
        if centred(row):
            out.append(row)
            continue
        best = _widest_centred_run(members, centred)
        if best is not None:
            out.append(best)
    return out


def _widest_centred_run(members: list[Box], centred: Callable[[Box], bool]) -> Box | None:
    """The widest union of neighbouring boxes (in `members`' order) that is centred; each run is
    grown from its first box, so a busy row of n clusters costs n^2 unions, not n^3."""
    best: Box | None = None
    for i in range(len(members)):
        run = members[i]
        for j in range(i, len(members)):
            run = Box.union((run, members[j]))
            if centred(run) and (best is None or run.width > best.width):
                best = run
    return best
