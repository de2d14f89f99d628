"""Text from outside (titles, captions, URLs, paths, OCR, speech) made safe to show.

Clip titles and captions are written by whoever posted the clip, and OCR and speech recognition
can produce anything. Three kinds of character are a problem on the way out:

- control characters (NUL, ESC, C1 controls, DEL): they corrupt spreadsheets, truncate cells, and
  drive a terminal (escape sequences);
- invisible characters that reorder or hide text: bidi overrides and isolates (U+202A-U+202E,
  U+2066-U+2069, the marks U+200E, U+200F, U+061C), zero-width space, word joiner, BOM, tag
  characters (U+E0000-U+E007F): "moc.elgoog" behind U+202E reads as "google.com";
- line and paragraph separators (U+2028, U+2029), lone surrogates: they split records or fail
  to encode.

`UNSAFE` matches them; tab, newline and CR are not in it (CSV quoting carries them, JSON escapes
them). Zero-width joiners and non-joiners stay: emoji sequences and some scripts need them.
"""

from __future__ import annotations

import re

UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]")
_BREAKS = re.compile(r"[\t\n\r]+")


def _code(m: re.Match[str]) -> str:
    return f"<U+{ord(m.group()):04X}>"


def visible(text: str) -> str:
    """`text` with every `UNSAFE` character written as `<U+XXXX>`: seen, never obeyed."""
    return UNSAFE.sub(_code, text)


def one_line(text: str | None) -> str:
    """`text` for a one-line display: runs of tabs and line breaks as one space, `visible`."""
    return visible(_BREAKS.sub(" ", text or ""))


def exact_line(text: str | None) -> str:
    """`text` on one line with nothing lost: tabs and line breaks written as `<U+XXXX>` too (for
    names that must stay exact, such as a path with a newline in it)."""
    return re.sub(r"[\t\n\r]", _code, visible(text or ""))
