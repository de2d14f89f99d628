"""Number parsing: Chinese numerals (with a round trip against an independent writer), Arabic
digit grouping, and English/Russian number words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.analysis.numerals import format_amount, parse_arabic, parse_chinese, parse_words


@pytest.mark.parametrize(("text", "value"), [
    ("十", 10), ("十五", 15), ("二十", 20), ("二十七", 27), ("一百", 100), ("一百二", 120), ("两千四百", 2400),
    ("三千五", 3500), ("一万", 10_000), ("一万五", 15_000), ("一万五千", 15_000), ("一万零五", 10_005),
    ("两万零五百", 20_500), ("十万", 100_000), ("二十万", 200_000), ("二十七万", 270_000), ("两百万", 2_000_000),
    ("一千万", 10_000_000), ("一亿", 100_000_000), ("一亿五千万", 150_000_000), ("2万", 20_000),
    ("2.4万", 24_000), ("1.5亿", 150_000_000), ("2万5千", 25_000), ("2万4", 24_000), ("195万", 1_950_000),
    ("二零二四", 2024), ("壹万贰仟", 12_000), ("〇", 0),
])
def test_chinese_numerals(text, value):
    assert parse_chinese(text) == value


_DIGITS = "零一二三四五六七八九"


def _below_10k(n: int) -> str:
    out, zero = "", False
    for d, unit in zip((n // 1000 % 10, n // 100 % 10, n // 10 % 10, n % 10), "千百十 ", strict=True):
        if d == 0:
            zero = bool(out)
            continue
        out += ("零" if zero else "") + _DIGITS[d] + unit.strip()
        zero = False
    return out


def write_chinese(n: int) -> str:
    """An independent reference writer (formal style, no abbreviations): 20500 -> 二万零五百."""
    if n == 0:
        return "零"
    sections = [n // 10**8, n // 10**4 % 10**4, n % 10**4]
    out, gap = "", False
    for sec, unit in zip(sections, ("亿", "万", ""), strict=True):
        if sec == 0:
            gap = bool(out)
            continue
        out += ("零" if out and (gap or sec < 1000) else "") + _below_10k(sec) + unit
        gap = False
    return out


@given(st.integers(min_value=0, max_value=9999_9999_9999))
def test_chinese_round_trip(n):
    # e.g. 100005000 -> 一亿零五千, 1050 -> 一千零五十, 10 -> 一十
    assert parse_chinese(write_chinese(n)) == n, write_chinese(n)


@pytest.mark.parametrize(("text", "value"), [
    ("27000", 27000), ("27 000", 27000), ("27\u00a0000", 27000), ("1 950 000", 1_950_000), ("27,000", 27000),
    ("1,5", 1.5), ("2.4", 2.4), ("1.500.000", 1_500_000), ("7700", 7700),
])
def test_arabic(text, value):
    assert parse_arabic(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("two million", 2_000_000), ("twenty-seven thousand", 27_000), ("one hundred and fifty", 150),
    ("seven thousand seven hundred", 7700), ("двести тысяч", 200_000), ("два миллиона", 2_000_000),
    ("сто девяносто пять тысяч", 195_000), ("двух миллионов", 2_000_000),
])
def test_words(text, value):
    assert parse_words(text) == value


@given(st.integers(min_value=0, max_value=10**12))
def test_format_amount_integers(n):
    assert format_amount(float(n)) == str(n)
