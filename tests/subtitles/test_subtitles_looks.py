"""A long interval's copies near its start and end are read again only when their text masks
differ from the middle copy's (`verify.same_looks`): masks of rendered CJK lines, no video."""

from __future__ import annotations

import numpy as np
import pytest
from cjk_masks import render
from hypothesis import given, settings
from hypothesis import strategies as st

from vidscribe.geometry import Box
from vidscribe.subtitles.text import Row
from vidscribe.subtitles.verify import Verify, cell_sums, lines_look_alike, same_looks

W, H = 720, 120
LINE = 44
REGION = Box(0, 0, W, H)


def _packed(*masks: np.ndarray, each: int = 3) -> list[np.ndarray]:
    """Packed masks of frames showing each of `masks` for `each` frames in turn."""
    return [np.packbits(m) for m in masks for _ in range(each)]


LOOKS = [1, 4, 7]  # the middle frame of each mask's three


def _line(text: str, dx: int = 0) -> np.ndarray:
    return render(((text, 160 + dx, 30),), width=W, height=H, size=LINE)


def test_the_same_line_in_three_frames_looks_the_same() -> None:
    m = _line("还剩3个名额")
    assert same_looks(_packed(m, m, m), (H, W), 0, LOOKS, REGION, LINE)


def test_jitter_and_lost_pixels_look_the_same() -> None:
    """A pixel of jitter and a few percent of the strokes lost (compression) are no new text."""
    rng = np.random.default_rng(1)
    m = _line("签约奖金两百万卢布")
    jittered = _line("签约奖金两百万卢布", dx=1)
    lossy = m & (rng.random(m.shape) > 0.03).astype(np.uint8)
    frames = [np.packbits(x) for x in (m, jittered, lossy, m, jittered, m & (rng.random(m.shape) > 0.03))]
    assert same_looks(frames, (H, W), 0, [1, 3, 4], REGION, LINE)


@pytest.mark.parametrize("before, after", [("还剩3个名额", "还剩2个名额"), ("月薪20万", "月薪25万"),
                                           ("今天报名明天出发", "今天报名后天出发"), ("$2,400", "$2,700")])
def test_one_character_apart_does_not(before: str, after: str) -> None:
    a, b = _line(before), _line(after)
    for frames in ([a, a, b], [a, b, b], [b, a, a]):
        assert not same_looks(_packed(*frames), (H, W), 0, LOOKS, REGION, LINE), frames


def test_a_character_added_at_the_end_does_not() -> None:
    a, b = _line("还剩9个名额"), _line("还剩9个名额了")
    assert not same_looks(_packed(a, a, b), (H, W), 0, LOOKS, REGION, LINE)


def test_frames_are_found_by_their_index_and_an_empty_region_cannot_tell() -> None:
    a, b = _line("还剩3个名额"), _line("还剩2个名额")
    masks = _packed(a, a, a, b)  # frames 10..21
    assert same_looks(masks, (H, W), 10, [10, 14, 17], REGION, LINE)
    assert not same_looks(masks, (H, W), 10, [10, 14, 21], REGION, LINE)
    assert not same_looks(masks, (H, W), 10, [10, 14, 17], Box(5, 5, 5, 50), LINE)


def test_clutter_that_comes_and_goes_is_no_new_text() -> None:
    """Specks of a busy background beside and over the line, a different set each frame."""
    rng = np.random.default_rng(2)
    m = _line("加入俄罗斯军队")
    frames = [np.packbits(m | (rng.random(m.shape) > 0.97).astype(np.uint8)) for _ in range(9)]
    assert same_looks(frames, (H, W), 0, LOOKS, REGION, LINE)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(2, 30), st.integers(0, 2**32 - 1))
def test_cell_sums_count_every_cell(h: int, w: int, cell: int, seed: int) -> None:
    mask = (np.random.default_rng(seed).random((h, w)) > 0.5).astype(np.uint8)
    sums = cell_sums(mask, cell)
    step = max(1, cell // 2)
    for i, y in enumerate(range(0, max(1, h - cell + step), step)):
        for j, x in enumerate(range(0, max(1, w - cell + step), step)):
            assert sums[i, j] == mask[y:y + cell, x:x + cell].sum()
    assert sums.shape == (len(range(0, max(1, h - cell + step), step)), len(range(0, max(1, w - cell + step), step)))


def _verify(*masks: np.ndarray, each: int = 3) -> Verify:
    """A long interval of frames showing each of `masks` for `each` frames; looks at frames 1 and
    the last (its copies near the start and end)."""
    packed = _packed(*masks, each=each)
    none = np.zeros((H, W, 3), np.uint8)
    return Verify((1, none), (len(packed) - 2, none), packed, 0, (H, W), looks=True)


BAND_Y0 = 900  # the band's top in the frame: rows are in frame pixels


def _row(text: str, mask: np.ndarray) -> Row:
    ys, xs = np.nonzero(mask[:70])
    return Row(text, 0.99, Box(int(xs.min()), BAND_Y0 + int(ys.min()), int(xs.max()) + 1, BAND_Y0 + int(ys.max()) + 1))


def _bilingual(chinese: str, russian_dx: int) -> np.ndarray:
    return render(((chinese, 160, 10), ("Зарплата от двухсот тысяч", 120 + russian_dx, 70)), width=W, height=H,
                  size=LINE)


def test_a_line_one_digit_apart_is_told_on_its_own_line() -> None:
    """`奖金100万卢布` turning into `奖金200万卢布` (long-mixed, 6.2 s) is still told apart when only the
    Chinese line's own rows are looked at, the Russian line under it unchanged."""
    a, b = _bilingual("奖金100万卢布", 0), _bilingual("奖金200万卢布", 0)
    verify = _verify(a, a, b)
    assert not lines_look_alike(verify, [_row("奖金100万卢布", a)], BAND_Y0, middle_at=4)


def test_what_changes_off_the_chinese_lines_is_not_looked_at() -> None:
    """The Russian line under the Chinese one moving (or blurring, or a sign passing there) made the
    band-wide test call most long intervals unalike; the Chinese line's own test does not."""
    a, b = _bilingual("奖金100万卢布", 0), _bilingual("奖金100万卢布", 40)
    verify = _verify(a, a, b)
    assert not same_looks(verify.masks, verify.shape, 0, [1, 4, 7], REGION, LINE)
    assert lines_look_alike(verify, [_row("奖金100万卢布", a)], BAND_Y0, middle_at=4)
    assert lines_look_alike(verify, [], BAND_Y0, middle_at=4)
