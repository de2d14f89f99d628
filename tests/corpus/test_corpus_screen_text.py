"""Screen text in the corpus: its own search track (`--track screen`), in all-track searches,
found by value, with time and keyframe on each hit; an index of the previous format is rebuilt;
screen text findings in the findings export."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe.analysis.lexicon import load_lexicons
from vidscribe.analysis.stage import analyse
from vidscribe.cli import cli
from vidscribe.corpus.export import export_findings
from vidscribe.corpus.index import INDEX_FORMAT, index_path
from vidscribe.corpus.query import count_matches, search
from vidscribe.transcripts.model import Cue, ScreenText, Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.store import Store

VIDEO = "douyin-7300000000000000001"
STILL = "file-00000000000000aa"
BLOCK = ScreenText(4.0, 9.5, "报名条件\n签约奖金：200万卢布\n电话：+7 999 123-45-67", 0.91,
                   keyframe="keyframes/screen-0001.jpg")
POST = ScreenText(0.0, 0.0, "=HYPERLINK(\"http://x\") 报名\n微信：zhaomu888", 0.8, keyframe="keyframes/screen-0001.jpg")


def _with_findings(t: Transcript) -> Transcript:
    t.findings = analyse(t, load_lexicons("default"), ["RU", "CN"])
    return t


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "data")
    s.save(_with_findings(Transcript(
        video=VideoMeta(id=VIDEO, source=f"https://www.douyin.com/video/{VIDEO[7:]}", title="招募"),
        subtitles=Subtitles(cues=[Cue(0.5, 3.0, "今天报名", 0.9, keyframe="keyframes/0001.jpg")],
                            screen_text=[BLOCK]))))
    s.save(_with_findings(Transcript(video=VideoMeta(id=STILL, source="/posts/post.png"),
                                     subtitles=Subtitles(still=True, screen_text=[POST]))))
    return s


def where(hits) -> list[tuple[str, str, float | None, str | None]]:
    return [(h.video_id, h.track, h.start, h.keyframe) for h in hits]


def test_screen_text_is_a_track_of_its_own(store):
    screen = where(search(store, "报名", track="screen"))
    assert screen == [(VIDEO, "screen", 4.0, f"transcripts/{VIDEO}/keyframes/screen-0001.jpg"),
                      (STILL, "screen", 0.0, f"transcripts/{STILL}/keyframes/screen-0001.jpg")]
    assert where(search(store, "报名", track="subtitles")) == [
        (VIDEO, "subtitles", 0.5, f"transcripts/{VIDEO}/keyframes/0001.jpg")]
    everything = where(search(store, "报名"))
    assert everything == [where(search(store, "报名", track="subtitles"))[0], *screen]
    assert count_matches(store, "报名", track="screen") == 2


def test_screen_text_findings_are_found_by_value(store):
    for query in ("89991234567", "+7 (999) 123-45-67"):
        hits = search(store, query, track="screen")
        assert [(h.video_id, h.track, h.start, h.kind, h.value, h.keyframe) for h in hits] == [
            (VIDEO, "screen", 4.0, "phone", "+79991234567", f"transcripts/{VIDEO}/keyframes/screen-0001.jpg")]
    money = search(store, "2,000,000 рублей")  # no such text: found through the 200万卢布 finding
    assert [(h.video_id, h.track, h.kind, h.value) for h in money] == [(VIDEO, "screen", "money", "2000000 RUB")]
    assert [(h.video_id, h.track, h.kind) for h in search(store, "200万卢布")][:1] == [(VIDEO, "screen", "money")]
    wechat = search(store, "zhaomu888")
    assert [(h.video_id, h.track, h.start) for h in wechat] == [(STILL, "screen", 0.0)]


def test_an_index_of_the_previous_format_is_rebuilt(store):
    path = index_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:  # format 4: lines without a keyframe, no screen rows
        conn.execute("CREATE VIRTUAL TABLE lines USING fts5(body, track, video_id UNINDEXED, start UNINDEXED, "
                     "end UNINDEXED, text UNINDEXED)")
        conn.execute("CREATE TABLE videos (num INTEGER PRIMARY KEY, video_id TEXT NOT NULL UNIQUE, "
                     "mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT, lines INTEGER NOT NULL "
                     "DEFAULT 0, url TEXT, title TEXT)")
        conn.execute("PRAGMA user_version = 4")
    assert INDEX_FORMAT > 4
    assert [h.track for h in search(store, "报名", track="screen")] == ["screen", "screen"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == INDEX_FORMAT


def test_hostile_keyframes_never_reach_hits(tmp_path):
    s = Store(tmp_path / "data")
    bad = ScreenText(1.0, 2.0, "报名", 0.9, keyframe="../../../etc/passwd")
    s.save(Transcript(video=VideoMeta(id="file-00000000000000bb", source="x.png"),
                      subtitles=Subtitles(screen_text=[bad])))
    assert where(search(s, "报名")) == [("file-00000000000000bb", "screen", 1.0, None)]


def test_screen_text_findings_are_exported(store, tmp_path):
    out = tmp_path / "findings.csv"
    export_findings(store, "csv", out)
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    phone = next(r for r in rows if r["kind"] == "phone" and r["video_id"] == VIDEO)
    assert (phone["track"], phone["start"], phone["start_mmss"], phone["confidence"], phone["keyframe"]) == (
        "screen", "4", "00:04", "0.91", f"transcripts/{VIDEO}/keyframes/screen-0001.jpg")
    assert phone["context"] == BLOCK.text  # newlines quoted, read back exactly
    wechat = next(r for r in rows if r["kind"] == "wechat")
    assert (wechat["track"], wechat["start"], wechat["keyframe"]) == (
        "screen", "0", f"transcripts/{STILL}/keyframes/screen-0001.jpg")
    assert wechat["context"] == "'" + POST.text  # a formula in author text is never run

    buf = io.StringIO()
    export_findings(store, "jsonl", buf)
    rows = [json.loads(line) for line in buf.getvalue().splitlines()]
    wechat = next(r for r in rows if r["kind"] == "wechat")
    assert (wechat["track"], wechat["context"], wechat["confidence"]) == ("screen", POST.text, 0.8)


def test_search_track_screen_through_the_cli(store):
    runner = CliRunner()
    result = runner.invoke(cli, ["search", "报名", "--track", "screen", "--json", "--data", str(store.root)])
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(h["video_id"], h["track"], h["start"], h["keyframe"]) for h in hits] == [
        (VIDEO, "screen", 4.0, f"transcripts/{VIDEO}/keyframes/screen-0001.jpg"),
        (STILL, "screen", 0.0, f"transcripts/{STILL}/keyframes/screen-0001.jpg")]
    plain = runner.invoke(cli, ["search", "报名", "--track", "screen", "--data", str(store.root)])
    assert plain.exit_code == 0 and [line.split("\t")[:3] for line in plain.stdout.splitlines()] == [
        [VIDEO, "00:04", "screen"], [STILL, "00:00", "screen"]]
