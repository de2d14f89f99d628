"""Edit distance: a table of known values and the metric properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.subtitles.text import similar, similarity
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


def _table(a: str, b: str) -> int:
    """The whole Levenshtein table, nothing skipped: what edit_distance must equal."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@given(CJK, CJK, CJK, CJK)
def test_a_shared_start_and_end_change_nothing(start: str, a: str, b: str, end: str) -> None:
    assert edit_distance(start + a + end, start + b + end) == _table(start + a + end, start + b + end)
    assert edit_distance(a, b) == _table(a, b)
    assert edit_distance(list(start + a), list(start + b)) == _table(start + a, start + b)


@given(CJK, CJK, st.integers(0, 6))
def test_a_bounded_distance_is_the_distance_up_to_its_bound(a: str, b: str, bound: int) -> None:
    assert edit_distance(a, b, max_distance=bound) == min(_table(a, b), bound + 1)


@given(CJK, CJK, st.sampled_from([0.0, 0.5, 0.6, 0.8, 0.85, 0.9, 1.0]))
def test_similar_is_similarity_at_least(a: str, b: str, at_least: float) -> None:
    assert similar(a, b, at_least) == (similarity(a, b) >= at_least)
