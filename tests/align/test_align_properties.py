"""Invariants of the alignment on random tracks (hypothesis).

Times are drawn on a 0.1 s grid, partly outside the media, in any order and length (including
zero and reversed), so touching, shared and instantaneous boundaries come up often.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from vidscribe.align import agreement, align, comparison_key
from vidscribe.transcripts.model import Cue, Segment, Speech, Subtitles, Word

TEXTS = st.sampled_from(["加入", "军队", "签约", "奖金", "，", " join", " the", " армию", "", "A|b"])
DURATION = 20.0


@st.composite
def times(draw) -> tuple[float, float]:
    start = draw(st.integers(-20, 220)) / 10
    return start, start + draw(st.integers(-5, 60)) / 10


@st.composite
def words(draw) -> Word:
    start, end = draw(times())
    return Word(start, end, draw(TEXTS), 0.9)


@st.composite
def segments(draw) -> Segment:
    ws = draw(st.lists(words(), max_size=6))
    if not ws:  # a segment without word timestamps
        start, end = draw(times())
        return Segment(start, end, draw(TEXTS))
    if draw(st.booleans()):  # usually Whisper's words run forward in time
        ws.sort(key=lambda w: w.start)
    return Segment(min(w.start for w in ws), max(w.end for w in ws), "".join(w.text for w in ws).strip(), ws)


@st.composite
def tracks(draw) -> tuple[Speech | None, Subtitles | None]:
    sp = draw(st.none() | st.builds(lambda segs: Speech("zh", segs), st.lists(segments(), max_size=6)))
    cues = st.lists(st.builds(lambda t, text: Cue(t[0], t[1], text, 0.9), times(), TEXTS), max_size=8)
    sub = draw(st.none() | st.builds(lambda cs: Subtitles(cs), cues))
    return sp, sub


def clamp(start: float, end: float) -> tuple[float, float]:
    start = min(max(start, 0.0), DURATION)
    return start, min(max(end, start), DURATION)


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def units(sp: Speech | None) -> dict[tuple[int, int | None], tuple[float, float]]:
    """(segment, word or None for a wordless segment) -> clamped span."""
    out = {}
    for s, segment in enumerate(sp.segments if sp else []):
        if segment.words:
            out.update({(s, w): clamp(word.start, word.end) for w, word in enumerate(segment.words)})
        else:
            out[(s, None)] = clamp(segment.start, segment.end)
    return out


def line_units(line) -> list[tuple[int, int | None]]:
    return [tuple(p) for p in line.words]


SETTINGS = settings(max_examples=250, deadline=None)


@SETTINGS
@given(tracks())
def test_every_word_and_every_cue_appears_exactly_once(track):
    sp, sub = track
    lines = align(sp, sub, DURATION)
    words_seen = Counter(u for line in lines for u in line_units(line))
    expected = {u for u in units(sp) if u[1] is not None}
    assert set(words_seen) == expected and all(n == 1 for n in words_seen.values())
    wordless = {s for s, w in units(sp) if w is None}
    seen_wordless = Counter(s for line in lines for s in line.segments if s in wordless)
    assert set(seen_wordless) == wordless and all(n == 1 for n in seen_wordless.values())
    cues_seen = Counter(c for line in lines for c in line.cues)
    assert set(cues_seen) == set(range(len(sub.cues) if sub else 0))
    assert all(n == 1 for n in cues_seen.values())
    for line in lines:
        assert line.cues or line.segments  # no empty lines
        worded = {s for s, _ in line.words}
        assert line.segments == sorted(worded | {s for s in line.segments if s in wordless})
        assert (line.subtitle is None) == (not line.cues)
        assert (line.speech is None) == (not line.segments)


@SETTINGS
@given(tracks())
def test_no_text_is_lost_or_repeated(track):
    """Independent of the index bookkeeping: every non-space character of both tracks, once."""
    sp, sub = track
    lines = align(sp, sub, DURATION)

    def chars(texts):
        return Counter(ch for text in texts if text for ch in text if not ch.isspace())
    speech_texts = [w.text for s in (sp.segments if sp else []) for w in s.words]
    speech_texts += [s.text for s in (sp.segments if sp else []) if not s.words]
    assert chars(line.speech for line in lines) == chars(speech_texts)
    assert chars(line.subtitle for line in lines) == chars(c.text for c in (sub.cues if sub else []))


@SETTINGS
@given(tracks())
def test_lines_are_ordered_non_overlapping_and_inside_the_media(track):
    lines = align(*track, DURATION)
    for line in lines:
        assert 0.0 <= line.start <= line.end <= DURATION
    for a, b in zip(lines, lines[1:], strict=False):
        assert a.end <= b.start
        assert (a.start, a.end) <= (b.start, b.end)


@SETTINGS
@given(tracks())
def test_each_word_sits_with_the_cue_covering_most_of_it(track):
    sp, sub = track
    lines = align(sp, sub, DURATION)
    spans = units(sp)
    cue_lines = [line for line in lines if line.cues]
    for line in lines:
        mine = [u for u in spans if (u in line_units(line)) or (u[1] is None and u[0] in line.segments)]
        for u in mine:
            others = [overlap(spans[u], (c.start, c.end)) for c in cue_lines if c is not line]
            if line.cues:  # no other cue line covers more of it
                assert all(overlap(spans[u], (line.start, line.end)) >= o for o in others)
            else:  # speech-only: no cue covers any of it, and the line covers all of it
                assert all(o == 0 for o in others)
                assert line.start <= spans[u][0] and spans[u][1] <= line.end


@SETTINGS
@given(tracks())
def test_cue_lines_span_exactly_their_cues(track):
    sp, sub = track
    for line in align(sp, sub, DURATION):
        if line.cues:
            cue_spans = [clamp(sub.cues[i].start, sub.cues[i].end) for i in line.cues]
            assert line.start == min(s for s, _ in cue_spans)
            assert line.end == max(e for _, e in cue_spans)


CHINESE = st.text(alphabet="加入俄羅斯罗军軍队隊签约奖金两二百万20，。！ a", max_size=30)


@SETTINGS
@given(CHINESE, CHINESE)
def test_agreement_is_a_symmetric_score_between_0_and_1(a, b):
    score = agreement(a, b)
    assert score == agreement(b, a)
    if score is None:
        assert not comparison_key(a) or not comparison_key(b)
    else:
        assert 0.0 <= score <= 1.0
        assert (score == 1.0) == (comparison_key(a) == comparison_key(b))
        assert agreement(a, a) == 1.0
