"""`vidscribe show`: stored outputs printed through the CLI; unknown IDs and tracks are one-line errors."""

from __future__ import annotations

from click.testing import CliRunner

from vidscribe.cli import cli
from vidscribe.transcripts.model import Cue, StageRecord, Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.store import Store


def test_show(tmp_path):
    store = Store(tmp_path)
    store.save(Transcript(video=VideoMeta(id="douyin-1", source="https://www.douyin.com/video/1", duration=5.0),
                          stages={"subtitles": StageRecord("done", 1.0, "1")},
                          subtitles=Subtitles([Cue(0.5, 2.0, "签约奖金", 0.99)])))
    runner = CliRunner()
    srt = runner.invoke(cli, ["show", "--data", str(tmp_path), "douyin-1", "--track", "subtitles", "--format", "srt"])
    assert srt.exit_code == 0 and "00:00:00,500 --> 00:00:02,000\n签约奖金" in srt.output
    missing = runner.invoke(cli, ["show", "--data", str(tmp_path), "douyin-2"])
    assert missing.exit_code == 1 and "no transcript for video ID 'douyin-2'" in missing.output
    assert "Traceback" not in missing.output
    no_track = runner.invoke(cli, ["show", "--data", str(tmp_path), "douyin-1", "--track", "speech"])
    assert no_track.exit_code == 1 and no_track.output.count("\n") == 1
    bad = runner.invoke(cli, ["show", "--data", str(tmp_path), "douyin-1", "--track", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.output
