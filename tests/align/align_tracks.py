"""Builders for hand-made speech and subtitle tracks (imported by the tests of this folder)."""

from __future__ import annotations

from vidscribe.transcripts.model import Cue, Segment, Speech, Subtitles, Word


def seg(*words: tuple[float, float, str], text: str | None = None) -> Segment:
    """A segment from (start, end, text) words; its text is the words joined, as Whisper gives it."""
    ws = [Word(s, e, t, 0.9) for s, e, t in words]
    joined = "".join(w.text for w in ws).strip()
    return Segment(ws[0].start, ws[-1].end, joined if text is None else text, ws)


def bare(start: float, end: float, text: str) -> Segment:
    """A segment without word timestamps."""
    return Segment(start, end, text)


def speech(*segments: Segment, language: str | None = "zh", task: str = "transcribe") -> Speech:
    return Speech(language=language, segments=list(segments), task=task)


def subs(*cues: tuple[float, float, str]) -> Subtitles:
    return Subtitles(cues=[Cue(s, e, t, 0.95) for s, e, t in cues])
