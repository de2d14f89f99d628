"""The one definition of a Han character: `HAN_CLASS`, `HAN` and `is_han` agree, at every edge."""

from __future__ import annotations

import re

import pytest

from vidscribe.chinese import HAN, HAN_CLASS, is_han

# First and last code point of each Han range.
EDGES = [0x3007,  # 〇: the zero of Chinese numerals (二〇二四年)
         0x3400, 0x4DBF, 0x4E00, 0x9FFF, 0xF900, 0xFAFF, 0x20000, 0x2A6DF, 0x2F800, 0x3134F]
# Just outside them, and scripts that sit beside Han but are not Han.
OUTSIDE = [0x33FF, 0x4DC0, 0xF8FF, 0xFB00, 0x1FFFF, 0x31350,
           0x3006, 0x3008,  # 〆 〈 beside 〇
           0x3042, 0x30A2, 0x30FC,  # あ ア ー (kana)
           0xAC00, 0xD7A3, 0x1100,  # 가 힣 ᄀ (Hangul)
           0x3000, 0x3002, 0xFF0C,  # ideographic space, 。 ，
           ord("A"), ord("z"), ord("7"), ord("é"), ord("Ж"), ord(" ")]


@pytest.mark.parametrize("cp", EDGES, ids=hex)
def test_range_edges_are_han(cp: int) -> None:
    assert is_han(chr(cp))
    assert HAN.fullmatch(chr(cp))


@pytest.mark.parametrize("cp", OUTSIDE, ids=hex)
def test_neighbours_are_not_han(cp: int) -> None:
    assert not is_han(chr(cp))
    assert not HAN.search(chr(cp))


def test_common_text() -> None:
    assert all(map(is_han, "中文字體"))
    assert HAN.search("Hello 世界")
    assert not HAN.search("こんにちは 안녕하세요 hello 123")


def test_class_composes() -> None:
    """`HAN_CLASS` is a character-class body: another range can be added inside the brackets."""
    with_kana = re.compile(f"[\u3040-\u30ff{HAN_CLASS}]")
    assert with_kana.fullmatch("中") and with_kana.fullmatch("あ")
    assert not with_kana.fullmatch("가")
