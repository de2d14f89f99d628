"""Which clusters of a band's text mask are centred lines (`detect.centred_lines`): masks of
rendered CJK lines with a busy picture's bright cells on their row, no video."""

from __future__ import annotations

import numpy as np
from cjk_masks import render

from vidscribe.subtitles.band import Band
from vidscribe.subtitles.detect import centred_lines
from vidscribe.subtitles.text import CENTRE_TOLERANCE, SYMBOL_ALLOWANCE
from vidscribe.subtitles.tracking import BandTrack

W, H, LINE = 1280, 272, 44


def _lines(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    return [tuple(b) for b in centred_lines(mask, W, LINE, tolerance=CENTRE_TOLERANCE, allowance=SYMBOL_ALLOWANCE)]


def _cells(mask: np.ndarray, *boxes: tuple[int, int, int, int]) -> np.ndarray:
    """Bright cells of a busy picture (a Game of Life), drawn as filled blocks."""
    out = mask.copy()
    for x0, y0, x1, y1 in boxes:
        out[y0:y1, x0:x1] = 1
    return out


def test_a_centred_line_with_cells_far_to_one_side_on_its_row_is_still_found() -> None:
    line = render((("无需俄语基础", 506, 150),), width=W, height=H, size=LINE)
    busy = _cells(line, (10, 160, 90, 190), (100, 175, 180, 200))
    found = _lines(busy)
    assert len(found) == 1
    x0, y0, x1, y1 = found[0]
    assert 480 <= x0 <= 510 and 760 <= x1 <= 800 and y0 >= 140  # the line, not the cells
    assert abs((x0 + x1) / 2 - W / 2) < 0.05 * W


def test_a_row_centred_as_a_whole_stays_whole() -> None:
    """A phone number's groups far apart: judged together, as one line."""
    groups = render((("电话", 300, 150), ("999", 600, 150), ("4567", 880, 150)), width=W, height=H, size=LINE)
    found = _lines(groups)
    assert len(found) == 1 and found[0][0] <= 310 and found[0][2] >= 960


def test_cells_alone_off_centre_are_no_line() -> None:
    assert _lines(_cells(np.zeros((H, W), np.uint8), (10, 160, 120, 190), (150, 170, 260, 200))) == []


def _track() -> BandTrack:
    return BandTrack(Band(0, H, float(LINE)), W, "light", [], ocr=lambda *a, **k: None)


def test_a_line_a_busy_picture_joined_into_a_tall_cluster_is_read() -> None:
    """long-mixed at 59.5 s: the test pattern's edges join a karaoke line into one centred cluster
    several lines tall; the line's strokes turn colour (gone from the last frame's mask) and the
    pattern moves, so first and last masks differ inside the cluster. Too tall to be a line, it
    is read, its stillness not judged (CLUTTER_LINES); a line alone that moved is not read."""
    line = render((("联系我们了解详情", 464, 120),), width=W, height=H, size=LINE)
    first = _cells(line, (560, 10, 600, 120), (640, 164, 680, 262))
    half = render((("联系我们", 640, 120),), width=W, height=H, size=LINE)
    last = _cells(half, (520, 20, 560, 120), (700, 164, 740, 262))
    masks = [np.packbits(first), np.packbits(last)]
    assert _track()._still_centred_line(first, masks)
    moved = render((("联系我们了解详情", 400, 120),), width=W, height=H, size=LINE)
    assert not _track()._still_centred_line(line, [np.packbits(line), np.packbits(moved)])
