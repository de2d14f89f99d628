"""Author text (titles, captions, speech, OCR) made safe for the outputs it reaches.

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

- `visible`: each unsafe character written out as `<U+XXXX>`, so it is seen, never obeyed.
- `csv_cell`: `visible`, and the spreadsheet formula guard.
- `json_line`: a JSON object on one line with every value exact: unsafe characters are written
  as `\\uXXXX` escapes, which decode back to the same characters.
- `one_line`: `visible` and line breaks as spaces, for one-line terminal output.
"""

from __future__ import annotations

import json
import re
from typing import Any

from vidscribe.terminal import UNSAFE, one_line, visible

__all__ = ["UNSAFE", "csv_cell", "formula_guard", "json_line", "one_line", "visible"]

# A spreadsheet runs a cell starting with one of these as a formula (tab and CR: some strip them
# first). A cell made only of digits, spaces, "+", "-", "(", ")" and "." (a phone number, an
# amount) has no function to call or reference to follow, so it is left as it reads.
_FORMULA_START = ("=", "@", "+", "-", "\t", "\r")
_NUMBER_LIKE = re.compile(r"[0-9 +\-().]*")


def formula_guard(text: str) -> str:
    """`text`, prefixed with an apostrophe when a spreadsheet would run it as a formula."""
    if text.startswith(_FORMULA_START) and not _NUMBER_LIKE.fullmatch(text):
        return "'" + text  # shown as text, never evaluated
    return text


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: None empty, whole floats as integers, text `visible` and guarded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 2000000, not 2000000.0
    if isinstance(value, str):
        return formula_guard(visible(value))
    return value


def _json_escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    if code > 0xFFFF:  # a surrogate pair, as JSON writes characters outside the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_line(obj: Any) -> str:
    """`obj` as one line of JSON (with its newline): text exact once decoded, but no raw control,
    bidi or separator character in the line, so `cat`, `less` and line splitting are safe."""
    # json.dumps escapes C0 controls, quotes and backslashes, so every other character it leaves
    # raw stands alone inside a string, where its \u escape means the same.
    return UNSAFE.sub(_json_escape, json.dumps(obj, ensure_ascii=False)) + "\n"
