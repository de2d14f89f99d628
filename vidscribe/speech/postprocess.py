"""Pure post-processing of Whisper's segments: from what the decoder said to timestamps users can trust.

Every function here takes and returns plain values (no model, no files), so each guard has its
own unit and property tests. `postprocess` chains them:

1. `drop_repetitions`: a segment whose own text compresses too well (gzip ratio above the
   threshold) is a repetition loop; in a window whose decoding never got below the threshold at
   any temperature, a segment repeating an earlier segment's text is part of the loop.
   `drop_exhausted`: what a window's decoding wrote after every temperature failed the
   log-probability check (random sampling at the last temperature over sound that is not speech).
   Then the last filter against hallucinations (`vidscribe.speech.hallucinations`): known subtitle
   credits are cut out, and a segment made only of known outro phrases is dropped.
2. `clamp_to_duration`: segments starting at or after the end of the media are dropped; ends and
   word times are clamped to the media's duration.
3. `make_monotonic`: segments in start order, each starting where the previous one ended or later;
   words inside their segment and in order.
4. `finalise`: text stripped, Chinese script normalised (the raw text kept where it differed),
   times rounded to milliseconds, the transcript's `Segment`/`Word` built.

`timing_problems` states the invariants the result satisfies; tests (and the stage, as a last
check) use it.
"""

from __future__ import annotations

import bisect
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from vidscribe.chinese import HAN, normalise_script
from vidscribe.transcripts.model import Segment, Word

# Languages whose Han characters are not Chinese: script conversion would corrupt them.
NO_SCRIPT_CONVERSION = frozenset({"ja"})


@dataclass(frozen=True)
class RawWord:
    start: float
    end: float
    text: str
    probability: float = 0.0


@dataclass(frozen=True)
class RawSegment:
    """A segment as the decoder produced it (times already on the media's timeline)."""

    start: float
    end: float
    text: str
    words: tuple[RawWord, ...] = ()
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    window_compression_ratio: float | None = None  # of the whole decoding window's text
    temperature: float | None = None
    window: int = 0  # segments decoded in the same 30 s window share this
    language: str | None = None  # the language it was decoded in


def compression_ratio(text: str) -> float:
    """Whisper's repetition measure: UTF-8 length over zlib-compressed length (0 for no text)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def drop_repetitions(segments: Iterable[RawSegment], threshold: float | None) -> tuple[list[RawSegment], int]:
    """Drop repetition loops; return the kept segments and how many were dropped."""
    if threshold is None:
        kept = list(segments)
        return kept, 0
    kept, dropped = [], 0
    seen: dict[int, set[str]] = {}
    for seg in segments:
        if compression_ratio(seg.text.strip()) > threshold:
            dropped += 1
            continue
        if seg.window_compression_ratio is not None and seg.window_compression_ratio > threshold:
            texts = seen.setdefault(seg.window, set())
            if _key(seg.text) in texts:
                dropped += 1
                continue
            texts.add(_key(seg.text))
        kept.append(seg)
    return kept, dropped


def drop_exhausted(segments: Iterable[RawSegment], last_temperature: float | None,
                   log_prob_threshold: float | None) -> tuple[list[RawSegment], int]:
    """Drop segments decoded at the last fallback temperature whose average log probability is still
    below the threshold: every temperature failed, and Whisper keeps the last (random) sample anyway.
    Seen on 10 s of wordless singing over music that VAD passed: at temperature 1.0 Whisper base wrote
    "Or just take a sample" (average log probability -2.07) in one run and a made-up sentence (-3.56)
    in another, nothing in a third; no-speech probability 0.49, under its threshold. Without sampling
    (the last temperature 0: no fallback), the beam's answer is not random and Whisper's own no-speech
    rule judges it."""
    if last_temperature is None or last_temperature <= 0 or log_prob_threshold is None:
        return list(segments), 0
    kept, dropped = [], 0
    for seg in segments:
        if (seg.temperature is not None and seg.temperature >= last_temperature
                and seg.avg_logprob is not None and seg.avg_logprob < log_prob_threshold):
            dropped += 1
            continue
        kept.append(seg)
    return kept, dropped


def clamp_to_duration(segments: Iterable[RawSegment], duration: float) -> tuple[list[RawSegment], int]:
    """Drop segments that start at or past `duration`, clamp the rest (and their words) into it."""
    kept, dropped = [], 0
    for seg in segments:
        if not seg.start < duration:
            dropped += 1
            continue
        words = tuple(replace(w, start=min(w.start, duration), end=min(w.end, duration)) for w in seg.words)
        kept.append(replace(seg, end=min(seg.end, duration), words=words))
    return kept, dropped


def make_monotonic(segments: Iterable[RawSegment]) -> list[RawSegment]:
    """Order segments by start and remove overlaps and inversions, keeping every segment.

    Afterwards: 0 <= start <= end, each segment starts at or after the previous one's end, and
    each segment's words lie inside it, in order, without overlapping.
    """
    out = []
    previous_end = 0.0
    for seg in sorted(segments, key=lambda s: s.start):  # stable: equal starts keep decoder order
        start = max(seg.start, previous_end)
        end = max(seg.end, start)
        words = []
        cursor = start
        for w in seg.words:
            w_start = min(max(w.start, cursor), end)
            w_end = min(max(w.end, w_start), end)
            words.append(replace(w, start=w_start, end=w_end))
            cursor = w_end
        out.append(replace(seg, start=start, end=end, words=tuple(words)))
        previous_end = end
    return out


def normalises_script(language: str | None, mode: str) -> bool:
    return mode != "none" and language not in NO_SCRIPT_CONVERSION


def _script(text: str, mode: str) -> str:
    # Only Han characters are what OpenCC converts: other text skips the converter entirely.
    return normalise_script(text, mode) if mode != "none" and HAN.search(text) else text


def _ms(seconds: float) -> float:
    return round(seconds, 3)


def finalise(segments: Iterable[RawSegment], script: str, language: str | None) -> tuple[list[Segment], int]:
    """Build transcript segments: stripped, script-normalised text (raw kept when it differed).

    Times are rounded to milliseconds (rounding keeps their order). Segments left without text
    are dropped; the count is returned beside them. A segment's own language (where it was decoded
    in another one than the track's) decides its script handling.
    """
    out, dropped = [], 0
    for seg in segments:
        seg_language = seg.language or language
        mode = script if normalises_script(seg_language, script) else "none"
        raw = seg.text.strip()
        text = _script(raw, mode).strip()
        if not text:
            dropped += 1
            continue
        words = []
        for w in seg.words:
            w_raw = w.text.strip()
            w_text = _script(w_raw, mode).strip()
            if w_text:
                words.append(Word(start=_ms(w.start), end=_ms(w.end), text=w_text,
                                  probability=round(float(w.probability), 4),
                                  raw_text=w_raw if w_raw != w_text else None))
        out.append(Segment(
            start=_ms(seg.start), end=_ms(seg.end), text=text, words=words,
            raw_text=raw if raw != text else None,
            avg_logprob=None if seg.avg_logprob is None else round(float(seg.avg_logprob), 4),
            no_speech_prob=None if seg.no_speech_prob is None else round(float(seg.no_speech_prob), 4),
            compression_ratio=round(compression_ratio(raw), 3),
            temperature=seg.temperature, language=seg_language))
    return out, dropped


def _clamp_rounded(segments: list[Segment], duration: float) -> list[Segment]:
    # Rounding to ms can carry a time just past a duration that is not on the ms grid.
    for seg in segments:
        seg.end = min(seg.end, duration)
        seg.start = min(seg.start, seg.end)
        for w in seg.words:
            w.start, w.end = min(w.start, seg.end), min(w.end, seg.end)
    return segments


def postprocess(raw: Iterable[RawSegment], *, duration: float, compression_ratio_threshold: float | None,
                script: str, language: str | None, last_temperature: float | None = None,
                log_prob_threshold: float | None = None) -> tuple[list[Segment], dict[str, int]]:
    """All guards in order; returns the segments and the number dropped per reason ("credit": segments
    a subtitle credit was cut out of). The thresholds and script are the settings'
    (`asr_compression_ratio_threshold`, `asr_log_prob_threshold`, `chinese_script`; `last_temperature`
    the last of `asr_temperatures`)."""
    from vidscribe.speech.hallucinations import drop_hallucinations  # it builds on RawSegment, defined here

    rounded = [replace(s, start=_ms(s.start), end=_ms(s.end),
                       words=tuple(replace(w, start=_ms(w.start), end=_ms(w.end)) for w in s.words))
               for s in raw]
    kept, repetition = drop_repetitions(rounded, compression_ratio_threshold)
    kept, exhausted = drop_exhausted(kept, last_temperature, log_prob_threshold)
    kept, hallucination, credit = drop_hallucinations(kept)
    kept, past_end = clamp_to_duration(kept, duration)
    segments, empty = finalise(make_monotonic(kept), script, language)
    dropped = {"repetition": repetition, "exhausted": exhausted, "hallucination": hallucination, "credit": credit,
               "past_end": past_end, "empty": empty}
    return _clamp_rounded(segments, duration), {k: v for k, v in dropped.items() if v}


def restore_times(segments: Iterable[RawSegment], chunks: Sequence[tuple[float, float]]) -> list[RawSegment]:
    """Map times on audio made by concatenating `chunks` (start, end seconds of the original, in
    order) back onto the original timeline.

    A word is mapped through the chunk holding its middle, so its start and end stay together, and
    kept inside that chunk: a word whose alignment straddles the seam between two chunks would
    otherwise start (or end) in the gap VAD cut out (seen with Whisper base: the first word after 3 s
    of music placed 0.35 s before the chunk holding it, in the music). A segment with words spans its
    words, one without is mapped end-inclusively.
    """
    if not chunks:
        return list(segments)
    offsets, ends, total = [], [], 0.0  # concatenated end of each chunk, and its shift
    for start, end in chunks:
        offsets.append(start - total)
        total += end - start
        ends.append(total)

    def chunk_at(t: float, end_inclusive: bool = False) -> int:
        i = bisect.bisect_left(ends, t) if end_inclusive else bisect.bisect_right(ends, t)
        return min(i, len(ends) - 1)

    out = []
    for seg in segments:
        words = []
        for w in seg.words:
            i = chunk_at((w.start + w.end) / 2)
            low, high = chunks[i]
            start = min(max(w.start + offsets[i], low), high)
            words.append(replace(w, start=start, end=max(start, min(w.end + offsets[i], high))))
        if words:
            start, end = words[0].start, words[-1].end
        else:
            start = seg.start + offsets[chunk_at(seg.start)]
            end = seg.end + offsets[chunk_at(seg.end, end_inclusive=True)]
        out.append(replace(seg, start=start, end=end, words=tuple(words)))
    return out


def timing_problems(segments: Sequence[Segment], duration: float) -> list[str]:
    """Violations of the timing contract (empty when it holds):

    every time finite and within [0, duration]; start <= end; segments in order without
    overlap; words inside their segment, in order, without overlap.
    """
    problems = []
    previous_end = 0.0
    for i, seg in enumerate(segments):
        times = [seg.start, seg.end] + [t for w in seg.words for t in (w.start, w.end)]
        if not all(math.isfinite(t) and 0 <= t <= duration for t in times):
            problems.append(f"segment {i}: a time outside [0, {duration}]")
        if seg.start > seg.end:
            problems.append(f"segment {i}: starts after it ends")
        if seg.start < previous_end:
            problems.append(f"segment {i}: starts before segment {i - 1} ends")
        cursor = seg.start
        for j, w in enumerate(seg.words):
            if not (cursor <= w.start <= w.end <= seg.end):
                problems.append(f"segment {i} word {j}: outside its segment or out of order")
            cursor = max(cursor, w.end)
        previous_end = max(previous_end, seg.end)
    return problems
