"""Agreement between Chinese subtitles and Mandarin speech, and where it is (not) computed."""

from __future__ import annotations

import pytest
from align_tracks import seg, speech, subs

from vidscribe.align import DISAGREEMENT_THRESHOLD, agreement, align, comparison_key


def test_comparison_key_normalises_script_width_case_punctuation_and_digits():
    assert comparison_key("加入俄羅斯軍隊！") == "加入俄罗斯军队"
    assert comparison_key("月薪 ２０万，ＯＫ？") == comparison_key("月薪20万ok")
    assert comparison_key("二〇二四年") == comparison_key("2024年")
    assert comparison_key("軍隊", "none") == "軍隊"


def test_agreement_scores():
    assert agreement("加入俄羅斯軍隊。", "加入俄罗斯军队") == 1.0  # script and punctuation do not count
    assert agreement("加入俄罗斯军队", "加入俄罗斯部队") == pytest.approx(1 - 1 / 7, abs=1e-3)
    assert agreement("签约奖金两百万卢布", "今天天气很好") == 0.0
    assert agreement("月薪二十万", "月薪20万") == 0.8  # 十 has no digit: one edit
    assert agreement("！！！", "你好") is None  # nothing to compare on one side
    assert agreement("軍隊", "军队", "none") == 0.0  # why comparison needs one script
    assert agreement("加" * 2001, "加" * 2000) is None  # too long to compare in reasonable time
    assert agreement("加" * 20, "加" * 10_000) == 0.002


def test_mandarin_lines_are_scored_and_disagreements_flagged():
    sp = speech(seg((0.5, 1.9, "加入俄罗斯军队")), seg((2.1, 3.5, "今天天气很好")))
    lines = align(sp, subs((0.4, 2.0, "加入俄羅斯軍隊"), (2.0, 3.6, "签约奖金两百万卢布")), 4.0)
    assert [(ln.agreement, ln.disagrees) for ln in lines] == [(1.0, False), (0.0, True)]
    assert DISAGREEMENT_THRESHOLD == 0.5


def test_flag_threshold_is_strict():
    sp = speech(seg((0.0, 1.0, "甲乙")))
    (line,) = align(sp, subs((0.0, 1.0, "甲丙")), 1.0)
    assert (line.agreement, line.disagrees) == (0.5, False)


@pytest.mark.parametrize("language", ["zh", "ZH", "zh-CN"])
def test_mandarin_language_codes(language):
    (line,) = align(speech(seg((0.0, 1.0, "你好")), language=language), subs((0.0, 1.0, "你好")), 1.0)
    assert line.agreement == 1.0


@pytest.mark.parametrize(("language", "task", "text"), [
    ("ru", "transcribe", " вступай в армию"),  # Russian speech under Chinese subtitles
    ("zh", "translate", " Join the army"),  # Whisper translated the Mandarin to English
    ("ja", "transcribe", "軍隊"),  # Han characters, but not Mandarin
    (None, "transcribe", "军队"),  # language unknown: no claim either way
])
def test_no_score_where_the_comparison_does_not_apply(language, task, text):
    sp = speech(seg((0.0, 1.0, text)), language=language, task=task)
    (line,) = align(sp, subs((0.0, 1.0, "加入军队")), 1.0)
    assert line.speech is not None
    assert (line.agreement, line.disagrees) == (None, None)


def test_one_sided_lines_are_not_scored():
    sp = speech(seg((0.0, 1.0, "你好")), seg((3.0, 4.0, "再见")))
    lines = align(sp, subs((0.0, 1.0, "你好"), (1.5, 2.5, "没有人说")), 4.0)
    assert [(ln.agreement, ln.disagrees) for ln in lines] == [(1.0, False), (None, None), (None, None)]


def test_subtitle_without_chinese_is_not_scored():
    (line,) = align(speech(seg((0.0, 1.0, "电话"))), subs((0.0, 1.0, "+7 999 123-45-67")), 1.0)
    assert line.agreement is None
