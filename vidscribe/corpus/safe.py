"""Author text (titles, captions, speech, OCR) made safe for the files the corpus exports.

Which characters are unsafe, and how they are shown, is `vidscribe.terminal`'s (`UNSAFE`,
`visible`, `one_line`, re-exported here). On top of that:

- `csv_cell`: `visible`, and the spreadsheet formula guard.
- `json_line`: a JSON object on one line with every value exact: unsafe characters are written
  as `\\uXXXX` escapes, which decode back to the same characters.
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
