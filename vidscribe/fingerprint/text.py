"""MinHash sketches of a clip's text, so that the same subtitles re-typed (another font, traditional
characters, other punctuation or line breaks, a few characters read differently) still match.

Text is normalised first (`normalise`: simplified script and half-width forms through
`analysis.text.fold`, lower case, ё as е, everything but letters and digits dropped), then cut into
overlapping character shingles. The sketch keeps, for each of `PERMUTATIONS` hash functions, the
smallest hash of any shingle: the share of equal values between two sketches estimates the Jaccard
similarity of their shingle sets. Hashes are BLAKE2b (stable across processes and machines, unlike
Python's `hash`), permuted by multiply-add modulo 2^64 with fixed odd multipliers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np

from vidscribe.analysis.text import fold
from vidscribe.transcripts.model import TextSketch, Transcript

PERMUTATIONS = 128  # standard error of a Jaccard estimate: sqrt(J(1-J)/128) <= 0.044
# Three characters: one misread character changes 3 shingles; two-character shingles are common
# to unrelated recruitment texts ("合同", "军队"), whole words are few in Chinese.
SHINGLE = 3
_SEED = 20260115
_rng = np.random.default_rng(_SEED)
_MULTIPLY = _rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd
_ADD = _rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)
_NOT_WORD = re.compile(r"[\W_]+")
EMPTY = np.uint64(2**32 - 1)  # the value of a sketch of no shingle


def normalise(text: str) -> str:
    """The form text is compared in: simplified, half-width, lower case, letters and digits only."""
    folded = fold(text).lower().replace("ё", "е")
    return _NOT_WORD.sub("", folded)


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Overlapping `size`-character pieces of normalised text (the whole text when shorter)."""
    if len(text) <= size:
        return {text} if text else set()
    return {text[i:i + size] for i in range(len(text) - size + 1)}


def _base_hash(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "little")


def minhash(pieces: Iterable[str]) -> list[int]:
    """The sketch of a set of shingles: PERMUTATIONS values, each below 2^32."""
    base = np.fromiter((_base_hash(p) for p in pieces), dtype=np.uint64)
    if base.size == 0:
        return [int(EMPTY)] * PERMUTATIONS
    with np.errstate(over="ignore"):  # arithmetic modulo 2^64 is the point
        permuted = base[:, None] * _MULTIPLY[None, :] + _ADD[None, :]
    return (permuted >> np.uint64(32)).min(axis=0).astype(np.int64).tolist()


def jaccard(a: list[int], b: list[int]) -> float:
    """The Jaccard similarity two sketches estimate (0 when either is of no text)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return float(np.mean(np.asarray(a) == np.asarray(b)))


def track_texts(t: Transcript) -> dict[str, str]:
    """The normalised text of each track a repost keeps: subtitle cues and screen text, and speech.
    Overlays (watermarks, account names) are left out: they name the poster, not the content."""
    out: dict[str, str] = {}
    if t.subtitles is not None:
        parts = [c.text for c in t.subtitles.cues] + [s.text for s in t.subtitles.screen_text]
        out["subtitles"] = normalise("".join(parts))
    if t.speech is not None:
        out["speech"] = normalise("".join(s.text for s in t.speech.segments))
    return {track: text for track, text in out.items() if text}


def sketches(t: Transcript) -> list[TextSketch]:
    return [TextSketch(track, len(text), minhash(shingles(text))) for track, text in track_texts(t).items()]
