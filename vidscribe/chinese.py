"""Chinese script normalisation (OpenCC), shared by speech, subtitles and analysis.

Whisper often writes Mandarin in traditional characters and OCR output mixes both; comparing,
searching and matching lexicons all need one script. Callers keep the raw text beside the result.
"""

from __future__ import annotations

import functools

import opencc

SCRIPT_MODES = ("none", "t2s", "s2t")


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
