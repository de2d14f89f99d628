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


def test_show_md_follows_track(tmp_path):
    from vidscribe.transcripts.model import Segment, Speech

    store = Store(tmp_path)
    store.save(Transcript(video=VideoMeta(id="douyin-3", source="https://www.douyin.com/video/3", duration=5.0),
                          stages={"speech": StageRecord("done", 1.0, "1"), "subtitles": StageRecord("done", 1.0, "1")},
                          speech=Speech("en", [Segment(0.5, 2.0, "sign the contract today")]),
                          subtitles=Subtitles([Cue(0.5, 2.0, "签约奖金", 0.99)])))
    runner = CliRunner()

    def md(track: str) -> str:
        result = runner.invoke(cli, ["show", "--data", str(tmp_path), "douyin-3", "--track", track, "--format", "md"])
        assert result.exit_code == 0, result.output
        return result.stdout

    speech, subtitles = md("speech"), md("subtitles")
    assert "## Speech" in speech and "sign the contract today" in speech and "## Subtitles" not in speech
    assert "## Subtitles" in subtitles and "签约奖金" in subtitles and "## Speech" not in subtitles


def test_store_commands_list_only_the_data_root():
    runner = CliRunner()
    for command in ("show", "search", "export", "index"):
        text = runner.invoke(cli, [command, "--help"]).output
        assert "--data" in text, command
        for unrelated in ("--cookies", "--proxy", "--max-filesize", "--redis-url", "--asr-model"):
            assert unrelated not in text, (command, unrelated)
    status = runner.invoke(cli, ["status", "--help"]).output
    assert "--data" in status and "--redis-url" in status
    assert "--cookies" not in status and "--job-heartbeat" not in status
