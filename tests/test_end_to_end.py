"""`vidscribe process` over HTTP through every stage: real yt-dlp, ffmpeg, Whisper code path (tiny
model), PP-OCR, alignment and analysis, on a generated clip whose ground truth the test drew."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe import pipeline
from vidscribe.cli import cli
from vidscribe.transcripts.formats import read_transcript


@pytest.fixture(scope="module")
def processed(clips, tiny_asr_model, tmp_path_factory):

    data = tmp_path_factory.mktemp("e2e") / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--asr-model", str(tiny_asr_model),
                                      str(clips["small"])], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    video_id, folder = result.stdout.strip().split("\t")
    return read_transcript(Path(folder) / "transcript.json"), Path(folder)


def test_every_stage_ran(processed):
    transcript, _ = processed
    assert {n: r.status for n, r in transcript.stages.items()} == {
        n: "done" for n in [pipeline.MEDIA_STAGE, *pipeline.stage_names()]}


def test_subtitles_speech_and_alignment(processed):
    transcript, folder = processed
    cues = transcript.subtitles.cues
    assert [c.text for c in cues] == ["加入俄罗斯军队", "签约奖金"]  # what SMALL_CLIP drew
    assert cues[0].start == pytest.approx(0.4, abs=0.1) and cues[1].end == pytest.approx(3.6, abs=0.1)
    assert transcript.speech.language == "ru" and transcript.speech.segments
    subtitles_in_lines = [line.subtitle for line in transcript.aligned if line.subtitle]
    assert subtitles_in_lines == ["加入俄罗斯军队", "签约奖金"]
    duration = transcript.video.duration
    assert all(0 <= line.start <= line.end <= duration for line in transcript.aligned)
    assert any(f.kind == "lexicon" and "签约" in f.value and f.track == "subtitle" for f in transcript.findings)
    for name in ("speech.srt", "speech.vtt", "speech.txt", "subtitles.srt", "subtitles.vtt", "aligned.srt",
                 "aligned.vtt", "transcript.md"):
        assert (folder / name).is_file(), name
    assert all((folder / c.keyframe).is_file() for c in cues)
    report = (folder / "transcript.md").read_text(encoding="utf-8")
    assert "## Findings" in report and "签约" in report.split("## Findings")[1]


def test_aligned_srt_reads_back_in_ffmpeg(processed, tmp_path):
    _, folder = processed
    out = tmp_path / "aligned.ass"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(folder / "aligned.srt"), str(out)], check=True,
                   timeout=60)
    text = out.read_text(encoding="utf-8")
    assert "加入俄罗斯军队" in text and "签约奖金" in text
