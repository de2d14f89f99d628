"""The pure post-processing: each guard on its own, then properties over arbitrary decoder output."""

from __future__ import annotations

import dataclasses

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vidscribe.settings import Settings
from vidscribe.speech.postprocess import (
    RawSegment,
    RawWord,
    clamp_to_duration,
    compression_ratio,
    drop_exhausted,
    drop_repetitions,
    finalise,
    make_monotonic,
    postprocess,
    restore_times,
    timing_problems,
)
from vidscribe.transcripts.model import Segment, Word

SETTINGS = Settings()  # the defaults
DEFAULTS = {"compression_ratio_threshold": SETTINGS.asr_compression_ratio_threshold,
            "script": SETTINGS.chinese_script, "language": None}


def seg(start: float, end: float, text: str = " hi", words: tuple[RawWord, ...] = (), **kw) -> RawSegment:
    return RawSegment(start=start, end=end, text=text, words=words, **kw)


# -- repetition --------------------------------------------------------------------------------

def test_compression_ratio_matches_whisper_measure() -> None:
    assert compression_ratio("") == 0.0
    assert compression_ratio("привет мир") < 1.5
    assert compression_ratio(" да" * 200) > 20


def test_a_segment_that_loops_is_dropped() -> None:
    kept, dropped = drop_repetitions([seg(0, 1, " hello"), seg(1, 30, " да" * 150)], threshold=2.4)
    assert [s.text for s in kept] == [" hello"] and dropped == 1


def test_repeated_segments_are_dropped_only_in_a_window_that_failed_the_check() -> None:
    failed = [seg(0, 1, " Подписывайтесь на канал", window=0, window_compression_ratio=3.1),
              seg(1, 2, " подписывайтесь на  канал", window=0, window_compression_ratio=3.1),
              seg(2, 3, " другое", window=0, window_compression_ratio=3.1),
              seg(30, 31, " Подписывайтесь на канал", window=1, window_compression_ratio=3.1)]
    kept, dropped = drop_repetitions(failed, threshold=2.4)
    assert [(s.start, s.text) for s in kept] == [(0, " Подписывайтесь на канал"), (2, " другое"),
                                                (30, " Подписывайтесь на канал")]
    assert dropped == 1
    fine = [dataclasses.replace(s, window_compression_ratio=1.2) for s in failed]
    assert drop_repetitions(fine, threshold=2.4) == (fine, 0)
    assert drop_repetitions(failed, threshold=None) == (failed, 0)


# -- duration ----------------------------------------------------------------------------------

def test_segments_past_the_end_are_dropped_and_overhanging_ones_clamped() -> None:
    words = (RawWord(9.5, 9.9, " a"), RawWord(9.9, 10.7, " b"))
    kept, dropped = clamp_to_duration([seg(9.5, 10.7, words=words), seg(10.0, 11.0), seg(12, 13)], 10.0)
    assert dropped == 2
    assert kept == [seg(9.5, 10.0, words=(RawWord(9.5, 9.9, " a"), RawWord(9.9, 10.0, " b")))]


# -- monotonic ---------------------------------------------------------------------------------

def test_overlaps_and_inversions_are_removed_and_words_kept_inside() -> None:
    out = make_monotonic([
        seg(2.0, 3.0, words=(RawWord(1.8, 2.5, " a"), RawWord(2.4, 3.4, " b"))),
        seg(-0.5, 1.0),
        seg(2.5, 2.2, " c"),
    ])
    assert [(s.start, s.end, s.text) for s in out] == [(0.0, 1.0, " hi"), (2.0, 3.0, " hi"), (3.0, 3.0, " c")]
    assert [(w.start, w.end) for w in out[1].words] == [(2.0, 2.5), (2.5, 3.0)]


def test_make_monotonic_keeps_decoder_order_for_equal_starts() -> None:
    out = make_monotonic([seg(1, 2, " first"), seg(1, 1.5, " second")])
    assert [(s.start, s.end, s.text) for s in out] == [(1, 2, " first"), (2, 2, " second")]


# -- script and text ---------------------------------------------------------------------------

def test_traditional_chinese_becomes_simplified_and_raw_text_is_kept() -> None:
    words = (RawWord(0, 0.5, "這是", 0.9), RawWord(0.5, 1.0, "測試", 0.8))
    (out,), dropped = finalise([seg(0, 1, "這是測試", words=words, avg_logprob=-0.123456)], "t2s", "zh")
    assert dropped == 0
    assert (out.text, out.raw_text) == ("这是测试", "這是測試")
    assert [(w.text, w.raw_text, w.probability) for w in out.words] == [("这是", "這是", 0.9),
                                                                        ("测试", "測試", 0.8)]
    assert out.avg_logprob == -0.1235


def test_script_modes() -> None:
    raw = [seg(0, 1, " 这是测试")]
    assert finalise(raw, "s2t", "zh")[0][0].text == "這是測試"
    assert finalise(raw, "none", "zh")[0][0].text == "这是测试"
    (out,), _ = finalise([seg(0, 1, " 國家")], "t2s", "ja")  # Japanese kanji are not Chinese script
    assert (out.text, out.raw_text) == ("國家", None)


def test_text_is_stripped_raw_text_only_when_it_differs_and_empty_segments_go() -> None:
    out, dropped = finalise([seg(0, 1, " привет мир", words=(RawWord(0, 1, " привет"),)), seg(1, 2, "  ")],
                            "t2s", "ru")
    assert dropped == 1
    assert out == [Segment(start=0, end=1, text="привет мир", words=[Word(0, 1, "привет", 0.0)],
                           compression_ratio=round(compression_ratio("привет мир"), 3),
                           language="ru")]


def test_postprocess_counts_what_it_dropped() -> None:
    raw = [seg(0, 1, " ok"), seg(1, 2, " да" * 100), seg(4.5, 6), seg(2, 3, " ")]
    segments, dropped = postprocess(raw, duration=4.0, **DEFAULTS)
    assert [s.text for s in segments] == ["ok"]
    assert dropped == {"repetition": 1, "past_end": 1, "empty": 1}


def test_a_segment_decoded_in_another_language_keeps_it_and_its_script_rules() -> None:
    """A clip switching from Mandarin to Japanese: the Japanese segment's kanji stay as they are."""
    raw = [seg(0, 1, " 這是測試", language="zh"), seg(1, 2, " 國家", language="ja")]
    out, _ = finalise(raw, "t2s", "zh")
    assert [(s.text, s.raw_text) for s in out] == [("这是测试", "這是測試"), ("國家", None)]
    assert [s.language for s in out] == ["zh", "ja"]


def test_times_are_rounded_to_milliseconds_without_passing_the_duration() -> None:
    words = (RawWord(0.12345, 3.99999, " a"),)
    segments, _ = postprocess([seg(0.12345, 3.99999, words=words)], duration=3.9996, **DEFAULTS)
    assert (segments[0].start, segments[0].end) == (0.123, 3.9996)
    assert (segments[0].words[0].start, segments[0].words[0].end) == (0.123, 3.9996)


# -- VAD timestamp restoration ---------------------------------------------------------------------

def test_restore_times_maps_concatenated_speech_back_to_the_clip() -> None:
    chunks = [(2.0, 4.0), (10.0, 11.0)]  # concatenated: [0, 2) is chunk 0, [2, 3) is chunk 1
    words = (RawWord(1.5, 1.9, " a"), RawWord(1.95, 2.2, " b"), RawWord(2.3, 2.9, " c"))
    (with_words, without) = restore_times([seg(1.5, 2.9, words=words), seg(0.5, 2.0)], chunks)
    # A word across the seam goes with the chunk holding its middle, and stays inside it: its start
    # is not put in the 6 s gap VAD cut out.
    assert [(w.start, w.end) for w in with_words.words] == [(3.5, 3.9), (10.0, 10.2), (10.3, 10.9)]
    assert (with_words.start, with_words.end) == (3.5, 10.9)
    assert (without.start, without.end) == (2.5, 4.0)  # an end on a chunk boundary stays in that chunk


# -- properties --------------------------------------------------------------------------------

times = st.floats(min_value=-5, max_value=80, allow_nan=False, allow_infinity=False)
texts = st.sampled_from([" hello", " привет мир", "這是測試", " да" * 40, " ", "", "國", " ok ok"])
raw_words = st.builds(RawWord, start=times, end=times, text=texts,
                      probability=st.floats(0, 1, allow_nan=False))
raw_segments = st.builds(
    RawSegment, start=times, end=times, text=texts, words=st.lists(raw_words, max_size=5).map(tuple),
    avg_logprob=st.none() | st.floats(-5, 0), no_speech_prob=st.none() | st.floats(0, 1),
    window_compression_ratio=st.none() | st.floats(0, 10),
    temperature=st.none() | st.sampled_from([0.0, 0.4]), window=st.integers(0, 3))


@settings(max_examples=200, deadline=None)
@given(raw=st.lists(raw_segments, max_size=12), duration=st.floats(0.001, 60),
       script=st.sampled_from(["t2s", "s2t", "none"]), language=st.sampled_from(["zh", "ru", "ja", None]))
def test_postprocess_always_meets_the_timing_contract(raw, duration, script, language) -> None:
    segments, dropped = postprocess(raw, duration=duration, script=script, language=language,
                                    compression_ratio_threshold=SETTINGS.asr_compression_ratio_threshold)
    assert timing_problems(segments, duration) == []
    assert len(segments) + sum(dropped.values()) == len(raw)  # every segment is kept or counted
    assert all(s.text and s.text == s.text.strip() for s in segments)
    assert all(s.raw_text is None or s.raw_text != s.text for s in segments)


@settings(max_examples=100, deadline=None)
@given(raw=st.lists(raw_segments, max_size=10))
def test_make_monotonic_is_idempotent_and_keeps_every_segment(raw) -> None:
    once = make_monotonic(raw)
    assert make_monotonic(once) == once
    assert sorted(s.text for s in once) == sorted(s.text for s in raw)


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.floats(0.1, 10), min_size=1, max_size=5),
       gaps=st.lists(st.floats(0, 10), min_size=5, max_size=5), data=st.data())
def test_restore_times_puts_each_word_in_its_own_chunk(lengths, gaps, data) -> None:
    chunks, at, concat_starts = [], 0.0, []
    total = 0.0
    for length, gap in zip(lengths, gaps, strict=False):
        at += gap
        chunks.append((at, at + length))
        concat_starts.append(total)
        at += length
        total += length
    k = data.draw(st.integers(0, len(chunks) - 1))
    a = data.draw(st.floats(0, 1)) * lengths[k]
    b = data.draw(st.floats(0, 1)) * lengths[k]
    # A zero-length word exactly on a chunk boundary belongs to both chunks (and float sums decide).
    assume(abs(a - b) > 1e-9)
    w = RawWord(concat_starts[k] + min(a, b), concat_starts[k] + max(a, b), " w")
    (out,) = restore_times([seg(w.start, w.end, words=(w,))], chunks)
    start, end = chunks[k]
    assert start - 1e-6 <= out.words[0].start <= out.words[0].end <= end + 1e-6
    # Any word, one straddling a seam included, lands inside one chunk: never in a gap VAD cut out.
    x, y = sorted(data.draw(st.floats(0, total)) for _ in range(2))
    (out,) = restore_times([seg(x, y, words=(RawWord(x, y, " w"),))], chunks)
    assert any(a0 - 1e-6 <= out.words[0].start <= out.words[0].end <= b0 + 1e-6 for a0, b0 in chunks)


def test_what_every_temperature_failed_on_is_dropped() -> None:
    """Kept: a low-probability segment at a lower temperature (the fallback went on from it), and
    one at the last temperature that passed the check; dropped: the last sample when it still failed."""
    raw = [dataclasses.replace(seg(0, 1, " поехали"), temperature=0.0, avg_logprob=-1.5),
           dataclasses.replace(seg(1, 2, " Or just take a sample"), temperature=1.0, avg_logprob=-2.07),
           dataclasses.replace(seg(2, 3, " да"), temperature=1.0, avg_logprob=-0.4)]
    kept, dropped = drop_exhausted(raw, 1.0, -1.0)
    assert [s.text for s in kept] == [" поехали", " да"] and dropped == 1
    assert drop_exhausted(raw, None, -1.0) == (raw, 0)  # no fallback sequence known: nothing judged
    assert drop_exhausted(raw, 0.0, -1.0) == (raw, 0)  # no sampling: Whisper's no-speech rule judges
    segments, counts = postprocess(raw, duration=4.0, **DEFAULTS, last_temperature=1.0, log_prob_threshold=-1.0)
    assert [s.text for s in segments] == ["поехали", "да"] and counts == {"exhausted": 1}
