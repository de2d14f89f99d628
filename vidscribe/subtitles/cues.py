"""From OCR readings of stable intervals to subtitle cues (pure logic, no video).

The change detector splits the timeline into intervals and one OCR reading is made per interval.
Here neighbouring readings of the same line are merged (a flash or a passing object splits one
cue into several intervals; OCR reads the same line slightly differently), the best reading of
each merged group gives the text, and fragments too short or too uncertain to be a subtitle are
dropped. Empty intervals are gaps between cues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from vidscribe.subtitles.engines import Box
from vidscribe.subtitles.text import similarity, squash


@dataclass
class Reading:
    """OCR of one stable interval [start, end) (seconds); text "" when nothing subtitle-like."""

    start: float
    end: float
    text: str
    score: float
    box: Box | None = None
    ref: int | None = None  # caller's handle on the image the reading came from (keyframe)


@dataclass
class CueDraft:
    start: float
    end: float
    text: str
    score: float
    box: Box | None
    ref: int | None
    readings: list[Reading] = field(default_factory=list)


def _best_text(readings: Sequence[Reading]) -> Reading:
    # Vote per text by duration x confidence: a long clear reading beats a short blurred one.
    votes: dict[str, float] = defaultdict(float)
    first: dict[str, Reading] = {}
    for r in readings:
        key = squash(r.text)
        votes[key] += max(r.end - r.start, 1e-3) * r.score
        if key not in first or r.score > first[key].score:
            first[key] = r
    winner = max(votes, key=lambda k: (votes[k], first[k].score))
    return first[winner]


def build_cues(readings: Sequence[Reading], *, merge_similarity: float = 0.9, max_gap: float = 0.3,
               min_score: float = 0.6, min_duration: float = 0.1, fragment: float = 0.5,
               fragment_similarity: float = 0.6) -> list[CueDraft]:
    """Merge consecutive readings of one line into cues and drop fragments.

    Readings are merged when their texts are at least `merge_similarity` alike and the time
    between them (an empty interval, a dropped fragment) is at most `max_gap` seconds; when one
    side lasts under `fragment` seconds (a piece split off by something passing in front, read
    with a character or two wrong), `fragment_similarity` is enough. A cue survives with a
    confidence of at least `min_score` and a duration of at least `min_duration`.
    """
    groups: list[list[Reading]] = []
    for r in sorted(readings, key=lambda r: r.start):
        if not squash(r.text):
            continue
        if groups:
            last = groups[-1]
            best = _best_text(last)
            alike = similarity(best.text, r.text)
            short = min(r.end - r.start, last[-1].end - last[0].start) < fragment
            if r.start - last[-1].end <= max_gap and (alike >= merge_similarity or
                                                       (short and alike >= fragment_similarity)):
                last.append(r)
                continue
        groups.append([r])
    cues = []
    for group in groups:
        best = _best_text(group)
        # The cue's confidence: duration-weighted over the readings that agree with its text.
        agree = [r for r in group if similarity(r.text, best.text) >= merge_similarity]
        weight = sum(max(r.end - r.start, 1e-3) for r in agree)
        score = sum(max(r.end - r.start, 1e-3) * r.score for r in agree) / weight
        start, end = group[0].start, group[-1].end
        if score < min_score or end - start < min_duration:
            continue
        cues.append(CueDraft(start, end, best.text, score, best.box, best.ref, list(group)))
    return cues
