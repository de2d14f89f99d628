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
from vidscribe.transcripts.model import AlignedLine, Finding, Money, Transcript, VideoMeta
from vidscribe.transcripts.store import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "data")
    s.save(Transcript(
        video=VideoMeta(id="douyin-7300000000000000001", source="https://v.douyin.com/abc/",
                        webpage_url="https://www.douyin.com/video/7300000000000000001", uploader="招募中心",
                        uploader_id="recruit_demo", title="加入我们", upload_date="20240315"),
        aligned=[AlignedLine(0.5, 3.0, "签约奖金两百万卢布", "The bonus is two million roubles.", agreement=None),
                 AlignedLine(3.0, 5.0, "=HYPERLINK(\"http://x\")", None)],
        findings=[
            Finding("money", "2000000 RUB", "两百万卢布", 0.5, 3.0, "subtitle", context="签约奖金两百万卢布",
                    money=Money(2_000_000, "RUB")),
            Finding("money", "7700-27000 USD/month", "7700到27000美元", 3.0, 5.0, "subtitle",
                    money=Money(7700, "USD", 27000, "month")),
            Finding("phone", "+79991234567", "+7 999 123-45-67", 5.5, 7.8, "subtitle", region="RU"),
        ]))
    s.save(Transcript(video=VideoMeta(id="file-0123456789abcdef", source="/clips/local.mp4")))  # nothing yet
    return s


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Chinese and Cyrillic
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_findings_csv(store, tmp_path):
    out = tmp_path / "findings.csv"
    assert export_findings(store, "csv", out) == 3
    rows = read_csv(out)
    assert list(rows[0]) == FINDING_COLUMNS
    first = rows[0]
    assert (first["video_id"], first["url"], first["uploader"], first["kind"], first["value"]) == (
        "douyin-7300000000000000001", "https://www.douyin.com/video/7300000000000000001", "招募中心", "money",
        "2000000 RUB")
    assert (first["start"], first["end"], first["amount"], first["currency"], first["amount_max"]) == (
        "0.5", "3", "2000000", "RUB", "")
    assert rows[1]["period"] == "month" and rows[1]["amount_max"] == "27000"
    # A cell starting with "+" would be run as a formula: it is kept as text.
    assert (rows[2]["value"], rows[2]["raw"], rows[2]["region"]) == ("'+79991234567", "'+7 999 123-45-67", "RU")


def test_findings_jsonl_keeps_values(store):
    buf = io.StringIO()
    assert export_findings(store, "jsonl", buf, kinds=["phone"]) == 1
    (row,) = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert list(row) == FINDING_COLUMNS
    assert (row["value"], row["raw"], row["start"], row["amount"]) == ("+79991234567", "+7 999 123-45-67", 5.5, None)


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
    assert export_findings(store, "jsonl") == 3
    assert len(capsys.readouterr().out.splitlines()) == 3
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
