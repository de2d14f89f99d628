"""Findings from screen text (static text blocks, a still image's text) and from the Russian line
of a bilingual cue: their track, time and the way back to the keyframe they were read from."""

from __future__ import annotations

import pytest

from vidscribe.analysis.evidence import finding_keyframe, finding_source, safe_keyframe
from vidscribe.analysis.lexicon import load_lexicons
from vidscribe.analysis.stage import STAGE, analyse, line_matches
from vidscribe.analysis.text import fold
from vidscribe.transcripts.model import Cue, CueLine, Finding, Overlay, ScreenText, Subtitles, Transcript, VideoMeta

REGIONS = ["RU", "CN"]
BLOCK = ScreenText(4.0, 9.5, "报名条件\n签约奖金：200万卢布\nТелеграм: @army_recruit\n+7 999 123-45-67", 0.91,
                   box=[40, 300, 500, 600], keyframe="keyframes/screen-0001.jpg")
BILINGUAL = Cue(0.5, 3.0, "加入俄罗斯军队\nбонус 2 000 000 рублей, Телеграм: @army_recruit", 0.9,
                keyframe="keyframes/0001.jpg",
                lines=[CueLine("加入俄罗斯军队", "han"), CueLine("бонус 2 000 000 рублей, Телеграм: @army_recruit",
                                                          "cyrillic")])


@pytest.fixture(scope="module")
def lexicons():
    return load_lexicons("default")


def transcript(subtitles: Subtitles) -> Transcript:
    return Transcript(video=VideoMeta(id="file-test", source="clip.mp4"), subtitles=subtitles)


def test_screen_text_findings_carry_their_track_time_and_keyframe(lexicons):
    t = transcript(Subtitles(cues=[Cue(0.5, 3.0, "加入俄罗斯军队", 0.9)], screen_text=[BLOCK]))
    screen = [f for f in analyse(t, lexicons, REGIONS) if f.track == "screen"]
    got = {(f.kind, f.value, f.raw) for f in screen}
    assert {("money", "2000000 RUB", "200万卢布"), ("telegram", "@army_recruit", "@army_recruit"),
            ("phone", "+79991234567", "+7 999 123-45-67")} <= got
    assert all((f.start, f.end, f.context) == (4.0, 9.5, BLOCK.text) for f in screen)
    assert all(finding_source(t, f) is BLOCK and finding_keyframe(t, f) == BLOCK.keyframe for f in screen)
    assert not any(f.track == "subtitle" and "报名" in (f.context or "") for f in analyse(t, lexicons, REGIONS))


def test_screen_text_and_a_cue_showing_the_same_number_stay_two_findings(lexicons):
    t = transcript(Subtitles(cues=[Cue(4.0, 6.0, "电话 +7 999 123-45-67", 0.9)], screen_text=[BLOCK]))
    phones = [(f.track, f.start) for f in analyse(t, lexicons, REGIONS) if f.kind == "phone"]
    assert phones == [("subtitle", 4.0), ("screen", 4.0)]  # same time: subtitle sorts first


def test_a_still_images_text_is_found_at_time_zero(lexicons):
    still = ScreenText(0.0, 0.0, "招聘：俄罗斯合同兵\n月薪：20万卢布起\n电话：138 0013 8000", 0.9,
                       keyframe="keyframes/screen-0001.jpg")
    t = transcript(Subtitles(still=True, screen_text=[still],
                             overlays=[Overlay(0.0, 0.0, "抖音号：recruit_demo", 0.9, kind="account")]))
    found = {(f.track, f.kind, f.value) for f in analyse(t, lexicons, REGIONS)}
    assert {("screen", "money", "200000 RUB/month"), ("screen", "phone", "+8613800138000"),
            ("overlay", "account", "recruit_demo")} <= found
    assert all(f.start == f.end == 0.0 for f in analyse(t, lexicons, REGIONS))


def test_the_russian_line_of_a_bilingual_cue_is_read(lexicons):
    t = transcript(Subtitles(cues=[BILINGUAL]))
    found = analyse(t, lexicons, REGIONS)
    assert {(f.kind, f.value, f.raw) for f in found if f.kind != "lexicon"} == {
        ("money", "2000000 RUB", "2 000 000 рублей"), ("telegram", "@army_recruit", "@army_recruit")}
    assert all(f.track == "subtitle" and finding_keyframe(t, f) == "keyframes/0001.jpg" for f in found)


def test_one_amount_in_both_lines_of_a_cue_is_one_finding(lexicons):
    cue = Cue(0.5, 3.0, "签约奖金两百万卢布\nбонус 2 000 000 рублей", 0.9,
              lines=[CueLine("签约奖金两百万卢布", "han"), CueLine("бонус 2 000 000 рублей", "cyrillic")])
    money = [(f.raw, f.value) for f in analyse(transcript(Subtitles(cues=[cue])), lexicons, REGIONS)
             if f.kind == "money"]
    assert money == [("两百万卢布", "2000000 RUB")]  # a repeat on one track at one time: merged


@pytest.mark.parametrize(("text", "expected"), [
    ("бонус 2 000 000 рублей", [("money", "2000000 RUB", "2 000 000 рублей")]),
    ("бонус 2\u00a0000\u00a0000 ₽", [("money", "2000000 RUB", "2\u00a0000\u00a0000 ₽")]),
    ("выплата 2000000р", [("money", "2000000 RUB", "2000000р")]),
    ("от 210 000 рублей в месяц", [("money", "210000 RUB/month", "210 000 рублей")]),
    ("единовременно 1,2 млн руб.", [("money", "1200000 RUB", "1,2 млн руб.")]),
    ("Звоните: +7 999 123-45-67", [("phone", "+79991234567", "+7 999 123-45-67")]),
    ("Тел.: 8 (999) 123-45-67", [("phone", "+79991234567", "8 (999) 123-45-67")]),
    ("Телеграм: @army_recruit", [("telegram", "@army_recruit", "@army_recruit")]),
    ("ТГ: army_recruit", [("telegram", "@army_recruit", "army_recruit")]),
    ("Наш Телеграм-канал: t.me/army_recruit", [("telegram", "@army_recruit", "t.me/army_recruit")]),
    ("ВКонтакте: vk.com/club123", [("url", "vk.com/club123", "vk.com/club123")]),  # not an account "vk.com"
    ("район 200 р-н", []),  # "р" as a word part is no currency
])
def test_russian_amounts_phones_and_channels(text, expected):
    folded = fold(text)
    got = [(m.kind, m.value, folded[m.start:m.end]) for m in line_matches(folded, [], REGIONS)]
    assert got == expected


def test_keyframes_outside_the_transcript_folder_are_dropped():
    assert safe_keyframe("keyframes/screen-0001.jpg") == "keyframes/screen-0001.jpg"
    for bad in ("../../etc/passwd", "/etc/passwd", "keyframes/../../x.jpg", "keyframes/a b.jpg", "", None):
        assert safe_keyframe(bad) is None
    hostile = ScreenText(1.0, 2.0, "电话 +7 999 123-45-67", 0.9, keyframe="../../../secret.jpg")
    t = transcript(Subtitles(screen_text=[hostile]))
    f = Finding("phone", "+79991234567", "+7 999 123-45-67", 1.0, 2.0, "screen", context=hostile.text)
    assert finding_source(t, f) is hostile and finding_keyframe(t, f) is None


def test_a_finding_points_at_the_block_with_its_text():
    first = ScreenText(1.0, 2.0, "报名电话", 0.9, keyframe="keyframes/screen-0001.jpg")
    second = ScreenText(1.0, 3.0, "微信：zhaomu888", 0.9, keyframe="keyframes/screen-0002.jpg")
    t = transcript(Subtitles(screen_text=[first, second]))
    f = Finding("wechat", "zhaomu888", "zhaomu888", 1.0, 3.0, "screen", context="微信：zhaomu888")
    assert finding_keyframe(t, f) == "keyframes/screen-0002.jpg"
    speech = Finding("wechat", "zhaomu888", "zhaomu888", 1.0, 3.0, "speech", context="微信：zhaomu888")
    assert finding_source(t, speech) is None


def test_the_stage_version_says_its_output_changed():
    assert STAGE.version == "2"  # screen text findings: `reprocess --before-version 2` finds older runs
