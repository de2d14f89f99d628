"""Size and duration limits hold before the download (few bytes transferred) and during it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe.cli import cli

SIX_HOURS = 6 * 3600


def _make(path: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(path)], check=True, capture_output=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def long_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Six-hour clips, cheap to make: 1 frame per second. `big` is uncompressed grey (tens of MB, so a
    download shows in the byte count) with its moov after the media, as ffmpeg writes it."""
    root = tmp_path_factory.mktemp("long")
    source = ["-f", "lavfi", "-i", f"color=c=gray:s=64x64:r=1:d={SIX_HOURS}"]
    return {
        "big": _make(root / "big.mp4", *source, "-c:v", "rawvideo", "-pix_fmt", "gray", "-f", "mov"),
        "faststart": _make(root / "faststart.mp4", *source, "-c:v", "libx264", "-preset", "ultrafast",
                           "-movflags", "+faststart"),
        "mkv": _make(root / "long.mkv", *source, "-c:v", "libx264", "-preset", "ultrafast"),
    }


def run(*args: str, data: Path):
    return CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", "--allow-private-urls",
                                    *args])


def refused(result, *needles: str) -> str:
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "internal error" not in errors[0] and "Traceback" not in result.output
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def downloads(server, path: str) -> int:
    """Whole-file GETs of `path` besides yt-dlp's first look at it (the generic extractor's one GET,
    whose body it does not read)."""
    return server.requests[path] - 1


def test_a_six_hour_direct_link_is_refused_before_its_download(long_clips, http_server, data_root):
    clip = long_clips["big"]
    url = http_server.add("cdn/long.mp4", clip)
    refused(run(url, data=data_root), url, f"too long: {SIX_HOURS} s is over the limit of 1800 s")
    assert downloads(http_server, "/cdn/long.mp4") == 0
    # The moov sits after 88 MB of media: found by ranged reads of box headers, not by reading the file.
    # (yt-dlp's first GET pushes some of the file into the loopback socket's buffers before it hangs up.)
    assert http_server.bytes_sent["/cdn/long.mp4"] < clip.stat().st_size / 8
    assert not (data_root / "media").exists() or not list((data_root / "media").rglob("*.*"))


@pytest.mark.parametrize("name", ["faststart", "mkv"])
def test_a_long_clip_is_refused_from_its_header_even_without_ranges(name, long_clips, http_server, data_root):
    """A server that ignores Range: the first bytes still hold the duration of a faststart MP4 (its moov)
    or of a Matroska file (its Info)."""
    http_server.ranges = False
    url = http_server.add(f"cdn/{long_clips[name].name}", long_clips[name])
    refused(run(url, data=data_root), url, "too long: 21600 s")
    assert downloads(http_server, f"/cdn/{long_clips[name].name}") == 0


def test_a_claimed_size_over_the_limit_is_refused_before_the_download(clips, http_server, data_root):
    url = http_server.add("cdn/huge.mp4", clips["small"])
    http_server.claimed_length["/cdn/huge.mp4"] = 10 * 1024**3
    refused(run(url, data=data_root), url, "too large: 10.0 GiB is over the limit of 2.0 GiB")
    assert downloads(http_server, "/cdn/huge.mp4") == 0


def test_a_download_without_a_length_stops_at_the_limit(long_clips, http_server, data_root):
    """No Content-Length and no ranges: nothing tells the size or the duration before the bytes come,
    so the download is stopped as soon as it passes VIDSCRIBE_MAX_FILESIZE."""
    http_server.ranges = False
    clip = long_clips["big"]
    url = http_server.add("nolength/long.mp4", clip)
    refused(run("--max-filesize", "2M", "--max-duration", str(10 * SIX_HOURS), url, data=data_root),
            url, "too large", "2.0 MiB")
    assert http_server.bytes_sent["/nolength/long.mp4"] < clip.stat().st_size / 4
    assert not (data_root / "media").exists() or not list((data_root / "media").rglob("*"))
