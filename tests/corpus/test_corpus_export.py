"""Exports: one row per finding or aligned line, CSV for spreadsheets (BOM, formula-safe cells)
and JSONL with values as they are."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from vidscribe.corpus.export import FINDING_COLUMNS, TRANSCRIPT_COLUMNS, export_findings, export_transcripts
from vidscribe.errors import VidscribeError
from vidscribe.transcripts.model import AlignedLine, Cue, Finding, Money, Overlay, Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.store import Store

SHA = "ab" * 32
CUES = [Cue(0.5, 3.0, "签约奖金两百万卢布", 0.93, keyframe="keyframes/0001.jpg"),
        Cue(3.0, 5.0, "7700到27000美元", 0.88, keyframe="keyframes/0002.jpg"),
        Cue(65.5, 67.8, "电话 +7 999 123-45-67", 0.71, keyframe="keyframes/0003.jpg")]


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "data")
    s.save(Transcript(
        video=VideoMeta(id="douyin-7300000000000000001", source="https://v.douyin.com/abc/",
                        webpage_url="https://www.douyin.com/video/7300000000000000001", uploader="招募中心",
                        uploader_id="recruit_demo", title="加入我们", upload_date="20240315", sha256=SHA),
        subtitles=Subtitles(cues=CUES, overlays=[Overlay(0.0, 70.0, "抖音号：recruit_demo", 0.97, kind="account")]),
        aligned=[AlignedLine(0.5, 3.0, "签约奖金两百万卢布", "The bonus is two million roubles.", agreement=None),
                 AlignedLine(3.0, 5.0, "=HYPERLINK(\"http://x\")", None)],
        findings=[
            Finding("account", "recruit_demo", "recruit_demo", 0.0, 70.0, "overlay", context="抖音号：recruit_demo",
                    label="douyin"),
            Finding("money", "2000000 RUB", "两百万卢布", 0.5, 3.0, "subtitle", context="签约奖金两百万卢布",
                    money=Money(2_000_000, "RUB")),
            Finding("money", "7700-27000 USD/month", "7700到27000美元", 3.0, 5.0, "subtitle",
                    context="7700到27000美元", money=Money(7700, "USD", 27000, "month")),
            Finding("phone", "+79991234567", "+7 999 123-45-67", 65.5, 67.8, "subtitle", region="RU",
                    context="电话 +7 999 123-45-67"),
            Finding("phone", "+79991234567", "+7 (999) 123-45-67", 3725.0, 3726.0, "speech", region="RU",
                    context="звоните +7 (999) 123-45-67"),
        ]))
    s.save(Transcript(video=VideoMeta(id="file-0123456789abcdef", source="/clips/local.mp4", sha256=SHA),
                      findings=[Finding("phone", "+8613812345678", "138 1234 5678", 1.0, 2.0, "speech",
                                        region="CN", context="电话 138 1234 5678")]))
    s.save(Transcript(video=VideoMeta(id="url-0123456789abcdef", source="https://cdn.example.com/a.mp4",
                                      webpage_url="file:///srv/a.mp4")))  # nothing yet
    return s


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese and Cyrillic
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def read_jsonl(store: Store) -> list[dict]:
    buf = io.StringIO()
    export_findings(store, "jsonl", buf)
    return [json.loads(line) for line in buf.getvalue().split("\n") if line]


def test_findings_csv(store, tmp_path):
    out = tmp_path / "findings.csv"
    assert export_findings(store, "csv", out) == 6
    rows = read_csv(out)
    assert list(rows[0]) == FINDING_COLUMNS
    first = rows[1]
    assert (first["video_id"], first["url"], first["uploader"], first["kind"], first["value"], first["sha256"]) == (
        "douyin-7300000000000000001", "https://www.douyin.com/video/7300000000000000001", "招募中心", "money",
        "2000000 RUB", SHA)
    assert (first["start"], first["end"], first["amount"], first["currency"], first["amount_max"]) == (
        "0.5", "3", "2000000", "RUB", "")
    assert rows[2]["period"] == "month" and rows[2]["amount_max"] == "27000"
    # A phone number cannot run a formula: it reads as in the transcript (and the JSONL).
    assert (rows[3]["value"], rows[3]["raw"], rows[3]["region"]) == ("+79991234567", "+7 999 123-45-67", "RU")
    assert rows[4]["raw"] == "+7 (999) 123-45-67"


def test_findings_times_keyframes_confidence_and_source(store, tmp_path):
    out = tmp_path / "findings.csv"
    export_findings(store, "csv", out)
    rows = read_csv(out)
    got = [(r["start_mmss"], r["end_mmss"], r["confidence"], r["keyframe"]) for r in rows]
    assert got == [
        ("00:00", "01:10", "0.97", ""),  # an overlay: its OCR confidence, no keyframe
        ("00:00", "00:03", "0.93", "transcripts/douyin-7300000000000000001/keyframes/0001.jpg"),
        ("00:03", "00:05", "0.88", "transcripts/douyin-7300000000000000001/keyframes/0002.jpg"),
        ("01:05", "01:07", "0.71", "transcripts/douyin-7300000000000000001/keyframes/0003.jpg"),
        ("1:02:05", "1:02:06", "", ""),  # speech: no OCR
        ("00:01", "00:02", "", ""),
    ]
    for r in rows[1:4]:
        assert (store.root / r["keyframe"]).parent == store.transcript_dir(r["video_id"]) / "keyframes"
    assert {r["sha256"] for r in rows} == {SHA}
    assert rows[5]["url"] == "/clips/local.mp4"  # a local file keeps its path


def test_url_is_never_a_local_path_where_a_url_exists(store):
    store.save(Transcript(video=VideoMeta(id="url-0123456789abcdef", source="https://cdn.example.com/a.mp4",
                                          webpage_url="file:///srv/a.mp4"),
                          findings=[Finding("url", "example.com", "example.com", 0.0, 1.0, "speech")]))
    (row,) = [r for r in read_jsonl(store) if r["video_id"] == "url-0123456789abcdef"]
    assert row["url"] == "https://cdn.example.com/a.mp4"


def test_csv_and_jsonl_agree_on_phone_findings(store, tmp_path):
    out = tmp_path / "findings.csv"
    export_findings(store, "csv", out, kinds=["phone"])
    from_csv = read_csv(out)
    from_jsonl = read_jsonl(store)
    phones = [r for r in from_jsonl if r["kind"] == "phone"]
    assert len(phones) == len(from_csv) == 3
    for j, c in zip(phones, from_csv, strict=True):
        assert {k: as_cell(v) for k, v in j.items()} == c


def as_cell(value) -> str:
    """A JSONL value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_findings_jsonl_keeps_values(store):
    buf = io.StringIO()
    assert export_findings(store, "jsonl", buf, kinds=["phone"]) == 3
    row = [json.loads(line) for line in buf.getvalue().splitlines()][0]
    assert list(row) == FINDING_COLUMNS
    assert (row["value"], row["raw"], row["start"], row["amount"], row["start_mmss"], row["confidence"]) == (
        "+79991234567", "+7 999 123-45-67", 65.5, None, "01:05", 0.71)


def test_transcripts_csv_and_jsonl(store, tmp_path):
    out = tmp_path / "lines.csv"
    assert export_transcripts(store, "csv", out) == 2
    rows = read_csv(out)
    assert list(rows[0]) == TRANSCRIPT_COLUMNS
    assert (rows[0]["line"], rows[0]["subtitle"], rows[0]["speech"]) == (
        "1", "签约奖金两百万卢布", "The bonus is two million roubles.")
    assert rows[1]["subtitle"] == "'=HYPERLINK(\"http://x\")"  # never evaluated by the spreadsheet
    buf = io.StringIO()
    export_transcripts(store, "jsonl", buf)
    assert json.loads(buf.getvalue().splitlines()[1])["subtitle"] == "=HYPERLINK(\"http://x\")"


def test_stdout_and_bad_format(store, capsys):
    assert export_findings(store, "jsonl") == 6
    assert len(capsys.readouterr().out.splitlines()) == 6
    with pytest.raises(VidscribeError, match="unknown export format"):
        export_findings(store, "xlsx", io.StringIO())  # type: ignore[arg-type]


def test_failed_export_leaves_no_partial_file(store, tmp_path, monkeypatch):
    out = tmp_path / "findings.csv"
    out.write_text("previous export\n", encoding="utf-8")

    def broken(_store):
        yield store.load("douyin-7300000000000000001")
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(Store, "transcripts", broken)
    with pytest.raises(RuntimeError):
        export_findings(store, "csv", out)
    assert out.read_text(encoding="utf-8") == "previous export\n"


HOSTILE = ("line one\nline two\r\n\"quoted\", comma\x00NUL \x1b[31mESC \x7f\x85 \u202egnp.exe\u202c "
           "\u2066x\u2069 \u2028end")


def test_author_text_is_escaped_in_csv_and_jsonl(tmp_path):
    store = Store(tmp_path / "data")
    store.save(Transcript(
        video=VideoMeta(id="douyin-9", source="https://www.douyin.com/video/9", title=HOSTILE,
                        uploader="=cmd|' /C calc'!A0"),
        aligned=[AlignedLine(0.0, 1.0, HOSTILE, "@SUM(1+1)")],
        findings=[Finding("lexicon", "签约", "签约", 0.0, 1.0, "subtitle", context=HOSTILE)]))
    out = tmp_path / "findings.csv"
    assert export_findings(store, "csv", out) == 1
    (row,) = read_csv(out)
    # Quoting carries newlines, quotes and commas through a csv reader unchanged ...
    assert row["title"].startswith("line one\nline two\r\n\"quoted\", comma")
    # ... and control and bidi characters are shown, never obeyed.
    assert row["title"] == row["context"] == (
        "line one\nline two\r\n\"quoted\", comma<U+0000>NUL <U+001B>[31mESC <U+007F><U+0085> <U+202E>gnp.exe<U+202C> "
        "<U+2066>x<U+2069> <U+2028>end")
    assert row["uploader"] == "'=cmd|' /C calc'!A0"
    raw = out.read_bytes().decode("utf-8-sig")
    assert not any(c in raw for c in "\x00\x1b\x7f\x85\u202e\u202c\u2066\u2069\u2028")

    buf = io.StringIO()
    assert export_transcripts(store, "jsonl", buf) == 1
    text = buf.getvalue()
    assert text.count("\n") == 1 and len(text.splitlines()) == 1  # one record, one line, whatever splits it
    assert not any(c in text for c in "\x00\x1b\x7f\x85\u202e\u202c\u2066\u2069\u2028\r")
    (line,) = [json.loads(x) for x in text.splitlines()]
    assert line["title"] == line["subtitle"] == HOSTILE and line["speech"] == "@SUM(1+1)"  # exact values
    lines_csv = tmp_path / "lines.csv"
    export_transcripts(store, "csv", lines_csv)
    assert read_csv(lines_csv)[0]["speech"] == "'@SUM(1+1)"
