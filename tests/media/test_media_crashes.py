"""The media stage killed (SIGKILL) at any point, or run several times at once on one clip: the next run
ends with the media, its info (title, extractor) and its audio, and with no temporary file left; a
temporary file a live run is still writing is never taken from it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe.cli import cli
from vidscribe.media.fetch import sha256_file
from vidscribe.media.ids import url_hash, video_id_from_content
from vidscribe.transcripts.store import Store

KILLHOOK = Path(__file__).with_name("killhook.py")
RUN_TIMEOUT = 120  # s for one `vidscribe process --stage media` of a 4-second clip, on a busy machine

# Renames the media stage makes, in order; a kill just before each leaves a different state behind.
DOWNLOAD_DONE = ".download-*/source.mp4"  # yt-dlp renaming its .part: the download is complete
AUDIO_EXTRACTED = ".audio.wav.*.new.wav"  # the new audio, extracted beside the new media
INFO, MEDIA, AUDIO = "info.json", "source.mp4", "audio.wav"  # the commit: info, media, audio
TRANSCRIPT = "transcript.json"


def media_args(data: Path, source: str) -> list[str]:
    return ["process", "--data", str(data), "--stage", "media", "--allow-private-urls", source]


def run_killed(data: Path, source: str, pattern: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(KILLHOOK), pattern, *media_args(data, source)],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)


def leftovers(data: Path, video_id: str) -> list[Path]:
    folders = [data / "media" / video_id, data / "transcripts" / video_id]
    return [p for f in folders if f.is_dir() for p in f.rglob(".*") if p.name != ".lock"]


def assert_whole(data: Path, video_id: str, title: str, extractor: str) -> None:
    transcript = Store(data).load(video_id)
    assert transcript.stages["media"].status == "done"
    assert (transcript.video.title, transcript.video.extractor) == (title, extractor)
    media = data / "media" / video_id
    info = json.loads((media / INFO).read_text(encoding="utf-8"))
    assert (info["title"], info["extractor_key"]) == (title, extractor)
    assert (media / MEDIA).is_file() and (media / AUDIO).is_file()
    assert not leftovers(data, video_id)


@pytest.fixture()
def url_source(clips, http_server) -> tuple[str, str, str, str]:
    """(source, video ID, title, extractor) of a direct link."""
    url = http_server.add("clips/clip.mp4", clips["small"])
    return url, f"url-{url_hash(url)}", "clip", "Generic"


@pytest.fixture()
def local_source(clips) -> tuple[str, str, str, str]:
    path = clips["small"]
    return str(path), video_id_from_content(sha256_file(path)), path.stem, "LocalFile"


def _pattern(data: Path, video_id: str, point: str) -> str:
    folder = "transcripts" if point == TRANSCRIPT else "media"
    return str(data.absolute() / folder / video_id / point)


@pytest.mark.parametrize("point", [DOWNLOAD_DONE, AUDIO_EXTRACTED, INFO, MEDIA, AUDIO, TRANSCRIPT])
def test_a_url_run_killed_anywhere_is_made_whole_by_the_next(point, url_source, data_root):
    source, video_id, title, extractor = url_source
    killed = run_killed(data_root, source, _pattern(data_root, video_id, point))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert leftovers(data_root, video_id), "the kill left temporaries (what the next run must clean)"
    again = CliRunner().invoke(cli, media_args(data_root, source))
    assert again.exit_code == 0, again.output
    assert_whole(data_root, video_id, title, extractor)


@pytest.mark.parametrize("point", [AUDIO_EXTRACTED, INFO, MEDIA, AUDIO, TRANSCRIPT])
def test_a_local_run_killed_anywhere_is_made_whole_by_the_next(point, local_source, data_root):
    source, video_id, title, extractor = local_source
    killed = run_killed(data_root, source, _pattern(data_root, video_id, point))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert leftovers(data_root, video_id)
    again = CliRunner().invoke(cli, media_args(data_root, source))
    assert again.exit_code == 0, again.output
    assert_whole(data_root, video_id, title, extractor)


@pytest.mark.parametrize("kind", ["url", "local"])
def test_three_concurrent_runs_on_one_clip_keep_its_info(kind, url_source, local_source, tmp_path):
    source, video_id, title, extractor = url_source if kind == "url" else local_source
    for attempt in range(2):
        data = tmp_path / f"data{attempt}"
        runs = [subprocess.Popen([sys.executable, "-m", "vidscribe", *media_args(data, source)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
        for run in runs:
            out, err = run.communicate(timeout=RUN_TIMEOUT)
            assert run.returncode == 0, err
            assert out.split("\t")[0] == video_id
        assert_whole(data, video_id, title, extractor)


def test_a_second_run_waits_for_a_live_download_and_leaves_it_alone(clips, http_server, data_root):
    """A run that starts while another is downloading the same video does not remove the live
    download's temporary folder (as it removes a dead run's): it waits, then finds the media stored."""
    http_server.slow_bytes_per_second = 10_000  # ~3 s for the clip
    url = http_server.add("slow/clip.mp4", clips["small"])
    video_id = f"url-{url_hash(url)}"
    first = subprocess.Popen([sys.executable, "-m", "vidscribe", *media_args(data_root, url)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + RUN_TIMEOUT
    while not list((data_root / "media").glob(f"{video_id}/.download-*/*")):
        assert first.poll() is None and time.monotonic() < deadline, "the download did not start"
        time.sleep(0.05)
    second = CliRunner().invoke(cli, media_args(data_root, url))
    out, err = first.communicate(timeout=RUN_TIMEOUT)
    assert first.returncode == 0, err
    assert second.exit_code == 0, second.output
    assert (data_root / "media" / video_id / MEDIA).read_bytes() == clips["small"].read_bytes()
    assert http_server.requests["/slow/clip.mp4"] <= 3  # two looks (yt-dlp's, one per run), one download
    assert_whole(data_root, video_id, "clip", "Generic")


def test_a_ledger_records_killed_write_is_cleaned_up_but_not_a_live_one(tmp_path):
    """The ledger (`sources/`) is written without a lock: a temporary is removed once it is older than
    any live write can be, a young one (a write in flight) is left to its writer."""
    import os

    from vidscribe.transcripts.sources import STALE_TEMPORARY_SECONDS, SourceLedger, SourceRecord

    ledger = SourceLedger(tmp_path)
    path = ledger.path("https://example.com/v/1")
    path.parent.mkdir(parents=True)
    dead, live = path.parent / f".{path.name}.dead1234.tmp", path.parent / f".{path.name}.live1234.tmp"
    for tmp in (dead, live):
        tmp.write_text("{")
    old = time.time() - STALE_TEMPORARY_SECONDS - 60
    os.utime(dead, (old, old))
    ledger.put(SourceRecord("https://example.com/v/1", "queued"))
    assert ledger.get("https://example.com/v/1").status == "queued"
    assert not dead.exists() and live.exists()
