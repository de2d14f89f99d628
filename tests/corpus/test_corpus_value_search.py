"""Search by a finding's normalised value: a phone number in any common spelling, an amount as a
plain number, handles, links and URLs; hits carry the video's URL and title and the track name the
CLI uses (`subtitles`). Findings come from the real analysis stage over hand-written lines."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vidscribe.analysis.qr import QrSighting
from vidscribe.analysis.stage import analyse, qr_findings
from vidscribe.corpus.index import INDEX_FORMAT, index_path, rebuild_index, update_index
from vidscribe.corpus.query import SearchHit, count_matches, search
from vidscribe.transcripts.model import Cue, Segment, Speech, Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.store import Store

REGIONS = ["RU", "CN"]


def analysed(video: VideoMeta, cues=(), segments=()) -> Transcript:
    t = Transcript(video=video,
                   speech=Speech(language="ru", segments=[Segment(s, e, x) for s, e, x in segments]),
                   subtitles=Subtitles(cues=[Cue(s, e, x, 0.9) for s, e, x in cues]))
    t.findings = analyse(t, [], REGIONS)
    return t


PHONE_CLIP = analysed(
    VideoMeta(id="douyin-1", source="https://v.douyin.com/abc/", webpage_url="https://www.douyin.com/video/1",
              title="Набор по контракту"),
    cues=[(0.0, 2.0, "欢迎加入"), (2.0, 4.0, "电话 +7 (999) 123-45-67"), (4.0, 6.0, "电话 +7 (999) 123-45-67"),
          (6.0, 8.0, "签约奖金200万卢布"), (8.0, 9.0, "微信同号 138-1234-5678")],
    segments=[(1.0, 3.0, "Выплата 2,000,000 рублей сразу"), (5.0, 7.0, "Пишите в телеграм: @Army_Recruit"),
              (7.0, 8.5, "Сайт https://www.Контракт.рф/ и почта Join@Army.ru")])
LOCAL_CLIP = analysed(VideoMeta(id="file-2", source="/clips/local.mp4", title="local"),
                      cues=[(1.5, 3.0, "звоните 8 999 123 45 67")])
DIRECT_CLIP = analysed(VideoMeta(id="url-3", source="https://cdn.example.com/clip.mp4", webpage_url="file:///tmp/x"),
                       cues=[(0.5, 1.0, "$2,000,000 bonus")])
OTHER_CLIP = analysed(VideoMeta(id="douyin-4", source="https://www.douyin.com/video/4"),
                      cues=[(0.0, 1.0, "电话 +7 (999) 765-43-21 月薪20万卢布")])


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "data")
    for t in (PHONE_CLIP, LOCAL_CLIP, DIRECT_CLIP, OTHER_CLIP):
        s.save(t)
    return s


def where(hits: list[SearchHit]) -> list[tuple[str, str, float | None]]:
    return [(h.video_id, h.track, h.start) for h in hits]


PHONE_HITS = [("douyin-1", "subtitles", 2.0), ("file-2", "subtitles", 1.5)]
SECOND_CUE = ("douyin-1", "subtitles", 4.0)  # the same number again: part of the first cue's finding


@pytest.mark.parametrize(("query", "expected"), [
    *[(q, PHONE_HITS) for q in ("+79991234567", "89991234567", "9991234567", "0079991234567", "7999123",
                                "７９９９１２３４５６７")],
    # Spellings that also match a line's text as words: those lines are hits as text too.
    ("+7 999 123-45-67", [*PHONE_HITS[:1], SECOND_CUE, *PHONE_HITS[1:]]),
    ("+7 (999) 123-45-67", [*PHONE_HITS[:1], SECOND_CUE, *PHONE_HITS[1:]]),
    ("8 (999) 123-45-67", PHONE_HITS), ("8-999-123-45-67", PHONE_HITS)])
def test_a_phone_in_any_spelling(store, query, expected):
    hits = search(store, query)
    assert where(hits) == expected
    assert [h.value for h in hits if h.start != 4.0] == ["+79991234567", "+79991234567"]
    assert count_matches(store, query) == len(expected)


def test_a_four_digit_prefix_finds_every_number_under_it(store):
    assert where(search(store, "7999")) == [*PHONE_HITS[:1], ("douyin-4", "subtitles", 0.0), PHONE_HITS[1]]
    assert [h.value for h in search(store, "+7999")] == ["+79991234567", "+79997654321", "+79991234567"]
    assert search(store, "799") == []  # three digits: too short to be a number's prefix
    assert search(store, "+79991234568") == []  # another number


def test_a_finding_hit_points_at_the_finding(store):
    (hit,) = [h for h in search(store, "+79991234567") if h.video_id == "douyin-1"]
    # The number is on two touching cues: one finding, from the first cue's start to the second's end.
    assert (hit.track, hit.start, hit.end, hit.kind) == ("subtitles", 2.0, 6.0, "phone")
    assert hit.text == "电话 +7 (999) 123-45-67"
    assert hit.snippet == "电话 «+7 (999) 123-45-67»" and hit.highlights == [[3, 21]]


def test_a_line_found_as_text_and_by_value_is_one_hit(store):
    hits = search(store, "8 999 123 45 67")  # the words of LOCAL_CLIP's cue, and its phone number
    assert where(hits) == PHONE_HITS
    local = hits[1]
    assert (local.kind, local.value, local.snippet) == ("phone", "+79991234567", "звоните «8» «999» «123» «45» «67»")
    assert count_matches(store, "8 999 123 45 67") == 2


def test_a_chinese_mobile_number(store):
    for query in ("13812345678", "+86 138 1234 5678", "138-1234-5678", "8613812345678"):
        hits = search(store, query)
        assert [(h.video_id, h.track, h.start, h.kind, h.value) for h in hits] == [
            ("douyin-1", "subtitles", 8.0, "phone", "+8613812345678")], query  # one hit for the line


@pytest.mark.parametrize("query", ["2000000", "2,000,000", "2 000 000", "200万", "两百万", "2 млн", "2000000 RUB",
                                   "2,000,000 рублей"])
def test_an_amount_as_a_number(store, query):
    hits = [h for h in search(store, query) if h.kind == "money"]
    assert {(h.video_id, h.track, h.start, h.value) for h in hits} >= {
        ("douyin-1", "subtitles", 6.0, "2000000 RUB"), ("douyin-1", "speech", 1.0, "2000000 RUB")}
    # "$2,000,000" is found by the number, not when roubles are asked for
    assert ("url-3" in {h.video_id for h in hits}) == ("RUB" not in query and "руб" not in query)


def test_amounts_match_exactly(store):
    assert [h for h in search(store, "3000000") if h.kind == "money"] == []
    assert [h for h in search(store, "2000000 USD") if h.kind == "money"][0].video_id == "url-3"
    assert [(h.video_id, h.value) for h in search(store, "200000") if h.kind == "money"] == [
        ("douyin-4", "200000 RUB/month")]


def test_handles_links_and_urls_by_value(store):
    for query in ("t.me/army_recruit", "https://t.me/Army_Recruit", "@army_recruit"):
        assert ("douyin-1", "speech", 5.0) in where(search(store, query)), query
    for query in ("https://www.контракт.рф/", "контракт.рф", "КОНТРАКТ.РФ"):
        assert [(h.video_id, h.kind) for h in search(store, query) if h.kind] == [("douyin-1", "url")], query
    assert [h.kind for h in search(store, "JOIN@army.ru") if h.kind] == ["email"]


def test_plain_text_search_still_works(store):
    assert where(search(store, "欢迎")) == [("douyin-1", "subtitles", 0.0)]
    assert where(search(store, "欢")) == [("douyin-1", "subtitles", 0.0)]
    assert where(search(store, "выплата")) == [("douyin-1", "speech", 1.0)]
    assert all(h.kind is None for h in search(store, "欢迎"))


def test_hits_carry_the_video_url_and_title(store):
    by_video = {h.video_id: h for h in search(store, "7999")}
    assert (by_video["douyin-1"].url, by_video["douyin-1"].title) == (
        "https://www.douyin.com/video/1", "Набор по контракту")
    assert (by_video["file-2"].url, by_video["file-2"].title) == ("/clips/local.mp4", "local")  # no URL: the path
    (direct,) = [h for h in search(store, "bonus")]
    assert direct.url == "https://cdn.example.com/clip.mp4"  # a file:// page URL is not where it lives


def test_track_filter_applies_to_findings(store):
    assert where(search(store, "2000000", track="speech")) == [("douyin-1", "speech", 1.0)]
    assert {h.track for h in search(store, "2000000", track="subtitle")} == {"subtitles"}
    assert count_matches(store, "2000000", track="speech") == 1


def test_limit_keeps_corpus_order_across_both_kinds_of_hit(store):
    everything = search(store, "7999", limit=100)
    assert search(store, "7999", limit=2) == everything[:2]
    assert count_matches(store, "7999") == len(everything) == 3


def test_findings_follow_the_files(store):
    update_index(store)
    t = Transcript.from_dict(PHONE_CLIP.to_dict())
    t.findings = [f for f in t.findings if f.kind != "phone"]
    store.save(t)
    assert where(search(store, "+79991234567")) == [("file-2", "subtitles", 1.5)]
    assert update_index(store).findings == 0
    assert rebuild_index(store).findings == sum(len(x.findings) for x in (t, LOCAL_CLIP, DIRECT_CLIP, OTHER_CLIP))


def test_an_index_of_the_previous_format_is_rebuilt(store):
    """An index written before the track was renamed: same files, so no row would be re-read."""
    path = index_path(store)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE videos (num INTEGER PRIMARY KEY, video_id TEXT NOT NULL UNIQUE, "
                     "mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT, lines INTEGER NOT NULL DEFAULT 0)")
        conn.execute("CREATE VIRTUAL TABLE lines USING fts5(body, track, video_id UNINDEXED, start UNINDEXED, "
                     "end UNINDEXED, text UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')")
        for num, vid in enumerate(sorted(store.video_ids()), 1):
            st = store.transcript_path(vid).stat()
            conn.execute("INSERT INTO videos VALUES (?, ?, ?, ?, NULL, 1)", (num, vid, st.st_mtime_ns, st.st_size))
            conn.execute("INSERT INTO lines(rowid, body, track, video_id, start, end, text) "
                         "VALUES (?, '欢 迎', 'subtitle', ?, 0.0, 1.0, '欢迎')", (num << 20, vid))
        conn.execute("PRAGMA user_version = 2")
    assert INDEX_FORMAT != 2
    assert where(search(store, "欢迎")) == [("douyin-1", "subtitles", 0.0)]
    assert where(search(store, "+79991234567")) == PHONE_HITS


def test_hostile_text_in_a_snippet_stays_on_one_line(tmp_path):
    store = Store(tmp_path / "data")
    store.save(analysed(VideoMeta(id="x-1", source="https://example.com/1"),
                        cues=[(0.0, 1.0, "第一行\n电话 \u202e+7 999 123-45-67\x1b[2J")]))
    (hit,) = search(store, "+79991234567")
    assert "\n" not in hit.snippet and "\x1b" not in hit.snippet and "\u202e" not in hit.snippet
    assert "<U+202E>" in hit.snippet and "<U+001B>" in hit.snippet
    assert hit.text == "第一行\n电话 \u202e+7 999 123-45-67\x1b[2J"  # the text itself is kept exact


def test_a_qr_code_finding_sorts_by_its_time_on_the_frame_track(tmp_path):
    store = Store(tmp_path / "data")
    t = analysed(VideoMeta(id="x-qr", source="https://example.com/qr"),
                 cues=[(2.0, 3.0, "编号 7999"), (4.0, 5.0, "代码 7999")])
    t.findings += qr_findings([QrSighting("tel:+79991234567", 3.5, 4.5)], REGIONS)
    store.save(t)
    hits = search(store, "7999")  # two lines by their text, the QR code's number by its value
    assert [(h.track, h.start, h.kind) for h in hits] == [
        ("subtitles", 2.0, None), ("frame", 3.5, "phone"), ("subtitles", 4.0, None)]
    assert hits[1].text == "tel:+79991234567" and hits[1].snippet == "tel:«+79991234567»"
    assert [(h.track, h.value) for h in search(store, "7999", track="frame")] == [("frame", "+79991234567")]
    assert count_matches(store, "7999") == 3
