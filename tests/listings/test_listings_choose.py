"""The pure parts: upload dates, date bounds, which entries a run takes, listing IDs, intervals."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.errors import ConfigError, SourceError
from vidscribe.listings.choose import AFTER, BEFORE, OVER_LIMIT, SEEN, STORED, Entry, choose
from vidscribe.listings.dates import bound, entry_date, parse_bound
from vidscribe.listings.source import listing_id, normalise
from vidscribe.listings.watch import format_every, parse_every
from vidscribe.settings import Settings

NOV = [dt.date(2026, 11, d) for d in range(1, 31)]


def entry(key: str, day: dt.date | None = None) -> Entry:
    return Entry(key=key, url=f"https://example.com/{key}", upload_date=day)


def test_entry_date_from_what_flat_entries_carry():
    assert entry_date({"upload_date": "20261103"}) == dt.date(2026, 11, 3)
    assert entry_date({"timestamp": 1793613600}) == dt.date(2026, 11, 2)  # an RSS pubDate, UTC
    assert entry_date({"timestamp": 1793661599.5}) == dt.date(2026, 11, 2)  # 23:59:59 UTC stays that day
    assert entry_date({"release_timestamp": 1793700000}) == dt.date(2026, 11, 3)
    assert entry_date({"upload_date": "20261340", "timestamp": 1793613600}) == dt.date(2026, 11, 2)
    assert entry_date({"title": "no date"}) is None
    assert entry_date({"timestamp": True}) is None and entry_date({"timestamp": 10**20}) is None


def test_bounds():
    today = dt.date(2026, 12, 3)
    assert parse_bound("2026-11-03") == parse_bound("20261103") == dt.date(2026, 11, 3)
    assert parse_bound("30d", today) == dt.date(2026, 11, 3)
    assert parse_bound(" 0D ", today) == today
    assert bound(None) is None and bound(" ") is None
    for bad in ("yesterday", "2026-13-01", "2026/11/03", "-3d", "3"):
        with pytest.raises(ValueError, match="not a date"):
            parse_bound(bad)


def test_bad_bounds_fail_when_settings_load():
    with pytest.raises(ConfigError, match="VIDSCRIBE_UNTIL='soon' is not valid"):
        Settings.load(env={"VIDSCRIBE_UNTIL": "soon"})
    assert Settings.load(env={"VIDSCRIBE_SINCE": "7d"}).since == "7d"  # kept relative: a watch's window moves


def test_date_range_is_inclusive_and_undated_entries_are_taken_and_named():
    entries = [entry("a", NOV[0]), entry("b", NOV[2]), entry("c"), entry("d", NOV[9]), entry("e", NOV[10])]
    choice = choose(entries, since=NOV[2], until=NOV[9])
    assert [e.key for e in choice.taken] == ["b", "c", "d"]
    assert choice.skipped == {"a": BEFORE, "e": AFTER}
    assert choice.undated == ["c"]
    assert choose(entries).undated == []  # without a range, a missing date is nothing to note


def test_seen_stored_duplicates_and_the_limit():
    entries = [entry("a"), entry("b"), entry("a"), entry("c"), entry("d"), entry("e")]
    choice = choose(entries, limit=2, seen={"b"}, stored={"c"})
    assert [e.key for e in choice.taken] == ["a", "d"]
    assert choice.skipped == {"b": SEEN, "c": STORED, "e": OVER_LIMIT}
    assert choose(entries[:2]).skipped == {} and len(choose(entries, limit=0).taken) == 5
    twice = choose([entry("a", NOV[0]), entry("a", NOV[5])], since=NOV[3])
    assert twice.skipped == {"a": BEFORE} and not twice.taken  # its first place counts


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.none() | st.sampled_from(NOV)), max_size=30),
       st.integers(0, 6), st.sets(st.sampled_from("abcdefgh")), st.none() | st.sampled_from(NOV),
       st.none() | st.sampled_from(NOV))
def test_every_entry_is_taken_or_skipped_once(raw, limit, seen, since, until):
    entries = [entry(k, d) for k, d in raw]
    choice = choose(entries, since=since, until=until, limit=limit, seen=seen)
    taken = [e.key for e in choice.taken]
    assert len(taken) == len(set(taken)) and not set(taken) & set(choice.skipped)
    assert set(taken) | set(choice.skipped) == {k for k, _ in raw}
    assert not set(taken) & seen
    assert not limit or len(taken) <= limit
    for e in choice.taken:
        day = e.upload_date
        assert day is None or ((not since or day >= since) and (not until or day <= until))
    first_places = list(dict.fromkeys(e.key for e in entries))
    assert taken == [k for k in first_places if k in set(taken)]  # listing order kept


def test_listing_ids_come_from_the_normalised_url_only():
    base = listing_id("https://www.tiktok.com/@recruiter")
    assert base.startswith("listing-") and len(base) == len("listing-") + 16
    for same in ("https://WWW.TikTok.com/@recruiter/", " https://www.tiktok.com/@recruiter#top",
                 "HTTPS://user:secret@www.tiktok.com/@recruiter"):
        assert listing_id(same) == base, same
    assert listing_id("https://www.tiktok.com/@Recruiter") != base  # paths are case-sensitive
    assert listing_id("https://www.tiktok.com/@recruiter?lang=ru") != base
    assert normalise("https://example.com/") == "https://example.com"


def test_intervals():
    assert parse_every("6h") == 21600 and parse_every("30m") == 1800 and parse_every(" 1D ") == 86400
    assert parse_every("90s") == 90 and parse_every("1.5h") == 5400
    for bad in ("6", "0h", "h", "-1h", "6 hours"):
        with pytest.raises(SourceError, match="not an interval"):
            parse_every(bad)
    assert [format_every(s) for s in (21600, 1800, 86400, 90)] == ["6h", "30m", "1d", "90s"]


def test_entry_keys_are_the_ids_fetching_will_give():
    from vidscribe.listings.source import entry_key, entry_url
    from vidscribe.media.ids import url_hash
    from vidscribe.media.ytdl import guess_video_id

    tiktok = "https://www.tiktok.com/@x/video/7312345678901234567"
    flat = {"_type": "url", "ie_key": "TikTok", "id": "7312345678901234567", "url": tiktok}
    assert entry_key(flat, tiktok) == guess_video_id(tiktok) == "tiktok-7312345678901234567"
    youtube = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert entry_key({"_type": "url", "url": youtube}, youtube) == "youtube-dQw4w9WgXcQ"  # from its pattern
    direct = "https://cdn.example.com/a/video.mp4"
    assert entry_key({"_type": "url", "ie_key": "Generic", "id": "video", "url": direct}, direct) == \
        f"url-{url_hash(direct)}"  # a generic "id" is a file name: the URL's hash, as fetching gives
    # An RSS item's guid rides in the URL (yt-dlp's smuggling): the entry is fetched by its plain URL.
    assert entry_url({"_type": "url_transparent",
                      "url": direct + "#__youtubedl_smuggle=%7B%22force_videoid%22%3A+%22g1%22%7D"}) == direct
    # A page's <video>: its media URL (its "page" is the listing itself); a resolved entry with a page of its own: that.
    page = "https://example.com/account"
    assert entry_url({"url": direct, "webpage_url": page + "/", "playlist_webpage_url": page}) == direct
    assert entry_url({"url": direct, "webpage_url": tiktok, "playlist_webpage_url": page}) == tiktok


def test_nested_playlists_are_listed_in_place():
    from vidscribe.listings.source import _flatten

    entries = [{"_type": "url", "url": "https://a.example/1"},
               {"_type": "playlist", "entries": [{"_type": "url", "url": "https://a.example/2"},
                                                 {"_type": "playlist", "entries": [{"_type": "url",
                                                                                    "url": "https://a.example/3"}]}]},
               "not an entry", {"_type": "url", "url": "https://a.example/4"}]
    flat = list(_flatten(entries, Settings(), 0, depth=1))
    assert [e["url"] for e in flat] == [f"https://a.example/{n}" for n in (1, 2, 3, 4)]
