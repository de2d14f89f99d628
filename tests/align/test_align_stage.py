"""The align stage's `run` on hand-built transcripts, with either track missing."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from align_tracks import bare, seg, speech, subs

from vidscribe.align import STAGE, run
from vidscribe.settings import Settings
from vidscribe.stage import StageContext
from vidscribe.transcripts.model import StageRecord, Transcript, VideoMeta
from vidscribe.transcripts.render import derived_files


def context(tmp_path: Path, **parts) -> StageContext:
    video = VideoMeta(id="clip1", source="https://www.douyin.com/video/1", title="标题", duration=6.0)
    t = Transcript(video=video, **parts)
    return StageContext(settings=Settings.load(env={}), transcript=t, media_path=tmp_path / "clip.mp4",
                        audio_path=None, output_dir=tmp_path / "out")


SPEECH = speech(seg((0.5, 1.0, "加入"), (1.0, 1.9, "军队")), seg((2.2, 3.4, "今天天气很好")),
                bare(4.5, 5.0, "谢谢"))
SUBS = subs((0.4, 2.0, "加入軍隊"), (2.0, 3.6, "签约奖金两百万卢布"), (5.5, 6.5, "电话"))


def files_after(ctx: StageContext, out) -> dict[str, str | None]:
    """The derived files the store renders once the pipeline has committed this stage's output."""
    t = dataclasses.replace(ctx.transcript, **out.changes, stages={**ctx.transcript.stages,
                                                                   "align": StageRecord("done")})
    return derived_files(t)


def test_stage_declaration():
    assert (STAGE.name, STAGE.after, STAGE.queue) == ("align", ("speech", "subtitles"), "post")
    assert STAGE.run is run
    assert STAGE.version


def test_run_aligns_both_tracks_and_renders_the_files(tmp_path):
    progress: list[float] = []
    ctx = context(tmp_path, speech=SPEECH, subtitles=SUBS)
    ctx = StageContext(**{**ctx.__dict__, "progress": progress.append})
    out = run(ctx)
    assert out.skipped is None
    assert set(out.changes) == {"aligned"}
    assert out.files == {}  # derived files are the store's to render
    files = files_after(ctx, out)
    lines = out.changes["aligned"]
    assert [(ln.subtitle, ln.speech, ln.disagrees) for ln in lines] == [
        ("加入軍隊", "加入军队", False), ("签约奖金两百万卢布", "今天天气很好", True), (None, "谢谢", None),
        ("电话", None, None)]
    assert lines[-1].end == 6.0  # clamped to the media's duration
    assert files["aligned.srt"].startswith("1\n00:00:00,400 --> 00:00:02,000\n加入軍隊\n加入军队\n\n")
    assert "\n—\n谢谢\n" in files["aligned.vtt"]
    md = files["transcript.md"]
    assert "# 标题" in md and "| 00:02.0–00:03.6 | 签约奖金两百万卢布 | 今天天气很好 | **⚠ 0.00** |" in md
    assert progress[-1] == 1.0
    assert ctx.transcript.aligned == []  # the stored transcript is not modified


def test_run_with_speech_skipped(tmp_path):
    skipped = StageRecord("skipped", error="no audio stream")
    ctx = context(tmp_path, subtitles=SUBS, stages={"speech": skipped})
    out = run(ctx)
    assert [(ln.subtitle, ln.speech) for ln in out.changes["aligned"]] == [
        ("加入軍隊", None), ("签约奖金两百万卢布", None), ("电话", None)]
    files = files_after(ctx, out)
    assert "No speech track (skipped: no audio stream)" in files["transcript.md"]
    assert files["aligned.srt"].count("\n—\n") == 3


def test_run_with_subtitles_failed(tmp_path):
    ctx = context(tmp_path, speech=SPEECH, stages={"subtitles": StageRecord("failed", error="OCR crashed")})
    out = run(ctx)
    assert [ln.speech for ln in out.changes["aligned"]] == ["加入军队", "今天天气很好", "谢谢"]
    assert "No subtitles track (failed: OCR crashed)" in files_after(ctx, out)["transcript.md"]


def test_run_with_nothing_to_align(tmp_path):
    ctx = context(tmp_path)
    out = run(ctx)
    assert out.changes == {"aligned": []}
    files = files_after(ctx, out)
    assert files["aligned.srt"] == "" and files["aligned.vtt"] == "WEBVTT\n"
    assert "Nothing to show" in files["transcript.md"]


def test_run_without_a_known_duration(tmp_path):
    ctx = context(tmp_path, speech=SPEECH, subtitles=SUBS)
    ctx.transcript.video.duration = None
    assert run(ctx).changes["aligned"][-1].end == 6.5


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg checks the subtitle files")
@pytest.mark.parametrize("name", ["aligned.srt", "aligned.vtt"])
def test_ffmpeg_reads_the_aligned_files_back(tmp_path, name):
    ctx = context(tmp_path, speech=SPEECH, subtitles=SUBS)
    path = tmp_path / name
    path.write_text(files_after(ctx, run(ctx))[name], encoding="utf-8")
    back = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "srt", "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    assert back.count(" --> ") == 4
    assert "加入軍隊\n加入军队" in back and "—\n谢谢" in back and "电话\n—" in back
