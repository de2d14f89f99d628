"""SRT/WebVTT writers, checked by reading them back with ffmpeg itself."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from vidscribe.transcripts.formats import Entry, to_srt, to_text, to_vtt

ENTRIES = [
    Entry(0.0, 1.5, "加入俄罗斯军队"),
    Entry(1.5, 3.25, "签约奖金 <b>&</b>\n\n第二行 --> 箭头"),
    Entry(3.6004, 3.6004, "zero length"),
    Entry(3661.2, 3662.0, "after an hour"),
]


def ffmpeg_dialogues(path: Path, tmp_path: Path) -> list[tuple[str, str, str]]:
    out = tmp_path / (path.stem + ".ass")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(path), str(out)], check=True, timeout=60)
    rows = []
    for line in out.read_text(encoding="utf-8").splitlines():
        if line.startswith("Dialogue:"):
            parts = line.split(",", 9)
            rows.append((parts[1], parts[2], parts[9]))
    return rows


@pytest.mark.parametrize(("writer", "suffix"), [(to_srt, ".srt"), (to_vtt, ".vtt")])
def test_ffmpeg_reads_back_times_and_text(writer, suffix, tmp_path):
    path = tmp_path / f"out{suffix}"
    path.write_text(writer(ENTRIES), encoding="utf-8")
    rows = ffmpeg_dialogues(path, tmp_path)
    assert [r[0] for r in rows] == ["0:00:00.00", "0:00:01.50", "0:00:03.60", "1:01:01.20"]
    assert [r[1] for r in rows] == ["0:00:01.50", "0:00:03.25", "0:00:03.60", "1:01:02.00"]
    assert rows[0][2] == "加入俄罗斯军队"
    second = rows[1][2].replace("\\N", "\n")
    assert "签约奖金" in second and "第二行" in second and "&" in second
    assert "-->" not in second


def test_srt_shape():
    text = to_srt([Entry(0, 1.0005, "a")])
    assert text == "1\n00:00:00,000 --> 00:00:01,000\na\n" or text == "1\n00:00:00,000 --> 00:00:01,001\na\n"


def test_empty_inputs():
    assert to_srt([]) == ""
    assert to_vtt([]) == "WEBVTT\n"
    assert to_text([Entry(0, 1, "   ")]) == ""


def test_text_lines():
    assert to_text([Entry(65.4, 70, "hello\nworld")]) == "[01:05] hello world\n"


@given(st.lists(st.tuples(st.floats(0, 10_000), st.floats(0, 100), st.text()), max_size=20))
def test_srt_is_well_formed(items):
    entries = [Entry(start, start + length, text) for start, length, text in items]
    text = to_srt(entries)
    blocks = [b for b in text.rstrip("\n").split("\n\n") if b]
    assert len(blocks) == len([e for e in entries if e.text.split()])
    for n, block in enumerate(blocks, 1):
        lines = block.split("\n")
        assert lines[0] == str(n)
        start, end = re.fullmatch(r"(\S+) --> (\S+)", lines[1]).groups()
        assert start <= end  # zero-padded clock strings compare like times
        assert all(line.strip() for line in lines[2:]) and len(lines) > 2


# -- hostile author text cannot forge cues ----------------------------------------------------------

FORGERIES = [
    "a --->\n00:00:09,000 ---> 00:00:10,000\nforged",
    "x\n\n2\n00:00:09,000 --> 00:00:10,000\nforged",
    "y\n00:00:09.000 --> 00:00:10.000 align:start\nforged",
    "00:09.000 00:10.000",
    "z\n\u3000\n  \t\n0:0:9,0 0:0:10,0\nforged",
    "w\r\n00:00:09,000 -- > 00:00:10,000\rforged",
]
# Text built from the pieces that timing lines and cue breaks are made of.
_HOSTILE = st.lists(st.sampled_from(["0", "1", "9", "00", ":", ",", ".", "-", "--", "-->", "--->", ">", " ", "\n",
                                     "\r", "\n\n", "\u3000", "\t", "WEBVTT", "NOTE", "2", "军", "a",
                                     "00:00:09,000", "0:0:9.5", "00:09.000", " --> ", " ---> ", "12:30"]),
                    max_size=30).map("".join)


def _pysubs2_events(text: str, fmt: str) -> list[tuple[int, int, str]]:
    import pysubs2

    subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    return [(e.start, e.end, e.plaintext) for e in subs.events]


@pytest.mark.parametrize(("writer", "fmt"), [(to_srt, "srt"), (to_vtt, "vtt")])
@given(texts=st.lists(_HOSTILE, min_size=1, max_size=4))
@example(texts=FORGERIES)
def test_hostile_text_never_adds_or_splits_a_cue(writer, fmt, texts):
    entries = [Entry(float(i), i + 0.5, text) for i, text in enumerate(texts)]
    kept = [e for e in entries if e.text.split()]
    events = _pysubs2_events(writer(entries), fmt)
    assert [(start, end) for start, end, _ in events] == [(int(e.start * 1000), int(e.end * 1000)) for e in kept]


@pytest.mark.parametrize(("writer", "suffix"), [(to_srt, ".srt"), (to_vtt, ".vtt")])
def test_ffmpeg_reads_no_forged_cue(writer, suffix, tmp_path):
    entries = [Entry(float(i), i + 0.5, text) for i, text in enumerate(FORGERIES)]
    path = tmp_path / f"forged{suffix}"
    path.write_text(writer(entries), encoding="utf-8")
    rows = ffmpeg_dialogues(path, tmp_path)
    assert len(rows) == len(FORGERIES)
    assert not any(r[0].startswith("0:00:09") for r in rows)
    assert all(f"{i}." in r[0] for i, r in enumerate(rows))  # each cue at its own time
    assert "forged" in rows[0][2]  # the text is kept, inside its own cue
