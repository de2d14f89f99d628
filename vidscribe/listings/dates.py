"""Upload dates of listing entries, and the `--since`/`--until` bounds they are compared with.

Dates are UTC calendar days. A bound is `YYYY-MM-DD`, `YYYYMMDD`, or `Nd` (N days before today, so
a watch's `--since 30d` is a window that moves with each round).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_RELATIVE = re.compile(r"^(\d{1,5})d$")
_DAY = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def parse_bound(text: str, now: dt.date | None = None) -> dt.date:
    """"2026-11-03", "20261103" or "30d" (30 days before `now`, today in UTC) -> a date;
    ValueError naming the accepted forms otherwise."""
    value = text.strip().lower()
    if m := _RELATIVE.match(value):
        return (now or today()) - dt.timedelta(days=int(m.group(1)))
    if m := _DAY.match(value):
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as e:
            raise ValueError(f"not a date: {text!r} ({e})") from None
    raise ValueError(f"not a date: {text!r} (expected YYYY-MM-DD, YYYYMMDD, or Nd for N days ago)")


def check_bound(text: str | None) -> str | None:
    """The settings parser: the text when it is a valid bound or empty (no bound); kept as given, so
    `30d` stays relative."""
    if text is not None and text.strip():
        parse_bound(text)
    return text


def bound(text: str | None, now: dt.date | None = None) -> dt.date | None:
    """A setting's bound as a date (None: no bound)."""
    return parse_bound(text, now) if text and text.strip() else None


def entry_date(entry: dict[str, Any]) -> dt.date | None:
    """An entry's upload day from what a flat listing carries: `upload_date` (YYYYMMDD), else
    `timestamp` (UTC), else the release date or timestamp; None when it carries none."""
    for key in ("upload_date", "release_date"):
        value = entry.get(key)
        if isinstance(value, str) and (m := _DAY.match(value)):
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    for key in ("timestamp", "release_timestamp"):
        value = entry.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return dt.datetime.fromtimestamp(value, dt.timezone.utc).date()
            except (OverflowError, OSError, ValueError):
                continue
    return None
