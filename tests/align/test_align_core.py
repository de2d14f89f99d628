"""The pure alignment on hand-built tracks: overlaps, gaps, straddling words, one or no track."""

from __future__ import annotations

from align_tracks import bare, seg, speech, subs

from vidscribe.align import align
from vidscribe.transcripts.model import Subtitles


def summary(lines):
    return [(ln.start, ln.end, ln.subtitle, ln.speech, ln.segments, ln.cues) for ln in lines]


def test_long_segment_is_split_at_cue_boundaries():
    sp = speech(seg((0.5, 1.0, "加入"), (1.0, 1.9, "俄罗斯军队"), (2.1, 2.8, "签约"), (2.8, 3.5, "奖金")))
    lines = align(sp, subs((0.4, 2.0, "加入俄罗斯军队"), (2.0, 3.6, "签约奖金")), 4.0)
    assert summary(lines) == [
        (0.4, 2.0, "加入俄罗斯军队", "加入俄罗斯军队", [0], [0]),
        (2.0, 3.6, "签约奖金", "签约奖金", [0], [1]),
    ]
    assert lines[0].words == [[0, 0], [0, 1]]
    assert lines[1].words == [[0, 2], [0, 3]]


def test_cue_spanning_two_segments_collects_both():
    sp = speech(seg((0.0, 1.0, " Join"), (1.0, 1.5, " the"), (1.5, 2.0, " army.")),
                seg((2.2, 3.0, " Sign"), (3.0, 3.9, " today.")), language="en")
    lines = align(sp, subs((0.0, 4.0, "加入军队 今天签约")), 4.0)
    assert summary(lines) == [(0.0, 4.0, "加入军队 今天签约", "Join the army. Sign today.", [0, 1], [0])]
    assert lines[0].words == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]]
    assert lines[0].agreement is None  # English speech: nothing to compare character by character


def test_pieces_of_two_segments_join_with_a_space_unless_both_are_chinese():
    ru = speech(seg((0.0, 1.0, " Привет"), (1.0, 2.0, " мир")), seg((2.0, 3.0, " как"), (3.0, 4.0, " дела")),
                language="ru")
    assert align(ru, subs((0.0, 4.0, "你好")), 4.0)[0].speech == "Привет мир как дела"
    zh = speech(seg((0.0, 1.0, "你好")), seg((1.0, 2.0, "世界")))
    assert align(zh, subs((0.0, 2.0, "你好世界")), 2.0)[0].speech == "你好世界"


def test_stripped_word_texts_take_their_spacing_from_the_segment_text():
    # The speech stage may store words without Whisper's leading spaces.
    ru = speech(seg((0.0, 0.5, "Привет"), (0.5, 1.0, "мир,"), (1.2, 1.6, "как"), (1.6, 2.0, "дела?"),
                    text="Привет мир, как дела?"), language="ru")
    lines = align(ru, subs((0.0, 1.1, "你好"), (1.1, 2.0, "怎么样")), 2.0)
    assert [ln.speech for ln in lines] == ["Привет мир,", "как дела?"]
    en = speech(seg((0.0, 0.5, "it"), (0.5, 0.7, "'s"), (0.7, 1.0, "fine"), text="it's fine"), language="en")
    assert align(en, None, 1.0)[0].speech == "it's fine"
    assert align(speech(seg((0.0, 0.5, " it"), (0.5, 0.7, "'s")), language="en"), None, 1.0)[0].speech == "it's"


def test_word_spacing_falls_back_on_the_script_when_the_segment_text_differs():
    ru = speech(seg((0.0, 0.5, "вступай"), (0.5, 1.0, "в"), (1.0, 1.5, "армию"), text=""), language="ru")
    assert align(ru, None, 2.0)[0].speech == "вступай в армию"
    zh = speech(seg((0.0, 0.5, "月薪"), (0.5, 1.0, "20"), (1.0, 1.5, "万"), text="月薪二十万"))
    assert align(zh, None, 2.0)[0].speech == "月薪20万"


def test_word_straddling_two_cues_goes_to_the_cue_covering_most_of_it():
    sp = speech(seg((0.0, 1.0, "一"), (1.7, 2.6, "二"), (3.0, 3.5, "三")))
    lines = align(sp, subs((0.0, 2.0, "甲"), (2.0, 4.0, "乙")), 4.0)
    # "二" lies 0.3 s in the first cue and 0.6 s in the second.
    assert [ln.speech for ln in lines] == ["一", "二三"]
    assert [ln.words for ln in lines] == [[[0, 0]], [[0, 1], [0, 2]]]


def test_a_word_split_evenly_goes_to_the_earlier_cue():
    lines = align(speech(seg((1.5, 2.5, "二"))), subs((0.0, 2.0, "甲"), (2.0, 4.0, "乙")), 4.0)
    assert [ln.speech for ln in lines] == ["二", None]


def test_gaps_keep_speech_only_and_subtitle_only_lines():
    sp = speech(seg((0.0, 0.8, "开始")), seg((1.0, 1.8, "加入")), seg((5.0, 5.5, "结束")))
    lines = align(sp, subs((1.0, 2.0, "加入"), (3.0, 4.0, "电话")), 6.0)
    assert summary(lines) == [
        (0.0, 0.8, None, "开始", [0], []),
        (1.0, 2.0, "加入", "加入", [1], [0]),
        (3.0, 4.0, "电话", None, [], [1]),
        (5.0, 5.5, None, "结束", [2], []),
    ]
    assert [ln.agreement for ln in lines] == [None, 1.0, None, None]


def test_speech_only_lines_follow_segments_but_never_overlap():
    # Two segments in the same gap: one line each; two that overlap in time: merged into one.
    sp = speech(seg((0.0, 1.0, " one")), seg((1.0, 2.0, " two")),
                seg((5.0, 6.2, " three")), seg((6.0, 7.0, " four")), language="en")
    lines = align(sp, subs((3.0, 4.0, "中间")), 8.0)
    assert summary(lines) == [
        (0.0, 1.0, None, "one", [0], []),
        (1.0, 2.0, None, "two", [1], []),
        (3.0, 4.0, "中间", None, [], [0]),
        (5.0, 7.0, None, "three four", [2, 3], []),
    ]


def test_speech_only_words_of_one_segment_on_both_sides_of_a_cue_are_two_lines():
    sp = speech(seg((0.0, 1.0, " before"), (1.2, 1.8, " during"), (2.5, 3.0, " after")), language="en")
    lines = align(sp, subs((1.1, 2.0, "字幕")), 4.0)
    assert summary(lines) == [
        (0.0, 1.0, None, "before", [0], []),
        (1.1, 2.0, "字幕", "during", [0], [0]),
        (2.5, 3.0, None, "after", [0], []),
    ]


def test_segment_without_words_is_aligned_as_one_unit():
    sp = speech(bare(0.0, 3.0, "整段没有词时间"), bare(3.5, 4.0, "另一段"))
    lines = align(sp, subs((0.5, 1.0, "短"), (1.0, 3.2, "长")), 5.0)
    assert summary(lines) == [
        (0.5, 1.0, "短", None, [], [0]),
        (1.0, 3.2, "长", "整段没有词时间", [0], [1]),
        (3.5, 4.0, None, "另一段", [1], []),
    ]
    assert all(ln.words == [] for ln in lines)


def test_overlapping_cues_form_one_line():
    sp = speech(seg((0.5, 1.5, "上句"), (2.0, 2.5, "下句")))
    lines = align(sp, subs((0.0, 2.0, "上句"), (1.0, 3.0, "下句"), (3.0, 4.0, "后")), 4.0)
    assert summary(lines) == [
        (0.0, 3.0, "上句 下句", "上句下句", [0], [0, 1]),
        (3.0, 4.0, "后", None, [], [2]),
    ]


def test_no_tracks_or_empty_tracks_give_no_lines():
    assert align(None, None, 10.0) == []
    assert align(speech(), Subtitles(), 10.0) == []
    assert align(None, None, None) == []


def test_speech_only_track():
    sp = speech(seg((0.0, 1.0, " a")), seg((2.0, 3.0, " b")), language="en")
    lines = align(sp, None, 3.0)
    assert summary(lines) == [(0.0, 1.0, None, "a", [0], []), (2.0, 3.0, None, "b", [1], [])]


def test_subtitles_only_track():
    lines = align(None, subs((2.0, 3.0, "乙"), (0.0, 1.0, "甲")), 3.0)
    assert summary(lines) == [(0.0, 1.0, "甲", None, [], [1]), (2.0, 3.0, "乙", None, [], [0])]


def test_times_are_clamped_into_the_media():
    sp = speech(seg((-0.5, 0.5, "早"), (9.5, 10.7, "晚")), seg((11.0, 12.0, "外")))
    lines = align(sp, subs((9.0, 10.5, "尾")), 10.0)
    assert summary(lines) == [
        (0.0, 0.5, None, "早", [0], []),
        (9.0, 10.0, "尾", "晚", [0], [0]),
        (10.0, 10.0, None, "外", [1], []),  # said after the media ends: kept, at its end
    ]


def test_instantaneous_words_and_cues():
    sp = speech(seg((1.0, 1.0, "点"), (2.0, 4.0, "跨")), language="zh")
    lines = align(sp, subs((1.0, 1.5, "甲"), (3.0, 3.0, "闪")), 5.0)
    # The instant word belongs to the cue it falls in; the word across an instant cue goes to it,
    # so no speech line spans the cue.
    assert summary(lines) == [(1.0, 1.5, "甲", "点", [0], [0]), (3.0, 3.0, "闪", "跨", [0], [1])]


def test_reversed_word_times_do_not_break_order():
    sp = speech(seg((2.0, 1.0, "倒"), (2.5, 3.0, "正")))
    lines = align(sp, subs((0.0, 1.5, "甲")), 4.0)
    assert [(ln.start, ln.end, ln.speech) for ln in lines] == [(0.0, 1.5, None), (2.0, 3.0, "倒正")]
