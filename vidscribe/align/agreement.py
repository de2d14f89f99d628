"""How far a Chinese subtitle agrees with the Mandarin speech under it, character by character.

The score is 1 - (character edit distance / length of the longer text), computed on comparison
keys (`comparison_key`): same script, no punctuation or spaces, one digit form. 1.0 means the
two say the same characters; near 0 means they share almost nothing. Lines below
`DISAGREEMENT_THRESHOLD` are flagged: that is where the subtitles may claim something other than
what the speaker said (or the recognition of one of them failed; the report shows both texts).
"""

from __future__ import annotations

import unicodedata

from vidscribe.chinese import is_han, normalise_script
from vidscribe.textdistance import edit_distance

# Below this the texts differ in more than half their characters. Whisper's Mandarin character
# error rate and OCR slips stay well under that, so a flag points at content, not noise.
DISAGREEMENT_THRESHOLD = 0.5

# The edit distance is quadratic in pure Python (2000 x 2000 characters take about 2 s). Normal
# lines are a few dozen characters; only a chain of overlapping cues merged into one line gets near
# this, and a score over minutes of text would say nothing about any one claim anyway.
MAX_COMPARE_CELLS = 4_000_000

# Speech language codes we compare against Chinese subtitles (Whisper says "zh" for Mandarin).
MANDARIN_CODES = ("zh",)

# One digit form on both sides: Whisper tends to write "20万", subtitles "二十万". A per-character
# map cannot reconcile place values (十, 百), but it turns most number mismatches into one edit.
_DIGITS = str.maketrans("〇零一二两三四五六七八九", "001223456789")


def has_han(text: str | None) -> bool:
    return bool(text) and any(is_han(ch) for ch in text)


def is_mandarin(language: str | None) -> bool:
    return bool(language) and language.lower().split("-")[0].split("_")[0] in MANDARIN_CODES


def comparison_key(text: str, script: str = "t2s") -> str:
    """The characters that count when comparing: script-normalised, NFKC (full-width forms to
    ASCII), case-folded, letters and digits only, Chinese numerals as digits."""
    text = unicodedata.normalize("NFKC", normalise_script(text, script)).casefold()
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")
    return kept.translate(_DIGITS)


def agreement(subtitle: str, speech: str, script: str = "t2s") -> float | None:
    """1 - edit distance / longer length on comparison keys, rounded to 3 places; None when either
    side has nothing to compare (only punctuation, emoji or spaces) or both are too long to."""
    a, b = comparison_key(subtitle, script), comparison_key(speech, script)
    if not a or not b or len(a) * len(b) > MAX_COMPARE_CELLS:
        return None
    return round(1 - edit_distance(a, b) / max(len(a), len(b)), 3)


def disagrees(score: float | None) -> bool | None:
    return None if score is None else score < DISAGREEMENT_THRESHOLD
