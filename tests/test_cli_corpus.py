"""The corpus commands through the CLI: search, index --rebuild, export."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from click.testing import CliRunner

from vidscribe.cli import EXIT_BROKEN_PIPE, cli
from vidscribe.corpus.synthetic import write_corpus


def test_search_index_export(tmp_path):
    ids = write_corpus(tmp_path, 5, lines=10)
    runner = CliRunner()
    data = ["--data", str(tmp_path)]
    rebuilt = runner.invoke(cli, ["index", "--rebuild", *data])
    assert rebuilt.exit_code == 0 and rebuilt.output.startswith("5 videos")

    hits = runner.invoke(cli, ["search", "奖", "--json", *data])
    assert hits.exit_code == 0
    rows = [json.loads(line) for line in hits.stdout.splitlines()]
    assert rows and all(r["video_id"] in ids and "奖" in r["text"] for r in rows)
    hostile = runner.invoke(cli, ["search", '"* NEAR( -x', *data])
    assert hostile.exit_code == 0 and "Traceback" not in hostile.output

    out = tmp_path / "lines.csv"
    exported = runner.invoke(cli, ["export", "--transcripts", "--format", "csv", "--out", str(out), *data])
    assert exported.exit_code == 0
    reader = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))
    assert {"video_id", "url", "uploader", "start", "end", "subtitle", "speech"} <= set(reader.fieldnames)
    assert {r["video_id"] for r in reader} <= set(ids)
    findings = runner.invoke(cli, ["export", "--findings", "--format", "jsonl", *data])
    assert findings.exit_code == 0
    assert all(json.loads(line)["video_id"] in ids for line in findings.stdout.splitlines())
    assert runner.invoke(cli, ["export", *data]).exit_code == 2  # neither --findings nor --transcripts


def test_export_refuses_both_kinds(tmp_path):
    write_corpus(tmp_path, 1, lines=2)
    both = CliRunner().invoke(cli, ["export", "--findings", "--transcripts", "--data", str(tmp_path)])
    assert both.exit_code == 2 and "choose one of --findings and --transcripts" in both.output
    assert both.stdout == ""


def test_search_track_subtitles_prints_url_and_title(tmp_path):
    ids = write_corpus(tmp_path, 3, lines=10)
    runner = CliRunner()
    data = ["--data", str(tmp_path)]
    hits = runner.invoke(cli, ["search", "奖", "--track", "subtitles", *data])
    assert hits.exit_code == 0, hits.output
    rows = [line.split("\t") for line in hits.stdout.splitlines()]
    assert rows
    for video_id, time, track, snippet, url, title in rows:
        assert video_id in ids and track == "subtitles" and "«奖»" in snippet and ":" in time
        assert url.startswith("https://") and title
    old = runner.invoke(cli, ["search", "奖", "--track", "subtitle", *data])  # the old spelling still works
    assert old.exit_code == 0 and old.stdout == hits.stdout
    assert "subtitle|" not in runner.invoke(cli, ["search", "--help"]).output  # ... without being advertised
    as_json = [json.loads(line) for line in runner.invoke(cli, ["search", "奖", "--json", *data]).stdout.splitlines()]
    assert all(row["url"].startswith("https://") and row["title"] for row in as_json)


def _closed_reader(args: list[str], read_first_line: bool) -> subprocess.CompletedProcess:
    """Run `vidscribe ARGS` with a reader that goes away (`| head -1`, or one that never reads)."""
    proc = subprocess.Popen([sys.executable, "-m", "vidscribe", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    if read_first_line and not proc.stdout.readline():
        raise AssertionError(f"no output from {args}: {proc.stderr.read().decode()}")
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    return subprocess.CompletedProcess(args, proc.wait(timeout=120), "", stderr)


def test_closed_stdout_ends_quietly(tmp_path):
    from vidscribe.transcripts.model import AlignedLine, Cue, Subtitles, Transcript, VideoMeta
    from vidscribe.transcripts.store import Store

    big, small = tmp_path / "big", tmp_path / "small"
    n = 5000  # megabytes of rows and hits: the pipe breaks while they are written
    Store(big).save(Transcript(video=VideoMeta(id="douyin-1", source="https://www.douyin.com/video/1"),
                               subtitles=Subtitles([Cue(i, i + 1.0, f"签约奖金 {i}", 0.9) for i in range(n)]),
                               aligned=[AlignedLine(i, i + 1.0, f"签约奖金 {i}", None) for i in range(n)]))
    write_corpus(small, 1, lines=2)  # a CSV header and a few rows: flushed only when the program exits
    cases = [(["export", "--transcripts", "--format", "jsonl", "--data", str(big)], True),
             (["export", "--findings", "--format", "csv", "--data", str(small)], False),
             (["search", "奖", "--limit", str(n), "--data", str(big)], True)]
    for args, read_first_line in cases:
        result = _closed_reader(args, read_first_line)
        assert result.stderr == "", (args, result.stderr)
        assert result.returncode == EXIT_BROKEN_PIPE, (args, result.returncode)
