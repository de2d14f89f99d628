"""The last filter against Whisper's hallucinations: a curated list of what it writes over non-speech.

The first filters are elsewhere: VAD keeps music, noise and silence out of the decoder, and the
decoder's no-speech and log-probability checks skip windows it is unsure are speech. What gets
through those is often a line Whisper learned from subtitle credits and video outros
("Субтитры сделал DimaTorzok", "Продолжение следует...", "Thank you for watching"). The list is
`hallucinations.txt` beside this module (documented there): subtitle *credits* are cut out
wherever they appear (Whisper glues them to the end of real speech too); outro *phrases* drop a
segment only when it holds nothing else, since people do say them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # postprocess runs this filter: no import cycle at run time
    from vidscribe.speech.postprocess import RawSegment

KINDS = ("credit", "phrase")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Entry:
    language: str
    kind: str  # credit or phrase
    phrase: str

    @property
    def key(self) -> str:
        return key(self.phrase)


def key(text: str) -> str:
    """What matching compares: case-folded letters and digits only, ё as е ("Продолжение следует..."
    -> "продолжениеследует")."""
    return _NOT_WORD.sub("", text.casefold().replace("ё", "е"))


def parse(text: str) -> list[Entry]:
    """`language<TAB>kind<TAB>phrase` lines; blank lines and # comments skipped. ValueError on a bad line."""
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[1] not in KINDS or not key(parts[2]):
            raise ValueError(f"line {n}: expected language<TAB>credit|phrase<TAB>phrase, got {line!r}")
        entries.append(Entry(parts[0].strip(), parts[1], parts[2].strip()))
    return entries


@lru_cache(maxsize=1)
def known() -> tuple[Entry, ...]:
    """The shipped list (hallucinations.txt)."""
    return tuple(parse((resources.files("vidscribe.speech") / "hallucinations.txt").read_text(encoding="utf-8")))


def _strip(text_key: str, keys: Iterable[str]) -> str:
    for k in sorted(set(keys), key=len, reverse=True):  # longest first: "thankyou" before "you"
        text_key = text_key.replace(k, "")
    return text_key


def only_hallucinations(text: str, entries: Iterable[Entry]) -> bool:
    """The text holds known phrases and credits and nothing else (and holds something)."""
    text_key = key(text)
    return bool(text_key) and not _strip(text_key, (e.key for e in entries))


def cut_credits(seg: RawSegment, credits: Iterable[str]) -> RawSegment | None:
    """`seg` without the words that spell a subtitle credit (by their keys); None when it has none.
    A segment without word timings is left as it is."""
    if not seg.words:
        return None
    keys = [key(w.text) for w in seg.words]
    joined = "".join(keys)
    spans = []
    for credit in credits:
        start = joined.find(credit)
        while start >= 0:
            spans.append((start, start + len(credit)))
            start = joined.find(credit, start + len(credit))
    if not spans:
        return None
    kept, at = [], 0
    for word, word_key in zip(seg.words, keys, strict=True):
        a, b = at, at + len(word_key)
        at = b
        if not any(a < e and s < b for s, e in spans):
            kept.append(word)
    if not kept:
        return replace(seg, text="", words=())
    return replace(seg, text="".join(w.text for w in kept), words=tuple(kept), start=kept[0].start, end=kept[-1].end)


def drop_hallucinations(segments: Iterable[RawSegment], entries: Iterable[Entry] | None = None
                        ) -> tuple[list[RawSegment], int, int]:
    """Drop segments made only of known hallucinations and cut credits out of the others.
    Returns the kept segments, how many were dropped, and how many lost a credit."""
    entries = tuple(known() if entries is None else entries)
    credits = [e.key for e in entries if e.kind == "credit"]
    kept, dropped, cut = [], 0, 0
    for seg in segments:
        if only_hallucinations(seg.text, entries):
            dropped += 1
            continue
        trimmed = cut_credits(seg, credits)
        if trimmed is not None:
            cut += 1
            if not key(trimmed.text):
                dropped += 1
                continue
            seg = trimmed
        kept.append(seg)
    return kept, dropped, cut
