"""Text and layout helpers shared by band finding, cue building and the bench: edit distance,
similarity, character error rate, and grouping OCR boxes into rows (whole lines)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vidscribe.subtitles.engines import Box, TextLine
from vidscribe.textdistance import edit_distance

# Row.script: the line's script (scripts.script_of); a Cyrillic line's text and score are the
# Cyrillic reader's (scripts.choose)
HAN_SCRIPT, CYRILLIC, LATIN, OTHER = "han", "cyrillic", "latin", "other"


def squash(text: str) -> str:
    """Comparison form: NFKC (full-width to ASCII), lower case, no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def bare(text: str) -> str:
    """`squash` less punctuation: two readings of one line differ this way when OCR drops or
    misreads a mark (`名额有限，先到先得` / `名额有限 先到先得`, `欢迎咨询` / `欢迎咨询.`); two
    different cues never do (`还剩3个名额` / `还剩2个名额` differ in a digit)."""
    return "".join(ch for ch in squash(text) if not unicodedata.category(ch).startswith("P"))


def similarity(a: str, b: str) -> float:
    """1 - normalised edit distance of the squashed texts; 1.0 for two empty texts."""
    a, b = squash(a), squash(b)
    if not a and not b:
        return 1.0
    return 1.0 - edit_distance(a, b) / max(len(a), len(b))


def similar(a: str, b: str, at_least: float) -> bool:
    """`similarity(a, b) >= at_least`, the edit distance computed only as far as that needs (the
    assembly asks it of every pair of a band's readings)."""
    a, b = squash(a), squash(b)
    if not a and not b:
        return at_least <= 1.0
    longest = max(len(a), len(b))
    cap = int((1.0 - at_least) * longest) + 1  # at least the largest distance that can pass
    distance = edit_distance(a, b, max_distance=cap)
    return distance <= cap and 1.0 - distance / longest >= at_least


def cer(hypothesis: str, reference: str) -> float:
    """Character error rate of `hypothesis` against `reference` (squashed forms)."""
    h, r = squash(hypothesis), squash(reference)
    if not r:
        return 0.0 if not h else 1.0
    return edit_distance(h, r) / len(r)


@dataclass(frozen=True)
class Row:
    """OCR boxes on one line of text, left to right, read as one line."""

    text: str
    score: float  # character-weighted mean of its boxes' scores
    box: Box
    script: str = ""  # han, cyrillic, latin or other (scripts.script_of); "" until decided

    @property
    def height(self) -> int:
        return self.box.height

    @property
    def cx(self) -> float:
        return self.box.cx

    @property
    def cy(self) -> float:
        return self.box.cy


ROW_HEIGHTS = 2.0  # boxes of one line of text are at most this many times taller than each other: a
# Douyin watermark drawn over a big caption's box (17 px beside 50) was read into the caption's row
# (`抖音号速来报名`, bench caption-edge); the parts of one line (a phone number's groups, a channel
# name and its @handle, a mark the detector boxed apart) are near one height


def _same_row(a: Box, b: Box) -> bool:
    h = min(a.height, b.height)
    return h > 0 and a.overlap_y(b) >= 0.5 * h and -a.overlap_x(b) <= 2 * max(a.height, b.height) \
        and max(a.height, b.height) <= ROW_HEIGHTS * h


def group_rows(lines: Iterable[TextLine]) -> list[Row]:
    """Merge boxes that sit on one line (a detector splits a line at wide spaces, e.g. a channel
    name followed by an @handle): centring and text must be judged on the whole line."""
    groups: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda ln: ln.box.x0):
        for group in groups:
            if any(_same_row(line.box, other.box) for other in group):
                group.append(line)
                break
        else:
            groups.append([line])
    rows = []
    for group in groups:
        group.sort(key=lambda ln: ln.box.x0)
        parts = [group[0].text.strip()]
        for prev, cur in zip(group, group[1:], strict=False):
            gap = cur.box.x0 - prev.box.x1
            parts.append((" " if gap > 0.3 * cur.box.height else "") + cur.text.strip())
        weights = [max(1, len(squash(ln.text))) for ln in group]
        score = sum(w * ln.score for w, ln in zip(weights, group, strict=True)) / sum(weights)
        rows.append(Row("".join(parts), score, Box.union(ln.box for ln in group)))
    return sorted(rows, key=lambda r: (r.cy, r.cx))


CENTRE_TOLERANCE = 0.05  # of the frame width: how far a subtitle line's centre may lie off the middle
SYMBOL_ALLOWANCE = 0.6  # line heights more: an emoji or a full-width '，' after a centred line (not
# read, or read apart) moves the text's box about half a character off centre


def is_centred(row: Row, width: int, tolerance: float = CENTRE_TOLERANCE) -> bool:
    """Whether a line is horizontally centred: within `tolerance` of the width, plus room for a
    symbol after it."""
    return abs(row.cx - width / 2) <= tolerance * width + SYMBOL_ALLOWANCE * row.height


def join_rows(rows: Sequence[Row]) -> tuple[str, float, Box] | None:
    """One cue from its rows, top to bottom: text with a newline between lines, the
    character-weighted score and the union box.

    The score is PP-OCR's, over the lines it read: a Cyrillic line's score is the Cyrillic
    reader's confidence (Tesseract's, `scripts.py`), on another scale (Russian lines read right
    scored 0.37-0.96 on the bench), so it counts only in a cue of Cyrillic lines alone. Averaged
    in, a Russian line at 0.37 sank a Chinese line read at 1.0 under the cue threshold (0.6) and
    the whole bilingual cue was lost (compressed-480-720 at 36.1 s)."""
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r.cy)
    scored = [r for r in rows if r.script != CYRILLIC] or rows
    weights = [max(1, len(squash(r.text))) for r in scored]
    score = sum(w * r.score for w, r in zip(weights, scored, strict=True)) / sum(weights)
    return "\n".join(r.text for r in rows), score, Box.union(r.box for r in rows)
