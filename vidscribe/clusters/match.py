"""Whether two fingerprinted videos are the same clip, and the evidence: pure functions over
`Fingerprint`s.

Footage: every variant of one video's kept frames (mirrors included) against the unmirrored
variants of the other's; a frame pair within `FRAME_MATCH_BITS` matches. The videos share footage
when the matched frames cover `COVERAGE` of either video's hashed time (a trimmed repost is all
inside its source; a clip inside a compilation is all inside the compilation) and at least
`MIN_MATCHED_SECONDS`. Frames PDQ rates below `MIN_QUALITY` (flat pictures, a plain background
with a line of text) are not compared: they match too much.

Text: the best Jaccard estimate between any two text sketches (subtitles or speech of one against
subtitles or speech of the other: a repost may burn in what the source only said) of at least
`TEXT_MIN_CHARS` characters each; `TEXT_JACCARD` or more is the same text, and so is one text
mostly inside the other (`TEXT_CONTAINMENT`, OCR having missed cues of one copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vidscribe.fingerprint.pictures import MIRROR
from vidscribe.fingerprint.text import SHINGLE, jaccard
from vidscribe.transcripts.model import Fingerprint, TextSketch

# PDQ bits apart for two frames to be the same picture. bench/clusters.py measures transformed
# copies (re-encode, crop, mirror, watermark, speed) at a median of 10-30 bits from their source's
# nearest kept frame, and unrelated frames over a shared background at 60 or more.
FRAME_MATCH_BITS = 45
MIN_QUALITY = 50  # PDQ's own advice: hashes of pictures below 50 are not reliable
COVERAGE = 0.5  # share of one video's hashed time that must match (a shared 2 s intro does not)
MIN_MATCHED_SECONDS = 1.0  # ... and at least this much footage (two samples)
TEXT_JACCARD = 0.5  # re-typed subtitles measure 0.6-0.9 in the bench, unrelated recruitment texts < 0.15
# A repost's OCR often misses whole cues: its text is then mostly inside the source's (real OCR of
# re-encoded reposts: Jaccard 0.42-0.76, containment 0.86-0.95; unrelated texts < 0.2). It counts only for texts
# long enough not to be one shared slogan.
TEXT_CONTAINMENT = 0.7  # estimated from a Jaccard estimate: 0.72 measured for a true 0.87 (half the cues)
CONTAINED_MIN_CHARS = 20
TEXT_MIN_CHARS = 12  # shorter texts ("联系我们") are shared by unrelated clips
SPAN_GAP = 1.0  # matched frames this close (seconds, in both videos) form one span of evidence


@dataclass(frozen=True)
class Span:
    """A stretch of footage seen in both videos: times in each, the closest frames' distance."""

    a_start: float
    a_end: float
    b_start: float
    b_end: float
    bits: int  # the smallest PDQ distance of the frame pairs in the span
    variant_a: str  # the variants that matched best, e.g. full~ and 9:16 (mirrored, cropped)
    variant_b: str


@dataclass(frozen=True)
class TextMatch:
    track_a: str
    track_b: str
    jaccard: float  # estimated from the sketches
    chars_a: int
    chars_b: int
    containment: float = 0.0  # estimated share of the shorter text's shingles found in the other


@dataclass
class PairEvidence:
    footage: list[Span] = field(default_factory=list)
    coverage: float = 0.0  # the larger of the two videos' matched share of hashed time
    matched_seconds: float = 0.0
    # Median distance of the matched frames to their closest counterpart: reposts measure 0-12 in the
    # bench, clips that only share a backdrop (a small figure over it) 20-35: the lower, the surer.
    median_bits: int | None = None
    text: TextMatch | None = None  # the best text match (also when below the threshold)
    same_footage: bool = False
    same_text: bool = False

    @property
    def match(self) -> bool:
        return self.same_footage or self.same_text


@dataclass(frozen=True)
class Prepared:
    """A fingerprint's usable frames as arrays, for repeated comparison."""

    starts: np.ndarray  # (frames,)
    ends: np.ndarray
    bits: np.ndarray  # (frames, variants, 256) bool, False where a variant is absent
    present: np.ndarray  # (frames, variants) bool
    variants: list[str]
    stored: np.ndarray  # (variants,) bool: unmirrored variants (those the index stores)


def _bits(digest: str) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes.fromhex(digest), np.uint8)).astype(bool)


def prepare(fp: Fingerprint) -> Prepared:
    frames = [f for f in fp.frames if f.quality >= MIN_QUALITY]
    n, v = len(frames), len(fp.variants)
    bits = np.zeros((n, v, 256), bool)
    present = np.zeros((n, v), bool)
    for i, f in enumerate(frames):
        for j, digest in enumerate(f.hashes[:v]):
            if digest:
                bits[i, j] = _bits(digest)
                present[i, j] = True
    return Prepared(np.array([f.start for f in frames], float), np.array([f.end for f in frames], float), bits,
                    present, list(fp.variants), np.array([not name.endswith(MIRROR) for name in fp.variants], bool))


def distances(a: Prepared, b: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a frames, b frames) smallest distance over a's variants x b's unmirrored variants, and the
    variant indices that gave it."""
    na, nb = len(a.starts), len(b.starts)
    if na == 0 or nb == 0:
        empty = np.zeros((na, nb), int)
        return empty + 256, empty, empty
    bv = np.flatnonzero(b.stored)
    av = np.arange(len(a.variants))
    # (a frame, a variant, b frame, b variant) distances through a matrix product of +-1 vectors.
    x = a.bits[:, av].reshape(-1, 256).astype(np.float32) * 2 - 1
    y = b.bits[:, bv].reshape(-1, 256).astype(np.float32) * 2 - 1
    d = ((256 - x @ y.T) / 2).round().astype(np.int32).reshape(na, len(av), nb, len(bv))
    valid = a.present[:, av][:, :, None, None] & b.present[:, bv][None, None, :, :]
    d = np.where(valid, d, 256).transpose(0, 2, 1, 3).reshape(na, nb, -1)
    best = d.argmin(axis=2)
    return d.min(axis=2), av[best // len(bv)], bv[best % len(bv)]


def _spans(a: Prepared, b: Prepared, d: np.ndarray, va: np.ndarray, vb: np.ndarray) -> list[Span]:
    spans: list[Span] = []
    for i in np.flatnonzero(d.min(axis=1) <= FRAME_MATCH_BITS):
        j = int(d[i].argmin())
        bits = int(d[i, j])
        names = a.variants[va[i, j]], b.variants[vb[i, j]]
        last = spans[-1] if spans else None
        if (last is not None and a.starts[i] - last.a_end <= SPAN_GAP
                and abs(b.starts[j] - last.b_end) <= SPAN_GAP + (a.ends[i] - a.starts[i])):
            spans[-1] = Span(last.a_start, float(a.ends[i]), min(last.b_start, float(b.starts[j])),
                             max(last.b_end, float(b.ends[j])), min(last.bits, bits),
                             *((last.variant_a, last.variant_b) if last.bits <= bits else names))
        else:
            spans.append(Span(float(a.starts[i]), float(a.ends[i]), float(b.starts[j]), float(b.ends[j]), bits,
                              *names))
    return spans


def _share(starts: np.ndarray, ends: np.ndarray, matched: np.ndarray) -> tuple[float, float]:
    total = float((ends - starts).sum())
    seen = float((ends - starts)[matched].sum())
    return seen, (seen / total if total > 0 else 0.0)


def shares(a: Prepared, b: Prepared, d: np.ndarray, threshold: int = FRAME_MATCH_BITS) -> tuple[float, float]:
    """From a distance matrix: the larger matched share of the two videos' hashed time, and the
    matched seconds (of the video with fewer), frames within `threshold` bits counting as matched."""
    if d.size == 0:
        return 0.0, 0.0
    close = d <= threshold
    seen_a, share_a = _share(a.starts, a.ends, close.any(axis=1))
    seen_b, share_b = _share(b.starts, b.ends, close.any(axis=0))
    return max(share_a, share_b), min(seen_a, seen_b)


def same_footage(coverage: float, seconds: float) -> bool:
    return coverage >= COVERAGE and seconds >= MIN_MATCHED_SECONDS


def compare_footage(a: Prepared, b: Prepared) -> tuple[list[Span], float, float, int | None]:
    """Spans of shared footage, the larger matched share of the two videos' time, the matched
    seconds, the median distance of the matched frames (None when none matched)."""
    d, va, vb = distances(a, b)
    if d.size == 0:
        return [], 0.0, 0.0, None
    coverage, seconds = shares(a, b, d)
    best = d.min(axis=1)
    matched = best[best <= FRAME_MATCH_BITS]
    return _spans(a, b, d, va, vb), coverage, seconds, int(np.median(matched)) if matched.size else None


def compare_text(a: Fingerprint, b: Fingerprint) -> TextMatch | None:
    return compare_sketches(a.texts, b.texts)


def compare_sketches(xs: list[TextSketch], ys: list[TextSketch]) -> TextMatch | None:
    """The best pair of sketches of at least TEXT_MIN_CHARS (one that makes the same text first)."""
    best: TextMatch | None = None
    for x in xs:
        for y in ys:
            if min(x.chars, y.chars) < TEXT_MIN_CHARS:
                continue
            j = jaccard(x.minhash, y.minhash)
            found = TextMatch(x.track, y.track, round(j, 3), x.chars, y.chars, round(containment(j, x, y), 3))
            if best is None or (same_text(found), found.jaccard) > (same_text(best), best.jaccard):
                best = found
    return best


def containment(j: float, a: TextSketch, b: TextSketch) -> float:
    """|A & B| / min(|A|, |B|) from the Jaccard estimate and the texts' shingle counts."""
    na, nb = (max(1, t.chars - SHINGLE + 1) for t in (a, b))
    return min(1.0, j / (1 + j) * (na + nb) / min(na, nb))


def same_text(text: TextMatch | None) -> bool:
    if text is None:
        return False
    return text.jaccard >= TEXT_JACCARD or (text.containment >= TEXT_CONTAINMENT
                                           and min(text.chars_a, text.chars_b) >= CONTAINED_MIN_CHARS)


def compare(a: Fingerprint, b: Fingerprint, pa: Prepared | None = None, pb: Prepared | None = None) -> PairEvidence:
    """Everything two fingerprints share, and whether that makes them the same clip."""
    spans, coverage, seconds, bits = compare_footage(pa or prepare(a), pb or prepare(b))
    text = compare_text(a, b)
    return PairEvidence(footage=spans, coverage=round(coverage, 3), matched_seconds=round(seconds, 3),
                        median_bits=bits, text=text,
                        same_footage=same_footage(coverage, seconds),
                        same_text=same_text(text))
