"""A still image (a photo post) through the CLI: `vidscribe process post.png` reads its text as
screen text, the report notes the still, `vidscribe search --track screen` finds it with its
keyframe, and the findings export carries what it shows (the phone number, the pay)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe.cli import cli
from vidscribe.samples import make_clip
from vidscribe.transcripts.store import Store

pytestmark = pytest.mark.slow
CLIPS = Path(__file__).resolve().parents[1] / "subtitles" / "subtitle_clips.py"


def _still_spec():  # the subtitle tests' photo post: a panel of lines, a caption over the photo
    spec = importlib.util.spec_from_file_location("subtitle_clips_for_corpus", CLIPS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.STILL


def test_a_still_through_the_cli(tmp_path: Path):
    post = make_clip(_still_spec(), tmp_path / "post.png")
    data = ["--data", str(tmp_path / "data")]
    runner = CliRunner()
    done = runner.invoke(cli, ["process", str(post), "--qr-fps", "0", *data])
    assert done.exit_code == 0, done.output
    store = Store(tmp_path / "data")
    (video_id,) = store.video_ids()
    t = store.load(video_id)
    assert t.subtitles is not None and t.subtitles.still and t.subtitles.cues == []
    assert {(f.track, f.kind, f.value) for f in t.findings} >= {("screen", "phone", "+8613800138000"),
                                                                 ("screen", "money", "200000 RUB/month")}
    report = (store.transcript_dir(video_id) / "transcript.md").read_text(encoding="utf-8")
    assert "## Screen text" in report and "- **Still image:**" in report and "| still |" in report
    assert (store.transcript_dir(video_id) / "subtitles.srt").read_text(encoding="utf-8") == ""

    found = runner.invoke(cli, ["search", "招聘", "--track", "screen", "--json", *data])
    assert found.exit_code == 0, found.output
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert hits and all(h["track"] == "screen" and h["start"] == 0.0 for h in hits)
    assert all((store.root / h["keyframe"]).is_file() for h in hits)
    assert runner.invoke(cli, ["search", "招聘", "--track", "subtitles", "--json", *data]).stdout == ""

    exported = runner.invoke(cli, ["export", "--findings", "--format", "csv", *data])
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    phone = next(r for r in rows if r["kind"] == "phone")
    assert (phone["track"], phone["value"]) == ("screen", "+8613800138000")
    assert (store.root / phone["keyframe"]).is_file()
