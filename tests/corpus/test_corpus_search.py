"""Search over a corpus of generated transcripts: short Chinese queries, script and case folding,
tracks, query-syntax injection, and the index following the transcript files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidscribe.corpus.index import index_path, rebuild_index, update_index
from vidscribe.corpus.query import count_matches, fts_query, search
from vidscribe.corpus.synthetic import write_corpus
from vidscribe.errors import VidscribeError
from vidscribe.transcripts.model import Cue, Overlay, Segment, Speech, Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.store import Store


def clip(video_id: str, cues=(), segments=(), overlays=(), language="ru") -> Transcript:
    return Transcript(
        video=VideoMeta(id=video_id, source=f"https://www.douyin.com/video/{video_id}"),
        speech=Speech(language=language, segments=[Segment(s, e, t) for s, e, t in segments]) if segments else None,
        subtitles=Subtitles(cues=[Cue(s, e, t, 0.9) for s, e, t in cues],
                            overlays=[Overlay(s, e, t, 0.9, kind="account") for s, e, t in overlays]),
    )


KNOWN = [
    clip("a-recruit", cues=[(0.5, 3.0, "加入俄罗斯军队"), (3.0, 5.5, "簽約獎金兩百萬盧布")],
         segments=[(1.0, 2.5, "Подпишите КОНТРАКТ сегодня"), (4.0, 6.0, "выплата 195 тыс. руб., жильё")],
         overlays=[(0.0, 8.0, "抖音号：recruit_demo")]),
    clip("b-english", cues=[(0.0, 2.0, "军")], segments=[(0.0, 2.0, "Join the army. Sign the contract today.")],
         language="en"),
    clip("c-quotes", segments=[(2.0, 4.0, 'he said "NEAR" (not AND -OR) * ^ col:x {a b} + 1')], language="en"),
]


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "data")
    for t in KNOWN:
        s.save(t)
    write_corpus(s.root, 60, seed=3, lines=10)  # filler: syn-000000 ... syn-000059
    return s


def where(hits) -> list[tuple[str, str, float]]:
    """Hits in the hand-made clips (the synthetic filler repeats some of their phrases)."""
    return [(h.video_id, h.track, h.start) for h in hits if not h.video_id.startswith("syn-")]


def test_one_and_two_character_chinese(store):
    assert ("b-english", "subtitles", 0.0) in where(search(store, "军"))
    assert ("a-recruit", "subtitles", 0.5) in where(search(store, "军"))
    assert where(search(store, "签约")) == [("a-recruit", "subtitles", 3.0)]  # traditional text, simplified query
    assert where(search(store, "簽約獎金")) == [("a-recruit", "subtitles", 3.0)]  # and the other way round


def test_phrase_order_matters_for_chinese(store):
    assert where(search(store, "奖金签约")) == []


def test_words_fold_case_and_match_as_prefixes(store):
    assert where(search(store, "контракт")) == [("a-recruit", "speech", 1.0)]
    assert where(search(store, "Контр")) == [("a-recruit", "speech", 1.0)]
    assert where(search(store, "sign contract")) == [("b-english", "speech", 0.0)]
    assert where(search(store, "recruit_demo")) == [("a-recruit", "overlay", 0.0)]
    assert where(search(store, "выплата 195")) == [("a-recruit", "speech", 4.0)]


def test_yo_and_ye_are_one_letter(store):
    assert where(search(store, "жилье")) == where(search(store, "ЖИЛЬЁ")) == [("a-recruit", "speech", 4.0)]


def test_track_filter(store):
    assert {h.track for h in search(store, "军", track="subtitles", limit=500)} == {"subtitles"}
    # The old spelling is an alias: the same hits, spelled as the CLI's `show --track subtitles`.
    assert search(store, "军", track="subtitle", limit=500) == search(store, "军", track="subtitles", limit=500)
    assert count_matches(store, "军", track="subtitle") == count_matches(store, "军", track="subtitles")
    assert search(store, "军", track="speech") == []
    assert where(search(store, "抖音号", track="overlay"))[0] == ("a-recruit", "overlay", 0.0)
    with pytest.raises(VidscribeError, match="unknown track"):
        search(store, "军", track="audio")


def test_hits_carry_text_and_a_marked_snippet(store):
    (hit,) = [h for h in search(store, "两百万") if h.video_id == "a-recruit"]
    assert hit.text == "簽約獎金兩百萬盧布"
    assert hit.snippet == "簽約獎金«兩百萬»盧布"
    assert hit.highlights == [[4, 7]] and hit.end == 5.5


def test_limit_and_corpus_order(store):
    hits = search(store, "的", limit=5)
    assert len(hits) == 5
    assert [h.video_id for h in hits] == sorted(h.video_id for h in hits)
    assert count_matches(store, "的") >= 5


INJECTIONS = ['"', '""', "*", "NEAR", 'NEAR("a" "b", 2)', "a OR b", "-军", "军*", "col:x", "{body track}: 军",
              "(", ")", "^军", "'; DROP TABLE lines; --", "AND", "NOT", "+", "\\", "\x00", "   ", ""]


@pytest.mark.parametrize("query", INJECTIONS)
def test_query_syntax_is_text(store, query):
    hits = search(store, query)  # must not raise
    assert all(isinstance(h.video_id, str) for h in hits)


def test_operators_are_searched_as_words(store):
    assert where(search(store, "NEAR")) == [("c-quotes", "speech", 2.0)]
    assert where(search(store, '"NEAR"')) == [("c-quotes", "speech", 2.0)]
    assert where(search(store, 'not AND -OR')) == [("c-quotes", "speech", 2.0)]
    assert where(search(store, "-军")) == where(search(store, "军"))  # "-" is punctuation, not NOT


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=30))
def test_any_text_is_a_valid_query(store, query):
    expr = fts_query(query)
    assert expr is None or expr.startswith("body : (")
    search(store, query, refresh=False)


def test_the_index_follows_the_files(store):
    first = update_index(store)
    assert (first.videos, first.added) == (63, 63)
    assert search(store, "新的招募广告") == []

    store.save(clip("a-recruit", cues=[(0.0, 1.0, "新的招募广告")]))  # changed
    shutil.rmtree(store.transcript_dir("b-english"))  # deleted
    store.save(clip("d-new", cues=[(0.0, 1.0, "第三个视频")]))  # added
    path = store.transcript_path("syn-000001")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # touched only
    stats = update_index(store)
    assert (stats.added, stats.updated, stats.removed, stats.videos) == (1, 1, 1, 63)

    assert where(search(store, "新的招募广告")) == [("a-recruit", "subtitles", 0.0)]
    assert where(search(store, "簽約獎金")) == []
    assert all(h.video_id != "b-english" for h in search(store, "军", limit=1000))
    assert where(search(store, "第三个")) == [("d-new", "subtitles", 0.0)]
    nothing = update_index(store)
    assert (nothing.added, nothing.updated, nothing.removed) == (0, 0, 0)


def test_search_refreshes_by_default(store):
    search(store, "军")
    store.save(clip("e-late", cues=[(0.0, 1.0, "晚到的视频")]))
    assert where(search(store, "晚到")) == [("e-late", "subtitles", 0.0)]
    store.save(clip("f-later", cues=[(0.0, 1.0, "更晚的视频")]))
    assert search(store, "更晚", refresh=False) == []


def test_rebuild_matches_incremental(store):
    update_index(store)
    store.save(clip("a-recruit", cues=[(0.0, 1.0, "改过的字幕")]))
    update_index(store)
    incremental = [where(search(store, q, limit=1000)) for q in ("军", "改过", "контракт", "的")]
    stats = rebuild_index(store)
    assert stats.videos == 63 and stats.added == 63
    assert [where(search(store, q, limit=1000, refresh=False)) for q in ("军", "改过", "контракт", "的")] == incremental


def test_unreadable_transcript_is_skipped_until_it_changes(store):
    path = store.transcript_path("syn-000002")
    good = path.read_text(encoding="utf-8")
    path.write_text("{ torn", encoding="utf-8")
    assert update_index(store).videos == 63
    path.write_text(json.dumps(clip("syn-000002", cues=[(0.0, 1.0, "修好了")]).to_dict()), encoding="utf-8")
    assert [(h.video_id, h.text) for h in search(store, "修好")] == [("syn-000002", "修好了")]
    assert good  # the original was a normal transcript


def test_a_damaged_or_foreign_index_is_rebuilt(store):
    index_path(store).parent.mkdir(parents=True, exist_ok=True)
    index_path(store).write_bytes(b"this is not an sqlite file" * 100)
    assert where(search(store, "簽約獎金")) == [("a-recruit", "subtitles", 3.0)]
    with sqlite3.connect(index_path(store)) as conn:
        conn.execute("PRAGMA user_version = 99")
    assert where(search(store, "簽約獎金")) == [("a-recruit", "subtitles", 3.0)]


def test_an_empty_data_root_is_left_alone(tmp_path):
    store = Store(tmp_path / "nowhere")
    assert search(store, "军") == []
    assert not store.root.exists()
