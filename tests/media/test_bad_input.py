"""Bad input gets one line naming the input: no `internal error`, no decoder noise on stderr. Damaged or
oddly timed clips still give what is readable; a file's permissions do not depend on the path it took."""

from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe.cli import cli
from vidscribe.media.frames import FrameReader
from vidscribe.transcripts.store import Store

SIX_HOURS = 6 * 3600


def media(*args: str, data: Path):
    return CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", "--allow-private-urls", *args])


def one_error(result) -> str:
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "internal error" not in result.output and "Traceback" not in result.output
    return errors[0]


@pytest.fixture(scope="module")
def damaged(clips, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small clip with a sixth of its media data (from a third of the way in) overwritten with noise."""
    data = bytearray(clips["small"].read_bytes())
    noise = random.Random(1)
    for i in range(len(data) // 3, len(data) // 2):
        data[i] = noise.randrange(256)
    path = tmp_path_factory.mktemp("damaged") / "damaged.mp4"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def raw_streams(clips, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """H.264 elementary streams: no container, so no timestamps and no stated duration."""
    root = tmp_path_factory.mktemp("raw")
    small, long = root / "small.h264", root / "long.h264"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(clips["small"]), "-an", "-c:v", "copy", "-bsf:v",
                    "h264_mp4toannexb", str(small)], check=True, timeout=60)
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"color=c=gray:s=16x16:r=1:d={SIX_HOURS}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-f", "h264", str(long)], check=True, timeout=120)
    return {"small": small, "long": long}


def test_a_redirect_to_a_file_url_is_refused_in_one_line(http_server, data_root):
    url = http_server.url("redirect/302?to=file:///etc/passwd")
    line = one_error(media(url, data=data_root))
    assert line == f"error: {url}: refused: the address redirected to a file:// URL; only http and https are fetched"


@pytest.mark.parametrize("path", ["status/404", "missing.mp4"])
def test_http_404_is_a_clean_status_line(path, http_server, data_root):
    url = http_server.url(path)
    assert one_error(media(url, data=data_root)) == f"error: {url}: HTTP 404 Not Found"


def test_a_damaged_middle_yields_what_is_readable_without_decoder_noise(damaged, tmp_path):
    """Run as a program: libav writes its complaints to file descriptor 2, past Python's sys.stderr."""
    data = tmp_path / "data"
    run = subprocess.run([sys.executable, "-m", "vidscribe", "process", "--data", str(data), "--stage", "media",
                          "--stage", "subtitles", str(damaged)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "@ 0x" not in run.stderr and "internal error" not in run.stderr, run.stderr
    (video_id,) = Store(data).video_ids()
    cues = Store(data).load(video_id).subtitles.cues
    assert [c.text for c in cues] == ["加入俄罗斯军队", "签约奖金"]
    with FrameReader(damaged) as reader:
        frames = sum(1 for _ in reader.frames())
        assert reader.decode_errors > 0 and frames >= 0.8 * reader.info.frame_count


def test_a_stream_without_timestamps_is_read_at_its_frame_rate(raw_streams, clips, data_root):
    """No container timestamps: frames are timed by the stream's rate (not all at 0 s, which found no
    subtitles), and give the same cues as the clip they came from."""
    with FrameReader(raw_streams["small"]) as reader:
        times = [t for t, _ in reader.frames()]
    assert times[:3] == pytest.approx([0.0, 0.04, 0.08]) and times[-1] == pytest.approx(3.96)
    cues = {}
    for name, path in (("mp4", clips["small"]), ("raw", raw_streams["small"])):
        result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media", "--stage",
                                          "subtitles", str(path)])
        assert result.exit_code == 0, result.output
        cues[name] = [c.text for c in Store(data_root).load(result.stdout.split("\t")[0]).subtitles.cues]
    assert cues["raw"] == cues["mp4"] == ["加入俄罗斯军队", "签约奖金"]


def test_a_stream_that_states_no_duration_still_meets_the_limit(raw_streams, data_root):
    line = one_error(media(str(raw_streams["long"]), data=data_root))
    assert line == f"error: {raw_streams['long']}: too long: {SIX_HOURS} s is over the limit of 1800 s " \
                   "(VIDSCRIBE_MAX_DURATION)"


@pytest.mark.parametrize("kind", ["url", "local"])
def test_stored_files_are_readable_by_others_whatever_the_umask(kind, clips, http_server, tmp_path):
    source = http_server.add("clips/clip.mp4", clips["small"]) if kind == "url" else str(clips["small"])
    data = tmp_path / "data"
    run = subprocess.run([sys.executable, "-m", "vidscribe", "process", "--data", str(data), "--stage", "media",
                          "--allow-private-urls", source], capture_output=True, text=True, timeout=120,
                         preexec_fn=lambda: os.umask(0o077))
    assert run.returncode == 0, run.stderr
    files = [p for p in data.rglob("*") if p.is_file() and p.name != ".lock"]
    assert {p.name for p in files} >= {"source.mp4", "info.json", "audio.wav", "transcript.json"}
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {p.name: "0o644" for p in files}


def test_a_relative_data_root_keeps_the_media(clips, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["process", "--data", "data", "--stage", "media", str(clips["small"])])
    assert result.exit_code == 0, result.output
    video_id = result.stdout.split("\t")[0]
    assert {p.name for p in (tmp_path / "data" / "media" / video_id).iterdir()} == \
        {"source.mp4", "info.json", "audio.wav"}
