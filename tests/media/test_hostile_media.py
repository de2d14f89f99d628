"""Media that tries to make ffmpeg read something else: refused before anything is decoded."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe.cli import cli


@pytest.fixture(scope="module")
def secret_ts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local file with audio that no URL should be able to read."""
    path = tmp_path_factory.mktemp("secret") / "secret.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=2", "-f", "lavfi", "-i",
                    "color=c=red:s=64x64:d=2", "-shortest", "-c:v", "libx264", "-c:a", "aac", str(path)],
                   check=True, timeout=60)
    return path


def _playlist(target: Path) -> str:
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{target}\n#EXT-X-ENDLIST\n"


def _refused(result, data_root: Path) -> None:
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "refused: its content (hls) points at other files" in errors[0], result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert not list(data_root.rglob("audio.wav")) and not list(data_root.rglob("transcript.json"))


def test_a_url_serving_a_playlist_as_mp4_cannot_read_a_local_file(secret_ts, http_server, data_root):
    url = http_server.add("clips/evil.mp4", _playlist(secret_ts))
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media",
                                      "--allow-private-urls", url])
    _refused(result, data_root)


def test_a_local_playlist_is_refused(secret_ts, tmp_path, data_root):
    local = tmp_path / "clip.mp4"
    local.write_text(_playlist(secret_ts))
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media", str(local)])
    _refused(result, data_root)


def test_self_contained_media_still_reads(clips, data_root):
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media", str(clips["small"])])
    assert result.exit_code == 0, result.output
    assert list(data_root.rglob("audio.wav"))


@pytest.mark.parametrize("name", ["playlist.m3u8", "clip.mp4"])
def test_the_frame_reader_will_not_follow_a_playlist(name, secret_ts, tmp_path):
    """frames.py decodes with the same restrictions as ffprobe: a playlist naming a local video is not
    read through it either (unrestricted, libav follows an .m3u8 to the file it names)."""
    from vidscribe.errors import SourceError
    from vidscribe.media.frames import FrameReader, iter_frames

    local = tmp_path / name
    local.write_text(_playlist(secret_ts))
    with pytest.raises(SourceError, match="refused: not a self-contained media file|not a readable media file"):
        FrameReader(local)
    with pytest.raises(SourceError):
        next(iter_frames(local))
    with FrameReader(secret_ts) as reader:  # the file itself is a self-contained video, and reads
        assert sum(1 for _ in reader.pictures()) > 0
