"""Chinese script normalisation (OpenCC) and the one definition of what a Han character is,
shared by speech, subtitles, alignment and analysis.

Whisper often writes Mandarin in traditional characters and OCR output mixes both; comparing,
searching and matching lexicons all need one script. Callers keep the raw text beside the result.
"""

from __future__ import annotations

import functools
import re

import opencc

SCRIPT_MODES = ("none", "t2s", "s2t")

# Han ideographs: CJK Unified Ideographs Extension A and the main block, the compatibility
# ideographs, and the supplementary ideographic planes (Extension B and later, the compatibility
# supplement), and U+3007 (〇, the zero of Chinese numerals: 二〇二四年). Not kana, Hangul or CJK
# punctuation. The body of a regex character class, without brackets, so it composes:
# f"[{HAN_CLASS}]", f"[\u3040-\u30ff{HAN_CLASS}]".
HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN = re.compile(f"[{HAN_CLASS}]")  # one Han character


def is_han(ch: str) -> bool:
    """Whether the character `ch` is a Han ideograph (`HAN_CLASS`)."""
    return HAN.fullmatch(ch) is not None


@functools.cache
def _converter(mode: str) -> opencc.OpenCC:
    return opencc.OpenCC(mode)


def normalise_script(text: str, mode: str = "t2s") -> str:
    """Convert `text` with OpenCC `mode` (t2s: to simplified, s2t: to traditional, none: as is)."""
    if mode == "none" or not text:
        return text
    if mode not in SCRIPT_MODES:
        raise ValueError(f"unknown Chinese script mode {mode!r}; expected one of {', '.join(SCRIPT_MODES)}")
    return _converter(mode).convert(text)
