"""Pure parts of the subtitle stage added for real-looking clips, tested without video: scripts,
cue assembly for repeats, colour-tolerant change tracking, bands found late, screen text blocks,
centring judged with room for a symbol."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vidscribe.geometry import Box
from vidscribe.subtitles.assemble import GAP_SHARE, keep_row, merge_stacked, owns, without_moving
from vidscribe.subtitles.band import MARGIN_LINES, Band, band_around
from vidscribe.subtitles.bandread import BandReader, ink_span, may_lack_marks, with_marks, within
from vidscribe.subtitles.cues import CueDraft, Reading, build_cues
from vidscribe.subtitles.detect import ChangeTracker, same_place, stays_put, swallowed, text_mask, text_masks
from vidscribe.subtitles.engines import TextLine
from vidscribe.subtitles.reading import without_symbols
from vidscribe.subtitles.screen import ScreenDraft, group_blocks, is_screen_block
from vidscribe.subtitles.scripts import (
    CYRILLIC,
    HAN_SCRIPT,
    LATIN,
    ScriptReading,
    binarise,
    choose,
    needs_second_reading,
    script_of,
    surest_cyrillic,
)
from vidscribe.subtitles.text import Row, bare, is_centred, join_rows
from vidscribe.subtitles.tracking import Interval
from vidscribe.subtitles.verify import Verify, differing_box, segments, split_frame
from vidscribe.transcripts.model import Subtitles, Transcript, VideoMeta

# --- scripts ---------------------------------------------------------------------------------------

def test_script_of_a_line() -> None:
    assert script_of("签约奖金 +7 999") == HAN_SCRIPT
    assert script_of("Пункт отбора работает") == CYRILLIC
    assert script_of("WeChat: ruarmy2024") == LATIN
    assert script_of("2024 — 50") == "other"


def test_only_latin_readings_get_a_second_reading() -> None:
    assert needs_second_reading("yHkT ot6opa pa6oTaeT")  # Cyrillic read as Latin look-alikes
    assert needs_second_reading("@army_contract_2024")  # a handle: Tesseract will say Latin
    assert not needs_second_reading("加入俄罗斯军队")  # Chinese lines are read once
    assert not needs_second_reading("+7 999 12")  # digits: nothing a Cyrillic reader adds


def test_choose_takes_a_sure_cyrillic_reading_and_keeps_latin_lines() -> None:
    ppocr = ("yHkT ot6opa pa6oTaeT", 0.83)
    assert choose(*ppocr, ScriptReading("Пункт отбора работает", 0.9, CYRILLIC)) == \
        ("Пункт отбора работает", 0.9, CYRILLIC)
    # Tesseract unsure, or reading Latin: PP-OCR's text stands (it reads Latin well).
    assert choose(*ppocr, ScriptReading("Пункт отбора", 0.1, CYRILLIC))[2] == LATIN
    assert choose("WeChat: ruarmy2024", 0.99, ScriptReading("WeChat: ruarmy2024", 0.91, LATIN)) == \
        ("WeChat: ruarmy2024", 0.99, LATIN)
    assert choose("WeChat", 0.99, None) == ("WeChat", 0.99, LATIN)


def test_the_surest_cyrillic_reading_of_several_frames_counts() -> None:
    middle, start = ("Зарплата бт двухсот", 0.62), ("Зарплата от двухсот", 0.81)
    blurred = ("3apnaTa", 0.9)  # surer, but not Cyrillic
    latin = ("Telegram", 0.85)  # no Cyrillic text: the English model need not even read it
    asked: list[int] = []

    def english(confidences: list[float]):
        def ask(i: int) -> float:
            asked.append(i)
            return confidences[i]
        return ask

    assert surest_cyrillic([middle, start, blurred], english([0.3, 0.4, 0.9])) == ScriptReading(*start, CYRILLIC)
    assert asked == [1]  # the English model read the surest Cyrillic frame only
    asked.clear()
    # The surest Russian reading is English-looking there (a Latin line, say): the next one counts.
    assert surest_cyrillic([middle, start], english([0.3, 0.9])) == ScriptReading(*middle, CYRILLIC)
    assert asked == [1, 0]
    assert surest_cyrillic([latin], english([0.95])) == ScriptReading(*latin, LATIN) and asked == [1, 0]
    assert surest_cyrillic([blurred, latin], english([0.1, 0.1])) == ScriptReading(*blurred, LATIN)  # the first
    assert surest_cyrillic([], english([])) is None


def test_symbols_after_a_caption_are_not_text() -> None:
    assert without_symbols("签约就发钱☎") == "签约就发钱"
    assert without_symbols("★ 高薪急招 ★") == "高薪急招"
    assert without_symbols("¥150000 +7") == "¥150000 +7"  # currency and signs stay
    assert without_symbols("不看学历→") == "不看学历"  # an arrow emoji read as an arrow sign
    assert without_symbols("签约就发钱-") == "签约就发钱"  # ... or as a dash after a Chinese line
    assert without_symbols("电话 123-45-") == "电话 123-45-"  # digits cut at a dash stay as read


# --- centring, bands -------------------------------------------------------------------------------

def test_a_line_with_a_symbol_or_comma_after_it_is_still_centred() -> None:
    width = 720
    # "签约就发钱" (100 px characters) + an emoji, centred together: the text's box sits half a
    # character left of the middle.
    text = Row("签约就发钱", 0.99, Box(60, 500, 560, 600))
    assert is_centred(text, width)
    assert not is_centred(Row("抖音号：abc", 0.9, Box(20, 30, 240, 60)), width)  # a corner watermark
    small = Row("加入军队", 0.99, Box(360 - 80 + 70, 1000, 360 + 80 + 70, 1040))  # 70 px off, 40 px high
    assert not is_centred(small, width)  # the allowance grows with the line's height


def test_a_band_holds_three_lines_whichever_was_seen() -> None:
    h = 80
    band = band_around(500, 500 + h, h, 1920)
    assert band.y0 <= 500 - 2 * 1.25 * h and band.y1 >= 500 + h + 2 * 1.25 * h
    assert MARGIN_LINES >= 2.5
    assert band_around(10, 90, h, 1920).y0 == 0  # clipped to the frame


def test_a_caption_read_by_two_overlapping_bands_is_one_cue() -> None:
    def cue(start: float, *rows: Row) -> CueDraft:
        text, score, box = join_rows(rows)
        return CueDraft(start, start + 3.0, text, score, box, None, [], rows)

    top = Row("俄军招募", 0.99, Box(200, 100, 520, 190))
    middle = Row("欢迎咨询", 0.99, Box(200, 215, 520, 305))
    bottom = Row("不看学历", 0.98, Box(200, 330, 520, 420))
    cut = Row("个有子刀", 0.6, Box(200, 100, 520, 150))  # the top line as a band's edge cut it
    merged = merge_stacked([cue(6.0, top, middle), cue(6.02, cut, middle, bottom), cue(6.0, Row(
        "加入俄罗斯军队", 0.99, Box(150, 1060, 570, 1110)))])
    assert sorted(c.text for c in merged) == ["俄军招募\n欢迎咨询\n不看学历", "加入俄罗斯军队"]
    # Not the same frames: two cues.
    assert len(merge_stacked([cue(6.0, top), cue(7.5, middle)])) == 2
    # Starting on one frame, one band's cue ending a few frames early (a sign crossed that band,
    # long-mixed at 85.7 s): one cue, to the later end. Ending far apart: two.
    early = CueDraft(6.0, 8.77, *join_rows((middle, bottom)), None, [], (middle, bottom))
    (one,) = merge_stacked([cue(6.0, top), early])
    assert (one.start, one.end, one.text) == (6.0, 9.0, "俄军招募\n欢迎咨询\n不看学历")
    much_earlier = CueDraft(6.0, 8.2, *join_rows((middle, bottom)), None, [], (middle, bottom))
    assert len(merge_stacked([cue(6.0, top), much_earlier])) == 2


def test_ink_span_widens_a_box_over_its_line_not_past_a_gap() -> None:
    cols = np.zeros(400, int)
    cols[40:60] = 5  # the first letter PP-OCR left out
    cols[70:300] = 5  # the rest of the line (its box)
    cols[360:380] = 5  # something else, far away
    assert ink_span(cols, 70, 300, max_gap=20) == (40, 300)


# --- cues: repeats ---------------------------------------------------------------------------------

def _r(start: float, end: float, text: str, score: float = 0.97, blank: bool = False) -> Reading:
    return Reading(start, end, text, score, blank=blank)


def test_the_same_text_again_after_a_blank_gap_of_frames_is_a_second_cue() -> None:
    gap = 3 / 30
    cues = build_cues([_r(0.0, 1.2, "今天报名"), _r(1.2, 1.2 + gap, "", 0.0, blank=True),
                       _r(1.2 + gap, 2.5, "今天报名")])
    assert [(c.start, c.end) for c in cues] == [(0.0, 1.2), (1.2 + gap, 2.5)]
    # Not blank (something passed in front, the text was unreadable): one cue.
    cues = build_cues([_r(0.0, 1.2, "今天报名"), _r(1.2, 1.3, "", 0.0), _r(1.3, 2.5, "今天报名")])
    assert [(c.start, c.end) for c in cues] == [(0.0, 2.5)]


@pytest.mark.parametrize("texts", [("还剩3个名额", "还剩2个名额", "还剩1个名额"), ("月薪20万", "月薪25万"),
                                   ("真实可靠，不收任何费用，先到先得", "真实可靠，不收任何费用，先到后得")])
def test_texts_one_character_apart_back_to_back_are_separate_cues(texts: tuple[str, ...]) -> None:
    readings = [_r(i * 1.5, (i + 1) * 1.5, t) for i, t in enumerate(texts)]
    cues = build_cues(readings)
    assert [(c.start, c.text) for c in cues] == [(i * 1.5, t) for i, t in enumerate(texts)]


def test_karaoke_pieces_of_one_text_are_one_cue() -> None:
    pieces = [_r(i * 0.3, (i + 1) * 0.3, "所有手续我们来办") for i in range(8)]
    (cue,) = build_cues(pieces)
    assert (cue.start, cue.end, cue.text) == (0.0, pytest.approx(2.4), "所有手续我们来办")


def test_an_unsure_reading_one_character_off_joins_its_cue() -> None:
    cues = build_cues([_r(0.0, 1.5, "真实可靠，不收任何费用"), _r(1.5, 3.0, "真实可靠，不收任何费甩", 0.8)])
    assert [c.text for c in cues] == ["真实可靠，不收任何费用"]


def test_readings_differing_only_in_punctuation_are_one_cue() -> None:
    # A caption read `欢迎咨询.` on its first frames, `欢迎咨询` after: one cue, both surely read.
    cues = build_cues([_r(0.0, 0.6, "俄军招募\n欢迎咨询."), _r(0.6, 4.4, "俄军招募\n欢迎咨询")])
    assert [(c.start, c.end, c.text) for c in cues] == [(0.0, 4.4, "俄军招募\n欢迎咨询")]
    assert bare("名额有限，先到先得") == bare("名额有限 先到先得") != bare("名额有限，先到后得")
    # A stray mark alone is no cue.
    assert build_cues([_r(0.0, 1.0, ".")]) == []


def test_a_whole_line_reading_puts_back_only_marks() -> None:
    box = Box(100, 500, 500, 540)
    rows = [Row("名额有限 先到先得", 0.98, box, "han"), Row("Пункт", 0.9, Box(100, 550, 300, 580), "cyrillic")]
    whole = [Row("名额有限，先到先得", 0.95, box, "han")]
    assert [r.text for r in with_marks(rows, whole)] == ["名额有限，先到先得", "Пункт"]
    assert with_marks(rows, whole)[0].score == 0.98
    # Another character read differently: the detector's reading stands.
    assert with_marks(rows, [Row("名额有限，先到后得", 0.99, box)])[0].text == "名额有限 先到先得"
    # Fewer marks than the detector's reading: it stands too.
    assert with_marks([Row("高薪急招，", 0.9, box)], [Row("高薪急招", 0.99, box)])[0].text == "高薪急招，"
    # A mark at an end of the whole reading is the crop's room (a box edge read as `：`): not taken.
    assert with_marks([Row("每月按时发放工资", 0.99, box)], [Row("每月按时发放工资：", 0.9, box)])[0].text == \
        "每月按时发放工资"
    assert with_marks([Row("名额有限 先到先得，", 0.99, box)], [Row("：名额有限，先到先得", 0.9, box)])[0].text == \
        "名额有限，先到先得，"
    # A caption's trailing `，` the detector left out is put back; a colon at the end is not.
    assert with_marks([Row("欢迎咨询", 0.99, box)], [Row("欢迎咨询，", 0.99, box)])[0].text == "欢迎咨询，"
    assert with_marks([Row("欢迎咨询", 0.99, box)], [Row("欢迎咨询：", 0.99, box)])[0].text == "欢迎咨询"


# --- change tracking -------------------------------------------------------------------------------

def _band(text: str | None, colour: int = 255, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.clip(rng.normal(90, 20, (80, 400)), 0, 255).astype(np.uint8)
    if text:
        glyphs = np.zeros_like(img)
        cv2.putText(glyphs, text, (40, 55), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 255, 3)
        img[cv2.dilate(glyphs, np.ones((7, 7), np.uint8)) > 0] = 0
        img[glyphs > 0] = colour
    return img


def test_a_text_changing_colour_is_the_same_text_for_the_tracker() -> None:
    tracker = ChangeTracker(150)
    changes = []
    for i in range(40):
        colour = 255 if i < 15 else 125  # white, then red-ish (grey ~120): karaoke
        strict, loose = text_masks(_band("JOIN ARMY", colour, seed=i), 110)
        changes += [c.index for c in tracker.push(i, strict, loose)]
    assert changes == [0]
    # Without the tolerant mask the colour change reads as the text going away.
    tracker = ChangeTracker(150)
    gone = [c.index for i in range(40) for c in tracker.push(i, text_mask(_band("JOIN ARMY", 255 if i < 15 else 125,
                                                                              seed=i)))]
    assert gone != [0]


def test_a_tracker_may_start_at_any_frame() -> None:
    tracker = ChangeTracker(150)
    got = [c.index for i in range(100, 140) for c in tracker.push(i, text_mask(_band("JOIN" if i >= 120 else None,
                                                                                   seed=i)))]
    assert got == [100, 120]


def test_stays_put() -> None:
    still = text_mask(_band("JOIN ARMY"))
    moved = np.roll(still, 30, axis=1)
    assert stays_put(still, text_mask(_band("JOIN ARMY", seed=5)))
    assert not stays_put(still, moved)
    assert stays_put(np.zeros_like(still), moved)  # nothing to judge


def test_same_place_tolerates_clutter_and_lost_colour_not_movement() -> None:
    first = text_mask(_band("JOIN ARMY"))
    clutter = first.copy()
    clutter[::3, ::2] = 1  # a busy background adds pixels to the last frame
    assert not stays_put(clutter, first)  # the old test: the cluttered last frame is not "still"
    assert same_place(clutter, first, keep=0.6)
    lost = first.copy()
    lost[:, : first.shape[1] // 2] = 0  # karaoke: the sung half turned red, out of the strict mask
    assert same_place(lost, first, keep=0.6)
    assert not same_place(np.roll(first, 60, axis=1), first, keep=0.6)  # a sign moving through (0.5 s at 120 px/s)


def test_a_line_swallowed_by_a_busy_background_is_still_read() -> None:
    line = text_mask(_band("JOIN ARMY"))  # 80 rows, a line about 30 px high
    assert not swallowed(line, 30)
    busy = line.copy()
    busy[::4, ::3] = 1  # bright edges everywhere: one cluster, the whole band tall
    assert swallowed(busy, 20)


# --- screen text -----------------------------------------------------------------------------------

def _rows(*boxes: tuple[int, int, int, int]) -> list[Row]:
    return [Row(f"line {i}", 0.95, Box(*b)) for i, b in enumerate(boxes)]


def test_a_screenshot_is_one_block_of_left_aligned_lines() -> None:
    width = 720
    shot = _rows((98, 420, 300, 460), (98, 488, 540, 528), (98, 556, 470, 596), (98, 624, 400, 664))
    caption = _rows((250, 100, 470, 190), (200, 215, 520, 305))  # two centred caption lines
    blocks = group_blocks(shot + caption)
    assert sorted(len(b) for b in blocks) == [2, 4]
    by_size = {len(b): b for b in blocks}
    assert is_screen_block(by_size[4], width)
    assert not is_screen_block(by_size[2], width)  # centred lines: a caption, cues' business
    assert not is_screen_block(shot[:1], width)  # one line: a watermark or a title


def test_a_row_inside_a_screen_block_is_not_a_cue() -> None:
    block = ScreenDraft(2.0, 6.0, "通知\n体检时间", 0.99, Box(58, 380, 662, 800))
    row = Row("体检时间：每周一至周五", 0.99, Box(98, 488, 580, 528))  # nearly centred by chance
    assert is_centred(row, 720)
    assert not keep_row(row, 3.0, 720, [], [block])
    assert keep_row(row, 7.0, 720, [], [block])  # the block is gone by then


def test_gap_share_is_below_what_a_line_keeps() -> None:
    assert 0.3 < GAP_SHARE < 0.85  # a gap keeps the background's 40-50%; a text 85-100%


# --- transcript ------------------------------------------------------------------------------------

def test_old_transcripts_load_and_new_fields_round_trip() -> None:
    old = {"schema_version": 1, "video": {"id": "a", "source": "a.mp4"},
           "subtitles": {"cues": [{"start": 0.0, "end": 1.0, "text": "加入", "confidence": 0.9}]}}
    t = Transcript.from_dict(old)
    assert t.subtitles is not None and t.subtitles.cues[0].lines == [] and t.subtitles.screen_text == []
    assert t.subtitles.still is False
    from vidscribe.transcripts.model import CueLine, ScreenText
    subs = Subtitles(cues=[], screen_text=[ScreenText(0.0, 0.0, "通知\n请提前预约", 0.98, [1, 2, 3, 4],
                                                      lines=[CueLine("通知", "han", [1, 2, 3, 4], 0.99)])],
                     still=True)
    again = Transcript.from_dict(Transcript(video=VideoMeta(id="a", source="a.png"), subtitles=subs).to_dict())
    assert again.subtitles == subs


# --- texts one character apart inside one interval (verify.py) -------------------------------------

def test_split_frame_finds_where_the_digit_changed() -> None:
    h, w = 40, 200
    three, two = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
    cv2.putText(three, "AB3C", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 2)
    cv2.putText(two, "AB2C", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 2)
    rng = np.random.default_rng(0)
    frames = []
    for i in range(40):
        m = (three if i < 23 else two).copy()
        m[rng.random((h, w)) < 0.01] = 1  # clutter
        frames.append(np.packbits(m))
    k = split_frame(frames, (h, w), 100, 102, 136, Box(50, 0, 110, 40))
    assert k == 123


def test_segments_split_an_interval_where_sure_looks_differ() -> None:
    def rows(text: str, score: float = 0.99) -> list[Row]:
        return [Row(text, score, Box(100, 1000, 400, 1040))]

    h, w = 60, 720
    masks = [np.packbits(np.zeros((h, w), np.uint8)) for _ in range(60)]
    verify = Verify((2, np.zeros(1)), (55, np.zeros(1)), masks, 0, (h, w))
    got = segments(0, 60, 30, rows("还剩2个名额"), [(2, rows("还剩3个名额")), (55, rows("还剩2个名额"))], verify, 990)
    assert [(g.start <= 30, g.rows[0].text) for g in got] == [(True, "还剩3个名额"), (True, "还剩2个名额")]
    assert got[0].end == got[1].start and 2 < got[1].start <= 30
    # An unsure look is OCR noise, not a change; the same text everywhere is one segment.
    assert len(segments(0, 60, 30, rows("还剩2个名额"), [(2, rows("还剩3个名额", 0.7))], verify, 990)) == 1
    assert len(segments(0, 60, 30, rows("月薪20万"), [(2, rows("月薪20万")), (55, rows("月薪20万"))], verify, 990)) == 1


def test_differing_box_is_around_the_changed_character() -> None:
    a = [Row("月薪20万", 0.99, Box(100, 0, 300, 40))]
    b = [Row("月薪25万", 0.99, Box(100, 0, 300, 40))]
    box = differing_box(a, b)
    assert box is not None and box.x0 <= 100 + 3 * 40 <= box.x1 and box.x1 - box.x0 <= 4 * 40
    assert differing_box(a, a) is None


def _band_with_ink(*spans: tuple[int, int]) -> np.ndarray:
    """A dark band crop (BGR, 100 px high) with white blocks between rows 30 and 70 at each x span:
    ink the text mask sees (light with a dark edge)."""
    crop = np.full((100, 600, 3), 20, np.uint8)
    for x0, x1 in spans:
        crop[30:70, x0:x1] = 255
    return crop


def test_a_line_is_read_whole_only_where_a_mark_may_be_missing() -> None:
    band_y0 = 500
    row = Row("加入俄罗斯军队", 0.99, Box(100, 530, 400, 570))
    one_box = [TextLine("加入俄罗斯军队", 0.99, row.box)]
    # The detector's box holds all the ink: nothing to add.
    assert not may_lack_marks(row, one_box, _band_with_ink((100, 400)), band_y0, "light")
    # Ink goes on past the box (a trailing `，` or `！` the detector left out).
    assert may_lack_marks(row, one_box, _band_with_ink((100, 400), (410, 425)), band_y0, "light")
    # Ink far beyond the line (another piece of text across a gap) is not the line's.
    assert not may_lack_marks(row, one_box, _band_with_ink((100, 400), (560, 590)), band_y0, "light")
    # Two boxes on the row: the detector split it, maybe at a mark whose box was dropped.
    two = [TextLine("加入俄罗", 0.99, Box(100, 530, 240, 570)), TextLine("斯军队", 0.99, Box(262, 530, 400, 570))]
    assert may_lack_marks(row, two, _band_with_ink((100, 240), (262, 400)), band_y0, "light")
    # Dark text on a light box: the same, on the inverted crop.
    assert may_lack_marks(row, one_box, 255 - _band_with_ink((100, 400), (410, 425)), band_y0, "dark")
    # A row outside the crop (no caller gives one): read whole, no error.
    assert may_lack_marks(row, one_box, _band_with_ink((100, 400)), band_y0 + 500, "light")


@pytest.mark.parametrize("read, line", [
    ("工资直接打到银行卡.", "工资直接打到银行卡"),  # a speck of the picture beside the line
    ("无需俄语基础“", "无需俄语基础"),
    ("：加入俄罗斯军队：", "加入俄罗斯军队"),  # a subtitle box's edges
    ("一年合同，", "一年合同，"),  # a caption's trailing mark stays
    ("名额有限，先到先得！", "名额有限，先到先得！"),
    ("月薪3000美元", "月薪3000美元"),
])
def test_a_whole_line_reading_loses_what_its_crop_adds_at_the_ends(read: str, line: str) -> None:
    assert within(read) == line


def _intervals(*spans: tuple[float, float]) -> list[Interval]:
    out = []
    for start, end in spans:
        iv = Interval(0, 1000, False)
        iv.start_t, iv.end_t = start, end
        out.append(iv)
    return out


def test_lines_read_at_places_a_move_apart_are_not_cue_text() -> None:
    lh = 90.0
    sign = [Row("超市营业中", 1.0, Box(x, 800, x + 240, 850)) for x in (500, 470, 440)]
    subtitle = [Row("加入俄罗斯军队", 1.0, Box(200 + d, 600, 520 + d, 650)) for d in (0, 2, -1)]
    later_sign = Row("超市营业中", 1.0, Box(90, 801, 330, 851))  # alone, 20 s on: the same line
    marked = Row("名额有限，先到先得", 1.0, Box(200, 600, 560, 650))  # gained a trailing mark: grew
    per = [[sign[0], subtitle[0]], [sign[1], subtitle[1]], None, [sign[2], subtitle[2]],
           [Row("名额有限先到先得", 1.0, Box(200, 600, 530, 650))], [marked], [later_sign]]
    ivs = _intervals((0, 0.2), (0.2, 0.4), (0.4, 0.5), (0.5, 0.7), (1, 3), (3, 5), (20, 21))
    kept = without_moving(ivs, per, lh)
    assert kept[2] is None
    assert [[r.text for r in rows] for rows in kept if rows is not None] == [
        ["加入俄罗斯军队"], ["加入俄罗斯军队"], ["加入俄罗斯军队"], ["名额有限先到先得"], ["名额有限，先到先得"], []]


def test_a_still_band_is_left_as_it_is() -> None:
    rows = [[Row("还剩3个名额", 1.0, Box(300, 600, 520, 650))], [Row("还剩3个名额", 1.0, Box(301, 600, 521, 650))]]
    assert without_moving(_intervals((0, 1), (1.1, 2)), rows, 50.0) == rows


def test_a_line_two_bands_read_goes_to_one_of_them_on_a_near_tie() -> None:
    """long-mixed at 199.7 s: a caption band at the top and a middle band overlap; both read
    `欢迎咨询` whole, in boxes a few px apart, and by the nearest lines alone each judged the other
    band nearer: neither kept the line and the cue `欢迎咨询 / 不看学历` lost it. On such a tie the
    band with more room around the line takes it, judged alike from either box."""
    top = Band(0, 555, 128.0, lines_cy=(268.5,))
    middle = Band(372, 985, 92.4, lines_cy=(679.0,))
    bands = [top, middle]
    as_top_read_it = Row("欢迎咨询", 0.99, Box(128, 410, 598, 539))
    as_middle_read_it = Row("欢迎咨询", 0.99, Box(128, 406, 593, 532))
    assert owns(middle, as_middle_read_it, bands)
    assert not owns(top, as_top_read_it, bands)
    # No tie: the nearest lines decide, as before.
    assert owns(top, Row("俄军招募", 0.99, Box(128, 300, 598, 420)), bands)
    assert not owns(middle, Row("俄军招募", 0.99, Box(128, 380, 598, 500)), bands)
    assert owns(middle, Row("不看学历", 0.99, Box(132, 556, 588, 671)), bands)


def _bars_line(colours: list[tuple[int, int, int]], square: tuple[int, int, int] | None = None) -> np.ndarray:
    """A BGR line crop: outlined bars (strokes) in the given colours on a grey picture, and a
    light square of another colour right after them on black (a test pattern's square touching the
    line's last letter)."""
    image = np.full((60, 320, 3), 90, np.uint8)
    for i, colour in enumerate(colours):
        x = 20 + 16 * i
        image[13:47, x - 2:x + 7] = 0  # the dark outline
        image[15:45, x:x + 5] = colour
    if square is not None:
        x = 20 + 16 * len(colours)
        image[10:50, x - 4:x + 56] = 0
        image[20:40, x + 4:x + 44] = square
    return image


def test_the_cyrillic_readers_ink_is_the_lines_colour_only() -> None:
    """The light edges of a coloured square touching the line pass the text mask, but they are not
    in the line's ink colour (INK_COLOUR_DISTANCE): Tesseract gets the strokes alone. A line drawn
    in two colours (a karaoke sweep halfway, MAX_OFF_COLOUR) or in a gradient (the colour compared
    near each pixel) keeps every stroke."""
    white, cyan, yellow = (255, 255, 255), (255, 255, 0), (0, 255, 255)
    scale, pad = 48 / 60, 12  # binarise scales the 60-px crop to 48 px and pads it

    def at(x: int) -> int:
        return int(x * scale) + pad

    ink = binarise(_bars_line([white] * 10, square=cyan)) == 0
    assert ink[:, :at(180)].any()
    assert not ink[:, at(184):at(224)].any()  # the square's edges are gone
    plain = text_mask(cv2.cvtColor(_bars_line([white] * 10, square=cyan), cv2.COLOR_BGR2GRAY))
    assert plain[:, 184:224].any()  # ... which the text mask alone keeps
    sweep = binarise(_bars_line([yellow] * 5 + [white] * 5)) == 0
    gradient = binarise(_bars_line([(int(255 * k / 15), 255, int(255 - 255 * k / 15)) for k in range(16)])) == 0
    for line, bars in ((sweep, 10), (gradient, 16)):
        assert all(line[:, at(20 + 16 * i):at(25 + 16 * i)].any() for i in range(bars))


class _ScriptedEngine:
    """An OCR engine that reads the lines it is given, wherever it is asked: counts its calls."""

    name = "scripted"
    models = ("det", "rec")

    def __init__(self, lines: list[TextLine]):
        self.lines, self.calls, self.recognised = lines, 0, 0

    def read(self, image: np.ndarray, keep=None) -> list[TextLine]:
        self.calls += 1
        kept = [ln for ln in self.lines if keep is None or keep(ln.box)]  # as the engines do
        self.recognised += len(kept)
        return kept


class _Cyrillic:
    model = "scripted"

    def surest(self, images: list[np.ndarray], polarity: str = "light") -> ScriptReading:
        return ScriptReading("Пункт отбора работает", 0.9, CYRILLIC)


class _Counts:
    ocr, ocr_calls, script_calls, verify_calls = 0.0, 0, 0, 0


@pytest.mark.parametrize("chinese_score, cyrillic, looks", [
    (0.99, True, 1),  # only the Russian line is unsure: the Cyrillic reader reads it again anyway
    (0.99, False, 2),  # no Cyrillic reader: PP-OCR's reading of it is kept, so it is checked
    (0.80, True, 2),  # the Chinese line is unsure: the other copy is read too
])
def test_a_second_look_is_for_lines_only_pp_ocr_reads(chinese_score: float, cyrillic: bool, looks: int) -> None:
    crop = np.zeros((200, 720, 3), np.uint8)
    for y0, y1, x0, x1 in ((50, 80, 210, 510), (115, 145, 160, 560)):  # the lines' ink: light strokes
        crop[y0:y1, x0:x1:8] = 255
    engine = _ScriptedEngine([TextLine("加入俄罗斯军队", chinese_score, Box(200, 40, 520, 90)),
                              TextLine("yHKT OT6opa pa6oTaeT", 0.75, Box(150, 110, 570, 150))])
    reader = BandReader(engine, _Counts(), _Cyrillic() if cyrillic else None, frame_height=1280)
    read = reader(crop, Box(0, 0, 720, 200), crop.copy(), "light", 900)
    assert engine.calls == looks
    assert [r.text for r in read.rows][0] == "加入俄罗斯军队"


@pytest.mark.parametrize("moves, reads", [(False, 2), (True, 1)])
def test_a_line_at_the_text_boxs_side_is_read_again_on_the_whole_band_unless_it_moves(moves: bool,
                                                                                        reads: int) -> None:
    """A sign entering the band touches the side of the text box the mask found: reading the whole
    band again for it cost long-mixed 70 calls that changed nothing."""
    crop = np.zeros((200, 720, 3), np.uint8)
    crop[50:80, 460:470] = 255  # a light stroke with a dark edge where the line is read
    other = np.zeros_like(crop) if moves else crop.copy()
    engine = _ScriptedEngine([TextLine("超市营业中", 0.99, Box(240, 45, 320, 85))])  # in the text box's crop:
    # at 440-520 in the band, touching the text box's right side
    BandReader(engine, _Counts(), None, frame_height=1280)(crop, Box(200, 0, 520, 200), other, "light", 900)
    assert engine.calls == reads


@pytest.mark.parametrize("text_box, reads", [(Box(200, 0, 720, 200), 1), (Box(200, 0, 700, 200), 2)])
def test_a_line_at_the_bands_own_edge_is_not_read_again(text_box: Box, reads: int) -> None:
    """A line touching the side of its text box that is the band's edge (a sign at the frame's
    edge) has nothing past it to read: the band is not read again for it."""
    crop = np.zeros((200, 720, 3), np.uint8)
    crop[50:80, 640:650] = 255
    engine = _ScriptedEngine([TextLine("超市营业中", 0.99, Box(text_box.width - 100, 45, text_box.width, 85))])
    BandReader(engine, _Counts(), None, frame_height=1280)(crop, text_box, crop.copy(), "light", 900)
    assert engine.calls == reads


def test_a_piece_moving_through_the_band_is_not_recognised() -> None:
    """A box whose ink is elsewhere in the interval's other copy (a sign passing) is dropped before
    the recogniser reads it: on long-mixed such pieces made a fifth of its work."""
    crop = np.zeros((200, 720, 3), np.uint8)
    crop[50:80, 210:510:8] = 255  # the subtitle's ink: in both copies
    other = crop.copy()
    crop[120:150, 40:160:8] = 255  # a sign: here now, gone in the other copy
    engine = _ScriptedEngine([TextLine("加入俄罗斯军队", 0.99, Box(200, 40, 520, 90)),
                              TextLine("超市营业中", 0.99, Box(30, 110, 170, 160))])
    read = BandReader(engine, _Counts(), None, frame_height=1280)(crop, Box(0, 0, 720, 200), other, "light", 900)
    assert engine.recognised == 1
    assert [r.text for r in read.rows] == ["加入俄罗斯军队"]


@pytest.mark.parametrize("loose, bright", [(110, 170), (0, 170), (1, 255), (0, 0), (200, 200)])
def test_text_masks_are_the_text_mask_at_each_level(loose: int, bright: int) -> None:
    """Both masks of one pass are `text_mask` at their own brightness: the shared edge test done
    first changes no pixel, a level of 0 (every pixel bright enough) included."""
    rng = np.random.default_rng(loose + bright)
    gray = cv2.GaussianBlur((rng.random((90, 160)) * 255).astype(np.uint8), (3, 3), 0)
    gray[20:40, 30:130] = 0
    gray[25:35, 40:120:6] = 255  # strokes with a dark edge
    strict, lo = text_masks(gray, loose, bright=bright)
    assert np.array_equal(strict, text_mask(gray, bright=bright))
    assert np.array_equal(lo, text_mask(gray, bright=loose))
    assert strict.any() and lo.any()


@pytest.mark.parametrize("pixel_format", ["yuv420p", "yuvj420p"])
def test_text_masks_on_luma_are_the_grey_ones(pixel_format: str) -> None:
    """The track pass's masks come from the luma plane without the grey table: brightness levels
    map exactly, the edge contrast by the table's slope (a pixel in hundreds may differ)."""
    from vidscribe.media.frames import _LUTS
    from vidscribe.subtitles.detect import LOOSE_BRIGHT, luma_text_masks

    lut = _LUTS[pixel_format]
    rng = np.random.default_rng(3)
    luma = rng.integers(0, 256, (120, 400), dtype=np.uint8)
    luma[40:80, 50:350] = cv2.GaussianBlur(luma[40:80, 50:350], (0, 0), 2)  # smooth parts: few edges
    grey = cv2.LUT(luma, lut)
    for ours, theirs in zip(luma_text_masks(luma, lut, LOOSE_BRIGHT), text_masks(grey, LOOSE_BRIGHT), strict=True):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert np.count_nonzero(ours != theirs) <= 0.01 * max(1, np.count_nonzero(theirs))
    def both(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return luma_text_masks(y, lut, LOOSE_BRIGHT)[0], text_masks(cv2.LUT(y, lut), LOOSE_BRIGHT)[0]

    flat = np.full((20, 20), 5, np.uint8)
    flat[5:15, 5:15] = int(np.argmax(lut >= 170))  # the first luma that is 170 grey: text
    ours, theirs = both(flat)
    assert ours[10, 6] == theirs[10, 6] == 1
    flat[5:15, 5:15] -= 1  # one below: not
    ours, theirs = both(flat)
    assert ours.max() == theirs.max() == 0
