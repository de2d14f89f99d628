"""Pure logic of the subtitle stage: similarity, rows, cue merging, bisection, band finding."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.errors import ConfigError
from vidscribe.subtitles.band import Sample, candidate_bands, parse_band, static_texts
from vidscribe.subtitles.cues import Reading, build_cues
from vidscribe.subtitles.detect import first_true
from vidscribe.subtitles.engines import Box, TextLine
from vidscribe.subtitles.scripts import CYRILLIC
from vidscribe.subtitles.text import Row, cer, group_rows, join_rows, similarity, squash
from vidscribe.transcripts.model import to_jsonable

CJK = st.text(alphabet="加入俄罗斯军队签约奖金两百万卢布月薪 ，1234", max_size=12)


@given(CJK, CJK)
def test_similarity_bounds(a: str, b: str) -> None:
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0
    assert s == similarity(b, a)
    assert similarity(a, a) == 1.0


def test_squash_and_cer_ignore_width_and_spaces() -> None:
    assert squash("电话 +7 999\n１２３") == "电话+7999123"
    assert cer("名额有限,先到先得", "名额有限，先到先得") == 0.0
    assert cer("加入俄罗斯车队", "加入俄罗斯军队") == pytest.approx(1 / 7)
    assert cer("", "") == 0.0 and cer("x", "") == 1.0


def test_group_rows_joins_a_line_split_at_a_wide_space() -> None:
    lines = [TextLine("@recruit", 0.9, Box(300, 100, 420, 130)), TextLine("抖音号：", 0.8, Box(200, 102, 270, 128)),
             TextLine("加入军队", 0.99, Box(220, 200, 380, 240))]
    rows = group_rows(lines)
    assert [r.text for r in rows] == ["抖音号： @recruit", "加入军队"]
    assert rows[0].box == (200, 100, 420, 130)
    assert rows[0].score == pytest.approx((4 * 0.8 + 8 * 0.9) / 12)


def test_a_watermark_beside_a_big_caption_is_not_part_of_its_row() -> None:
    """The Douyin watermark drawn over a big caption's box, its text a third as tall: two rows
    (the caption centred, the watermark off-centre), not `抖音号速来报名`."""
    rows = group_rows([TextLine("速来报名", 1.0, Box(110, 10, 508, 110)), TextLine("抖音号", 0.9, Box(22, 46, 84, 80))])
    assert sorted(r.text for r in rows) == ["抖音号", "速来报名"]
    # One line's parts near one height still join.
    rows = group_rows([TextLine("电话", 0.99, Box(100, 10, 160, 50)), TextLine("+7 999", 0.99, Box(170, 14, 300, 46))])
    assert [r.text for r in rows] == ["电话 +7 999"]


def test_join_rows_stacks_lines_top_down() -> None:
    joined = join_rows([Row("第二行", 0.9, Box(10, 60, 90, 90)), Row("第一行", 0.7, Box(20, 20, 80, 50))])
    assert joined == ("第一行\n第二行", pytest.approx(0.8), (10, 20, 90, 90))
    assert join_rows([]) is None


def test_a_russian_line_read_unsurely_does_not_sink_the_chinese_line_above_it() -> None:
    """A Cyrillic line's score is Tesseract's confidence (right readings 0.37-0.96), not PP-OCR's:
    the cue's score is its PP-OCR lines', so the bilingual cue is kept with both lines."""
    chinese = Row("名额有限，先到先得", 1.0, Box(164, 1004, 555, 1052), "han")
    russian = Row("Опыт службы не обязателен.", 0.37, Box(112, 1068, 607, 1110), CYRILLIC)
    text, score, _ = join_rows([russian, chinese])
    assert text == "名额有限，先到先得\nОпыт службы не обязателен." and score == 1.0
    cues = build_cues([Reading(36.1, 38.5, text, score, rows=(chinese, russian))])
    assert [c.text for c in cues] == [text]
    # A cue of Cyrillic lines alone is judged on them; a PP-OCR line read as Latin counts as ever.
    assert join_rows([russian])[1] == 0.37
    assert join_rows([chinese, replace(russian, script="latin")])[1] < 0.7


BOXES = st.builds(lambda x, y, w, h: Box(x, y, x + w, y + h), st.integers(0, 50), st.integers(0, 50),
                  st.integers(0, 30), st.integers(0, 30))


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """The intersection over union the subtitle code used before `Box`, on plain tuples."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union if union > 0 else 0.0


@given(BOXES, BOXES)
def test_box_iou_and_union(a: Box, b: Box) -> None:
    assert a.iou(b) == pytest.approx(_iou(tuple(a), tuple(b))) == pytest.approx(b.iou(a))
    assert Box.union([a, b]) == (min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1))
    assert Box.union([a]) == a


def test_box_is_a_plain_tuple_to_readers() -> None:
    box = Box(10, 20, 110, 50)
    assert box == (10, 20, 110, 50) and tuple(box) == (10, 20, 110, 50)
    x0, y0, x1, y1 = box
    assert (x0, y1) == (box.x0, box.y1)
    assert (box.width, box.height, box.area, box.cx, box.cy) == (100, 30, 3000, 60.0, 35.0)
    assert box.grown(15, 25, 120, 60) == (0, 0, 120, 60)
    # transcript.json keeps `box` as [x0, y0, x1, y1]
    assert json.dumps(to_jsonable({"box": box})) == '{"box": [10, 20, 110, 50]}'


def _r(start: float, end: float, text: str, score: float = 0.95) -> Reading:
    return Reading(start, end, text, score)


def test_build_cues_merges_repeats_across_small_gaps() -> None:
    cues = build_cues([
        _r(0.0, 1.0, "加入俄罗斯军队"), _r(1.0, 1.2, "加入俄罗斯车队", 0.7), _r(1.2, 2.0, "加入俄罗斯军队"),
        _r(2.0, 2.2, ""), _r(2.2, 3.0, "签约奖金两百万卢布"),
    ])
    assert [(c.start, c.end, c.text) for c in cues] == [(0.0, 2.0, "加入俄罗斯军队"), (2.2, 3.0, "签约奖金两百万卢布")]
    assert len(cues[0].readings) == 3


def test_build_cues_joins_a_misread_piece_split_off_by_an_occlusion() -> None:
    cues = build_cues([_r(2.5, 2.77, "签约奖金两自万户布", 0.93), _r(2.77, 4.2, "签约奖金两百万卢布", 0.91)])
    assert [(c.start, c.end, c.text) for c in cues] == [(2.5, 4.2, "签约奖金两百万卢布")]
    # ... but two long cues one number apart stay two cues.
    cues = build_cues([_r(0.0, 2.0, "月薪二十万卢布"), _r(2.0, 4.0, "月薪三十万卢布")])
    assert [c.text for c in cues] == ["月薪二十万卢布", "月薪三十万卢布"]


def test_build_cues_keeps_identical_lines_apart_after_a_real_gap() -> None:
    cues = build_cues([_r(0.0, 1.0, "今天报名"), _r(1.0, 2.0, ""), _r(2.0, 3.0, "今天报名")])
    assert [(c.start, c.end) for c in cues] == [(0.0, 1.0), (2.0, 3.0)]


def test_build_cues_drops_fragments_but_keeps_short_cues() -> None:
    cues = build_cues([
        _r(0.0, 0.4, "今天报名"),  # short but clear: a real cue
        _r(0.4, 0.44, "签约", 0.99),  # one frame: a transition fragment
        _r(1.0, 2.0, "x口", 0.4),  # unsure: noise read as text
    ])
    assert [c.text for c in cues] == ["今天报名"]


def test_build_cues_votes_for_the_best_supported_text() -> None:
    cues = build_cues([_r(0.0, 0.2, "加入俄罗斯车队", 0.99), _r(0.2, 2.0, "加入俄罗斯军队", 0.95)])
    assert [c.text for c in cues] == ["加入俄罗斯军队"]


@given(st.lists(st.booleans(), max_size=40))
def test_first_true_finds_the_boundary(prefix: list[bool]) -> None:
    flags = sorted(prefix)  # monotone: False... then True...
    calls: list[int] = []

    def pred(i: int) -> bool:
        calls.append(i)
        return flags[i]

    got = first_true(0, len(flags) - 1, pred)
    assert got == (flags.index(True) if True in flags else len(flags))
    assert len(calls) <= max(1, len(flags)).bit_length() + 1


def test_parse_band() -> None:
    assert parse_band("0.7:0.95", 1000) == (700, 950)
    assert parse_band("900:1100", 1280) == (900, 1100)
    assert parse_band(" 600 : 5000 ", 1280) == (600, 1280)
    for bad in ("bottom", "0.9:0.9", "700"):
        with pytest.raises(ConfigError):
            parse_band(bad, 1280)


def _sample(t: float, *rows: Row) -> Sample:
    return Sample(t, list(rows))


def test_band_from_a_centred_line_that_recurs_at_one_height() -> None:
    w, h = 720, 1280
    sub = lambda text, x0, x1: Row(text, 0.98, Box(x0, 1050, x1, 1100))  # noqa: E731 (centred at 360)
    mark = Row("抖音号：abc", 0.95, Box(20, 30, 240, 60))  # corner watermark
    sign = lambda x: Row("超市 营业中", 0.99, Box(x, 560, x + 280, 620))  # noqa: E731 (moving sign)
    samples = [_sample(0.3, mark, sign(600)), _sample(1.0, sub("加入俄罗斯军队", 200, 520), mark, sign(210)),
               _sample(1.7, sub("签约奖金两百万卢布", 150, 570), mark, sign(-80))]
    bands = candidate_bands(samples, w, h)
    assert len(bands) == 1
    band = bands[0]
    assert band.y0 < 1050 - 50 and band.y1 > 1100 + 50  # room for a second line
    assert band.holds_line(1075) and not band.holds_line(590)
    statics = static_texts(samples, w)
    assert [(s.text, s.samples, s.centred) for s in statics] == [("抖音号：abc", [0, 1, 2], False)]
    assert candidate_bands(samples[:2], w, h) == []  # seen once: not yet


def test_no_band_without_centred_recurring_lines() -> None:
    samples = [_sample(t, Row("抖音号：abc", 0.95, Box(20, 30, 240, 60))) for t in (0.3, 1.0, 1.7, 2.4)]
    assert candidate_bands(samples, 720, 1280) == []
