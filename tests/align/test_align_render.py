"""Rendering stored outputs: the Markdown report and what `vidscribe show` prints."""

from __future__ import annotations

import json
import re

import pytest
from align_tracks import seg, speech, subs

from vidscribe.align import align
from vidscribe.transcripts.formats import Entry
from vidscribe.transcripts.model import (
    AlignedLine,
    Overlay,
    StageRecord,
    Transcript,
    VideoMeta,
    from_jsonable,
    to_jsonable,
)
from vidscribe.transcripts.render import (
    FORMATS,
    TRACKS,
    RenderError,
    aligned_entries,
    clock,
    cue_entries,
    md_text,
    render,
    report,
    speech_entries,
)

URL = "https://www.douyin.com/video/7300000000000000001"


def transcript(**changes) -> Transcript:
    sp = speech(seg((0.5, 1.9, "加入俄罗斯军队")), seg((2.1, 3.5, "今天天气很好")), seg((5.0, 5.5, "谢谢")))
    sub = subs((0.4, 2.0, "加入俄羅斯軍隊"), (2.0, 3.6, "签约奖金|两百万\n卢布"), (6.0, 7.0, "电话"))
    sub.overlays = [Overlay(0.0, 8.0, "抖音号：recruit_demo", 0.97, kind="account")]
    sub.cues[0].keyframe = "keyframes/0001.jpg"
    sub.cues[2].keyframe = "../../../etc/passwd) [x](javascript:y"  # never becomes a link
    video = VideoMeta(id="dy7300000000000000001", source=URL, title="参军 | <b>报名</b> [点我](javascript:x)",
                      uploader="招聘_官方", uploader_id="recruit_demo", duration=8.0,
                      webpage_url=URL + "?share=1", upload_date="20240131")
    t = Transcript(video=video, speech=sp, subtitles=sub,
                   stages={"speech": StageRecord("done"), "subtitles": StageRecord("done"),
                           "align": StageRecord("done")})
    t.aligned = align(t.speech, t.subtitles, 8.0)
    for key, value in changes.items():
        setattr(t, key, value)
    return t


def table_rows(md: str) -> list[list[str]]:
    """Cells of the Markdown table rows, split on unescaped pipes."""
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_clock():
    assert [clock(x) for x in (0, 1.04, 61.25, 599.96, 3600 + 62.5, -1)] == [
        "00:00.0", "00:01.0", "01:01.2", "10:00.0", "1:01:02.5", "00:00.0"]


def test_md_text_escapes_markup_and_line_breaks():
    assert md_text("a|b <script>x</script> [l](javascript:y) *e* `c` &amp;") == (
        r"a\|b \<script\>x\</script\> \[l\](javascript:y) \*e\* \`c\` \&amp;")
    assert md_text("one\ntwo\r\n\nthree", newline="<br>") == "one<br>two<br>three"
    assert md_text(None) == ""
    assert md_text("a\x1b[31mred\x00\u202egnp.exe") == "a\\[31mredgnp.exe"  # no terminal escapes, bidi tricks


def test_entries_drop_control_characters():
    sub = subs((0.0, 1.0, "加入\x1b[2J军队"))
    assert cue_entries(sub) == [Entry(0.0, 1.0, "加入[2J军队")]


def test_report_has_metadata_overlays_and_the_two_column_reading():
    md = report(transcript())
    assert md.startswith("# 参军 \\| \\<b\\>报名\\</b\\> \\[点我\\](javascript:x)\n")
    for expected in ("dy7300000000000000001", "招聘\\_官方 (recruit\\_demo)", f"<{URL}>",
                     f"<{URL}?share=1>", "2024-01-31", "**Duration:** 00:08.0", "**Language:** zh",
                     "抖音号：recruit\\_demo", "account"):
        assert expected in md
    assert "<b>" not in md and "](javascript" not in md.replace("\\](javascript", "")
    reading = md[md.index("## Subtitles and speech"):]
    rows = table_rows(reading)
    assert rows[0] == ["Time", "Subtitles", "Speech", "Agreement", "Keyframe"]
    assert all(len(row) == 5 for row in rows)
    assert rows[1:] == [
        ["00:00.4–00:02.0", "加入俄羅斯軍隊", "加入俄罗斯军队", "1.00", "[frame](keyframes/0001.jpg)"],
        ["00:02.0–00:03.6", "签约奖金\\|两百万<br>卢布", "今天天气很好", "**⚠ 0.00**", ""],
        ["00:05.0–00:05.5", "", "谢谢", "", ""],
        ["00:06.0–00:07.0", "电话", "", "", ""],
    ]


def test_report_lists_flagged_disagreements_before_the_reading():
    md = report(transcript())
    flagged = md.index("## Where subtitles and speech disagree")
    assert flagged < md.index("## Subtitles and speech")
    section = md[flagged:md.index("## Subtitles and speech")]
    assert "1 of 2 lines" in section
    assert table_rows(section)[1] == ["00:02.0–00:03.6", "签约奖金\\|两百万<br>卢布", "今天天气很好", "0.00"]


def test_report_says_why_a_track_is_missing():
    t = transcript(speech=None)
    t.stages["speech"] = StageRecord("skipped", error="no audio stream")
    t.aligned = align(None, t.subtitles, 8.0)
    md = report(t)
    assert "**Speech:** none (skipped: no audio stream)" in md
    assert "No speech track (skipped: no audio stream): its column is empty." in md
    assert "Agreement" not in md


def test_report_of_an_empty_alignment():
    t = transcript(speech=None, subtitles=None, aligned=[])
    md = report(t)
    assert "Nothing to show: no subtitles and no speech." in md
    assert "**Subtitles:** none (done)" in md


def test_entry_builders():
    t = transcript()
    assert speech_entries(t.speech)[0] == Entry(0.5, 1.9, "加入俄罗斯军队")
    assert cue_entries(t.subtitles)[2] == Entry(6.0, 7.0, "电话")
    assert speech_entries(None) == [] and cue_entries(None) == []
    entries = aligned_entries(t.aligned)
    assert [e.text for e in entries] == [
        "加入俄羅斯軍隊\n加入俄罗斯军队", "签约奖金|两百万 卢布\n今天天气很好", "—\n谢谢", "电话\n—"]


def test_render_aligned_srt_vtt_txt():
    t = transcript()
    srt = render(t, "aligned", "srt")
    assert srt.startswith("1\n00:00:00,400 --> 00:00:02,000\n加入俄羅斯軍隊\n加入俄罗斯军队\n\n2\n")
    assert render(t, "aligned", "vtt").startswith("WEBVTT\n\n00:00:00.400 --> 00:00:02.000\n加入俄羅斯軍隊\n")
    assert render(t, "aligned", "txt").splitlines()[2] == "[00:05] — | 谢谢"


def test_render_speech_and_subtitle_tracks():
    t = transcript()
    assert render(t, "speech", "txt") == "[00:00] 加入俄罗斯军队\n[00:02] 今天天气很好\n[00:05] 谢谢\n"
    assert "00:00:06,000 --> 00:00:07,000\n电话" in render(t, "subtitles", "srt")
    md = render(t, "subtitles", "md")
    assert "## Subtitles" in md and "| 00:06.0–00:07.0 | 电话 | 0.95 |" in md
    assert "## Subtitles and speech" not in md
    assert "| 00:05.0–00:05.5 | 谢谢 |" in render(t, "speech", "md")
    assert render(t, "aligned", "md") == report(t)


@pytest.mark.parametrize("track", TRACKS)
def test_render_json_is_the_tracks_part_of_transcript_json(track):
    t = transcript()
    data = json.loads(render(t, track, "json"))
    assert data == to_jsonable(getattr(t, track)) == t.to_dict()[track]
    if track == "aligned":
        assert from_jsonable(list[AlignedLine], data) == t.aligned


def test_every_track_and_format_renders():
    t = transcript()
    for track in TRACKS:
        for fmt in FORMATS:
            assert render(t, track, fmt).endswith("\n")


@pytest.mark.parametrize(("track", "fmt", "message"), [
    ("words", "srt", "unknown track 'words'; tracks: speech, subtitles, aligned"),
    ("speech", "pdf", "unknown format 'pdf'; formats: json, srt, vtt, txt, md"),
])
def test_unknown_track_or_format_is_a_one_line_error(track, fmt, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        render(transcript(), track, fmt)


def test_a_track_not_produced_is_a_one_line_error():
    t = transcript(speech=None)
    t.stages["speech"] = StageRecord("failed", error="model download failed:\nHTTP 503")
    with pytest.raises(RenderError) as e:
        render(t, "speech", "srt")
    assert str(e.value) == ("video dy7300000000000000001 has no speech track yet "
                            "(failed: model download failed: HTTP 503)")
    t = transcript(subtitles=None, aligned=[], stages={})
    with pytest.raises(RenderError, match="no subtitles track yet \\(not run\\)"):
        render(t, "subtitles", "json")
    with pytest.raises(RenderError, match="no aligned track yet \\(not run\\)"):
        render(t, "aligned", "md")


def test_an_empty_alignment_that_ran_renders_empty():
    t = transcript(speech=None, subtitles=None, aligned=[])
    assert render(t, "aligned", "srt") == ""
    assert render(t, "aligned", "vtt") == "WEBVTT\n"
    assert render(t, "aligned", "json") == "[]\n"
