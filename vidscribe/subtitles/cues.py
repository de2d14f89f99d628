"""From OCR readings of stable intervals to subtitle cues (pure logic, no video).

The change detector splits the timeline into intervals and one OCR reading is made per interval.
Here neighbouring readings of the same text are merged (karaoke colouring and passing objects split
one cue into several intervals), a short or unsure piece joins its neighbour when it reads nearly
alike, the best reading of each merged group gives the text, and fragments too short or too
uncertain to be a subtitle are dropped. A *blank* interval (the band held no text) always ends a
cue: the same text shown again 2 frames later is a second cue. Two long, surely read intervals
back to back with different texts are two cues, however alike (`还剩3个名额`, `还剩2个名额`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from vidscribe.subtitles.engines import Box
from vidscribe.subtitles.text import Row, bare, similar, similarity


@dataclass
class Reading:
    """OCR of one stable interval [start, end) (seconds); text "" when nothing subtitle-like."""

    start: float
    end: float
    text: str
    score: float
    box: Box | None = None
    ref: int | None = None  # caller's handle on the image the reading came from (keyframe)
    rows: tuple[Row, ...] = ()  # the lines read, top to bottom
    blank: bool = False  # the band held no text at all here: a gap no cue spans


@dataclass
class CueDraft:
    start: float
    end: float
    text: str
    score: float
    box: Box | None
    ref: int | None
    readings: list[Reading] = field(default_factory=list)
    lines: tuple[Row, ...] = ()  # the winning reading's lines, top to bottom


SURE = 0.9  # a reading at least this confident, and at least `fragment` long, is its own text


def _best_text(readings: Sequence[Reading]) -> Reading:
    # Vote per text by duration x confidence: a long clear reading beats a short blurred one.
    votes: dict[str, float] = defaultdict(float)
    first: dict[str, Reading] = {}
    weight: dict[str, float] = {}
    for r in readings:
        key = bare(r.text)  # readings differing only in punctuation vote together...
        w = max(r.end - r.start, 1e-3) * r.score
        votes[key] += w
        if key not in first or w > weight[key]:  # ... and the longest shown of them gives the text
            first[key], weight[key] = r, w
    winner = max(votes, key=lambda k: (votes[k], first[k].score))
    return first[winner]


def _joins(last: list[Reading], r: Reading, *, merge_similarity: float, fragment: float,
           fragment_similarity: float) -> bool:
    """Whether reading `r` continues the cue whose readings are `last`."""
    best = _best_text(last)
    if bare(best.text) == bare(r.text):
        # The same text split by karaoke colouring or something passing in front, or read with
        # a punctuation mark more or less (`欢迎咨询` / `欢迎咨询.`): one cue.
        return True
    alike = similarity(best.text, r.text)
    piece = min(r.end - r.start, last[-1].end - last[0].start) < fragment
    unsure = min(r.score, best.score) < SURE
    if piece or unsure:  # a piece read with a character or two wrong
        return alike >= (fragment_similarity if piece else merge_similarity)
    return False  # two texts, each shown long and read surely: two cues (还剩3个名额, 还剩2个名额)


def build_cues(readings: Sequence[Reading], *, merge_similarity: float = 0.9, max_gap: float = 0.3,
               min_score: float = 0.6, min_duration: float = 0.1, fragment: float = 0.5,
               fragment_similarity: float = 0.6) -> list[CueDraft]:
    """Merge consecutive readings of one line into cues and drop fragments.

    Readings with the same text are merged when at most `max_gap` seconds of unread or unreadable
    intervals lie between them, and never across a blank one. Different texts merge only when one
    side lasts under `fragment` seconds (a piece split off by something passing in front, read with
    a character or two wrong: `fragment_similarity` is enough) or is unsure (`merge_similarity`).
    A cue survives with a confidence of at least `min_score` and a duration of at least
    `min_duration`.
    """
    groups: list[list[Reading]] = []
    broken = True  # a blank interval since the last group: the next reading starts a cue
    for r in sorted(readings, key=lambda r: r.start):
        if not bare(r.text):  # nothing, or a stray mark read off the background
            broken = broken or r.blank
            continue
        if groups and not broken and r.start - groups[-1][-1].end <= max_gap and _joins(
                groups[-1], r, merge_similarity=merge_similarity, fragment=fragment,
                fragment_similarity=fragment_similarity):
            groups[-1].append(r)
        else:
            groups.append([r])
        broken = False
    cues = []
    for group in groups:
        best = _best_text(group)
        # The cue's confidence: duration-weighted over the readings that agree with its text.
        agree = [r for r in group if similar(r.text, best.text, merge_similarity)]
        weight = sum(max(r.end - r.start, 1e-3) for r in agree)
        score = sum(max(r.end - r.start, 1e-3) * r.score for r in agree) / weight
        start, end = group[0].start, group[-1].end
        if score < min_score or end - start < min_duration:
            continue
        cues.append(CueDraft(start, end, best.text, score, best.box, best.ref, list(group), best.rows))
    return cues
