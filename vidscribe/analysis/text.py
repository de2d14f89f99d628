"""The text the extractors read: one `Line` per speech segment, subtitle cue (all its lines: the
Chinese one and the Russian one under it), overlay and screen text block, and
what an extractor returns for it: a `Match` (kind, normalised value, character span).

Extractors are pure functions `str -> list[Match]` over normalised text (`fold`); the stage
turns matches into `Finding`s with the line's track and times, taking `raw` from the original.
"""

from __future__ import annotations

from dataclasses import dataclass

from vidscribe.chinese import normalise_script
from vidscribe.transcripts.model import Finding, Money, Transcript


@dataclass(frozen=True)
class Line:
    track: str  # speech, subtitle, overlay or screen
    start: float | None
    end: float | None
    text: str
    account: bool = False  # an overlay the subtitles stage marked as an account watermark


@dataclass(frozen=True)
class Match:
    kind: str
    value: str
    start: int  # character span in the text the extractor was given
    end: int
    money: Money | None = None
    region: str | None = None
    label: str | None = None


def transcript_lines(t: Transcript) -> list[Line]:
    """Every timed text of the transcript, whichever tracks exist."""
    lines: list[Line] = []
    if t.speech is not None:
        lines += [Line("speech", s.start, s.end, s.text.strip()) for s in t.speech.segments]
    if t.subtitles is not None:
        lines += [Line("subtitle", c.start, c.end, c.text) for c in t.subtitles.cues]
        lines += [Line("overlay", o.start, o.end, o.text, account=o.kind == "account")
                  for o in t.subtitles.overlays]
        lines += [Line("screen", s.start, s.end, s.text) for s in t.subtitles.screen_text]
    return [ln for ln in lines if ln.text]


# Full-width ASCII (OCR of Chinese captions gives "１３８", "：", "＠") to its ASCII twin.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold(text: str) -> str:
    """Simplified script and half-width ASCII, the form every extractor and the lexicon read.

    Kept to the same length where OpenCC allows (it converts character by character for almost
    all text), so spans map back onto the original; `raw_span` handles the rare exception.
    """
    return normalise_script(text, "t2s").translate(_WIDTH)


def raw_span(original: str, folded: str, start: int, end: int) -> str:
    return original[start:end] if len(original) == len(folded) else folded[start:end]


def to_finding(m: Match, line: Line, folded: str) -> Finding:
    return Finding(kind=m.kind, value=m.value, raw=raw_span(line.text, folded, m.start, m.end),
                   start=line.start, end=line.end, track=line.track, context=line.text, money=m.money,
                   region=m.region, label=m.label)
