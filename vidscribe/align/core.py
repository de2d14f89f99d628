"""Speech and subtitles on one timeline: the pure alignment behind the align stage.

Subtitle cues set the lines. Each speech word goes to the cue that covers most of it (ties go to
the earlier cue), so a long speech segment is split at cue boundaries and a cue spanning two
segments collects words from both. Words no cue touches become speech-only lines (one per segment
and gap between cues); cues no word touches stay subtitle-only lines. Every word and every cue
ends up in exactly one line; lines are ordered, never overlap and lie inside the media.

A segment without word timestamps is aligned as one unit, like one long word.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field

from vidscribe.align.agreement import agreement, disagrees, has_han, is_han, is_mandarin
from vidscribe.transcripts.model import AlignedLine, Segment, Speech, Subtitles


@dataclass(frozen=True)
class _Unit:
    """The smallest piece of speech that is placed: a word, or a segment without words."""

    seg: int
    word: int | None  # None: the whole segment
    start: float
    end: float
    text: str


@dataclass
class _Group:
    """Cues that overlap in time: shown together, so they form one line."""

    start: float
    end: float
    cues: list[int] = field(default_factory=list)
    units: list[_Unit] = field(default_factory=list)


def _clamp(start: float, end: float, duration: float | None) -> tuple[float, float]:
    # Model timestamps can run past the media or come out reversed; lines must not.
    hi = duration if duration is not None and math.isfinite(duration) and duration >= 0 else math.inf
    start = min(max(start, 0.0), hi)
    return start, min(max(end, start), hi)


def _cjk(ch: str) -> bool:
    """Han, kana, CJK punctuation and full-width forms: scripts written without spaces."""
    return is_han(ch) or 0x3000 <= ord(ch) <= 0x30FF or 0xFF00 <= ord(ch) <= 0xFFEF


def _glued(left: str, right: str) -> bool:
    """Whether two pieces of text join without a space (guessed from the characters that meet)."""
    return _cjk(left[-1]) or _cjk(right[0])


def _spaced(segment: Segment) -> list[str]:
    """The segment's word texts, each with one leading space where a space precedes it.

    Whisper's words carry their leading space; stored words may have been stripped. The segment
    text tells which words a space separates; where a word cannot be found in it (the text was
    normalised differently), the script decides: no space next to CJK, else one.
    """
    out: list[str] = []
    cursor = 0
    for word in segment.words:
        text = word.text.strip()
        found = segment.text.find(text, cursor) if text else -1
        if word.text[:1].isspace():
            space = True
        elif found >= 0:
            space = any(ch.isspace() for ch in segment.text[cursor:found])
        else:
            space = bool(out and out[-1].strip() and text) and not _glued(out[-1].strip(), text)
        if found >= 0:
            cursor = found + len(text)
        out.append((" " if space else "") + text)
    return out


def _units(speech: Speech | None, duration: float | None) -> list[_Unit]:
    units = []
    for s, seg in enumerate(speech.segments if speech else []):
        if seg.words:
            for w, (word, text) in enumerate(zip(seg.words, _spaced(seg), strict=True)):
                units.append(_Unit(s, w, *_clamp(word.start, word.end, duration), text))
        else:
            units.append(_Unit(s, None, *_clamp(seg.start, seg.end, duration), seg.text))
    return units


def _groups(subtitles: Subtitles | None, duration: float | None) -> list[_Group]:
    spans = sorted(((*_clamp(c.start, c.end, duration), i)
                    for i, c in enumerate(subtitles.cues if subtitles else [])))
    groups: list[_Group] = []
    for start, end, i in spans:
        if groups and start < groups[-1].end:  # overlaps the group so far: same line
            groups[-1].end = max(groups[-1].end, end)
            groups[-1].cues.append(i)
        else:
            groups.append(_Group(start, end, [i]))
    return groups


def _score(u: _Unit, g: _Group) -> float | None:
    """How much of the unit the group covers; 0.0 for an instant inside the other; None: apart."""
    overlap = min(u.end, g.end) - max(u.start, g.start)
    if overlap > 0:
        return overlap
    if u.start == u.end and (g.start <= u.start < g.end or g.start == g.end == u.start):
        return 0.0  # an instantaneous word inside the cue (or on an instantaneous cue)
    if g.start == g.end and u.start <= g.start < u.end:
        return 0.0  # an instantaneous cue inside the word: the word must not span across its line
    return None


def _assign(u: _Unit, groups: list[_Group], ends: list[float]) -> int | None:
    best, best_score = None, -1.0
    # Groups are disjoint and sorted, so only those from the first ending at/after the unit's start
    # up to the last starting at/before its end can touch it.
    for k in range(bisect.bisect_left(ends, u.start), len(groups)):
        if groups[k].start > u.end:
            break
        score = _score(u, groups[k])
        if score is not None and score > best_score:
            best, best_score = k, score
    return best


def speech_text(units: list[_Unit]) -> str:
    """The line's speech: words joined as their segment spaces them, pieces of different segments
    joined with a space unless CJK meets."""
    pieces: list[str] = []
    current: int | None = None
    for u in units:
        if u.seg != current:
            pieces.append("")
            current = u.seg
        pieces[-1] += u.text
    text = ""
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        text = piece if not text else text + ("" if _glued(text, piece) else " ") + piece
    return text


def _line(start: float, end: float, units: list[_Unit], subtitle: str | None, cues: list[int],
          compare_script: str | None) -> AlignedLine:
    units = sorted(units, key=lambda u: (u.seg, -1 if u.word is None else u.word))
    speech = speech_text(units) if units else None
    line = AlignedLine(
        start=start, end=end, subtitle=subtitle, speech=speech,
        segments=sorted({u.seg for u in units}), cues=sorted(cues),
        words=[[u.seg, u.word] for u in units if u.word is not None],
    )
    if compare_script and subtitle and speech and has_han(subtitle) and has_han(speech):
        line.agreement = agreement(subtitle, speech, compare_script)
        line.disagrees = disagrees(line.agreement)
    return line


def _speech_only(units: list[_Unit], groups: list[_Group]) -> list[tuple[float, float, list[_Unit]]]:
    """Units no cue touches, as (start, end, units) lines: one per segment within each gap
    between cues, merged where their times overlap so lines never do."""
    ends = [g.end for g in groups]
    pieces: dict[tuple[int, int], list[_Unit]] = defaultdict(list)
    for u in units:
        pieces[(bisect.bisect_right(ends, u.start), u.seg)].append(u)
    spans = sorted(((gap, min(u.start for u in us), max(u.end for u in us), us)
                    for (gap, _), us in pieces.items()), key=lambda p: p[:3])
    out: list[tuple[int, float, float, list[_Unit]]] = []
    for gap, start, end, us in spans:
        if out and out[-1][0] == gap and start < out[-1][2]:
            _, s0, e0, u0 = out[-1]
            out[-1] = (gap, s0, max(e0, end), u0 + us)
        else:
            out.append((gap, start, end, list(us)))
    return [(s, e, us) for _, s, e, us in out]


def align(speech: Speech | None, subtitles: Subtitles | None, duration: float | None = None, *,
          compare_script: str = "t2s") -> list[AlignedLine]:
    """Aligned lines from the speech and subtitle tracks (either may be None or empty).

    `duration` (seconds) clamps every time into the media. Where the speech is Mandarin, lines
    with Han characters on both sides get an agreement score, compared after converting both
    with `compare_script` (an OpenCC mode of `vidscribe.chinese`).
    """
    units = _units(speech, duration)
    groups = _groups(subtitles, duration)
    ends = [g.end for g in groups]
    loose: list[_Unit] = []
    for u in units:
        k = _assign(u, groups, ends)
        if k is None:
            loose.append(u)
        else:
            groups[k].units.append(u)

    script = compare_script if speech is not None and is_mandarin(speech.language) else None
    cues = subtitles.cues if subtitles else []
    lines = []
    for g in groups:
        # Overlapping cues read in time order; empty OCR text adds nothing.
        texts = [cues[i].text.strip() for i in g.cues if cues[i].text.strip()]
        lines.append(_line(g.start, g.end, g.units, " ".join(texts), g.cues, script))
    for start, end, us in _speech_only(loose, groups):
        lines.append(_line(start, end, us, None, [], None))
    lines.sort(key=lambda line: (line.start, line.end))
    return lines
