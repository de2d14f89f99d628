"""Edit distance: a table of known values and the metric properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.textdistance import edit_distance

CJK = st.text(alphabet="加入俄罗斯军队签约奖金两百万卢布月薪 ，1234", max_size=12)


@pytest.mark.parametrize(("a", "b", "distance"), [
    ("", "", 0), ("abc", "", 3), ("", "ab", 2), ("kitten", "sitting", 3), ("加入军队", "加入部队", 1),
    ("签约奖金", "奖金签约", 4), ("ab", "ba", 2),
])
def test_known_distances(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


@given(CJK, CJK)
def test_is_a_metric(a: str, b: str) -> None:
    assert edit_distance(a, b) == edit_distance(b, a)
    assert (edit_distance(a, b) == 0) == (a == b)
    assert abs(len(a) - len(b)) <= edit_distance(a, b) <= max(len(a), len(b))


@given(CJK, CJK, CJK)
def test_triangle_inequality(a: str, b: str, c: str) -> None:
    assert edit_distance(a, c) <= edit_distance(a, b) + edit_distance(b, c)
