"""Edit distance, shared by the subtitle stage (merging repeated readings, CER) and the align stage
(subtitle/speech agreement)."""

from __future__ import annotations

from collections.abc import Sequence


def edit_distance(a: Sequence[str], b: Sequence[str], max_distance: int | None = None) -> int:
    """Levenshtein distance: insertions, deletions and substitutions each cost 1. With
    `max_distance`, a distance above it comes back as max_distance + 1: the table stops at the
    first row whose every cell is above it (its cells never fall again)."""
    if a == b:
        return 0
    # A common start and end cost nothing and change nothing: two readings of one line mostly
    # share them (the subtitle stage compares thousands of such pairs per clip).
    n = min(len(a), len(b))
    start = 0
    while start < n and a[start] == b[start]:
        start += 1
    end = 0
    while end < n - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    if len(a) < len(b):
        a, b = b, a
    over = max_distance + 1 if max_distance is not None else None
    if over is not None and len(a) - len(b) >= over:
        return over
    if not b:
        return len(a)
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if over is not None and min(current) >= over:
            return over
        previous = current
    return previous[-1] if over is None else min(previous[-1], over)
