"""Author text on its way out: CSV cells (formula guard, control and bidi characters shown), JSONL
lines (exact values, no raw control character), one-line display. Pure functions: property tests."""

from __future__ import annotations

import csv
import io
import json

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.corpus.safe import UNSAFE, csv_cell, formula_guard, json_line, one_line, visible

any_text = st.text(st.characters(codec=None), max_size=40)
messy_text = st.text(st.sampled_from(list("ab 中=+-@\t\r\n\"',;\x00\x1b\x7f\x85\u202e\u2066\u2028\u200b\ufeff"
                                          "\U000e0041\U0001f600\u200d\ud800\udfff")), max_size=30)


def csv_round_trip(cells: list) -> list[str]:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    (row,) = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))
    return row


@given(st.one_of(any_text, messy_text))
def test_csv_cells_round_trip_and_hold_nothing_unsafe(text):
    cell = csv_cell(text)
    assert csv_round_trip([cell, "after"]) == [cell, "after"]  # quoting keeps the cell and the row intact
    assert not UNSAFE.search(cell)
    assert not cell.startswith(("=", "@", "\t", "\r")) or cell == ""
    if not UNSAFE.search(text) and not text.startswith(("=", "@", "+", "-", "\t", "\r")):
        assert cell == text  # ordinary text is left alone


@given(st.one_of(any_text, messy_text))
def test_json_lines_are_exact_and_one_line(text):
    line = json_line({"title": text, "n": 1})
    assert line.endswith("\n") and len(line.splitlines()) == 1 and line.count("\n") == 1
    assert not UNSAFE.search(line)
    # JSON has no way to keep a high and a low surrogate that sit side by side in a Python string
    # apart from the character they pair into (nor does json.dumps): compare with that pairing done.
    paired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    assert json.loads(line) == {"title": paired, "n": 1}


@given(st.one_of(any_text, messy_text))
def test_one_line_shows_everything_on_one_line(text):
    shown = one_line(text)
    assert len(shown.splitlines()) <= 1 and not UNSAFE.search(shown) and "\t" not in shown


def test_visible_names_each_character():
    assert visible("a\x00b\u202ec\U000e0041") == "a<U+0000>b<U+202E>c<U+E0041>"
    assert visible("👨\u200d👩 ok") == "👨\u200d👩 ok"  # emoji sequences keep their joiner


@pytest.mark.parametrize("text", ["=1+1", "=HYPERLINK(\"http://x\")", "@SUM(A1)", "+cmd|' /C calc'!A0",
                                  "-2+3*cmd|x", "+A1", "-1e3", "\t=1", "\r=1", "\t123", "+7 999 1234567 доб. 12"])
def test_formulas_are_guarded(text):
    assert formula_guard(text) == "'" + text


@pytest.mark.parametrize("text", ["+79991234567", "+7 (999) 123-45-67", "-12.5", "+86 138 1234 5678",
                                  "(495) 123-45-67", "2000000", "+", "-", "-(1)"])
def test_numbers_and_phone_numbers_are_left_as_they_read(text):
    assert formula_guard(text) == text == csv_cell(text)


REGIONS = ["RU", "CN", "US", "GB", "DE", "UA", "KZ", "BY", "IN", "AE"]
FORMATS = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL]


@given(st.sampled_from(REGIONS), st.sampled_from(FORMATS), st.sampled_from(["mobile", "fixed"]))
def test_any_written_phone_number_reads_the_same_in_csv_and_jsonl(region, fmt, kind):
    example = (phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE) if kind == "mobile"
               else phonenumbers.example_number(region))
    written = phonenumbers.format_number(example, fmt)
    (cell,) = csv_round_trip([csv_cell(written)])
    assert cell == written == json.loads(json_line(written))
