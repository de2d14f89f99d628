"""Screen text: blocks of static text that are neither subtitles nor the watermark (a screenshot of
a chat or a notice, a photo post's text panel). Found on the track pass's text-mask line proposals
(no OCR) as two or more still lines stacked like a paragraph, off the centre line's rule (left
aligned, or not each centred); each block is read once, at native size, while it is on screen, and
watched for how long it stays. Its lines never become cues.

For a still image (a screenshot or photo post given as the source) every text block is screen
text: `still_blocks` groups the OCR rows of the picture into blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from vidscribe.subtitles.detect import dilate, overlap, stays_put_in, text_mask
from vidscribe.subtitles.engines import Box
from vidscribe.subtitles.text import Row, is_centred, join_rows

BLOCK_GAP = 1.2  # line heights between the lines of one block (paragraph spacing 1.5-1.7 x font size)
HEIGHT_RATIO = 1.8  # lines of one block differ in height by at most this factor
ALIGNED = 0.8  # line heights: lines whose left edges are this close are left-aligned
MIN_LINES = 2  # a single still line is a watermark, a logo or a title: the overlays' business
BLOCK_MARGIN = 0.6  # line heights around a block's lines: its crop for reading and watching
PRESENT_KEEP = 0.6  # share of the block's reference mask found again (1-px tolerance) while shown
MIN_SECONDS = 0.5  # a block shown for less is not reported
MAX_BLOCKS = 60  # per video: blocks are read once each, so this bounds the OCR they cost


@dataclass
class ScreenDraft:
    start: float
    end: float
    text: str
    score: float
    box: Box
    rows: tuple[Row, ...] = ()
    image: np.ndarray | None = None  # BGR crop the text was read from
    image_t: float | None = None


def group_blocks(rows: Sequence[Row], *, gap: float = BLOCK_GAP) -> list[list[Row]]:
    """Rows stacked into blocks, top to bottom: a row joins the block above when it starts within
    `gap` line heights below it, is of a like height and overlaps it horizontally."""
    blocks: list[list[Row]] = []
    for row in sorted(rows, key=lambda r: (r.box.y0, r.box.x0)):
        for block in blocks:
            last = block[-1]
            h = max(last.height, row.height)
            near = 0 <= row.box.y0 - last.box.y1 <= gap * h or row.box.overlap_y(last.box) > 0
            alike = max(last.height, row.height) <= HEIGHT_RATIO * max(1, min(last.height, row.height))
            beside = Box.union(r.box for r in block).overlap_x(row.box) > 0
            if near and alike and beside:
                block.append(row)
                break
        else:
            blocks.append([row])
    return blocks


def is_screen_block(block: Sequence[Row], width: int) -> bool:
    """A paragraph of still text rather than a caption: at least MIN_LINES lines off the centre,
    left-aligned (a screenshot's lines). Centred lines are captions, cues' business; one
    off-centre line under a subtitle is a watermark."""
    loose = [r for r in block if not is_centred(r, width)]
    if len(loose) < MIN_LINES:
        return False
    h = float(np.median([r.height for r in loose]))
    lefts = [r.box.x0 for r in loose]
    return max(lefts) - min(lefts) <= ALIGNED * h


def block_box(boxes: Sequence[Box], width: int, height: int) -> Box:
    h = float(np.median([b.height for b in boxes]))
    return Box.union(boxes).grown(int(BLOCK_MARGIN * h), int(BLOCK_MARGIN * h), width, height)


def still_blocks(rows: Sequence[Row], width: int) -> list[list[Row]]:
    """Every text block of a still picture (single lines included: a photo's caption is one)."""
    return group_blocks(rows)


@dataclass
class ScreenWatch:
    """One block of still text being watched: its reference mask, when it was on screen, and the
    frame it was read from."""

    box: Box
    first: float
    ref: np.ndarray  # 0/1 text mask of the box when found
    ref_pixels: int
    last: float = 0.0
    gone: bool = False
    image: np.ndarray | None = None
    image_t: float = 0.0
    rows: list[Row] = field(default_factory=list)

    def present(self, crop: np.ndarray) -> bool:
        """Whether the block is still shown, from the grey crop of its box."""
        return self.ref_pixels > 0 and overlap(self.ref, dilate(text_mask(crop))) >= PRESENT_KEEP * self.ref_pixels


def find_blocks(proposals: Sequence[Box], gray: np.ndarray, earlier: np.ndarray, width: int,
                watching: Sequence[ScreenWatch], avoid: Sequence[Box] = ()) -> list[Box]:
    """Boxes of new still text blocks among the line proposals of a frame (`gray`, compared with
    `earlier` for stillness); `avoid`: watermarks and other watched text, not screen text."""
    taken = [w.box for w in watching if not w.gone] + list(avoid)
    still = [b for b in proposals if stays_put_in(gray, earlier, b)
             and not any(o.intersection(b) >= 0.5 * b.area for o in taken)]
    rows = [Row("", 0.0, b) for b in still]
    out = []
    for block in group_blocks(rows, gap=BLOCK_GAP + 0.5):  # proposal boxes are padded: looser spacing
        if is_screen_block(block, width):
            out.append(block_box([r.box for r in block], width, gray.shape[0]))
    return out


def start_watch(box: Box, t: float, crop: np.ndarray) -> ScreenWatch:
    """Watch the block in `box`, found at `t` (`crop`: the grey of its box then)."""
    ref = text_mask(crop)
    return ScreenWatch(box, t, ref, cv2.countNonZero(ref), last=t)


def drafts(watches: Sequence[ScreenWatch], step: float) -> list[ScreenDraft]:
    """Screen text of the watched blocks read as text, shown at least MIN_SECONDS."""
    out = []
    for w in watches:
        joined = join_rows(sorted(w.rows, key=lambda r: (r.box.y0, r.box.x0)))
        end = w.last + step
        if joined is None or end - w.first < MIN_SECONDS:
            continue
        text, score, box = joined
        out.append(ScreenDraft(w.first, end, text, score, box, tuple(w.rows), w.image, w.image_t))
    return out
