"""The corpus commands through the CLI: search, index --rebuild, export."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from vidscribe.cli import cli
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
