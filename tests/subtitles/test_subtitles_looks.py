"""A long interval's copies near its start and end are read again only when their text masks
differ from the middle copy's (`verify.same_looks`): masks of rendered CJK lines, no video."""

from __future__ import annotations

import numpy as np
import pytest
from cjk_masks import render
from hypothesis import given, settings
from hypothesis import strategies as st

from vidscribe.geometry import Box
from vidscribe.subtitles.bandread import BandReader
from vidscribe.subtitles.engines import TextLine
from vidscribe.subtitles.text import Row
from vidscribe.subtitles.verify import Verify, cell_sums, line_looks_alike, same_looks


class _Counts:
    ocr, ocr_calls, script_calls, verify_calls = 0.0, 0, 0, 0

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
    assert not line_looks_alike(verify, _row("奖金100万卢布", a), BAND_Y0, middle_at=4)


def test_what_changes_off_the_chinese_lines_is_not_looked_at() -> None:
    """The Russian line under the Chinese one moving (or blurring, or a sign passing there) made the
    band-wide test call most long intervals unalike; the Chinese line's own test does not."""
    a, b = _bilingual("奖金100万卢布", 0), _bilingual("奖金100万卢布", 40)
    verify = _verify(a, a, b)
    assert not same_looks(verify.masks, verify.shape, 0, [1, 4, 7], REGION, LINE)
    assert line_looks_alike(verify, _row("奖金100万卢布", a), BAND_Y0, middle_at=4)



class _Recogniser:
    """An engine whose detector finds `lines` and whose recogniser reads each crop as the line of
    its size, or as `later[line]` on the copy near the interval's end. Counts the crops."""

    name, models = "scripted", ("det", "rec")

    def __init__(self, lines: list[TextLine], later: dict[int, str], latest: np.ndarray,
                 earlier: dict[int, str] | None = None, first: np.ndarray | None = None):
        self.lines, self.later, self.latest, self.crops = lines, later, latest, 0
        self.earlier, self.first = earlier or {}, first

    def read(self, image: np.ndarray, keep=None) -> list[TextLine]:
        return list(self.lines)

    def recognise(self, images: list[np.ndarray]) -> list[tuple[str, float]]:
        self.crops += len(images)
        out = []
        for im in images:
            # The reader's crop of a line holds half a line of room at each side.
            boxes = [ln.box for ln in self.lines]
            k = min(range(len(boxes)), key=lambda i: abs(boxes[i].width + boxes[i].height - im.shape[1]))
            if np.shares_memory(im, self.latest):
                out.append((self.later.get(k, self.lines[k].text), 0.99))
            elif self.first is not None and np.shares_memory(im, self.first):
                out.append((self.earlier.get(k, self.lines[k].text), 0.99))
            else:
                out.append((self.lines[k].text, 0.99))
        return out


def _ink_box(mask: np.ndarray, y0: int, y1: int) -> Box:
    ys, xs = np.nonzero(mask[y0:y1])
    return Box(int(xs.min()), y0 + int(ys.min()), int(xs.max()) + 1, y0 + int(ys.max()) + 1)


def test_only_the_lines_that_differ_are_read_near_the_start_and_end() -> None:
    """A two-line cue whose first line turns one digit apart late in the interval: only the copy
    near its end is read, on that line alone (the second line shows the middle's characters there,
    and so does the copy near the start: the middle reading stands for theirs), and the interval is
    still split on the first line."""
    def two(first: str) -> np.ndarray:
        return render(((first, 160, -4), ("欢迎中国朋友加入", 120, 56)), width=W, height=H, size=LINE)

    a, b = two("奖金100万卢布"), two("奖金200万卢布")
    packed = _packed(a, a, b)
    first, latest = np.zeros((H, W, 3), np.uint8), np.zeros((H, W, 3), np.uint8)
    verify = Verify((1, first), (7, latest), packed, 0, (H, W), looks=True)
    lines = [TextLine("奖金100万卢布", 0.99, _ink_box(a, 0, 61)),
             TextLine("欢迎中国朋友加入", 0.99, _ink_box(a, 61, H))]
    engine = _Recogniser(lines, {0: "奖金200万卢布"}, latest)
    read = BandReader(engine, _Counts(), None, frame_height=1280)(
        np.zeros((H, W, 3), np.uint8), REGION, None, "light", BAND_Y0, middle_at=4, start=0, end=9,
        verify=verify, line_height=LINE)
    assert engine.crops == 2 + 1  # both lines on the middle copy, the first alone on the copy near the end
    assert [[r.text for r in s.rows] for s in read.segments] == [["奖金100万卢布", "欢迎中国朋友加入"],
                                                                 ["奖金200万卢布", "欢迎中国朋友加入"]]
    assert 3 <= read.segments[1].start <= 6


class _WholeReader:
    """A detector that finds `line` and a recogniser that reads every whole-line crop as `whole`."""

    name, models = "scripted", ("det", "rec")

    def __init__(self, line: TextLine, whole: str):
        self.line, self.whole, self.crops = line, whole, 0

    def read(self, image: np.ndarray, keep=None) -> list[TextLine]:
        return [self.line]

    def recognise(self, images: list[np.ndarray]) -> list[tuple[str, float]]:
        self.crops += len(images)
        return [(self.whole, 0.99)] * len(images)


@pytest.mark.parametrize("past, crops, text", [(0.0, 0, "不看学历"), (0.24, 1, "不看学历，")])
def test_a_long_interval_of_one_text_reads_a_line_whole_only_where_a_mark_may_be_missing(
        past: float, crops: int, text: str) -> None:
    """A long interval whose copies look alike: its Chinese line is read again whole only when ink
    goes on past the detector's box (`不看学历，` in blocky ink: the box held part of the `，`, the
    rest went on 0.24 line heights past it); else the whole reading, a recogniser call, can add
    nothing true (on the realistic bench, 264 of 359 such lines; the one change dropped was an
    emoji read as `！`)."""
    mask = render((("不看学历，", 160, 30),), width=W, height=H, size=LINE)
    ink = _ink_box(mask, 0, H)
    box = Box(ink.x0, ink.y0, ink.x1 - round(past * ink.height), ink.y1)  # in the crop, as detectors give it
    crop = np.repeat(mask[:, :, None] * 255, 3, axis=2).astype(np.uint8)
    engine = _WholeReader(TextLine("不看学历", 0.99, box), "不看学历，")
    verify = _verify(mask, mask, mask)
    read = BandReader(engine, _Counts(), None, frame_height=1280)(
        crop, REGION, None, "light", BAND_Y0, middle_at=4, start=0, end=9, verify=verify, line_height=LINE)
    assert engine.crops == crops
    assert [r.text for r in read.rows] == [text]


def test_a_line_that_differs_near_both_ends_is_read_on_both_copies() -> None:
    """`还剩3个名额`, `还剩2个名额`, `还剩1个名额` in one interval: the line differs from the middle's
    on the copies near both ends, each is read, and the interval is split in three."""
    def one(text: str) -> np.ndarray:
        return render(((text, 160, 30),), width=W, height=H, size=LINE)

    a, b, c = one("还剩3个名额"), one("还剩2个名额"), one("还剩1个名额")
    first, latest = np.zeros((H, W, 3), np.uint8), np.zeros((H, W, 3), np.uint8)
    verify = Verify((1, first), (7, latest), _packed(a, b, c), 0, (H, W), looks=True)
    lines = [TextLine("还剩2个名额", 0.99, _ink_box(b, 0, H))]
    engine = _Recogniser(lines, {0: "还剩1个名额"}, latest, earlier={0: "还剩3个名额"}, first=first)
    read = BandReader(engine, _Counts(), None, frame_height=1280)(
        np.zeros((H, W, 3), np.uint8), REGION, None, "light", BAND_Y0, middle_at=4, start=0, end=9,
        verify=verify, line_height=LINE)
    assert engine.crops == 1 + 1 + 1
    assert [[r.text for r in s.rows] for s in read.segments] == [["还剩3个名额"], ["还剩2个名额"], ["还剩1个名额"]]
