"""Text that moved between two intervals (a sign passing through, a ticker) is told from a new
subtitle, one growing in place and one leaving: `detect.displaced` on masks of rendered CJK lines."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from cjk_masks import render

from vidscribe.subtitles.detect import GROWTH_PX, dilate, displaced

W, H = 720, 200
LINE = 44  # px: the line height the masks are drawn at
SHIFT = 2 * LINE  # the most a move may span, as the band tracker asks


def _mask(*lines: tuple[str, int, int]) -> np.ndarray:
    """A 0/1 mask of CJK text lines, each (text, x, y) at LINE px, thin strokes as a text mask has."""
    return render(lines, width=W, height=H, size=LINE)


def _box_edges() -> np.ndarray:
    """Static clutter in the band: a box's edges and a vertical line, there in both masks."""
    edges = np.zeros((H, W), np.uint8)
    edges[10:12, 20:700] = 1
    edges[188:190, 20:700] = 1
    edges[:, 365:367] = 1
    return edges


@pytest.mark.parametrize("dx, dy", [(12, 0), (-20, 0), (40, 0), (0, 8), (0, -14)])
def test_a_line_that_moved_is_displaced(dx: int, dy: int) -> None:
    old = _mask(("超市营业中", 200, 80))
    assert displaced(old, _mask(("超市营业中", 200 + dx, 80 + dy)), max_shift=SHIFT)
    static = _box_edges()
    assert displaced(old | static, _mask(("超市营业中", 200 + dx, 80 + dy)) | static, max_shift=SHIFT)


def test_a_line_added_over_a_boxed_cue_is_not() -> None:
    """The cue's box grows by a line: its edges lie on the old box moved by a line height, and so
    does much of the new line, but almost nothing is gone (MOVED_BALANCE)."""
    def boxed(*lines: tuple[str, int, int]) -> np.ndarray:
        mask = _mask(*lines)
        top = min(y for _, _, y in lines)
        mask[top - 4:top - 2, 140:600] = 1
        mask[top + LINE * len(lines) + 8:top + LINE * len(lines) + 10, 140:600] = 1
        return mask
    old = boxed(("所有手续我们来办", 150, 100))
    assert not displaced(old, boxed(("合同期限一年", 170, 50), ("所有手续我们来办", 150, 100)), max_shift=SHIFT)


@pytest.mark.parametrize("new", [("月薪二十万卢布起", 180, 80), ("加入俄罗斯军队", 150, 70), ("还剩2个名额", 200, 80)])
def test_a_new_subtitle_at_the_same_place_is_not(new: tuple[str, int, int]) -> None:
    old = _mask(("还剩3个名额", 200, 80))
    assert not displaced(old, _mask(new), max_shift=SHIFT)
    static = _box_edges()
    assert not displaced(old | static, _mask(new) | static, max_shift=SHIFT)


def test_the_same_line_in_place_or_growing_is_not() -> None:
    old = _mask(("来回机票全部报销", 150, 80))
    assert not displaced(old, old.copy(), max_shift=SHIFT)
    # A fade-in or a thin outline filling in: the strokes grow where they were.
    assert not displaced(old, dilate(old, GROWTH_PX - 1), max_shift=SHIFT)
    assert not displaced(old, np.roll(old, 1, axis=1), max_shift=SHIFT)  # jitter


def test_a_new_line_beside_moving_text_or_a_line_leaving_is_not() -> None:
    old = _mask(("超市营业中", 40, 20))
    # The sign moved, and a subtitle appeared under it: the subtitle is not explained by the move.
    assert not displaced(old, _mask(("超市营业中", 60, 20), ("欢迎中国朋友加入", 150, 120)), max_shift=SHIFT)
    # Two lines, then one of them: nothing moved.
    two = _mask(("先培训两周再上岗", 150, 20), ("包吃包住免费体检", 150, 120))
    assert not displaced(two, _mask(("先培训两周再上岗", 150, 20)), max_shift=SHIFT)


def _outlined(*lines: tuple[str, int, int]) -> np.ndarray:
    """Strokes' edges only, as a text mask of outlined text holds them."""
    m = _mask(*lines)
    return m & (1 - cv2.erode(m, np.ones((3, 3), np.uint8)))


def _clutter(seed: int, lines: int = 3) -> np.ndarray:
    """Short edges of a busy picture (a rotating test pattern), different in every mask."""
    rng = np.random.default_rng(seed)
    m = np.zeros((H, W), np.uint8)
    for _ in range(lines):
        x, y = int(rng.integers(0, W - 60)), int(rng.integers(0, H - 10))
        cv2.line(m, (x, y), (x + int(rng.integers(20, 60)), y + int(rng.integers(-10, 10))), 1, 2)
    return m


@pytest.mark.parametrize("dx", [8, 12, 16])
def test_a_sign_moving_over_a_busy_picture_is_displaced(dx: int) -> None:
    """The picture's edges take a third of the new pixels (long-mixed's test pattern): the move
    still explains the rest, clearly better than any other shift."""
    old = _outlined(("超市营业中", 200, 80)) | _clutter(1)
    assert displaced(old, _outlined(("超市营业中", 200 + dx, 80)) | _clutter(2), max_shift=SHIFT)


def test_a_short_subtitle_beside_a_sign_moving_over_a_busy_picture_is_not() -> None:
    old = _outlined(("超市营业中", 200, 80)) | _clutter(1)
    new = _outlined(("超市营业中", 212, 80), ("好的", 300, 140)) | _clutter(2)
    assert not displaced(old, new, max_shift=SHIFT)


def test_empty_or_mismatched_masks_are_not() -> None:
    old = _mask(("超市营业中", 200, 80))
    assert not displaced(np.zeros_like(old), old, max_shift=SHIFT)
    assert not displaced(old, np.zeros_like(old), max_shift=SHIFT)
    assert not displaced(old, old[:, :-1], max_shift=SHIFT)
    assert not displaced(old, _mask(("超市营业中", 212, 80)), max_shift=2)  # farther than asked
    # Shifts larger than the band itself, and a one-row band: no error.
    assert displaced(old, _mask(("超市营业中", 212, 80)), max_shift=10 * W)
    assert not displaced(old[80:81], old[81:82], max_shift=SHIFT)


def test_on_half_size_masks_a_new_caption_at_the_same_place_is_not() -> None:
    """A band of tall lines has half-size masks: a pixel there is a 2-px cell of the frame, so the
    1-px tolerance is none. With it, two different big captions at one place looked moved by a few
    px (a caption at a 4K or big-caption band's top was lost); a caption that moved still is."""
    w, h = 360, 222
    old = render((("俄军招募", 52, 2),), width=w, height=h, size=60)
    new = render((("欢迎咨询", 52, 2),), width=w, height=h, size=60)
    moved = render((("俄军招募", 72, 2),), width=w, height=h, size=60)
    assert not displaced(old, new, max_shift=120, scale=2)
    assert displaced(old, moved, max_shift=120, scale=2)
